import { describe, it, expect } from 'vitest';
import { snapshot } from '../support/state.ts';
import type { AnswerValue } from '../../shared/lesson/question.ts';
import { defaultStuckConfig, type HelpReason, type StuckConfig } from '../../shared/protocol/commands.ts';
import type { ErrorCode } from '../../shared/protocol/errors.ts';
import type { RosterEntry, StaffView, StepView } from '../../shared/protocol/views.ts';
import { decide, evolve, fold, type Command, type Decision } from '../../server/engine/engine.ts';
import type { Actor } from '../../server/engine/state.ts';
import { median } from '../../server/engine/median.ts';
import { staffView } from '../../server/engine/views.ts';
import { sessionResults } from '../../server/engine/results.ts';
import { Classroom } from '../support/classroom.ts';
import { lessonOf, qrScanSteps, single } from '../support/lessons.ts';

// ---- fixtures ----

/**
 * Four steps. Expected minutes: 2, 3, none, 1. Step 1 and step 3 each have a practice question
 * (single choice, "a" is right).
 */
const [camera, aim, tap, check] = qrScanSteps;
const lesson = lessonOf(
  [
    { ...camera, expectedMinutes: 2 },
    { ...aim, expectedMinutes: 3, questions: [single('giu-yen', 'Khi quét mã, tay nên thế nào?', ['Giữ yên', 'Lắc nhẹ', 'Che camera'])] },
    tap,
    { ...check, expectedMinutes: 1, questions: [single('da-mo', 'Trang web đã mở chưa?', ['Rồi', 'Chưa'])] },
  ],
  { id: 'quet-ma-qr', title: 'Quét mã QR' },
);
const steps: StepView[] = lesson.steps.map((s, index) => ({ index, id: s.id, title: s.title, html: s.body, image: null }));

const T0 = Date.UTC(2025, 9, 6, 1, 30);
const SECOND = 1000;
const MINUTE = 60 * SECOND;

const instructor: Actor = { role: 'instructor', userId: 'u-co-lan', name: 'Cô Lan' };
const minh: Actor = { role: 'helper', helperId: 'h-minh', name: 'Minh' };
const thu: Actor = { role: 'helper', helperId: 'h-thu', name: 'Thu' };
const guest: Actor = { role: 'guest' };
const system: Actor = { role: 'system' };
const learner = (learnerId: string): Actor => ({ role: 'learner', learnerId });
const [A, B, C, D] = ['a', 'b', 'c', 'd'].map(learner);

const BY_MINH = { id: 'helper:h-minh', name: 'Minh' };
const BY_THU = { id: 'helper:h-thu', name: 'Thu' };
const BY_LAN = { id: 'instructor:u-co-lan', name: 'Cô Lan' };

const NAMES: Record<string, string> = { a: 'Lan', b: 'Hùng', c: 'Mai', d: 'Tuấn', e: 'Hoa', f: 'Bình' };
const SEATS: Record<string, string> = { a: '1', b: '2', c: '3', d: '4', e: '5', f: '6' };

const join = (id: string): Command => ({ type: 'learner:join', learnerId: id, name: NAMES[id], seat: SEATS[id], tokenHash: `hash-${id}` });
const push = (step: number): Command => ({ type: 'step:push', step });
const selfPaced = (from: number, to: number): Command => ({ type: 'pacing:set', pacing: { mode: 'self', from, to } });
const done = (step: number, isDone = true): Command => ({ type: 'learner:done', step, done: isDone });
const raise = (requestId: string, reason?: HelpReason): Command => ({
  type: 'learner:help',
  active: true,
  requestId,
  ...(reason ? { reason } : {}),
});
const withdraw: Command = { type: 'learner:help', active: false, requestId: 'unused-id' };
const leave: Command = { type: 'learner:leave' };
const end: Command = { type: 'session:end' };
const claim = (requestId: string): Command => ({ type: 'help:claim', requestId });
const release = (requestId: string): Command => ({ type: 'help:release', requestId });
const resolve = (requestId: string): Command => ({ type: 'help:resolve', requestId });
const dismiss = (learnerId: string): Command => ({ type: 'stuck:dismiss', learnerId });
const configure = (changes: Partial<StuckConfig>): Command => ({
  type: 'stuck:configure',
  config: { ...defaultStuckConfig, ...changes },
});
const seatmap = (rows: number, cols: number): Command => ({ type: 'seatmap:set', rows, cols });
const place = (learnerId: string, row: number, col: number): Command => ({ type: 'seat:place', learnerId, row, col });
const openQuestion = (runId: string, step: number, questionId: string): Command => ({
  type: 'quiz:open',
  runId,
  source: { step, questionId },
  timeLimit: null,
});
const openQuick = (runId: string): Command => ({
  type: 'quiz:open',
  runId,
  source: {
    question: single('nhanh', 'Câu hỏi nhanh', ['Đúng', 'Sai']),
  },
  timeLimit: null,
});
let answerCounter = 0;
const answer = (runId: string, option: string): Command => ({
  type: 'quiz:answer',
  runId,
  answerId: `ans-${(answerCounter += 1).toString().padStart(6, '0')}`,
  value: { kind: 'single', option } satisfies AnswerValue,
});

/** A class of this file's lesson (test/support/classroom.ts). */
const newClassroom = (): Classroom => new Classroom({ lesson, steps });

/** The given learners joined, then step 1 pushed (at `c.now`). */
function classOf(ids: string[]): Classroom {
  const c = newClassroom();
  for (const id of ids) c.run(guest, join(id));
  c.run(instructor, push(1));
  return c;
}

/** a, b, c, d on step 1, each raised help in that order (a: not understood, b: no reason, c: device, d: behind). */
const queueOf4 = (): Classroom =>
  classOf(['a', 'b', 'c', 'd'])
    .with(A, raise('req-a', 'not_understood'))
    .with(B, raise('req-b'))
    .with(C, raise('req-c', 'device_problem'))
    .with(D, raise('req-d', 'falling_behind'));

/** queueOf4, then Minh claimed b's request. */
const bClaimedByMinh = (): Classroom => queueOf4().with(minh, claim('req-b'));

/** queueOf4, then Minh claimed and resolved a's request. */
const aResolved = (): Classroom => queueOf4().with(minh, claim('req-a')).with(minh, resolve('req-a'));

/** queueOf4, then a withdrew. */
const aWithdrew = (): Classroom => queueOf4().with(A, withdraw);

/** queueOf4, then b (request waiting) left. */
const bLeft = (): Classroom => queueOf4().with(B, leave);

/** queueOf4, then the session ended with the queue still open. */
const endedWithQueue = (): Classroom => queueOf4().with(instructor, end);

// ---- help queue ----

