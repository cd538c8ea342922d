/** Issue 16 in the engine and the schemas: removal, caps, bounded help memory, visible names, the shuffle seed. */
import { describe, expect, it } from 'vitest';
import { AnswerValue } from '../../shared/lesson/question.ts';
import { LearnerName } from '../../shared/protocol/commands.ts';
import { decide, evolve, fold, startSession, type Command } from '../../server/engine/engine.ts';
import type { SessionEvent } from '../../server/engine/events.ts';
import type { Actor, SessionState } from '../../server/engine/state.ts';
import { KEPT_WITHDRAWN } from '../../server/engine/help.ts';
import { sessionResults } from '../../server/engine/results.ts';
import { classView } from '../../server/engine/views.ts';
import { snapshot } from '../support/state.ts';
import { lessonOf } from '../support/lessons.ts';

const lesson = lessonOf(['Một', 'Hai']);
const T0 = Date.UTC(2025, 9, 6, 1, 30);
const instructor: Actor = { role: 'instructor', userId: 'u1', name: 'Cô Lan' };
const guest: Actor = { role: 'guest' };

function classroom() {
  const log: SessionEvent[] = [
    startSession({ sessionId: 'ses-1', code: '123456', helperCode: 'ABCDEF', instructorId: 'u1', lesson, now: T0 }),
  ];
  const state: SessionState = fold(log);
  let now = T0;
  const run = (actor: Actor, command: Command) => {
    now += 1000;
    const d = decide(state, command, { now, actor });
    if ('error' in d) return d.error;
    for (const e of d.events) {
      evolve(state, e);
      log.push(e);
    }
    return d.events;
  };
  const join = (id: string, name: string, capacity?: number) =>
    run(guest, { type: 'learner:join', learnerId: id, name, seat: '', tokenHash: `hash-${id}`, ...(capacity ? { capacity } : {}) });
  return { state, log, run, join };
}

describe('learner:remove', () => {
  it('the instructor removes a learner; with block, the name (any case) cannot join again', () => {
    const c = classroom();
    c.join('a', 'Lành');
    expect(c.run({ role: 'helper', helperId: 'h', name: 'Minh' }, { type: 'learner:remove', learnerId: 'a', block: true })).toBe(
      'forbidden',
    );
    expect(c.run({ role: 'learner', learnerId: 'a' }, { type: 'learner:remove', learnerId: 'a', block: true })).toBe('forbidden');
    expect(c.run(instructor, { type: 'learner:remove', learnerId: 'zz', block: false })).toBe('not_found');
    expect(c.run(instructor, { type: 'learner:remove', learnerId: 'a', block: true })).toMatchObject([
      { type: 'learner:removed', learnerId: 'a', block: true },
    ]);
    expect(c.state.learners.get('a')!.left).toBe(true);
    expect(c.join('b', 'LÀNH')).toBe('name_blocked');
    expect(c.run(guest, { type: 'learner:join', learnerId: 'c', name: 'Hoa', partners: ['lành'], seat: '', tokenHash: 'hash-c' })).toBe(
      'name_blocked',
    );
    // Removing again changes nothing; the replayed log gives the same state.
    expect(c.run(instructor, { type: 'learner:remove', learnerId: 'a', block: true })).toEqual([]);
    expect(snapshot(fold(c.log))).toEqual(snapshot(c.state));
  });

  it('without block, the name may join again as a new learner; a removed learner acts no more', () => {
    const c = classroom();
    c.join('a', 'Lành');
    c.run(instructor, { type: 'learner:remove', learnerId: 'a', block: false });
    expect(c.run({ role: 'learner', learnerId: 'a' }, { type: 'learner:help', active: true, requestId: 'r1' })).toBe('learner_left');
    expect(c.join('b', 'Lành')).toMatchObject([{ type: 'learner:joined', learnerId: 'b' }]);
  });
});

