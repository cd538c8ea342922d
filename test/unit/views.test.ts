import { describe, it, expect } from 'vitest';
import type { StepView } from '../../shared/protocol/views.ts';
import { fold } from '../../server/engine/engine.ts';
import type { SessionEvent } from '../../server/engine/events.ts';
import type { SessionState } from '../../server/engine/state.ts';
import { classView, displayView, meView, staffView, type Presence, type PresenceOf } from '../../server/engine/views.ts';
import { qrScanLesson } from '../support/lessons.ts';
import { sessionStart } from '../support/classroom.ts';

// ---- fixtures ----

/** Four steps: indices 0..3. */
const lesson = qrScanLesson;

/** What the room would render; the views only pick from it. */
const steps: StepView[] = lesson.steps.map((s, index) => ({
  index,
  id: s.id,
  title: s.title,
  html: `<p>${s.body}</p>`,
  image: null,
}));

const T0 = Date.UTC(2025, 9, 6, 1, 30);
const at = (seconds: number) => T0 + seconds * 1000;
const JOIN_URL = 'http://192.168.1.10:3000/l?c=123456';

const started = sessionStart(lesson, { helperCode: '654321', start: T0 });

const joined = (learnerId: string, name: string, seat: string, t: number): SessionEvent => ({
  type: 'learner:joined',
  at: at(t),
  learnerId,
  name,
  seat,
  tokenHash: `hash-of-${learnerId}`,
});
const pushed = (step: number, t: number): SessionEvent => ({ type: 'step:pushed', at: at(t), step });
const markedDone = (learnerId: string, step: number, t: number, done = true): SessionEvent => ({
  type: 'learner:marked-done',
  at: at(t),
  learnerId,
  step,
  done,
});
const selfPaced = (from: number, to: number, t: number): SessionEvent => ({
  type: 'pacing:changed',
  at: at(t),
  pacing: { mode: 'self', from, to },
});
const moved = (learnerId: string, step: number, t: number): SessionEvent => ({
  type: 'learner:moved',
  at: at(t),
  learnerId,
  step,
});
const left = (learnerId: string, t: number): SessionEvent => ({ type: 'learner:left', at: at(t), learnerId });
const endedEv = (t: number): SessionEvent => ({ type: 'session:ended', at: at(t) });

/**
 * Five learners, seats chosen so that only a numeric, Vietnamese sort gives the expected order:
 * seat "2" before "10"; within seat 2: Anh < Dũng < Đức (đ is its own letter after d).
 * Bảo (seat 1) left. Step 1 is current; Đức did 0 and 1, Anh did only 0, Dũng asked for help.
 */
const NAMES = ['Đức', 'Dũng', 'Ăn', 'Anh', 'Bảo'];
const IDS = ['lrn-duc', 'lrn-dung', 'lrn-aan', 'lrn-anh', 'lrn-bao'];
const base: SessionEvent[] = [
  started,
  joined('lrn-duc', 'Đức', '2', 1),
  joined('lrn-dung', 'Dũng', '2', 2),
  joined('lrn-aan', 'Ăn', '10', 3),
  joined('lrn-anh', 'Anh', '2', 4),
  joined('lrn-bao', 'Bảo', '1', 5),
  pushed(0, 10),
  markedDone('lrn-anh', 0, 11),
  pushed(1, 20),
  markedDone('lrn-duc', 1, 21),
  markedDone('lrn-duc', 0, 22), // a late tap for step 0
  { type: 'help:requested', at: at(23), learnerId: 'lrn-dung', requestId: 'req-dung', step: 1, reason: null },
  left('lrn-bao', 24),
];

const build = (...more: SessionEvent[]): SessionState => fold([...base, ...more]);
const learnerOf = (state: SessionState, id: string) => {
  const found = state.learners.get(id);
  if (!found) throw new Error(`no learner ${id}`);
  return found;
};