describe('help queue: order and each learner’s place', () => {
  it('is oldest first, with step, reason and time; each learner sees their place', () => {
    const c = queueOf4();
    const raisedAt = (id: string) => c.state.helpRequests.get(id)!.at;
    expect(c.staff().helpQueue).toEqual([
      {
        id: 'req-a',
        learnerId: 'a',
        name: 'Lan',
        seat: '1',
        step: 1,
        reason: 'not_understood',
        at: raisedAt('req-a'),
        status: 'waiting',
        claimedBy: null,
        claimedAt: null,
      },
      {
        id: 'req-b',
        learnerId: 'b',
        name: 'Hùng',
        seat: '2',
        step: 1,
        reason: null,
        at: raisedAt('req-b'),
        status: 'waiting',
        claimedBy: null,
        claimedAt: null,
      },
      {
        id: 'req-c',
        learnerId: 'c',
        name: 'Mai',
        seat: '3',
        step: 1,
        reason: 'device_problem',
        at: raisedAt('req-c'),
        status: 'waiting',
        claimedBy: null,
        claimedAt: null,
      },
      {
        id: 'req-d',
        learnerId: 'd',
        name: 'Tuấn',
        seat: '4',
        step: 1,
        reason: 'falling_behind',
        at: raisedAt('req-d'),
        status: 'waiting',
        claimedBy: null,
        claimedAt: null,
      },
    ]);
    // Raised one second apart, in order.
    expect([raisedAt('req-b') - raisedAt('req-a'), raisedAt('req-c') - raisedAt('req-b'), raisedAt('req-d') - raisedAt('req-c')]).toEqual([
      SECOND,
      SECOND,
      SECOND,
    ]);
    expect(c.places()).toEqual({ a: 'waiting #1', b: 'waiting #2', c: 'waiting #3', d: 'waiting #4' });
    expect(c.staff().counts.help).toBe(4);
    expect(c.roster('c').helpStatus).toBe('waiting');
  });

  it('places move up as those ahead are claimed, withdrawn, resolved or leave; a release goes back in its original place', () => {
    const c = queueOf4();
    const script: { what: string; actor: Actor; command: Command; places: Record<string, string>; queue: string[] }[] = [
      {
        what: 'Minh claims b',
        actor: minh,
        command: claim('req-b'),
        places: { a: 'waiting #1', b: 'claimed #1 Minh', c: 'waiting #2', d: 'waiting #3' },
        queue: ['req-a waiting', 'req-b claimed Minh', 'req-c waiting', 'req-d waiting'],
      },
      {
        what: 'c withdraws',
        actor: C,
        command: withdraw,
        places: { a: 'waiting #1', b: 'claimed #1 Minh', c: '-', d: 'waiting #2' },
        queue: ['req-a waiting', 'req-b claimed Minh', 'req-d waiting'],
      },
      {
        what: 'Minh releases b: waiting again, ahead of d',
        actor: minh,
        command: release('req-b'),
        places: { a: 'waiting #1', b: 'waiting #2', c: '-', d: 'waiting #3' },
        queue: ['req-a waiting', 'req-b waiting', 'req-d waiting'],
      },
      {
        what: 'Cô Lan resolves a straight from waiting',
        actor: instructor,
        command: resolve('req-a'),
        places: { a: '-', b: 'waiting #1', c: '-', d: 'waiting #2' },
        queue: ['req-b waiting', 'req-d waiting'],
      },
      {
        what: 'Thu claims d',
        actor: thu,
        command: claim('req-d'),
        places: { a: '-', b: 'waiting #1', c: '-', d: 'claimed #1 Thu' },
        queue: ['req-b waiting', 'req-d claimed Thu'],
      },
      {
        what: 'c raises again: last in line, behind the claimed d',
        actor: C,
        command: raise('req-c2'),
        places: { a: '-', b: 'waiting #1', c: 'waiting #2', d: 'claimed #1 Thu' },
        queue: ['req-b waiting', 'req-d claimed Thu', 'req-c2 waiting'],
      },
      {
        what: 'b leaves',
        actor: B,
        command: leave,
        places: { a: '-', b: '-', c: 'waiting #1', d: 'claimed #1 Thu' },
        queue: ['req-d claimed Thu', 'req-c2 waiting'],
      },
    ];
    for (const step of script) {
      expect(c.run(step.actor, step.command), step.what).toHaveLength(1);
      expect(c.places(), step.what).toEqual(step.places);
      expect(c.queue(), step.what).toEqual(step.queue);
    }
  });
});

describe('help:claim', () => {
  it.each([
    { who: 'a helper', actor: minh, by: BY_MINH },
    { who: 'the instructor', actor: instructor, by: BY_LAN },
  ])('$who may claim: the learner sees who is coming', ({ actor, by }) => {
    const c = queueOf4();
    const events = c.run(actor, claim('req-c'));
    expect(events).toEqual([{ type: 'help:claimed', at: c.now, requestId: 'req-c', by }]);
    expect(c.state.helpRequests.get('req-c')).toMatchObject({ status: 'claimed', claimedBy: by, claimedAt: c.now, closedAt: null });
    expect(c.me('c').helpRequest).toEqual({ status: 'claimed', position: 1, helperName: by.name, reason: 'device_problem' });
    expect(c.roster('c').helpStatus).toBe('claimed');
    expect(c.staff().helpQueue[2]).toMatchObject({ id: 'req-c', status: 'claimed', claimedBy: by.name, claimedAt: c.now });
  });

  it('an instructor without a display name claims with an empty name', () => {
    const c = queueOf4();
    const events = c.run({ role: 'instructor', userId: 'u-co-lan' }, claim('req-a'));
    expect(events).toEqual([{ type: 'help:claimed', at: c.now, requestId: 'req-a', by: { id: 'instructor:u-co-lan', name: '' } }]);
  });

  it.each([
    { who: 'the learner who asked', actor: A, command: claim('req-a') },
    { who: 'another learner', actor: B, command: claim('req-a') },
    { who: 'a guest', actor: guest, command: claim('req-a') },
    { who: 'the system', actor: system, command: claim('req-a') },
    { who: 'a learner, on an unknown request', actor: A, command: claim('req-nope') },
    { who: 'a learner releasing', actor: A, command: release('req-a') },
    { who: 'a guest resolving', actor: guest, command: resolve('req-a') },
    { who: 'a learner resolving their own', actor: A, command: resolve('req-a') },
  ])('$who → forbidden', ({ actor, command }) => {
    expect(queueOf4().decide(actor, command)).toEqual({ error: 'forbidden' });
  });

  it.each<{ who: string; actor: Actor; result: Decision }>([
    { who: 'another helper', actor: thu, result: { error: 'already_claimed' } },
    { who: 'the instructor', actor: instructor, result: { error: 'already_claimed' } },
    { who: 'the same helper again (no-op)', actor: minh, result: { events: [] } },
  ])('on a request Minh claimed, a claim by $who', ({ actor, result }) => {
    const c = bClaimedByMinh();
    const claimedAt = c.state.helpRequests.get('req-b')!.claimedAt;
    expect(c.decide(actor, claim('req-b'))).toEqual(result);
    expect(c.state.helpRequests.get('req-b')).toMatchObject({ status: 'claimed', claimedBy: BY_MINH, claimedAt });
  });

  it('a helper is known by id: a second helper with the same name is someone else', () => {
    const c = bClaimedByMinh();
    expect(c.decide({ role: 'helper', helperId: 'h-minh-2', name: 'Minh' }, claim('req-b'))).toEqual({ error: 'already_claimed' });
  });

  it.each(['req-nope', '', 'REQ-A'])('an unknown request id %j → help_not_found (claim, release, resolve)', (id) => {
    const c = queueOf4();
    for (const command of [claim(id), release(id), resolve(id)]) {
      expect(c.decide(minh, command), command.type).toEqual({ error: 'help_not_found' });
    }
  });
});

describe('help:release', () => {
  it.each<{ who: string; actor: Actor }>([
    { who: 'the helper who claimed it', actor: minh },
    { who: 'the instructor, on a helper’s claim', actor: instructor },
  ])('$who may release: back to waiting in its original place', ({ actor }) => {
    const c = bClaimedByMinh();
    const firstClaim = c.state.helpRequests.get('req-b')!.claimedAt;
    expect(c.run(actor, release('req-b'))).toEqual([{ type: 'help:released', at: c.now, requestId: 'req-b' }]);
    // The first claim time stays: it is what "time to claim" measures.
    expect(c.state.helpRequests.get('req-b')).toMatchObject({ status: 'waiting', claimedBy: null, claimedAt: firstClaim });
    expect(c.queue()).toEqual(['req-a waiting', 'req-b waiting', 'req-c waiting', 'req-d waiting']);
    expect(c.me('b').helpRequest).toEqual({ status: 'waiting', position: 2, helperName: null, reason: null });
  });

  it('another helper may not release Minh’s claim', () => {
    expect(bClaimedByMinh().decide(thu, release('req-b'))).toEqual({ error: 'already_claimed' });
  });

  it('releasing a request nobody claimed is a no-op', () => {
    expect(bClaimedByMinh().decide(minh, release('req-a'))).toEqual({ events: [] });
    expect(bClaimedByMinh().decide(instructor, release('req-c'))).toEqual({ events: [] });
  });

  it('once released, another staffer may claim it', () => {
    const c = bClaimedByMinh();
    c.run(minh, release('req-b'));
    expect(c.run(thu, claim('req-b'))).toEqual([{ type: 'help:claimed', at: c.now, requestId: 'req-b', by: BY_THU }]);
    expect(c.me('b').helpRequest).toEqual({ status: 'claimed', position: 1, helperName: 'Thu', reason: null });
  });
});

