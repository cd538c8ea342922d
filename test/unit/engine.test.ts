import { defaultStuckConfig } from '../../shared/protocol/commands.ts';
import { beforeEach, describe, it, expect } from 'vitest';
import { snapshot } from '../support/state.ts';
import type { ErrorCode } from '../../shared/protocol/errors.ts';
import { decide, evolve, fold, initialState, type Command } from '../../server/engine/engine.ts';
import type { SessionEvent } from '../../server/engine/events.ts';
import { type Actor } from '../../server/engine/state.ts';
import { Classroom, sessionStart } from '../support/classroom.ts';
import { qrScanLesson } from '../support/lessons.ts';
import { end, guest, helper, join, leave, learner, push } from '../support/commands.ts';

// ---- fixtures ----

/** Four steps: indices 0..3. */
const lesson = qrScanLesson;
const LAST = lesson.steps.length - 1;

/** 08:30 in Hà Nội; every command advances the clock by one second. */
const T0 = Date.UTC(2025, 9, 6, 1, 30);
const SECOND = 1000;

const instructor: Actor = { role: 'instructor', userId: 'u-co-lan' };
const A = learner('a');
const B = learner('b');

const started = () => sessionStart(lesson, { helperCode: '654321', start: T0 });

const selfPaced = (from: number, to: number): Command => ({ type: 'pacing:set', pacing: { mode: 'self', from, to } });
const instructorPaced: Command = { type: 'pacing:set', pacing: { mode: 'instructor' } };
const navigate = (step: number): Command => ({ type: 'learner:navigate', step });
const done = (step: number, isDone = true): Command => ({ type: 'learner:done', step, done: isDone });
let requests = 0;
/** Each raise carries a fresh id, as the transport gives it; the first is 'req-0001' in every test. */
const help = (active: boolean): Command => ({ type: 'learner:help', active, requestId: `req-${String(++requests).padStart(4, '0')}` });
beforeEach(() => {
  requests = 0;
});

/** A class of this file's lesson (test/support/classroom.ts). */
const newClassroom = (): Classroom => new Classroom({ lesson, helperCode: '654321' });

// Named states to start cases from.

/** Learner a joined; nothing pushed yet. */
const notStarted = (): Classroom => newClassroom().with(guest, join('a', 'Lan', '1'));

/** a and b joined; step 1 pushed. */
const onStep1 = (): Classroom =>
  notStarted()
    .with(guest, join('b', 'Hùng', '2'))
    .with(instructor, push(1));

/** onStep1, then self-paced over 1..2, a moved to 2. */
const selfPaced12 = (): Classroom => onStep1().with(instructor, selfPaced(1, 2)).with(A, navigate(2));

/** onStep1, then b left. */
const bLeft = (): Classroom => onStep1().with(B, leave);

/** onStep1, then ended. */
const ended = (): Classroom => onStep1().with(instructor, end);

// ---- tests ----

