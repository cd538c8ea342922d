import { describe, it, expect } from 'vitest';
import { Question } from '../../shared/lesson/question.ts';
import type { Command } from '../../server/engine/engine.ts';
import { SessionEvent } from '../../server/engine/events.ts';
import { fold } from '../../server/engine/engine.ts';
import type { Actor } from '../../server/engine/state.ts';
import { snapshot } from '../support/state.ts';
import { Classroom, T0 } from '../support/classroom.ts';
import { qrTask, quizAndTaskLesson } from '../support/lessons.ts';

// DESIGN: commands that create data carry a client-made id. A retry with the same id changes
// nothing and is acknowledged again; the same id asking for something else is refused.

const lesson = quizAndTaskLesson;
const quick = Question.parse({ id: 'nhanh', kind: 'truefalse', prompt: 'Bác nghe rõ không?', correct: true });

const instructor: Actor = { role: 'instructor', userId: 'u-co-lan', name: 'Cô Lan' };
const minh: Actor = { role: 'helper', helperId: 'h-minh', name: 'Minh' };
const A: Actor = { role: 'learner', learnerId: 'a' };
const B: Actor = { role: 'learner', learnerId: 'b' };

function classOf2(): Classroom {
  const c = new Classroom({ lesson });
  for (const [id, name] of [
    ['a', 'Lan'],
    ['b', 'Hùng'],
  ]) {
    c.run({ role: 'guest' }, { type: 'learner:join', learnerId: id, name, seat: '', tokenHash: `hash-${id}` });
  }
  c.run(instructor, { type: 'step:push', step: 0 });
  return c;
}

const openStepQuestion = (runId: string, timeLimit: number | null = null): Command => ({
  type: 'quiz:open',
  runId,
  source: { step: 0, questionId: 'da-biet' },
  timeLimit,
});
const openTask = (runId: string, step = 1, taskId = qrTask.id): Command => ({ type: 'task:open', runId, source: { step, taskId } });
const raise = (requestId: string, reason?: 'not_understood' | 'device_problem'): Command => ({
  type: 'learner:help',
  active: true,
  requestId,
  ...(reason ? { reason } : {}),
});

describe('quiz:open with a client-made run id', () => {
  it('a retry opens one run, whatever came in between', () => {
    const c = classOf2();
    expect(c.run(instructor, openStepQuestion('run-client-1', 60)).map((e) => e.type)).toEqual(['quiz:opened']);
    c.run(A, { type: 'quiz:answer', runId: 'run-client-1', answerId: 'ans-a-0001', value: { kind: 'truefalse', value: true } });
    const before = snapshot(c.state);
    expect(c.run(instructor, openStepQuestion('run-client-1', 60))).toEqual([]);
    expect(snapshot(c.state)).toEqual(before);
    // Closed since: the retry neither reopens it nor clears its answers.
    c.run(instructor, { type: 'quiz:close', runId: 'run-client-1' });
    expect(c.run(instructor, openStepQuestion('run-client-1', 60))).toEqual([]);
    expect(c.state.quizzes.size).toBe(1);
    expect(c.quiz('run-client-1').status).toBe('closed');
    expect(c.quiz('run-client-1').answers.size).toBe(1);
  });

  it.each<{ name: string; command: Command }>([
    {
      name: 'another question of the lesson',
      command: { type: 'quiz:open', runId: 'run-client-1', source: { question: quick }, timeLimit: null },
    },
    { name: 'another time limit', command: openStepQuestion('run-client-1', 30) },
    { name: 'no time limit', command: openStepQuestion('run-client-1', null) },
  ])('the same id with $name is refused with id_reused, nothing stored', ({ command }) => {
    const c = classOf2();
    c.run(instructor, openStepQuestion('run-client-1', 60));
    expect(c.decide(instructor, command)).toEqual({ error: 'id_reused' });
  });
});

describe('task:open with a client-made run id', () => {
  it('a retry opens one run', () => {
    const c = classOf2();
    expect(c.run(instructor, openTask('task-client-1')).map((e) => e.type)).toEqual(['task:opened']);
    expect(c.run(instructor, openTask('task-client-1'))).toEqual([]);
    expect(c.state.tasks.size).toBe(1);
  });

  it.each([
    { name: 'another task', step: 2, taskId: 'tra-tien-qr-2' },
    { name: 'the same task id of another step', step: 2, taskId: qrTask.id },
  ])('the same id for $name is refused with id_reused', ({ step, taskId }) => {
    const c = classOf2();
    c.run(instructor, openTask('task-client-1'));
    expect(c.decide(instructor, openTask('task-client-1', step, taskId))).toEqual({ error: 'id_reused' });
  });
});

describe('learner:help with a client-made request id', () => {
  it('a retry while the request is open raises one request', () => {
    const c = classOf2();
    expect(c.run(A, raise('help-a-0001', 'device_problem')).map((e) => e.type)).toEqual(['help:requested']);
    expect(c.run(A, raise('help-a-0001', 'device_problem'))).toEqual([]);
    c.run(minh, { type: 'help:claim', requestId: 'help-a-0001' });
    expect(c.run(A, raise('help-a-0001', 'device_problem'))).toEqual([]);
    expect(c.queue()).toEqual(['help-a-0001 claimed Minh']);
  });

  it('a stale retry after the request was resolved raises nothing (help_closed)', () => {
    const c = classOf2();
    c.run(A, raise('help-a-0001'));
    c.run(minh, { type: 'help:resolve', requestId: 'help-a-0001' });
    expect(c.decide(A, raise('help-a-0001'))).toEqual({ error: 'help_closed' });
    expect(c.queue()).toEqual([]);
  });

  it.each<{ name: string; actor: Actor; command: Command }>([
    { name: 'another reason', actor: A, command: raise('help-a-0001', 'not_understood') },
    { name: 'no reason', actor: A, command: raise('help-a-0001') },
    { name: 'another learner', actor: B, command: raise('help-a-0001', 'device_problem') },
  ])('the same id with $name is refused with id_reused', ({ actor, command }) => {
    const c = classOf2();
    c.run(A, raise('help-a-0001', 'device_problem'));
    expect(c.decide(actor, command)).toEqual({ error: 'id_reused' });
  });

  it('a new raise after a withdrawal takes a new id', () => {
    const c = classOf2();
    c.run(A, raise('help-a-0001'));
    c.run(A, { type: 'learner:help', active: false, requestId: 'unused-id' });
    expect(c.run(A, raise('help-a-0002')).map((e) => e.type)).toEqual(['help:requested']);
    expect(c.queue()).toEqual(['help-a-0002 waiting']);
  });
});

describe('stored events of older sessions', () => {
  it('an event stored as seatmap:set reads as seatmap:changed, and the session folds', () => {
    const c = classOf2();
    const stored = [...c.log, { type: 'seatmap:set', at: T0 + 60_000, rows: 3, cols: 5 }].map((e) =>
      SessionEvent.parse(JSON.parse(JSON.stringify(e))),
    );
    expect(stored.at(-1)).toEqual({ type: 'seatmap:changed', at: T0 + 60_000, rows: 3, cols: 5 });
    expect(fold(stored).seatMap).toEqual({ rows: 3, cols: 5 });
  });

  it('an unknown event type is still refused', () => {
    expect(SessionEvent.safeParse({ type: 'seatmap:resized', at: T0, rows: 3, cols: 5 }).success).toBe(false);
  });
});
