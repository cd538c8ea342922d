import { describe, it, expect } from 'vitest';
import { affectedBy, effectOf, type EventEffect } from '../../server/engine/affected.ts';
import { eventTypes, type SessionEvent } from '../../server/engine/events.ts';
import type { Actor } from '../../server/engine/state.ts';
import { Classroom, T0 } from '../support/classroom.ts';
import { qrTask, quizAndTaskLesson } from '../support/lessons.ts';

// Which learners get a new view after which event (server/engine/affected.ts): the room sends
// exactly what this says. One row per event type.

const lesson = quizAndTaskLesson;

const instructor: Actor = { role: 'instructor', userId: 'u-co-lan', name: 'Cô Lan' };
const minh: Actor = { role: 'helper', helperId: 'h-minh', name: 'Minh' };
const learner = (learnerId: string): Actor => ({ role: 'learner', learnerId });

/** a, b, c joined, step 0 pushed; b and c asked for help (b first); a and b answered run-1, then it was revealed. */
function classroom(): Classroom {
  const c = new Classroom({ lesson });
  for (const id of ['a', 'b', 'c'])
    c.run({ role: 'guest' }, { type: 'learner:join', learnerId: id, name: id.toUpperCase(), seat: '', tokenHash: `h-${id}` });
  c.run(instructor, { type: 'step:push', step: 0 });
  c.run(learner('b'), { type: 'learner:help', active: true, requestId: 'req-b' });
  c.run(learner('c'), { type: 'learner:help', active: true, requestId: 'req-c' });
  c.run(instructor, { type: 'quiz:open', runId: 'run-1', source: { step: 0, questionId: 'da-biet' }, timeLimit: null });
  for (const id of ['a', 'b'])
    c.run(learner(id), { type: 'quiz:answer', runId: 'run-1', answerId: `ans-${id}-01`, value: { kind: 'truefalse', value: true } });
  c.run(instructor, { type: 'quiz:reveal', runId: 'run-1' });
  return c;
}

const at = T0 + 3_600_000;
const rows: { event: SessionEvent; effect: EventEffect }[] = [
  { event: { type: 'step:pushed', at, step: 1 }, effect: { classView: true } },
  { event: { type: 'pacing:changed', at, pacing: { mode: 'self', from: 0, to: 1 } }, effect: { classView: true, everyone: true } },
  { event: { type: 'session:ended', at }, effect: { classView: true, sessionEnded: true } },
  { event: { type: 'learner:left', at, learnerId: 'a' }, effect: { ended: 'left' } },
  { event: { type: 'learner:removed', at, learnerId: 'a', block: false }, effect: { ended: 'removed' } },
  { event: { type: 'learner:moved', at, learnerId: 'a', step: 1 }, effect: { learners: ['a'] } },
  { event: { type: 'learner:marked-done', at, learnerId: 'a', step: 0, done: true }, effect: { learners: ['a'] } },
  { event: { type: 'seat:labeled', at, learnerId: 'a', seat: 'Bàn 1' }, effect: { learners: ['a'] } },
  { event: { type: 'stuck:dismissed', at, learnerId: 'a', step: 0 }, effect: { learners: ['a'] } },
  {
    event: {
      type: 'quiz:answered',
      at,
      runId: 'run-1',
      learnerId: 'a',
      answerId: 'ans-a-02',
      value: { kind: 'truefalse', value: true },
      score: 1,
    },
    effect: { learners: ['a'] },
  },
  {
    event: {
      type: 'task:moved',
      at,
      runId: 'task-1',
      learnerId: 'a',
      moveId: 'move-a-01',
      from: 'home',
      element: null,
      matched: null,
      outcome: { kind: 'miss' },
    },
    effect: { learners: ['a'] },
  },
  {
    event: { type: 'help:requested', at, learnerId: 'a', requestId: 'req-a', step: 0, reason: null },
    effect: { queue: true, learners: ['a'] },
  },
  { event: { type: 'help:withdrawn', at, learnerId: 'a' }, effect: { queue: true, learners: ['a'] } },
  {
    event: { type: 'help:claimed', at, requestId: 'req-c', by: { id: 'helper:h-minh', name: 'Minh' } },
    effect: { queue: true, learners: ['c'] },
  },
  { event: { type: 'help:released', at, requestId: 'req-c' }, effect: { queue: true, learners: ['c'] } },
  {
    event: { type: 'help:resolved', at, requestId: 'req-b', by: { id: 'helper:h-minh', name: 'Minh' } },
    effect: { queue: true, learners: ['b'] },
  },
  {
    event: { type: 'help:claimed', at, requestId: 'req-unknown', by: { id: 'helper:h-minh', name: 'Minh' } },
    effect: { queue: true, learners: [] },
  },
  {
    event: { type: 'quiz:opened', at, runId: 'run-2', question: lesson.steps[0].questions[0], source: null, deadline: null },
    effect: { classView: true, quizChanged: true },
  },
  { event: { type: 'quiz:closed', at, runId: 'run-1' }, effect: { classView: true, quizChanged: true } },
  { event: { type: 'quiz:dismissed', at, runId: 'run-1' }, effect: { classView: true, quizChanged: true } },
  { event: { type: 'quiz:revealed', at, runId: 'run-1' }, effect: { classView: true, quizChanged: true, learners: ['a', 'b'] } },
  {
    event: { type: 'task:opened', at, runId: 'task-1', task: lesson.steps[1].tasks[0], source: { step: 1, taskId: qrTask.id } },
    effect: { classView: true },
  },
  { event: { type: 'task:closed', at, runId: 'task-1' }, effect: { classView: true } },
  { event: { type: 'task:finished', at, runId: 'task-1', taskId: qrTask.id, learnerId: 'a', skills: [] }, effect: {} },
  { event: { type: 'stuck:configured', at, config: classroom().state.stuckConfig }, effect: {} },
  { event: { type: 'seatmap:changed', at, rows: 3, cols: 3 }, effect: {} },
  { event: { type: 'seat:placed', at, learnerId: 'a', row: 0, col: 0 }, effect: {} },
  { event: { type: 'quiz:results-shown', at, runId: 'run-1', show: true }, effect: {} },
  { event: { type: 'learner:joined', at, learnerId: 'd', name: 'D', seat: '', tokenHash: 'h-d' }, effect: {} },
  { event: classroom().log[0], effect: {} },
];