describe('per-class cap', () => {
  it('a join past the capacity is refused; those who left do not count', () => {
    const c = classroom();
    expect(c.join('a', 'An', 2)).not.toBe('class_full');
    expect(c.join('b', 'Bình', 2)).not.toBe('class_full');
    expect(c.join('c', 'Chi', 2)).toBe('class_full');
    c.run({ role: 'learner', learnerId: 'a' }, { type: 'learner:leave' });
    expect(c.join('c', 'Chi', 2)).toMatchObject([{ type: 'learner:joined' }]);
  });
});

describe('help requests stay bounded in memory', () => {
  it('a learner toggling help 200 times keeps a few records; the results still count every request', () => {
    const c = classroom();
    c.join('a', 'An');
    c.run(instructor, { type: 'step:push', step: 1 });
    const a: Actor = { role: 'learner', learnerId: 'a' };
    for (let i = 0; i < 100; i++) {
      c.run(a, { type: 'learner:help', active: true, requestId: `r${i}` });
      c.run(a, { type: 'learner:help', active: false, requestId: `w${i}` });
    }
    expect(c.state.helpRequests.size).toBeLessThanOrEqual(KEPT_WITHDRAWN);
    expect(sessionResults(c.state).steps.find((s) => s.index === 1)!.helpRequests).toBe(100);
    expect(snapshot(fold(c.log))).toEqual(snapshot(c.state));
  });

  it('claimed requests are kept in full (staff acted on them)', () => {
    const c = classroom();
    c.join('a', 'An');
    const a: Actor = { role: 'learner', learnerId: 'a' };
    for (let i = 0; i < 8; i++) {
      c.run(a, { type: 'learner:help', active: true, requestId: `r${i}` });
      c.run(instructor, { type: 'help:claim', requestId: `r${i}` });
      c.run(a, { type: 'learner:help', active: false, requestId: `w${i}` });
    }
    expect(c.state.helpRequests.size).toBe(8);
  });
});

describe('the ordering shuffle', () => {
  it('depends on the server secret, not on the run id the tablets receive', () => {
    const question = {
      id: 'o',
      kind: 'ordering' as const,
      prompt: 'Xếp',
      items: ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, text: id.toUpperCase() })),
    };
    const orders = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const c = classroom();
      c.run(instructor, { type: 'quiz:open', runId: 'run-same', source: { question }, timeLimit: null, shuffleSeed: `secret-${i}` });
      const view = classView(c.state, []);
      orders.add(view.quiz!.choices.map((ch) => ch.id).join(''));
      expect(JSON.stringify(view)).not.toContain(`secret-${i}`);
      // The order survives a replay (a restart) because the seed is in the event.
      expect(classView(fold(c.log), []).quiz!.choices).toEqual(view.quiz!.choices);
    }
    expect(orders.size).toBeGreaterThan(5);
  });
});

describe('names and text answers', () => {
  it.each([
    ['Hangul filler', '\u3164'],
    ['Hangul choseong filler', '\u115F\u115F'],
    ['blank Braille pattern', '\u2800'],
    ['combining marks only', '\u0301\u0300\u0303'],
    ['zero-width space inside', 'Lan\u200B'],
    ['filler beside a letter', 'A\u3164'],
  ])('an invisible name is refused: %s', (_label, name) => {
    expect(LearnerName.safeParse(name).success).toBe(false);
  });

  it.each(['Hoà', 'Nguyễn Thị Lành', 'Bà Tư 2', '🌸', 'H\u0301oa'])('a real name is accepted: %s', (name) => {
    expect(LearnerName.safeParse(name).success).toBe(true);
  });

  it.each([
    ['NUL', 'ab\u0000c'],
    ['zero-width space', 'mã\u200BOTP'],
    ['zero-width joiner', 'a\u200Db'],
    ['byte order mark', '\uFEFFotp'],
  ])('a text answer with %s is refused', (_label, text) => {
    expect(AnswerValue.safeParse({ kind: 'text', text }).success).toBe(false);
  });

  it('a text answer with spaces, tabs and Vietnamese is accepted', () => {
    expect(AnswerValue.safeParse({ kind: 'text', text: 'mã  OTP\tđồng ý' }).success).toBe(true);
  });
});