describe('session start and fold', () => {
  /** What a session keeps by learner, request or run: nothing yet at the start. */
  const emptyMaps = ['learners', 'byToken', 'quizzes', 'tasks', 'taskDismissed', 'helpRequests', 'withdrawnHelp', 'stuckDismissed'];

  it('starts open, before the first step, instructor-paced, with nobody in it', () => {
    const state = fold([started()]);
    expect(state).toEqual({
      id: 'ses-0000001',
      code: '123456',
      helperCode: '654321',
      instructorId: 'u-co-lan',
      lesson,
      status: 'open',
      startedAt: T0,
      endedAt: null,
      current: null,
      pacing: { mode: 'instructor' },
      seq: 1,
      ...Object.fromEntries(emptyMaps.map((key) => [key, new Map()])),
      blockedNames: new Set(),
      activeRun: null,
      activeTask: null,
      stuckConfig: defaultStuckConfig,
      seatMap: { rows: 4, cols: 6 },
    });
    expect(initialState(started())).toEqual(state);
  });

  it.each<{ name: string; events: SessionEvent[] }>([
    { name: 'no events', events: [] },
    { name: 'a step first', events: [{ type: 'step:pushed', at: T0, step: 0 }] },
    { name: 'session:started second', events: [{ type: 'session:ended', at: T0 }, started()] },
  ])('fold throws when the log does not begin with session:started ($name)', ({ events }) => {
    expect(() => fold(events)).toThrow('a session begins with session:started');
  });

  it('evolve refuses a second session:started', () => {
    const state = fold([started()]);
    expect(() => evolve(state, started())).toThrow();
  });

  it('seq is the number of events folded', () => {
    const c = onStep1();
    // started, joined a, joined b, pushed 1
    expect(c.log).toHaveLength(4);
    expect(c.state.seq).toBe(4);
    c.run(A, done(1));
    expect(c.state.seq).toBe(5);
    c.run(A, done(1)); // no-op: no event, no new seq
    expect(c.state.seq).toBe(5);
  });

  it('fold of the log equals the state built command by command, after every command', () => {
    const c = newClassroom();
    const script: [Actor, Command][] = [
      [guest, join('a', 'Lan', '1')],
      [guest, join('b', 'Hùng', '2')],
      [A, help(true)], // before the first step: help at step null
      [instructor, push(0)],
      [A, done(0)],
      [instructor, push(1)],
      [B, help(true)],
      [instructor, selfPaced(1, 3)],
      [A, navigate(3)],
      [A, done(3)],
      [A, done(0, false)],
      [B, help(false)],
      [guest, join('c', 'Mai', '3')],
      [learner('c'), help(true)],
      [learner('c'), leave],
      [instructor, push(2)],
      [instructor, selfPaced(0, 1)],
      [instructor, instructorPaced],
      [instructor, end],
    ];
    const snapshots = [snapshot(c.state)];
    for (const [actor, command] of script) {
      const events = c.run(actor, command);
      expect(events.length, `${command.type} should append one event`).toBe(1);
      snapshots.push(snapshot(c.state));
    }
    expect(c.state.seq).toBe(script.length + 1);
    expect(c.log).toHaveLength(script.length + 1);
    // Every prefix of the log rebuilds exactly the state seen at that point.
    snapshots.forEach((expected, i) => expect(snapshot(fold(c.log.slice(0, i + 1)))).toEqual(expected));
    expect(fold(c.log)).toEqual(c.state);
    // Every event type appears in this log.
    expect(new Set(c.log.map((e) => e.type))).toEqual(
      new Set([
        'session:started',
        'learner:joined',
        'help:requested',
        'step:pushed',
        'learner:marked-done',
        'pacing:changed',
        'learner:moved',
        'help:withdrawn',
        'learner:left',
        'session:ended',
      ]),
    );
  });

  it('decide never changes the state, even when it accepts', () => {
    const c = selfPaced12();
    const before = snapshot(c.state);
    const decision = c.decide(B, navigate(2));
    expect(decision).toEqual({ events: [{ type: 'learner:moved', at: c.now + SECOND, learnerId: 'b', step: 2 }] });
    expect(snapshot(c.state)).toEqual(before);
  });
});