describe('help:resolve', () => {
  it('the helper who claimed resolves: closed, out of the queue, the learner sees who helped', () => {
    const c = bClaimedByMinh();
    const claimedAt = c.state.helpRequests.get('req-b')!.claimedAt;
    expect(c.run(minh, resolve('req-b'))).toEqual([{ type: 'help:resolved', at: c.now, requestId: 'req-b', by: BY_MINH }]);
    expect(c.state.helpRequests.get('req-b')).toEqual({
      id: 'req-b',
      learnerId: 'b',
      step: 1,
      reason: null,
      at: c.state.helpRequests.get('req-b')!.at,
      status: 'resolved',
      claimedBy: BY_MINH,
      claimedAt,
      closedAt: c.now,
    });
    expect(c.state.learners.get('b')).toMatchObject({ help: null, lastHelp: { by: 'Minh', at: c.now } });
    expect(c.me('b')).toMatchObject({ help: false, helpRequest: null, helpResolved: { by: 'Minh', at: c.now } });
    expect(c.queue()).toEqual(['req-a waiting', 'req-c waiting', 'req-d waiting']);
    expect(c.roster('b')).toMatchObject({ helpStatus: null, helpSince: null });
    expect(c.staff().counts.help).toBe(3);
  });

  it('the instructor resolving a helper’s claim records the helper’s name', () => {
    const c = bClaimedByMinh();
    expect(c.run(instructor, resolve('req-b'))).toEqual([{ type: 'help:resolved', at: c.now, requestId: 'req-b', by: BY_MINH }]);
    expect(c.me('b').helpResolved).toEqual({ by: 'Minh', at: c.now });
  });

  it.each([
    { who: 'a helper', actor: minh, by: BY_MINH },
    { who: 'the instructor', actor: instructor, by: BY_LAN },
  ])('$who may resolve straight from waiting (never claimed)', ({ actor, by }) => {
    const c = queueOf4();
    expect(c.run(actor, resolve('req-c'))).toEqual([{ type: 'help:resolved', at: c.now, requestId: 'req-c', by }]);
    expect(c.state.helpRequests.get('req-c')).toMatchObject({ status: 'resolved', claimedBy: by, claimedAt: null, closedAt: c.now });
    expect(c.me('c').helpResolved).toEqual({ by: by.name, at: c.now });
    expect(c.places()).toEqual({ a: 'waiting #1', b: 'waiting #2', c: '-', d: 'waiting #3' });
  });

  it.each<{ what: string; actor: Actor; command: Command; result: Decision }>([
    { what: 'resolving again (Minh)', actor: minh, command: resolve('req-a'), result: { events: [] } },
    { what: 'resolving again (another helper)', actor: thu, command: resolve('req-a'), result: { events: [] } },
    { what: 'resolving again (instructor)', actor: instructor, command: resolve('req-a'), result: { events: [] } },
    { what: 'claiming after resolve', actor: thu, command: claim('req-a'), result: { error: 'help_closed' } },
    { what: 'claiming after resolve (same helper)', actor: minh, command: claim('req-a'), result: { error: 'help_closed' } },
    { what: 'releasing after resolve', actor: minh, command: release('req-a'), result: { error: 'help_closed' } },
    { what: 'resolving again by a learner', actor: A, command: resolve('req-a'), result: { error: 'forbidden' } },
  ])('on a resolved request, $what', ({ actor, command, result }) => {
    const c = aResolved();
    expect(c.decide(actor, command)).toEqual(result);
    expect(c.state.helpRequests.get('req-a')!.status).toBe('resolved');
  });

  it('a new request after a resolve clears helpResolved and queues at the back', () => {
    const c = aResolved();
    expect(c.me('a').helpResolved).toEqual({ by: 'Minh', at: c.now });
    expect(c.run(A, raise('req-a2', 'falling_behind'))).toEqual([
      { type: 'help:requested', at: c.now, learnerId: 'a', requestId: 'req-a2', step: 1, reason: 'falling_behind' },
    ]);
    expect(c.me('a')).toMatchObject({
      help: true,
      helpResolved: null,
      helpRequest: { status: 'waiting', position: 4, helperName: null, reason: 'falling_behind' },
    });
    expect(c.queue()).toEqual(['req-b waiting', 'req-c waiting', 'req-d waiting', 'req-a2 waiting']);
    // The old request stays in the history, resolved.
    expect(c.state.helpRequests.get('req-a')!.status).toBe('resolved');
    expect(c.state.helpRequests.size).toBe(5);
  });
});

describe('withdrawal and leaving', () => {
  it.each([
    { what: 'a waiting request', build: queueOf4 },
    {
      what: 'a claimed request',
      build: () => {
        const c = queueOf4();
        c.run(minh, claim('req-a'));
        return c;
      },
    },
  ])('the learner withdraws $what: closed as withdrawn, nobody may act on it', ({ build }) => {
    const c = build();
    expect(c.run(A, withdraw)).toEqual([{ type: 'help:withdrawn', at: c.now, learnerId: 'a' }]);
    expect(c.state.helpRequests.get('req-a')).toMatchObject({ status: 'withdrawn', closedAt: c.now });
    expect(c.me('a')).toMatchObject({ help: false, helpRequest: null, helpResolved: null });
    expect(c.queue()).toEqual(['req-b waiting', 'req-c waiting', 'req-d waiting']);
    for (const [actor, command] of [
      [minh, claim('req-a')],
      [instructor, claim('req-a')],
      [minh, release('req-a')],
      [minh, resolve('req-a')],
      [instructor, resolve('req-a')],
    ] as const) {
      expect(c.decide(actor, command), `${command.type} by ${actor.role}`).toEqual({ error: 'help_closed' });
    }
  });

  it('withdrawing with nothing open is a no-op', () => {
    const c = aWithdrew();
    expect(c.decide(A, withdraw)).toEqual({ events: [] });
  });

  it.each([
    { what: 'waiting', build: queueOf4 },
    { what: 'claimed', build: bClaimedByMinh },
  ])('a learner who leaves with a $what request: withdrawn, out of the queue, help_closed', ({ build }) => {
    const c = build();
    expect(c.run(B, leave)).toEqual([{ type: 'learner:left', at: c.now, learnerId: 'b' }]);
    expect(c.state.helpRequests.get('req-b')).toMatchObject({ status: 'withdrawn', closedAt: c.now });
    expect(c.state.learners.get('b')).toMatchObject({ left: true, help: null });
    expect(c.queue()).toEqual(['req-a waiting', 'req-c waiting', 'req-d waiting']);
    expect(c.places()).toEqual({ a: 'waiting #1', b: '-', c: 'waiting #2', d: 'waiting #3' });
    expect(c.staff().counts).toMatchObject({ total: 3, help: 3 });
    expect(c.decide(minh, claim('req-b'))).toEqual({ error: 'help_closed' });
    expect(c.decide(minh, resolve('req-b'))).toEqual({ error: 'help_closed' });
  });
});

describe('learner:help: raising', () => {
  it.each<{ reason: HelpReason | undefined; recorded: HelpReason | null }>([
    { reason: 'not_understood', recorded: 'not_understood' },
    { reason: 'device_problem', recorded: 'device_problem' },
    { reason: 'falling_behind', recorded: 'falling_behind' },
    { reason: undefined, recorded: null },
  ])('reason $reason is recorded as $recorded in the event, the request, the queue and the learner view', ({ reason, recorded }) => {
    const c = classOf(['a']);
    expect(c.run(A, raise('req-x', reason))).toEqual([
      { type: 'help:requested', at: c.now, learnerId: 'a', requestId: 'req-x', step: 1, reason: recorded },
    ]);
    expect(c.state.helpRequests.get('req-x')).toEqual({
      id: 'req-x',
      learnerId: 'a',
      step: 1,
      reason: recorded,
      at: c.now,
      status: 'waiting',
      claimedBy: null,
      claimedAt: null,
      closedAt: null,
    });
    expect(c.staff().helpQueue.map((q) => q.reason)).toEqual([recorded]);
    expect(c.me('a').helpRequest).toEqual({ status: 'waiting', position: 1, helperName: null, reason: recorded });
    expect(c.roster('a')).toMatchObject({ helpSince: c.now, helpStatus: 'waiting' });
  });

  it.each([
    { what: 'waiting', build: queueOf4 },
    { what: 'claimed', build: bClaimedByMinh },
  ])('raising again while $what is a no-op, whatever the new id and reason', ({ build }) => {
    const c = build();
    const before = c.state.helpRequests.get('req-b');
    expect(c.decide(B, raise('req-b2', 'device_problem'))).toEqual({ events: [] });
    expect(c.state.helpRequests.get('req-b')).toEqual(before);
    expect(c.state.helpRequests.has('req-b2')).toBe(false);
  });

  // BUG (engine-level): decideLearnerHelp never checks whether the requestId is already in
  // state.helpRequests, and evolve does `helpRequests.set(id, …)`, which overwrites the old request in
  // place: the old (resolved) record is lost from the history and stats, and since a Map keeps a key's
  // first insertion position, the new request jumps to the front of the queue ahead of people who have
  // waited longer. Unreachable through sockets today only because sockets.ts draws randomId(9) per raise.
  // Repro: queueOf4(); Minh resolves req-a; a raises again with requestId 'req-a'
  //   → queue ['req-a waiting', 'req-b waiting', 'req-c waiting', 'req-d waiting'], helpRequests.size 4.
  it('a request id already used is never reused: history kept, the new request queues at the back', () => {
    const c = aResolved();
    const decision = c.decide(A, raise('req-a'));
    if ('error' in decision) return; // refusing the reused id is a fine answer too
    for (const event of decision.events) evolve(c.state, event);
    expect(c.queue()).toEqual(['req-b waiting', 'req-c waiting', 'req-d waiting', 'req-a waiting']);
    expect(c.state.helpRequests.size).toBe(5);
  });

  it('records the learner’s own self-paced step', () => {
    const c = classOf(['a', 'b']);
    c.run(instructor, selfPaced(0, 3));
    c.run(A, { type: 'learner:navigate', step: 3 });
    c.run(A, raise('req-a'));
    c.run(B, raise('req-b'));
    expect(c.staff().helpQueue.map((q) => [q.id, q.step])).toEqual([
      ['req-a', 3],
      ['req-b', 1],
    ]);
  });
});