describe('effectOf: one event, whom it touches', () => {
  it.each(rows.map((r) => ({ ...r, name: `${r.event.type} ${'requestId' in r.event ? r.event.requestId : ''}` })))(
    '$name',
    ({ event, effect }) => {
      expect(effectOf(classroom().state, event)).toEqual(effect);
    },
  );

  it('the table has a row for every event type', () => {
    expect([...new Set(rows.map((r) => r.event.type))].sort()).toEqual([...eventTypes].sort());
  });
});

describe('affectedBy: a command’s events together', () => {
  it('a help event sends every waiting learner their new place, not the acting learner', () => {
    const c = classroom();
    const events = c.run(learner('a'), { type: 'learner:help', active: true, requestId: 'req-a' });
    const affected = affectedBy(c.state, events, 'a');
    expect([...affected.learners].sort()).toEqual(['b', 'c']);
    expect(affected).toMatchObject({ classView: false, everyone: false, sessionEnded: false, quizChanged: false, ended: [] });
  });

  it('a claim by staff touches the claimed learner and the queue behind', () => {
    const c = classroom();
    const events = c.run(minh, { type: 'help:claim', requestId: 'req-b' });
    expect([...affectedBy(c.state, events).learners].sort()).toEqual(['b', 'c']);
  });

  it('a pacing change gives every learner their own view, the acting one included', () => {
    const c = classroom();
    const events = c.run(instructor, { type: 'pacing:set', pacing: { mode: 'self', from: 0, to: 1 } });
    const affected = affectedBy(c.state, events, 'a');
    expect([...affected.learners].sort()).toEqual(['a', 'b', 'c']);
    expect(affected.classView).toBe(true);
  });

  it('a removal ends that learner, and their request leaves the queue', () => {
    const c = classroom();
    const events = c.run(instructor, { type: 'learner:remove', learnerId: 'b', block: false });
    const affected = affectedBy(c.state, events);
    expect(affected.ended).toEqual([{ learnerId: 'b', reason: 'removed' }]);
  });

  it('ending the session: class view, the end, and the question put away', () => {
    const c = classroom();
    const events = c.run(instructor, { type: 'session:end' });
    expect(affectedBy(c.state, events)).toMatchObject({ classView: true, sessionEnded: true, quizChanged: true });
  });

  it('nothing for an idempotent repeat', () => {
    const c = classroom();
    expect(affectedBy(c.state, [])).toEqual({
      classView: false,
      everyone: false,
      learners: new Set(),
      ended: [],
      sessionEnded: false,
      quizChanged: false,
    });
  });
});