describe('step:push', () => {
  it('pushes the first step: event stamped with ctx.now, current set', () => {
    const c = notStarted();
    const events = c.run(instructor, push(0));
    expect(events).toEqual([{ type: 'step:pushed', at: T0 + 2 * SECOND, step: 0 }]);
    expect(c.state.current).toBe(0);
    expect(c.state.pacing).toEqual({ mode: 'instructor' });
    expect(c.stepOf('a')).toBe(0);
  });

  it('pushes the last step and moves everyone there', () => {
    const c = onStep1();
    expect(c.run(instructor, push(LAST))).toEqual([{ type: 'step:pushed', at: c.now, step: 3 }]);
    expect(c.state.current).toBe(3);
    expect([c.stepOf('a'), c.stepOf('b')]).toEqual([3, 3]);
  });

  it.each([{ step: -1 }, { step: 4 }, { step: 999 }, { step: 1.5 }, { step: Number.NaN }])(
    'refuses step $step as step_out_of_range',
    ({ step }) => {
      const c = onStep1();
      expect(c.decide(instructor, push(step))).toEqual({ error: 'step_out_of_range' });
    },
  );

  it('pushing the step already current is a no-op with zero events', () => {
    const c = onStep1();
    const before = snapshot(c.state);
    expect(c.run(instructor, push(1))).toEqual([]);
    expect(snapshot(c.state)).toEqual(before);
  });

  it('pushing while self-paced returns to instructor pacing and moves everyone, even to the current step', () => {
    const c = selfPaced12(); // current 1, a on 2, b on 1
    expect([c.stepOf('a'), c.stepOf('b')]).toEqual([2, 1]);
    expect(c.run(instructor, push(1))).toEqual([{ type: 'step:pushed', at: c.now, step: 1 }]);
    expect(c.state.pacing).toEqual({ mode: 'instructor' });
    expect(c.state.current).toBe(1);
    expect([c.stepOf('a'), c.stepOf('b')]).toEqual([1, 1]);
  });

  it('pushing outside the self-paced range moves everyone there', () => {
    const c = selfPaced12();
    c.run(instructor, push(3));
    expect(c.state.pacing).toEqual({ mode: 'instructor' });
    expect([c.stepOf('a'), c.stepOf('b')]).toEqual([3, 3]);
  });

  it.each([{ actor: helper }, { actor: A }, { actor: guest }])('is forbidden to $actor.role', ({ actor }) => {
    expect(onStep1().decide(actor, push(2))).toEqual({ error: 'forbidden' });
  });
});

describe('pacing:set', () => {
  it.each<{ name: string; build: () => Classroom; from: number; to: number; current: number }>([
    { name: 'before the first step: current becomes from', build: notStarted, from: 1, to: 2, current: 1 },
    { name: 'current below the range moves to from', build: onStep1, from: 2, to: 3, current: 2 },
    { name: 'current inside the range stays', build: onStep1, from: 0, to: 2, current: 1 },
    { name: 'current above the range moves to from', build: onStep1, from: 0, to: 0, current: 0 },
    { name: 'the whole lesson', build: onStep1, from: 0, to: LAST, current: 1 },
  ])('self $from..$to, $name', ({ build, from, to, current }) => {
    const c = build();
    const events = c.run(instructor, selfPaced(from, to));
    expect(events).toEqual([{ type: 'pacing:changed', at: c.now, pacing: { mode: 'self', from, to } }]);
    expect(c.state.pacing).toEqual({ mode: 'self', from, to });
    expect(c.state.current).toBe(current);
    expect(c.stepOf('a')).toBe(current);
  });

  it("a new range resets every learner's own position, clamped into the new range", () => {
    const c = newClassroom();
    c.run(guest, join('a'));
    c.run(guest, join('b'));
    c.run(instructor, push(1));
    c.run(instructor, selfPaced(1, 3));
    c.run(A, navigate(3));
    c.run(B, navigate(2));
    expect([c.learner('a').ownStep, c.learner('b').ownStep]).toEqual([3, 2]);

    c.run(instructor, selfPaced(0, 1)); // current 1 is inside: stays
    expect(c.state.current).toBe(1);
    expect([c.learner('a').ownStep, c.learner('b').ownStep]).toEqual([null, null]);
    expect([c.stepOf('a'), c.stepOf('b')]).toEqual([1, 1]);
  });

  it('learnerStep clamps a stale own position into the range (unreachable through events: a safety net)', () => {
    const c = selfPaced12();
    c.learner('a').ownStep = 3; // forged: evolve always resets positions on a range change
    expect(c.stepOf('a')).toBe(2);
    c.learner('a').ownStep = 0;
    expect(c.stepOf('a')).toBe(1);
  });

  it('setting the same self range again is a no-op that keeps positions', () => {
    const c = selfPaced12();
    const before = snapshot(c.state);
    expect(c.run(instructor, selfPaced(1, 2))).toEqual([]);
    expect(snapshot(c.state)).toEqual(before);
    expect(c.stepOf('a')).toBe(2);
  });

  it('changing only one end of the range is a change', () => {
    const c = selfPaced12();
    expect(c.run(instructor, selfPaced(1, 3))).toHaveLength(1);
    expect(c.state.pacing).toEqual({ mode: 'self', from: 1, to: 3 });
    expect(c.stepOf('a')).toBe(1);
  });

  it('a single-step range (from = to) is allowed', () => {
    const c = onStep1();
    c.run(instructor, selfPaced(3, 3));
    expect(c.state.current).toBe(3);
    expect(c.stepOf('b')).toBe(3);
  });

  it.each([
    { name: 'from > to', from: 2, to: 1 },
    { name: 'to past the last step', from: 0, to: 4 },
    { name: 'negative from', from: -1, to: 2 },
    { name: 'from past the last step', from: 4, to: 4 },
    { name: 'fractional to', from: 0, to: 1.5 },
  ])('refuses a self range with $name as step_out_of_range', ({ from, to }) => {
    expect(onStep1().decide(instructor, selfPaced(from, to))).toEqual({ error: 'step_out_of_range' });
  });

  it('back to instructor pacing: everyone follows current again, current stays where it was', () => {
    const c = selfPaced12();
    const events = c.run(instructor, instructorPaced);
    expect(events).toEqual([{ type: 'pacing:changed', at: c.now, pacing: { mode: 'instructor' } }]);
    expect(c.state.pacing).toEqual({ mode: 'instructor' });
    expect(c.state.current).toBe(1);
    expect(c.learner('a').ownStep).toBeNull();
    expect([c.stepOf('a'), c.stepOf('b')]).toEqual([1, 1]);
  });

  it('instructor pacing while already instructor-paced is a no-op', () => {
    const c = onStep1();
    const before = snapshot(c.state);
    expect(c.run(instructor, instructorPaced)).toEqual([]);
    expect(snapshot(c.state)).toEqual(before);
  });

  it.each([{ actor: helper }, { actor: A }, { actor: guest }])('is forbidden to $actor.role', ({ actor }) => {
    expect(onStep1().decide(actor, selfPaced(0, 2))).toEqual({ error: 'forbidden' });
    expect(selfPaced12().decide(actor, instructorPaced)).toEqual({ error: 'forbidden' });
  });
});