const presences: Record<string, Presence> = {
  'lrn-duc': { connected: true, lastSeen: at(30) },
  'lrn-dung': { connected: false, lastSeen: at(31) },
  // lrn-aan: never seen by the realtime layer
  'lrn-anh': { connected: true, lastSeen: at(32) },
  'lrn-bao': { connected: true, lastSeen: at(33) }, // left, yet still connected: must not count
};
const presenceOf: PresenceOf = (id) => presences[id];

// ---- tests ----

describe('classView', () => {
  it('shows no step before the first push', () => {
    const state = fold([started, joined('lrn-duc', 'Đức', '2', 1)]);
    expect(classView(state, steps)).toEqual({
      seq: 2,
      stream: 0,
      sessionId: 'ses-0000001',
      lessonTitle: 'Quét mã QR',
      stepCount: 4,
      current: null,
      pacing: { mode: 'instructor' },
      steps: [],
      status: 'open',
      quiz: null,
      task: null,
    });
  });

  it('shows only the current step while the instructor leads', () => {
    const view = classView(build(), steps);
    expect(view.current).toBe(1);
    expect(view.steps).toEqual([steps[1]]);
    expect(view.seq).toBe(base.length);
  });

  it('shows exactly the self-paced range', () => {
    const view = classView(build(selfPaced(1, 2, 40), moved('lrn-duc', 2, 41)), steps);
    expect(view.pacing).toEqual({ mode: 'self', from: 1, to: 2 });
    expect(view.steps.map((s) => s.id)).toEqual(['huong-camera', 'cham-lien-ket']);
    expect(view.current).toBe(1);
  });

  it('shows no step once the session ended', () => {
    const view = classView(build(endedEv(40)), steps);
    expect(view.status).toBe('ended');
    expect(view.steps).toEqual([]);
    const selfView = classView(build(selfPaced(0, 3, 40), endedEv(41)), steps);
    expect(selfView.steps).toEqual([]);
  });

  it('never mentions a learner', () => {
    const json = JSON.stringify(classView(build(selfPaced(0, 3, 40)), steps));
    for (const name of NAMES) expect(json).not.toContain(name);
    for (const id of IDS) expect(json).not.toContain(id);
    expect(json).not.toContain('hash-of-');
  });

  it("does not change with a learner's own progress (only seq moves)", () => {
    const before = classView(build(), steps);
    const after = classView(
      build(markedDone('lrn-aan', 1, 40), {
        type: 'help:requested',
        at: at(41),
        learnerId: 'lrn-aan',
        requestId: 'req-aan',
        step: 1,
        reason: null,
      }),
      steps,
    );
    expect(after.seq).toBe(before.seq + 2);
    expect({ ...after, seq: 0 }).toEqual({ ...before, seq: 0 });
  });
});

describe('meView', () => {
  it("has exactly that learner's data, done steps sorted", () => {
    const state = build();
    expect(meView(state, learnerOf(state, 'lrn-duc'))).toEqual({
      seq: base.length,
      stream: 0,
      learnerId: 'lrn-duc',
      name: 'Đức',
      seat: '2',
      step: 1,
      done: [0, 1], // marked 1 then 0
      help: false,
      helpRequest: null,
      helpResolved: null,
      answer: null,
      task: null,
    });
    expect(meView(state, learnerOf(state, 'lrn-dung'))).toEqual({
      seq: base.length,
      stream: 0,
      learnerId: 'lrn-dung',
      name: 'Dũng',
      seat: '2',
      step: 1,
      done: [],
      help: true,
      helpRequest: { status: 'waiting', position: 1, helperName: null, reason: null },
      helpResolved: null,
      answer: null,
      task: null,
    });
  });

  it('mentions no other learner', () => {
    const state = build();
    const json = JSON.stringify(meView(state, learnerOf(state, 'lrn-anh')));
    expect(json).toContain('Anh');
    for (const name of NAMES.filter((n) => n !== 'Anh')) expect(json).not.toContain(name);
    for (const id of IDS.filter((i) => i !== 'lrn-anh')) expect(json).not.toContain(id);
  });

  it('has step null before the first push, and the own step while self-paced', () => {
    const early = fold([started, joined('lrn-duc', 'Đức', '2', 1)]);
    expect(meView(early, learnerOf(early, 'lrn-duc')).step).toBeNull();

    const state = build(selfPaced(1, 3, 40), moved('lrn-duc', 3, 41));
    expect(meView(state, learnerOf(state, 'lrn-duc')).step).toBe(3);
    expect(meView(state, learnerOf(state, 'lrn-anh')).step).toBe(1);
  });

  it('reflects an unmarked step', () => {
    const state = build(markedDone('lrn-duc', 0, 40, false));
    expect(meView(state, learnerOf(state, 'lrn-duc')).done).toEqual([1]);
  });
});