// ---- stuck detection ----

/** Learners joined, step 1 (expected 3 min) pushed at P = c.now. */
function stuckClass(ids = ['a', 'b']): { c: Classroom; P: number } {
  const c = classOf(ids);
  return { c, P: c.now };
}

describe('stuck: the expected-time rule', () => {
  it.each<{ factor: number; at: number; stuck: RosterEntry['stuck'] }>([
    { factor: 1, at: 0, stuck: null },
    { factor: 1, at: 2 * MINUTE, stuck: null },
    { factor: 1, at: 3 * MINUTE, stuck: null },
    { factor: 1, at: 3 * MINUTE + 1, stuck: 'slow' },
    { factor: 1.5, at: 3 * MINUTE + 1, stuck: null },
    { factor: 1.5, at: 4.5 * MINUTE, stuck: null },
    { factor: 1.5, at: 4.5 * MINUTE + 1, stuck: 'slow' },
    { factor: 0.5, at: 1.5 * MINUTE + 1, stuck: 'slow' },
    { factor: 0, at: 10 * 60 * MINUTE, stuck: null },
  ])('expected 3 min × factor $factor, $at ms on the step → $stuck', ({ factor, at, stuck }) => {
    const { c, P } = stuckClass();
    if (factor !== 1) c.run(instructor, configure({ expectedFactor: factor }));
    expect(c.stuck(P + at)).toEqual({ a: stuck, b: stuck });
    expect(c.staff(P + at).counts.stuck).toBe(stuck ? 2 : 0);
    expect(c.roster('a', P + at).onStepMs).toBe(at);
  });

  it('a step without expected minutes is never slow by that rule', () => {
    const { c } = stuckClass();
    c.run(instructor, push(2));
    expect(c.stuck(c.now + 10 * 60 * MINUTE)).toEqual({ a: null, b: null });
  });

  it('time counts from when the learner reached the step: a late joiner starts later', () => {
    const { c, P } = stuckClass(['a']);
    c.run(guest, join('b'), P + 2 * MINUTE);
    expect(c.stuck(P + 3 * MINUTE + 1)).toEqual({ a: 'slow', b: null });
    expect(c.stuck(P + 5 * MINUTE)).toEqual({ a: 'slow', b: null });
    expect(c.stuck(P + 5 * MINUTE + 1)).toEqual({ a: 'slow', b: 'slow' });
  });

  it('self-paced: time counts from the learner’s own move', () => {
    const { c, P } = stuckClass();
    const S = c.run(instructor, selfPaced(0, 1))[0].at; // both stay on step 1 (3 min)
    const M = c.run(A, { type: 'learner:navigate', step: 0 }, S + 2 * MINUTE)[0].at; // a: step 0 (2 min), from M
    expect(c.roster('a', M + 2 * MINUTE).onStepMs).toBe(2 * MINUTE);
    // b has been on step 1 since P (or S: see the pacing it.fails below); boundaries chosen to hold either way.
    expect(S - P).toBe(SECOND);
    expect(c.stuck(P + 3 * MINUTE - SECOND)).toEqual({ a: null, b: null });
    expect(c.stuck(S + 3 * MINUTE + 1)).toEqual({ a: null, b: 'slow' });
    expect(c.stuck(M + 2 * MINUTE)).toEqual({ a: null, b: 'slow' });
    expect(c.stuck(M + 2 * MINUTE + 1)).toEqual({ a: 'slow', b: 'slow' });
  });

  // Regression: a pacing change used to restart everyone's time on the step, even for learners it did not move.
  it('a pacing change that leaves a learner on the same step keeps their time on it', () => {
    const { c, P } = stuckClass();
    c.run(instructor, selfPaced(1, 3), P + 10 * MINUTE);
    expect(c.roster('a', P + 10 * MINUTE + SECOND)).toMatchObject({ step: 1, stuck: 'slow', onStepMs: 10 * MINUTE + SECOND });
    c.run(A, done(1), P + 10 * MINUTE + 5 * SECOND);
    expect(c.state.learners.get('a')!.doneIn.get(1)).toBe(10 * MINUTE + 5 * SECOND);
  });

  it('not flagged once done with the step; flagged again when unmarked', () => {
    const { c, P } = stuckClass();
    c.run(A, done(1), P + 2 * MINUTE);
    expect(c.stuck(P + 10 * MINUTE)).toEqual({ a: null, b: 'slow' });
    c.run(A, done(1, false), P + 10 * MINUTE);
    expect(c.stuck(P + 10 * MINUTE)).toEqual({ a: 'slow', b: 'slow' });
  });

  it('done with another step does not count', () => {
    const { c, P } = stuckClass();
    c.run(A, done(2), P + SECOND);
    c.run(A, done(0), P + 2 * SECOND);
    expect(c.stuck(P + 4 * MINUTE)).toEqual({ a: 'slow', b: 'slow' });
  });

  it('nobody is flagged before the first step, nor after the session ended, nor once left', () => {
    const c = newClassroom();
    c.run(guest, join('a'));
    expect(c.stuck(c.now + 60 * MINUTE)).toEqual({ a: null });
    c.run(guest, join('b'));
    const P = c.run(instructor, push(1))[0].at;
    c.run(B, leave);
    expect(c.stuck(P + 4 * MINUTE)).toEqual({ a: 'slow' });
    expect(c.staff(P + 4 * MINUTE).counts).toMatchObject({ total: 1, stuck: 1 });
    c.run(instructor, end, P + 4 * MINUTE);
    expect(c.stuck(P + 60 * MINUTE)).toEqual({ a: null });
    expect(c.staff(P + 60 * MINUTE).counts.stuck).toBe(0);
  });
});