describe('learner:join', () => {
  it('a guest joins: one event, a fresh learner, and the token maps to it', () => {
    const c = newClassroom();
    const events = c.run(guest, join('a', 'Lan', 'Bàn 3'));
    expect(events).toEqual([{ type: 'learner:joined', at: T0 + SECOND, learnerId: 'a', name: 'Lan', seat: 'Bàn 3', tokenHash: 'hash-a' }]);
    expect(c.state.learners.get('a')).toEqual({
      id: 'a',
      name: 'Lan',
      partners: [],
      seat: 'Bàn 3',
      tokenHash: 'hash-a',
      joinedAt: T0 + SECOND,
      ownStep: null,
      done: new Set(),
      doneIn: new Map(),
      since: T0 + SECOND,
      wrong: new Map(),
      help: null,
      lastHelp: null,
      withdrawn: [],
      place: null,
      left: false,
    });
    expect(c.state.byToken).toEqual(new Map([['hash-a', 'a']]));
  });

  it('a retried join with the same token hash yields no event, whatever id or name it carries', () => {
    const c = notStarted();
    const before = snapshot(c.state);
    const retry: Command = { type: 'learner:join', learnerId: 'other-id', name: 'Lan B', seat: '9', tokenHash: 'hash-a' };
    expect(c.run(guest, retry)).toEqual([]);
    expect(snapshot(c.state)).toEqual(before);
    expect(c.state.learners.size).toBe(1);
    expect(c.learner('a').name).toBe('Lan');
  });

  it('two learners with the same name but different tokens are two learners', () => {
    const c = newClassroom();
    c.run(guest, join('a', 'Lan'));
    c.run(guest, join('b', 'Lan'));
    expect(c.state.learners.size).toBe(2);
    expect(c.state.byToken).toEqual(
      new Map([
        ['hash-a', 'a'],
        ['hash-b', 'b'],
      ]),
    );
  });

  it("a left learner's token is refused with learner_left", () => {
    const c = bLeft();
    expect(c.decide(guest, join('b'))).toEqual({ error: 'learner_left' });
    // The transport mints a new learnerId when the token no longer resolves; the token still decides.
    const rejoin: Command = { type: 'learner:join', learnerId: 'new-id', name: 'Hùng', seat: '2', tokenHash: 'hash-b' };
    expect(c.decide(guest, rejoin)).toEqual({ error: 'learner_left' });
  });

  it('joining mid-lesson follows the current step', () => {
    const c = onStep1();
    c.run(guest, join('c'));
    expect(c.stepOf('c')).toBe(1);
    const s = selfPaced12();
    s.run(guest, join('c'));
    expect(s.stepOf('c')).toBe(1);
  });

  it.each([{ actor: instructor }, { actor: helper }, { actor: A }])('is forbidden to $actor.role', ({ actor }) => {
    expect(notStarted().decide(actor, join('z'))).toEqual({ error: 'forbidden' });
  });
});