describe('staffView', () => {
  it('lists the class sorted by seat (numerically) then name (Vietnamese order), without left learners', () => {
    const view = staffView(build(), steps, presenceOf, JOIN_URL);
    expect(view.roster.map((r) => [r.seat, r.name])).toEqual([
      ['2', 'Anh'],
      ['2', 'Dũng'],
      ['2', 'Đức'],
      ['10', 'Ăn'],
    ]);
  });

  it('sorts a pair by the name that joined, not by its last partner', () => {
    const pair: SessionEvent = { ...joined('lrn-pair', 'Bảo', '2', 5), partners: ['Yến'] } as SessionEvent;
    const view = staffView(build(pair), steps, presenceOf, JOIN_URL);
    expect(view.roster.filter((r) => r.seat === '2').map((r) => r.name)).toEqual(['Anh', 'Bảo & Yến', 'Dũng', 'Đức']);
  });

  it('gives each roster entry its step, done, help and presence', () => {
    const view = staffView(build(), steps, presenceOf, JOIN_URL);
    expect(view.roster).toMatchObject([
      {
        id: 'lrn-anh',
        name: 'Anh',
        seat: '2',
        step: 1,
        done: false, // did step 0, not the current one
        doneCount: 1,
        helpSince: null,
        connected: true,
        lastSeen: at(32),
      },
      {
        id: 'lrn-dung',
        name: 'Dũng',
        seat: '2',
        step: 1,
        done: false,
        doneCount: 0,
        helpSince: at(23),
        connected: false,
        lastSeen: at(31),
      },
      {
        id: 'lrn-duc',
        name: 'Đức',
        seat: '2',
        step: 1,
        done: true,
        doneCount: 2,
        helpSince: null,
        connected: true,
        lastSeen: at(30),
      },
      {
        id: 'lrn-aan',
        name: 'Ăn',
        seat: '10',
        step: 1,
        done: false,
        doneCount: 0,
        helpSince: null,
        connected: false, // no presence yet
        lastSeen: at(3), // falls back to the join time
      },
    ]);
  });

  it('counts total, done, help, connected and disconnected, ignoring left learners', () => {
    const view = staffView(build(), steps, presenceOf, JOIN_URL);
    expect(view.counts).toEqual({ total: 4, done: 1, help: 1, stuck: 0, connected: 2, disconnected: 2 });
  });

  it('counts follow events and presence', () => {
    const state = build(markedDone('lrn-aan', 1, 40), left('lrn-dung', 41));
    const allOffline: PresenceOf = () => ({ connected: false, lastSeen: at(50) });
    expect(staffView(state, steps, allOffline, JOIN_URL).counts).toEqual({
      total: 3,
      done: 2,
      help: 0, // the one asking for help left
      stuck: 0,
      connected: 0,
      disconnected: 3,
    });
  });

  it("counts done on each learner's own step while self-paced", () => {
    // Range 0..3, current stays 1: Anh goes back to 0 (done there), Đức moves on to 2 (not done there).
    const state = build(selfPaced(0, 3, 40), moved('lrn-anh', 0, 41), moved('lrn-duc', 2, 42));
    const view = staffView(state, steps, presenceOf, JOIN_URL);
    expect(view.roster.map((r) => [r.name, r.step, r.done])).toEqual([
      ['Anh', 0, true],
      ['Dũng', 1, false],
      ['Đức', 2, false],
      ['Ăn', 1, false],
    ]);
    expect(view.counts.done).toBe(1);
  });

  it('carries the session header, outline and current step preview', () => {
    const view = staffView(build(), steps, presenceOf, JOIN_URL);
    const {
      roster: _roster,
      counts: _counts,
      helpQueue: _queue,
      pace: _pace,
      stuckConfig: _config,
      seatMap: _map,
      seatLayout: _layout,
      now: _now,
      ...header
    } = view;
    expect(header).toEqual({
      seq: base.length,
      sessionId: 'ses-0000001',
      code: '123456',
      helperCode: '654321',
      joinUrl: JOIN_URL,
      lessonTitle: 'Quét mã QR',
      outline: [
        { index: 0, id: 'mo-camera', title: 'Mở camera' },
        { index: 1, id: 'huong-camera', title: 'Hướng camera vào mã' },
        { index: 2, id: 'cham-lien-ket', title: 'Chạm vào liên kết' },
        { index: 3, id: 'kiem-tra', title: 'Kiểm tra' },
      ],
      current: 1,
      pacing: { mode: 'instructor' },
      status: 'open',
      startedAt: T0,
      endedAt: null,
      step: steps[1],
      quiz: null,
      stepQuestions: [],
      runs: [],
      task: null,
      stepTasks: [],
    });
  });

  it('has no step preview before the first push, and records the end', () => {
    const early = fold([started]);
    const view = staffView(early, steps, presenceOf, JOIN_URL);
    expect(view.step).toBeNull();
    expect(view.roster).toMatchObject([]);
    expect(view.counts).toEqual({ total: 0, done: 0, help: 0, stuck: 0, connected: 0, disconnected: 0 });

    const over = staffView(build(endedEv(60)), steps, presenceOf, JOIN_URL);
    expect(over.status).toBe('ended');
    expect(over.endedAt).toBe(at(60));
  });
});