describe('stuck: the class-median rule', () => {
  /** a..f on step 2 (no expected minutes), pushed at P; `times` = ms after P at which b, c, d… mark it done. */
  function medianClass(times: number[], config: Partial<StuckConfig> = {}): { c: Classroom; P: number } {
    const c = classOf(['a', 'b', 'c', 'd', 'e', 'f']);
    if (Object.keys(config).length) c.run(instructor, configure(config));
    const P = c.run(instructor, push(2))[0].at;
    const finishers = ['b', 'c', 'd', 'e', 'f'];
    times.forEach((t, i) => c.run(learner(finishers[i]), done(2), P + t));
    return { c, P };
  }

  it.each<{ name: string; times: number[]; config?: Partial<StuckConfig>; at: number; stuck: RosterEntry['stuck'] }>([
    { name: 'fewer than minDone (3) done: no median', times: [10 * SECOND, 20 * SECOND], at: 10 * 60 * MINUTE, stuck: null },
    { name: 'median 20 s, not past 2× yet', times: [10 * SECOND, 20 * SECOND, 40 * SECOND], at: 40 * SECOND, stuck: null },
    { name: 'median 20 s, past 2×', times: [10 * SECOND, 20 * SECOND, 40 * SECOND], at: 40 * SECOND + 1, stuck: 'behind_class' },
    {
      name: 'even count: median 30 s (mean of the middle two)',
      times: [10 * SECOND, 20 * SECOND, 40 * SECOND, 50 * SECOND],
      at: 60 * SECOND,
      stuck: null,
    },
    {
      name: 'even count, past 2 × 30 s',
      times: [10 * SECOND, 20 * SECOND, 40 * SECOND, 50 * SECOND],
      at: 60 * SECOND + 1,
      stuck: 'behind_class',
    },
    {
      name: 'minDone 2: two done suffice (median 15 s)',
      times: [10 * SECOND, 20 * SECOND],
      config: { minDone: 2 },
      at: 30 * SECOND + 1,
      stuck: 'behind_class',
    },
    { name: 'minDone 2, not past 2 × 15 s', times: [10 * SECOND, 20 * SECOND], config: { minDone: 2 }, at: 30 * SECOND, stuck: null },
    {
      name: 'medianFactor 3: past 3 × 20 s',
      times: [10 * SECOND, 20 * SECOND, 40 * SECOND],
      config: { medianFactor: 3 },
      at: 60 * SECOND + 1,
      stuck: 'behind_class',
    },
    {
      name: 'medianFactor 3: not past 3 × 20 s',
      times: [10 * SECOND, 20 * SECOND, 40 * SECOND],
      config: { medianFactor: 3 },
      at: 60 * SECOND,
      stuck: null,
    },
    {
      name: 'medianFactor 0 ignores the rule',
      times: [10 * SECOND, 20 * SECOND, 40 * SECOND],
      config: { medianFactor: 0 },
      at: 10 * 60 * MINUTE,
      stuck: null,
    },
    {
      name: 'minDone 4 with three done',
      times: [10 * SECOND, 20 * SECOND, 40 * SECOND],
      config: { minDone: 4 },
      at: 10 * 60 * MINUTE,
      stuck: null,
    },
  ])('$name → $stuck', ({ times, config, at, stuck }) => {
    const { c, P } = medianClass(times, config);
    expect(c.roster('a', P + at).stuck).toBe(stuck);
    // Those done are never flagged.
    expect(c.roster('b', P + at).stuck).toBeNull();
  });

  it('late taps (marking a step one is not on) do not feed the median', () => {
    const c = classOf(['a', 'b', 'c', 'd']);
    // b, c, d mark step 2 done while still on step 1: no time-to-done recorded.
    for (const id of ['b', 'c', 'd']) c.run(learner(id), done(2));
    const P = c.run(instructor, push(2))[0].at;
    expect([...c.state.learners.values()].map((l) => l.doneIn.size)).toEqual([0, 0, 0, 0]);
    expect(c.roster('a', P + 10 * 60 * MINUTE).stuck).toBeNull();
  });

  it('the median rule can flag before the expected time runs out', () => {
    const c = classOf(['a', 'b', 'c', 'd']);
    const P = c.now; // step 1, expected 3 min
    for (const [i, id] of ['b', 'c', 'd'].entries()) c.run(learner(id), done(1), P + (i + 1) * 10 * SECOND);
    // median 20 s: flagged after 40 s, long before 3 min
    expect(c.roster('a', P + 40 * SECOND).stuck).toBeNull();
    expect(c.roster('a', P + 40 * SECOND + 1).stuck).toBe('behind_class');
    expect(c.staff(P + 40 * SECOND + 1).counts.stuck).toBe(1);
  });

  it('median() helper', () => {
    expect(median([])).toBeNull();
    expect(median([5])).toBe(5);
    expect(median([30, 10, 20])).toBe(20);
    expect(median([40, 10, 80, 20])).toBe(30);
  });
});

describe('stuck: the wrong-answers rule', () => {
  /** a and b on step 1 at P; the instructor opens `open`, then a answers each of `answers`, 1 s apart. */
  function answered(open: Command, answers: string[], config: Partial<StuckConfig> = {}): { c: Classroom; P: number } {
    const { c, P } = stuckClass();
    if (Object.keys(config).length) c.run(instructor, configure(config));
    c.run(instructor, open);
    const runId = (open as Extract<Command, { type: 'quiz:open' }>).runId;
    for (const option of answers) c.run(A, answer(runId, option));
    return { c, P };
  }
  const step1Question = openQuestion('run-00000001', 1, 'giu-yen');

  it.each<{ name: string; open: Command; answers: string[]; config?: Partial<StuckConfig>; stuck: RosterEntry['stuck']; wrong: number }>([
    { name: 'one wrong answer', open: step1Question, answers: ['b'], stuck: null, wrong: 1 },
    { name: 'two wrong answers', open: step1Question, answers: ['b', 'c'], stuck: 'wrong_answers', wrong: 2 },
    { name: 'wrong, right, wrong: still two wrong', open: step1Question, answers: ['b', 'a', 'b'], stuck: 'wrong_answers', wrong: 2 },
    { name: 'right answers only', open: step1Question, answers: ['a', 'a'], stuck: null, wrong: 0 },
    { name: 'two wrong to a quick question (not the step’s)', open: openQuick('run-00000002'), answers: ['b', 'b'], stuck: null, wrong: 0 },
    {
      name: 'wrongAnswers 3: two are not enough',
      open: step1Question,
      answers: ['b', 'c'],
      config: { wrongAnswers: 3 },
      stuck: null,
      wrong: 2,
    },
    {
      name: 'wrongAnswers 3: three',
      open: step1Question,
      answers: ['b', 'c', 'b'],
      config: { wrongAnswers: 3 },
      stuck: 'wrong_answers',
      wrong: 3,
    },
    {
      name: 'wrongAnswers 0 ignores the rule',
      open: step1Question,
      answers: ['b', 'c', 'b'],
      config: { wrongAnswers: 0 },
      stuck: null,
      wrong: 3,
    },
    { name: 'wrongAnswers 1', open: step1Question, answers: ['b'], config: { wrongAnswers: 1 }, stuck: 'wrong_answers', wrong: 1 },
  ])('$name → $stuck', ({ open, answers, config, stuck, wrong }) => {
    const { c, P } = answered(open, answers, config);
    // Well before the expected 3 minutes.
    expect(c.stuck(P + MINUTE)).toEqual({ a: stuck, b: null });
    expect(c.state.learners.get('a')!.wrong.get(1) ?? 0).toBe(wrong);
    expect(c.staff(P + MINUTE).counts.stuck).toBe(stuck ? 1 : 0);
  });

  it('wrong answers outrank slowness as the reason', () => {
    const { c, P } = answered(step1Question, ['b', 'b']);
    expect(c.stuck(P + 4 * MINUTE)).toEqual({ a: 'wrong_answers', b: 'slow' });
  });

  it('wrong answers count for the question’s own step, not the one the class is on', () => {
    const { c, P } = answered(openQuestion('run-00000003', 3, 'da-mo'), ['b', 'b']);
    expect(c.stuck(P + MINUTE)).toEqual({ a: null, b: null });
    expect(c.state.learners.get('a')!.wrong).toEqual(new Map([[3, 2]]));
    const Q = c.run(instructor, push(3))[0].at;
    expect(c.stuck(Q + SECOND)).toEqual({ a: 'wrong_answers', b: null });
  });

  it('not flagged once done with the step', () => {
    const { c, P } = answered(step1Question, ['b', 'b']);
    c.run(A, done(1));
    expect(c.stuck(P + MINUTE)).toEqual({ a: null, b: null });
  });
});