describe('learner:navigate', () => {
  it.each<{ name: string; build: () => Classroom }>([
    { name: 'before the first step', build: notStarted },
    { name: 'while the instructor leads', build: onStep1 },
  ])('is refused with not_self_paced $name', ({ build }) => {
    expect(build().decide(A, navigate(1))).toEqual({ error: 'not_self_paced' });
  });

  it('moves only that learner within the range', () => {
    const c = onStep1();
    c.run(instructor, selfPaced(1, 3));
    expect(c.run(A, navigate(3))).toEqual([{ type: 'learner:moved', at: c.now, learnerId: 'a', step: 3 }]);
    expect(c.learner('a').ownStep).toBe(3);
    expect([c.stepOf('a'), c.stepOf('b')]).toEqual([3, 1]);
    expect(c.state.current).toBe(1);
    c.run(A, navigate(1)); // back to the start of the range
    expect(c.stepOf('a')).toBe(1);
  });

  it.each([{ step: 0 }, { step: 3 }, { step: -1 }, { step: 4 }])(
    'refuses step $step outside the range 1..2 as step_out_of_range',
    ({ step }) => {
      expect(selfPaced12().decide(A, navigate(step))).toEqual({ error: 'step_out_of_range' });
    },
  );

  it('is a no-op when the learner is already there', () => {
    const c = selfPaced12();
    const before = snapshot(c.state);
    expect(c.run(A, navigate(2))).toEqual([]); // a's own step
    expect(c.run(B, navigate(1))).toEqual([]); // b follows current 1
    expect(snapshot(c.state)).toEqual(before);
  });

  // BUG (engine): learner:navigate checks only from <= step <= to, not Number.isInteger like every other
  // step check in decide (validStep, learner:done). A fractional or NaN step is accepted and stored as
  // the learner's position. The transport's StepIndex (z.int) keeps it out today; the engine should not rely on it.
  it('refuses a fractional step inside the range', () => {
    expect(selfPaced12().decide(B, navigate(1.5))).toEqual({ error: 'step_out_of_range' });
  });
  it('refuses NaN', () => {
    expect(selfPaced12().decide(B, navigate(Number.NaN))).toEqual({ error: 'step_out_of_range' });
  });
});