describe('displayView', () => {
  it('shows code, step and counts of joined and done learners', () => {
    expect(displayView(build(), steps, JOIN_URL)).toEqual({
      seq: base.length,
      code: '123456',
      joinUrl: JOIN_URL,
      lessonTitle: 'Quét mã QR',
      status: 'open',
      current: 1,
      stepCount: 4,
      step: steps[1],
      joined: 4, // Bảo left
      done: 1, // only Đức is done with step 1
      quiz: null,
      task: null,
    });
  });

  it('contains no learner name or id', () => {
    const json = JSON.stringify(displayView(build(), steps, JOIN_URL));
    for (const name of NAMES) expect(json).not.toContain(name);
    for (const id of IDS) expect(json).not.toContain(id);
    expect(json).not.toContain('hash-of-');
  });

  it('counts follow done marks and leaving', () => {
    expect(displayView(build(markedDone('lrn-aan', 1, 40)), steps, JOIN_URL)).toMatchObject({ joined: 4, done: 2 });
    expect(displayView(build(left('lrn-duc', 40)), steps, JOIN_URL)).toMatchObject({ joined: 3, done: 0 });
    expect(displayView(build(markedDone('lrn-duc', 1, 40, false)), steps, JOIN_URL)).toMatchObject({ done: 0 });
  });

  it("counts done on each learner's own step while self-paced", () => {
    const state = build(selfPaced(0, 3, 40), moved('lrn-anh', 0, 41), moved('lrn-duc', 2, 42));
    expect(displayView(state, steps, JOIN_URL)).toMatchObject({ joined: 4, done: 1 });
  });

  it('shows no step before the first push or after the end', () => {
    const early = fold([started, joined('lrn-duc', 'Đức', '2', 1)]);
    expect(displayView(early, steps, JOIN_URL)).toMatchObject({ step: null, current: null, joined: 1, done: 0 });
    expect(displayView(build(endedEv(40)), steps, JOIN_URL)).toMatchObject({ status: 'ended', step: null });
  });
});