describe('stuck:dismiss', () => {
  /** a and b slow on step 1 (pushed at P): 4 minutes in. */
  function bothSlow() {
    const { c, P } = stuckClass();
    c.now = P + 4 * MINUTE;
    expect(c.stuck()).toEqual({ a: 'slow', b: 'slow' });
    return { c, P };
  }

  it.each([
    { who: 'a helper', actor: minh },
    { who: 'the instructor', actor: instructor },
  ])('$who dismisses one learner’s flag on this step; others keep theirs', ({ actor }) => {
    const { c, P } = bothSlow();
    expect(c.run(actor, dismiss('a'))).toEqual([{ type: 'stuck:dismissed', at: c.now, learnerId: 'a', step: 1 }]);
    expect(c.stuck(P + 30 * MINUTE)).toEqual({ a: null, b: 'slow' });
    expect(c.staff(P + 30 * MINUTE).counts.stuck).toBe(1);
    // Dismissing again on the same step is a no-op.
    expect(c.decide(minh, dismiss('a'))).toEqual({ events: [] });
  });

  it('hides wrong-answer flags too', () => {
    const { c, P } = stuckClass();
    c.run(instructor, openQuestion('run-00000001', 1, 'giu-yen'));
    c.run(A, answer('run-00000001', 'b'));
    c.run(A, answer('run-00000001', 'b'));
    expect(c.roster('a').stuck).toBe('wrong_answers');
    c.run(minh, dismiss('a'));
    expect(c.stuck(P + 4 * MINUTE)).toEqual({ a: null, b: 'slow' });
  });

  it('holds for that step only: after the next push the learner can be flagged again', () => {
    const { c } = bothSlow();
    c.run(minh, dismiss('a'));
    const Q = c.run(instructor, push(3))[0].at; // expected 1 min
    expect(c.stuck(Q + MINUTE)).toEqual({ a: null, b: null });
    expect(c.stuck(Q + MINUTE + 1)).toEqual({ a: 'slow', b: 'slow' });
    // …and can be dismissed again, on the new step.
    expect(c.run(minh, dismiss('a'), Q + 2 * MINUTE)).toEqual([{ type: 'stuck:dismissed', at: Q + 2 * MINUTE, learnerId: 'a', step: 3 }]);
    expect(c.stuck(Q + 2 * MINUTE)).toEqual({ a: null, b: 'slow' });
  });

  it('self-paced: a dismissal on one step does not hide a flag on another', () => {
    const { c } = stuckClass();
    const S = c.run(instructor, selfPaced(0, 1))[0].at; // a and b stay on step 1
    c.run(minh, dismiss('a'), S + 4 * MINUTE);
    expect(c.stuck(S + 4 * MINUTE)).toEqual({ a: null, b: 'slow' });
    const M = c.run(A, { type: 'learner:navigate', step: 0 }, S + 4 * MINUTE)[0].at; // 2 min expected
    expect(c.stuck(M + 2 * MINUTE + 1)).toEqual({ a: 'slow', b: 'slow' });
  });

  it('before the first step there is nothing to dismiss (no-op)', () => {
    const c = newClassroom();
    c.run(guest, join('a'));
    expect(c.decide(minh, dismiss('a'))).toEqual({ events: [] });
  });

  it.each<{ who: string; actor: Actor; learnerId: string; error: ErrorCode }>([
    { who: 'the learner', actor: A, learnerId: 'a', error: 'forbidden' },
    { who: 'another learner', actor: B, learnerId: 'a', error: 'forbidden' },
    { who: 'a guest', actor: guest, learnerId: 'a', error: 'forbidden' },
    { who: 'the system', actor: system, learnerId: 'a', error: 'forbidden' },
    { who: 'a helper, unknown learner', actor: minh, learnerId: 'ghost', error: 'not_found' },
  ])('$who → $error', ({ actor, learnerId, error }) => {
    const { c } = bothSlow();
    expect(c.decide(actor, dismiss(learnerId))).toEqual({ error });
  });

  it('a learner who left → not_found', () => {
    const { c } = bothSlow();
    c.run(B, leave);
    expect(c.decide(minh, dismiss('b'))).toEqual({ error: 'not_found' });
  });
});

describe('stuck:configure', () => {
  it('the instructor sets the rules; the event carries the whole config; the staff view shows it', () => {
    const { c } = stuckClass();
    const config: StuckConfig = {
      enabled: true,
      expectedFactor: 2,
      medianFactor: 3,
      minDone: 5,
      wrongAnswers: 4,
      taskMisses: 3,
      paceThreshold: 0.5,
    };
    expect(c.run(instructor, { type: 'stuck:configure', config })).toEqual([{ type: 'stuck:configured', at: c.now, config }]);
    expect(c.state.stuckConfig).toEqual(config);
    expect(c.staff().stuckConfig).toEqual(config);
  });

  it('enabled false: no flag at all, whatever the reason; enabling again brings them back', () => {
    const { c, P } = stuckClass();
    c.run(instructor, openQuestion('run-00000001', 1, 'giu-yen'));
    c.run(A, answer('run-00000001', 'b'));
    c.run(A, answer('run-00000001', 'c'));
    expect(c.stuck(P + 4 * MINUTE)).toEqual({ a: 'wrong_answers', b: 'slow' });
    c.run(instructor, configure({ enabled: false }));
    expect(c.stuck(P + 4 * MINUTE)).toEqual({ a: null, b: null });
    expect(c.staff(P + 4 * MINUTE).counts.stuck).toBe(0);
    c.run(instructor, configure({ enabled: true }));
    expect(c.stuck(P + 4 * MINUTE)).toEqual({ a: 'wrong_answers', b: 'slow' });
  });

  it('all factors 0: no rule applies', () => {
    const c = classOf(['a', 'b', 'c', 'd']);
    const P = c.now;
    for (const id of ['b', 'c', 'd']) c.run(learner(id), done(1));
    c.run(instructor, openQuestion('run-00000001', 1, 'giu-yen'));
    c.run(A, answer('run-00000001', 'b'));
    c.run(A, answer('run-00000001', 'b'));
    c.run(instructor, configure({ expectedFactor: 0, medianFactor: 0, wrongAnswers: 0 }));
    expect(c.roster('a', P + 10 * 60 * MINUTE).stuck).toBeNull();
  });

  it.each([
    { who: 'a helper', actor: minh },
    { who: 'a learner', actor: A },
    { who: 'a guest', actor: guest },
  ])('$who may not configure → forbidden', ({ actor }) => {
    expect(stuckClass().c.decide(actor, configure({ enabled: false }))).toEqual({ error: 'forbidden' });
  });
});

describe('pace: suggest moving on', () => {
  /** a..e on step 1; `doneIds` marked it done. */
  function paced(doneIds: string[], opts: { threshold?: number; leave?: string[]; otherStep?: string[] } = {}) {
    const c = classOf(['a', 'b', 'c', 'd', 'e']);
    if (opts.threshold !== undefined) c.run(instructor, configure({ paceThreshold: opts.threshold }));
    for (const id of doneIds) c.run(learner(id), done(1));
    for (const id of opts.otherStep ?? []) c.run(learner(id), done(2));
    for (const id of opts.leave ?? []) c.run(learner(id), leave);
    return c;
  }

  it.each<{ name: string; doneIds: string[]; opts?: Parameters<typeof paced>[1]; pace: StaffView['pace'] }>([
    { name: 'nobody done', doneIds: [], pace: { done: 0, total: 5, suggestNext: false } },
    { name: '3 of 5 (60 %)', doneIds: ['a', 'b', 'c'], pace: { done: 3, total: 5, suggestNext: false } },
    { name: '4 of 5 (80 %, the default threshold)', doneIds: ['a', 'b', 'c', 'd'], pace: { done: 4, total: 5, suggestNext: true } },
    { name: 'all 5', doneIds: ['a', 'b', 'c', 'd', 'e'], pace: { done: 5, total: 5, suggestNext: true } },
    {
      name: 'done with another step does not count',
      doneIds: ['a', 'b', 'c'],
      opts: { otherStep: ['d', 'e'] },
      pace: { done: 3, total: 5, suggestNext: false },
    },
    {
      name: 'left learners are out: 3 of 4 (75 %)',
      doneIds: ['a', 'b', 'c'],
      opts: { leave: ['e'] },
      pace: { done: 3, total: 4, suggestNext: false },
    },
    {
      name: 'a done learner who left is out: 3 of 4',
      doneIds: ['a', 'b', 'c', 'd'],
      opts: { leave: ['d'] },
      pace: { done: 3, total: 4, suggestNext: false },
    },
    { name: 'threshold 0.5: 3 of 5', doneIds: ['a', 'b', 'c'], opts: { threshold: 0.5 }, pace: { done: 3, total: 5, suggestNext: true } },
    { name: 'threshold 0.5: 2 of 5', doneIds: ['a', 'b'], opts: { threshold: 0.5 }, pace: { done: 2, total: 5, suggestNext: false } },
    { name: 'threshold 1: 4 of 5', doneIds: ['a', 'b', 'c', 'd'], opts: { threshold: 1 }, pace: { done: 4, total: 5, suggestNext: false } },
  ])('$name → $pace', ({ doneIds, opts, pace }) => {
    expect(paced(doneIds, opts).staff().pace).toEqual(pace);
  });

  it('before the first step, nothing to suggest; nobody in class, nothing either', () => {
    const c = newClassroom();
    expect(c.staff().pace).toEqual({ done: 0, total: 0, suggestNext: false });
    c.run(guest, join('a'));
    expect(c.staff().pace).toEqual({ done: 0, total: 1, suggestNext: false });
  });
});

// ---- seat map ----