describe('learner:done', () => {
  it('is refused with not_started before the first step', () => {
    expect(notStarted().decide(A, done(0))).toEqual({ error: 'not_started' });
  });

  it('marks and unmarks a step, idempotently', () => {
    const c = onStep1();
    expect(c.run(A, done(1))).toEqual([{ type: 'learner:marked-done', at: c.now, learnerId: 'a', step: 1, done: true }]);
    expect(c.learner('a').done).toEqual(new Set([1]));
    expect(c.learner('b').done).toEqual(new Set());

    expect(c.run(A, done(1))).toEqual([]); // already done
    expect(c.run(A, done(0))).toHaveLength(1); // a late tap for an earlier step counts
    expect(c.learner('a').done).toEqual(new Set([1, 0]));

    expect(c.run(A, done(1, false))).toEqual([{ type: 'learner:marked-done', at: c.now, learnerId: 'a', step: 1, done: false }]);
    expect(c.learner('a').done).toEqual(new Set([0]));
    expect(c.run(A, done(1, false))).toEqual([]); // already not done
    expect(c.run(A, done(3, false))).toEqual([]); // never done
  });

  it.each([{ step: -1 }, { step: 4 }, { step: 0.5 }, { step: Number.NaN }])('refuses step $step as step_out_of_range', ({ step }) => {
    expect(onStep1().decide(A, done(step))).toEqual({ error: 'step_out_of_range' });
  });

  // Current rule (doubtful, see report): any step of the lesson is accepted, even one never shown yet.
  it('accepts a step the class has not reached yet', () => {
    const c = onStep1();
    expect(c.run(A, done(LAST))).toHaveLength(1);
    expect(c.learner('a').done).toEqual(new Set([3]));
  });

  it('works while self-paced, on the learner own step', () => {
    const c = selfPaced12();
    c.run(A, done(2));
    expect(c.learner('a').done).toEqual(new Set([2]));
  });
});

describe('learner:help', () => {
  it("raising records the time and the learner's step; raising again is a no-op", () => {
    const c = onStep1();
    expect(c.run(A, help(true))).toEqual([
      { type: 'help:requested', at: c.now, learnerId: 'a', requestId: 'req-0001', step: 1, reason: null },
    ]);
    expect(c.learner('a').help).toEqual({ id: 'req-0001', since: c.now, step: 1 });
    const raisedAt = c.now;
    expect(c.run(A, help(true))).toEqual([]);
    expect(c.learner('a').help).toEqual({ id: 'req-0001', since: raisedAt, step: 1 });
    expect(c.learner('b').help).toBeNull();
  });

  it('records step null before the first step', () => {
    const c = notStarted();
    expect(c.run(A, help(true))).toEqual([
      { type: 'help:requested', at: c.now, learnerId: 'a', requestId: 'req-0001', step: null, reason: null },
    ]);
    expect(c.learner('a').help).toEqual({ id: 'req-0001', since: c.now, step: null });
  });

  it("records the learner's own self-paced step, not the class's current", () => {
    const c = selfPaced12();
    c.run(A, help(true));
    expect(c.learner('a').help?.step).toBe(2);
    expect(c.state.current).toBe(1);
  });

  it('withdrawing clears it; withdrawing again (or never raised) is a no-op', () => {
    const c = onStep1();
    expect(c.run(B, help(false))).toEqual([]);
    c.run(A, help(true));
    expect(c.run(A, help(false))).toEqual([{ type: 'help:withdrawn', at: c.now, learnerId: 'a' }]);
    expect(c.learner('a').help).toBeNull();
    expect(c.run(A, help(false))).toEqual([]);
  });
});

describe('learner:leave', () => {
  it('marks the learner left, drops their help, keeps their record and token', () => {
    const c = onStep1();
    c.run(B, done(1));
    c.run(B, help(true));
    expect(c.run(B, leave)).toEqual([{ type: 'learner:left', at: c.now, learnerId: 'b' }]);
    expect(c.learner('b')).toMatchObject({ left: true, help: null, done: new Set([1]) });
    expect(c.state.byToken.get('hash-b')).toBe('b');
    expect(c.learner('a').left).toBe(false);
  });

  it.each<{ name: string; command: Command }>([
    { name: 'navigate', command: navigate(1) },
    { name: 'done', command: done(1) },
    { name: 'undone', command: done(1, false) },
    { name: 'help', command: help(true) },
    { name: 'withdraw help', command: help(false) },
    { name: 'leave again', command: leave },
  ])('then $name is refused with learner_left', ({ command }) => {
    const c = bLeft();
    c.run(instructor, selfPaced(0, 2)); // so that navigate would otherwise be allowed
    expect(c.decide(B, command)).toEqual({ error: 'learner_left' });
    expect(c.decide(A, command)).not.toHaveProperty('error'); // a is unaffected
  });
});

