/**
 * Builders for the engine's actors, commands and answer values, as the engine tests write them:
 * `c.run(guest, join('a', 'Lan', '1'))`, `c.run(A, answer('run-0001', 'ans-a-1', one('b')))`.
 * A test file keeps its own builders where its cases need other defaults.
 */
import type { AnswerValue } from '../../shared/lesson/question.ts';
import type { Command } from '../../server/engine/engine.ts';
import type { Actor } from '../../server/engine/state.ts';

// ---- actors ----

export const guest: Actor = { role: 'guest' };
export const system: Actor = { role: 'system' };
/** The helper Minh (id "h-minh"). */
export const helper: Actor = { role: 'helper', helperId: 'h-minh', name: 'Minh' };
export const learner = (learnerId: string): Actor => ({ role: 'learner', learnerId });

// ---- commands ----

/** A tablet joining as `learnerId`, its token hashed to "hash-<learnerId>"; named "Tên <learnerId>", no seat, unless told. */
export const join = (learnerId: string, name = `Tên ${learnerId}`, seat = ''): Command => ({
  type: 'learner:join',
  learnerId,
  name,
  seat,
  tokenHash: `hash-${learnerId}`,
});
export const push = (step: number): Command => ({ type: 'step:push', step });
export const leave: Command = { type: 'learner:leave' };
export const end: Command = { type: 'session:end' };
export const answer = (runId: string, answerId: string, value: AnswerValue): Command => ({ type: 'quiz:answer', runId, answerId, value });

// ---- answer values, one builder for each kind of question ----

export const one = (option: string): AnswerValue => ({ kind: 'single', option });
export const tf = (value: boolean): AnswerValue => ({ kind: 'truefalse', value });
export const many = (...options: string[]): AnswerValue => ({ kind: 'multiple', options });
export const text = (t: string): AnswerValue => ({ kind: 'text', text: t });
export const num = (value: number): AnswerValue => ({ kind: 'number', value });
export const order = (...ids: string[]): AnswerValue => ({ kind: 'ordering', order: ids });
export const vote = (option: string): AnswerValue => ({ kind: 'poll', option });