describe('seat map', () => {
  it('starts 4 × 6 with nobody placed', () => {
    const c = classOf(['a', 'b']);
    expect(c.staff().seatMap).toEqual({ rows: 4, cols: 6 });
    expect(c.staff().roster.map((r) => r.place)).toEqual([null, null]);
  });

  it('the instructor sets the size; the same size again is a no-op', () => {
    const c = classOf(['a']);
    expect(c.run(instructor, seatmap(5, 8))).toEqual([{ type: 'seatmap:changed', at: c.now, rows: 5, cols: 8 }]);
    expect(c.staff().seatMap).toEqual({ rows: 5, cols: 8 });
    expect(c.decide(instructor, seatmap(5, 8))).toEqual({ events: [] });
  });

  it('the instructor places a learner on a tile; moving them frees the old one', () => {
    const c = classOf(['a', 'b']);
    expect(c.run(instructor, place('a', 1, 2))).toEqual([{ type: 'seat:placed', at: c.now, learnerId: 'a', row: 1, col: 2 }]);
    expect(c.roster('a').place).toEqual({ row: 1, col: 2 });
    c.run(instructor, place('a', 3, 5));
    expect(c.roster('a').place).toEqual({ row: 3, col: 5 });
    c.run(instructor, place('b', 1, 2));
    expect([c.roster('a').place, c.roster('b').place]).toEqual([
      { row: 3, col: 5 },
      { row: 1, col: 2 },
    ]);
  });

  it('placing on an occupied tile moves the one there back to automatic placement', () => {
    const c = classOf(['a', 'b', 'c']);
    c.run(instructor, place('a', 0, 0));
    c.run(instructor, place('c', 2, 2));
    c.run(instructor, place('b', 0, 0));
    expect(Object.fromEntries(c.staff().roster.map((r) => [r.id, r.place]))).toEqual({
      a: null,
      b: { row: 0, col: 0 },
      c: { row: 2, col: 2 },
    });
  });

  it('shrinking the map clears the places outside it; growing keeps them', () => {
    const c = classOf(['a', 'b', 'c', 'd']);
    c.run(instructor, place('a', 1, 2)); // inside 2 × 3
    c.run(instructor, place('b', 3, 0)); // row outside
    c.run(instructor, place('c', 0, 5)); // col outside
    c.run(instructor, place('d', 1, 1)); // inside
    c.run(instructor, seatmap(2, 3));
    expect(Object.fromEntries(c.staff().roster.map((r) => [r.id, r.place]))).toEqual({
      a: { row: 1, col: 2 },
      b: null,
      c: null,
      d: { row: 1, col: 1 },
    });
    c.run(instructor, seatmap(10, 10));
    expect(c.roster('a').place).toEqual({ row: 1, col: 2 });
    expect(c.roster('d').place).toEqual({ row: 1, col: 1 });
  });

  it.each<{ name: string; actor: Actor; command: Command; error: ErrorCode }>([
    { name: 'seatmap:set by a helper', actor: minh, command: seatmap(3, 3), error: 'forbidden' },
    { name: 'seatmap:set by a learner', actor: A, command: seatmap(3, 3), error: 'forbidden' },
    { name: 'seatmap:set by a guest', actor: guest, command: seatmap(3, 3), error: 'forbidden' },
    { name: 'seat:place by a helper', actor: minh, command: place('a', 0, 0), error: 'forbidden' },
    { name: 'seat:place by a learner (themselves)', actor: A, command: place('a', 0, 0), error: 'forbidden' },
    { name: 'seat:place by a guest', actor: guest, command: place('a', 0, 0), error: 'forbidden' },
    { name: 'row = rows (4)', actor: instructor, command: place('a', 4, 0), error: 'seat_out_of_grid' },
    { name: 'col = cols (6)', actor: instructor, command: place('a', 0, 6), error: 'seat_out_of_grid' },
    { name: 'far outside', actor: instructor, command: place('a', 19, 19), error: 'seat_out_of_grid' },
    { name: 'unknown learner', actor: instructor, command: place('ghost', 0, 0), error: 'not_found' },
  ])('$name → $error', ({ actor, command, error }) => {
    expect(classOf(['a']).decide(actor, command)).toEqual({ error });
  });

  it('a learner who left cannot be placed → not_found', () => {
    const c = classOf(['a', 'b']);
    c.run(B, leave);
    expect(c.decide(instructor, place('b', 0, 0))).toEqual({ error: 'not_found' });
  });

  // BUG (engine-level gap): seat:place checks only the upper bound (`row >= rows || col >= cols`), so a
  // negative or fractional tile is accepted and stored. Step indices are validated in the engine itself
  // (Number.isInteger, >= 0); here only the transport's zod schema (int, min 0) stands in the way.
  // Repro: classOf(['a']); decide(state, {type:'seat:place', learnerId:'a', row:-1, col:0}, instructor)
  //   → { events: [seat:placed row -1] } instead of { error: 'seat_out_of_grid' }.
  it.each<{ row: number; col: number }>([
    { row: -1, col: 0 },
    { row: 0, col: -2 },
    { row: 1.5, col: 0 },
  ])('an impossible tile ($row, $col) is refused', ({ row, col }) => {
    expect(classOf(['a']).decide(instructor, place('a', row, col))).toEqual({ error: 'seat_out_of_grid' });
  });
});

// ---- results ----

describe('results: per-step help and time stats', () => {
  /**
   * a, b, c. Step 0 (pushed at P0): a done after 30 s, b after 60 s; c taps it only after step 1 is on.
   * Step 1 (P1): a asks at +10 s, Minh claims at +30 s, resolves at +50 s; b asks at +12 s, Cô Lan claims
   * at +72 s, releases, Thu claims and resolves at +112 s; c asks at +15 s and withdraws. a is done at +120 s.
   * Step 2 (P2): b asks at +5 s, nobody comes. Step 3 is never reached.
   */
  function lessonDay(): Classroom {
    const c = newClassroom();
    for (const id of ['a', 'b', 'c']) c.run(guest, join(id));
    const P0 = c.run(instructor, push(0), T0 + 10 * SECOND)[0].at;
    c.run(A, done(0), P0 + 30 * SECOND);
    c.run(B, done(0), P0 + 60 * SECOND);
    const P1 = c.run(instructor, push(1), P0 + 100 * SECOND)[0].at;
    c.run(C, done(0), P1 + 5 * SECOND);
    c.run(A, raise('req-a1', 'not_understood'), P1 + 10 * SECOND);
    c.run(B, raise('req-b1'), P1 + 12 * SECOND);
    c.run(C, raise('req-c1', 'device_problem'), P1 + 15 * SECOND);
    c.run(C, withdraw, P1 + 20 * SECOND);
    c.run(minh, claim('req-a1'), P1 + 30 * SECOND);
    c.run(minh, resolve('req-a1'), P1 + 50 * SECOND);
    c.run(instructor, claim('req-b1'), P1 + 72 * SECOND);
    c.run(instructor, release('req-b1'), P1 + 80 * SECOND);
    c.run(thu, claim('req-b1'), P1 + 90 * SECOND);
    c.run(thu, resolve('req-b1'), P1 + 112 * SECOND);
    c.run(A, done(1), P1 + 120 * SECOND);
    const P2 = c.run(instructor, push(2), P1 + 200 * SECOND)[0].at;
    c.run(B, raise('req-b2'), P2 + 5 * SECOND);
    return c;
  }

  it('counts requests per step and takes the medians; hardest first', () => {
    expect(sessionResults(lessonDay().state).steps).toEqual([
      {
        index: 1,
        title: 'Hướng camera vào mã',
        helpRequests: 3,
        taskStruggles: 0,
        done: 1,
        medianTimeToDoneMs: 120_000,
        medianToClaimMs: 40_000,
        medianToResolveMs: 70_000,
      },
      {
        index: 2,
        title: 'Chạm vào liên kết',
        helpRequests: 1,
        taskStruggles: 0,
        done: 0,
        medianTimeToDoneMs: null,
        medianToClaimMs: null,
        medianToResolveMs: null,
      },
      {
        index: 0,
        title: 'Mở camera',
        helpRequests: 0,
        taskStruggles: 0,
        done: 2,
        medianTimeToDoneMs: 45_000,
        medianToClaimMs: null,
        medianToResolveMs: null,
      },
      {
        index: 3,
        title: 'Kiểm tra',
        helpRequests: 0,
        taskStruggles: 0,
        done: 0,
        medianTimeToDoneMs: null,
        medianToClaimMs: null,
        medianToResolveMs: null,
      },
    ]);
  });

  it('records the requests’ history: first claim time kept through a release, resolver names', () => {
    const c = lessonDay();
    const r = (id: string) => {
      const { status, claimedBy, claimedAt, closedAt, at } = c.state.helpRequests.get(id)!;
      return {
        status,
        claimedBy: claimedBy?.name ?? null,
        toClaim: claimedAt === null ? null : claimedAt - at,
        open: closedAt === null ? null : closedAt - at,
      };
    };
    expect(['req-a1', 'req-b1', 'req-c1', 'req-b2'].map(r)).toEqual([
      { status: 'resolved', claimedBy: 'Minh', toClaim: 20_000, open: 40_000 },
      { status: 'resolved', claimedBy: 'Thu', toClaim: 60_000, open: 100_000 },
      { status: 'withdrawn', claimedBy: null, toClaim: null, open: 5_000 },
      { status: 'waiting', claimedBy: null, toClaim: null, open: null },
    ]);
    expect(c.me('b').helpResolved).toBeNull(); // b asked again after Thu's help
    expect(c.me('a').helpResolved).toEqual({ by: 'Minh', at: c.state.helpRequests.get('req-a1')!.closedAt });
  });

  it('ties on help requests: the slower step first; then lesson order', () => {
    const c = newClassroom();
    for (const id of ['a', 'b']) c.run(guest, join(id));
    const P0 = c.run(instructor, push(0))[0].at;
    c.run(A, raise('req-a0'));
    c.run(A, done(0), P0 + 20 * SECOND);
    const P1 = c.run(instructor, push(1), P0 + MINUTE)[0].at;
    c.run(B, raise('req-b1'));
    c.run(B, done(1), P1 + 90 * SECOND);
    c.run(instructor, push(2), P1 + 2 * MINUTE);
    expect(sessionResults(c.state).steps.map((s) => [s.index, s.helpRequests, s.medianTimeToDoneMs])).toEqual([
      [1, 1, 90_000],
      [0, 1, 20_000],
      [2, 0, null],
      [3, 0, null],
    ]);
  });

  it('a request raised before the first step counts for no step', () => {
    const c = newClassroom();
    c.run(guest, join('a'));
    c.run(A, raise('req-a'));
    expect(sessionResults(c.state).steps.map((s) => s.helpRequests)).toEqual([0, 0, 0, 0]);
  });

  it('time-to-done is recorded once, on the step one is on: unmarking and marking again keeps the first time', () => {
    const c = classOf(['a']);
    const P = c.now;
    c.run(A, done(1), P + 10 * SECOND);
    c.run(A, done(1, false), P + 20 * SECOND);
    c.run(A, done(1), P + 90 * SECOND);
    expect(c.state.learners.get('a')!.doneIn).toEqual(new Map([[1, 10_000]]));
  });
});