describe('session:end', () => {
  it('ends the session once', () => {
    const c = onStep1();
    expect(c.run(instructor, end)).toEqual([{ type: 'session:ended', at: c.now }]);
    expect(c.state.status).toBe('ended');
    expect(c.state.endedAt).toBe(c.now);
    const before = snapshot(c.state);
    expect(c.run(instructor, end)).toEqual([]); // ending twice is a no-op
    expect(snapshot(c.state)).toEqual(before);
  });

  it.each([{ actor: helper }, { actor: A }, { actor: guest }])('is forbidden to $actor.role', ({ actor }) => {
    expect(onStep1().decide(actor, end)).toEqual({ error: 'forbidden' });
  });

  it.each<{ actor: Actor; command: Command }>([
    { actor: instructor, command: push(2) },
    { actor: instructor, command: push(1) },
    { actor: instructor, command: selfPaced(0, 2) },
    { actor: instructor, command: instructorPaced },
    { actor: guest, command: join('c') },
    { actor: guest, command: join('a') },
    { actor: A, command: navigate(1) },
    { actor: A, command: done(1) },
    { actor: A, command: help(true) },
    { actor: A, command: leave },
    { actor: helper, command: end },
    { actor: A, command: end },
    { actor: guest, command: end },
    { actor: learner('ghost'), command: done(1) },
  ])('afterwards $command.type by $actor.role → session_ended', ({ actor, command }) => {
    expect(ended().decide(actor, command)).toEqual({ error: 'session_ended' });
  });
});

describe('role matrix', () => {
  type Role = Actor['role'];
  const actors: Record<Role, Actor> = { instructor, helper, learner: A, guest, system: { role: 'system' } };

  /** a joined, step 0 pushed, self-paced 0..2: every command below is valid for its own role. */
  function matrixState(): Classroom {
    const c = newClassroom();
    c.run(guest, join('a'));
    c.run(instructor, push(0));
    c.run(instructor, selfPaced(0, 2));
    return c;
  }

  const commands: { command: Command; allowed: Role; event: SessionEvent['type'] }[] = [
    { command: join('new'), allowed: 'guest', event: 'learner:joined' },
    { command: navigate(2), allowed: 'learner', event: 'learner:moved' },
    { command: done(0), allowed: 'learner', event: 'learner:marked-done' },
    { command: help(true), allowed: 'learner', event: 'help:requested' },
    { command: leave, allowed: 'learner', event: 'learner:left' },
    { command: push(1), allowed: 'instructor', event: 'step:pushed' },
    { command: selfPaced(1, 3), allowed: 'instructor', event: 'pacing:changed' },
    { command: instructorPaced, allowed: 'instructor', event: 'pacing:changed' },
    { command: end, allowed: 'instructor', event: 'session:ended' },
  ];
  const roles: Role[] = ['instructor', 'helper', 'learner', 'guest', 'system'];
  const cases = commands.flatMap((c) => roles.map((role) => ({ ...c, role, type: c.command.type })));

  it('covers every command type and every role', () => {
    expect(new Set(cases.map((c) => c.type)).size).toBe(8);
    expect(cases).toHaveLength(commands.length * roles.length);
  });

  it.each(cases)('$type by $role (allowed: $allowed)', ({ command, allowed, event, role }) => {
    const decision = matrixState().decide(actors[role], command);
    if (role === allowed) {
      expect(decision).toMatchObject({ events: [{ type: event }] });
      expect('events' in decision && decision.events).toHaveLength(1);
    } else {
      expect(decision).toEqual({ error: 'forbidden' });
    }
  });

  it('nobody but the instructor role acts as staff: a helper can do nothing at all', () => {
    const c = matrixState();
    for (const { command } of commands) expect(c.decide(helper, command)).toEqual({ error: 'forbidden' });
  });

  it.each<{ command: Command }>([{ command: navigate(1) }, { command: done(0) }, { command: help(true) }, { command: leave }])(
    '$command.type from an unknown learnerId → unknown_token',
    ({ command }) => {
      expect(matrixState().decide(learner('ghost'), command)).toEqual({ error: 'unknown_token' });
    },
  );
});