// ---- errors and the fold ----

describe('every error leaves the state unchanged', () => {
  const cases: { name: string; build: () => Classroom; actor: Actor; command: Command; error: ErrorCode }[] = [
    { name: 'claim by a learner', build: queueOf4, actor: A, command: claim('req-a'), error: 'forbidden' },
    { name: 'claim by a guest', build: queueOf4, actor: guest, command: claim('req-a'), error: 'forbidden' },
    { name: 'resolve by the system', build: queueOf4, actor: system, command: resolve('req-a'), error: 'forbidden' },
    { name: 'claim of an unknown request', build: queueOf4, actor: minh, command: claim('req-zz'), error: 'help_not_found' },
    { name: 'release of an unknown request', build: queueOf4, actor: instructor, command: release('req-zz'), error: 'help_not_found' },
    { name: 'claim taken by another helper', build: bClaimedByMinh, actor: thu, command: claim('req-b'), error: 'already_claimed' },
    { name: 'claim taken, by the instructor', build: bClaimedByMinh, actor: instructor, command: claim('req-b'), error: 'already_claimed' },
    { name: 'release of another helper’s claim', build: bClaimedByMinh, actor: thu, command: release('req-b'), error: 'already_claimed' },
    { name: 'claim after resolve', build: aResolved, actor: thu, command: claim('req-a'), error: 'help_closed' },
    { name: 'release after resolve', build: aResolved, actor: minh, command: release('req-a'), error: 'help_closed' },
    { name: 'claim after withdrawal', build: aWithdrew, actor: minh, command: claim('req-a'), error: 'help_closed' },
    { name: 'resolve after withdrawal', build: aWithdrew, actor: instructor, command: resolve('req-a'), error: 'help_closed' },
    { name: 'claim after the learner left', build: bLeft, actor: minh, command: claim('req-b'), error: 'help_closed' },
    { name: 'help by a learner who left', build: bLeft, actor: B, command: raise('req-b9'), error: 'learner_left' },
    { name: 'dismiss by a learner', build: queueOf4, actor: A, command: dismiss('a'), error: 'forbidden' },
    { name: 'dismiss an unknown learner', build: queueOf4, actor: minh, command: dismiss('ghost'), error: 'not_found' },
    { name: 'dismiss a learner who left', build: bLeft, actor: minh, command: dismiss('b'), error: 'not_found' },
    { name: 'configure by a helper', build: queueOf4, actor: minh, command: configure({ enabled: false }), error: 'forbidden' },
    { name: 'seat map by a helper', build: queueOf4, actor: minh, command: seatmap(2, 2), error: 'forbidden' },
    { name: 'place by a helper', build: queueOf4, actor: minh, command: place('a', 0, 0), error: 'forbidden' },
    { name: 'place outside the map', build: queueOf4, actor: instructor, command: place('a', 4, 6), error: 'seat_out_of_grid' },
    { name: 'place a learner who left', build: bLeft, actor: instructor, command: place('b', 0, 0), error: 'not_found' },
    { name: 'claim after the end', build: endedWithQueue, actor: minh, command: claim('req-a'), error: 'session_ended' },
    { name: 'resolve after the end', build: endedWithQueue, actor: instructor, command: resolve('req-a'), error: 'session_ended' },
    { name: 'dismiss after the end', build: endedWithQueue, actor: minh, command: dismiss('a'), error: 'session_ended' },
    { name: 'withdraw after the end', build: endedWithQueue, actor: A, command: withdraw, error: 'session_ended' },
  ];

  it.each(cases)('$name → $error', ({ build, actor, command, error }) => {
    const c = build();
    const before = snapshot(c.state);
    const seq = c.state.seq;
    expect(decide(c.state, command, { now: c.now + MINUTE, actor })).toEqual({ error });
    expect(snapshot(c.state)).toEqual(before);
    expect(c.state.seq).toBe(seq);
  });
});

describe('fold', () => {
  it('fold(events) equals the state built step by step, after every command, views included', () => {
    const c = newClassroom();
    const script: [Actor, Command][] = [
      [guest, join('a')],
      [guest, join('b')],
      [guest, join('c')],
      [A, raise('req-a0')], // before the first step
      [instructor, push(1)],
      [instructor, seatmap(3, 3)],
      [instructor, place('a', 2, 2)],
      [instructor, place('b', 2, 2)],
      [B, raise('req-b1', 'device_problem')],
      [C, raise('req-c1', 'falling_behind')],
      [minh, claim('req-b1')],
      [minh, release('req-b1')],
      [instructor, claim('req-a0')],
      [instructor, resolve('req-a0')],
      [thu, resolve('req-c1')],
      [instructor, openQuestion('run-00000001', 1, 'giu-yen')],
      [A, answer('run-00000001', 'b')],
      [A, answer('run-00000001', 'c')],
      [minh, dismiss('a')],
      [B, done(1)],
      [instructor, configure({ medianFactor: 3, paceThreshold: 0.5 })],
      [instructor, seatmap(2, 2)],
      [C, raise('req-c2')],
      [instructor, push(3)],
      [B, withdraw],
      [C, leave],
      [instructor, selfPaced(2, 3)],
      [A, { type: 'learner:navigate', step: 2 }],
      [A, raise('req-a3')],
      [minh, claim('req-a3')],
      [instructor, end],
    ];
    for (const [actor, command] of script) {
      const events = c.run(actor, command, c.now + 20 * SECOND);
      expect(events.length, command.type).toBeGreaterThan(0);
      const folded = fold(c.log);
      expect(snapshot(folded), command.type).toEqual(snapshot(c.state));
      const at = c.now + 5 * MINUTE;
      expect(
        staffView(folded, steps, () => undefined, 'u', at),
        command.type,
      ).toEqual(staffView(c.state, steps, () => undefined, 'u', at));
    }
    // The log holds every kind of help event.
    expect(new Set(c.log.map((e) => e.type))).toEqual(
      new Set([
        'session:started',
        'learner:joined',
        'help:requested',
        'step:pushed',
        'seatmap:changed',
        'seat:placed',
        'help:claimed',
        'help:released',
        'help:resolved',
        'quiz:opened',
        'quiz:answered',
        'stuck:dismissed',
        'learner:marked-done',
        'stuck:configured',
        'quiz:closed',
        'quiz:dismissed',
        'help:withdrawn',
        'learner:left',
        'pacing:changed',
        'learner:moved',
        'session:ended',
      ]),
    );
    expect(sessionResults(fold(c.log))).toEqual(sessionResults(c.state));
  });

  it('evolve refuses a help event for an unknown learner', () => {
    const c = classOf(['a']);
    expect(() =>
      evolve(c.state, { type: 'help:requested', at: c.now, learnerId: 'ghost', requestId: 'req-g', step: 1, reason: null }),
    ).toThrow('event for unknown learner ghost');
  });
});