describe('an invalid command yields an error and changes nothing', () => {
  const cases: { name: string; build: () => Classroom; actor: Actor; command: Command; error: ErrorCode }[] = [
    { name: 'push by a helper', build: onStep1, actor: helper, command: push(2), error: 'forbidden' },
    { name: 'push past the end', build: onStep1, actor: instructor, command: push(4), error: 'step_out_of_range' },
    { name: 'push a negative step', build: onStep1, actor: instructor, command: push(-1), error: 'step_out_of_range' },
    { name: 'push while self-paced, bad step', build: selfPaced12, actor: instructor, command: push(7), error: 'step_out_of_range' },
    { name: 'self range from > to', build: selfPaced12, actor: instructor, command: selfPaced(2, 1), error: 'step_out_of_range' },
    { name: 'self range past the end', build: onStep1, actor: instructor, command: selfPaced(0, 4), error: 'step_out_of_range' },
    { name: 'pacing by a learner', build: onStep1, actor: A, command: selfPaced(0, 1), error: 'forbidden' },
    { name: 'end by a helper', build: onStep1, actor: helper, command: end, error: 'forbidden' },
    { name: 'end by a learner', build: onStep1, actor: B, command: end, error: 'forbidden' },
    { name: 'join by the instructor', build: onStep1, actor: instructor, command: join('c'), error: 'forbidden' },
    { name: 'join by a learner', build: onStep1, actor: A, command: join('c'), error: 'forbidden' },
    { name: "join with a left learner's token", build: bLeft, actor: guest, command: join('b'), error: 'learner_left' },
    { name: 'navigate while instructor-paced', build: onStep1, actor: A, command: navigate(1), error: 'not_self_paced' },
    { name: 'navigate below the range', build: selfPaced12, actor: A, command: navigate(0), error: 'step_out_of_range' },
    { name: 'navigate above the range', build: selfPaced12, actor: A, command: navigate(3), error: 'step_out_of_range' },
    { name: 'navigate by the instructor', build: selfPaced12, actor: instructor, command: navigate(1), error: 'forbidden' },
    { name: 'done before the first step', build: notStarted, actor: A, command: done(0), error: 'not_started' },
    { name: 'done past the end', build: onStep1, actor: A, command: done(4), error: 'step_out_of_range' },
    { name: 'done by an unknown learner', build: onStep1, actor: learner('ghost'), command: done(1), error: 'unknown_token' },
    { name: 'done by a guest', build: onStep1, actor: guest, command: done(1), error: 'forbidden' },
    { name: 'help by a left learner', build: bLeft, actor: B, command: help(true), error: 'learner_left' },
    { name: 'leave by a left learner', build: bLeft, actor: B, command: leave, error: 'learner_left' },
    { name: 'help by a helper', build: onStep1, actor: helper, command: help(true), error: 'forbidden' },
    { name: 'push after the end', build: ended, actor: instructor, command: push(2), error: 'session_ended' },
    { name: 'pacing after the end', build: ended, actor: instructor, command: selfPaced(0, 1), error: 'session_ended' },
    { name: 'join after the end', build: ended, actor: guest, command: join('c'), error: 'session_ended' },
    { name: 'done after the end', build: ended, actor: A, command: done(1), error: 'session_ended' },
    { name: 'help after the end', build: ended, actor: A, command: help(true), error: 'session_ended' },
    { name: 'end by a helper after the end', build: ended, actor: helper, command: end, error: 'session_ended' },
  ];

  it('covers every error code the engine can return', () => {
    expect(new Set(cases.map((c) => c.error))).toEqual(
      new Set(['forbidden', 'step_out_of_range', 'learner_left', 'not_self_paced', 'not_started', 'unknown_token', 'session_ended']),
    );
  });

  it.each(cases)('$name → $error', ({ build, actor, command, error }) => {
    const c = build();
    const before = snapshot(c.state);
    const seq = c.state.seq;
    expect(decide(c.state, command, { now: T0 + 60_000, actor })).toEqual({ error });
    expect(snapshot(c.state)).toEqual(before);
    expect(c.state.seq).toBe(seq);
  });
});
