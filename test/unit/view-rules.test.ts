import { describe, it, expect } from 'vitest';
import { effectiveStep } from '../../shared/lesson/pacing.ts';
import type { Pacing } from '../../shared/protocol/commands.ts';
import type { AnswerResult, RosterEntry, TileState } from '../../shared/protocol/views.ts';
import { answerResult } from '../../server/engine/scoring.ts';
import { seatLayout, tileState } from '../../server/engine/seatmap.ts';
import type { Actor } from '../../server/engine/state.ts';
import { Classroom, MINUTE } from '../support/classroom.ts';
import { lessonOf, qrScanSteps } from '../support/lessons.ts';

// Rules the clients used to work out themselves, now computed by the engine into the views.

describe('effectiveStep: the step a tablet shows', () => {
  const self = (from: number, to: number): Pacing => ({ mode: 'self', from, to });
  it.each<{ pacing: Pacing; current: number | null; own: number | null | undefined; step: number | null }>([
    { pacing: { mode: 'instructor' }, current: null, own: undefined, step: null },
    { pacing: { mode: 'instructor' }, current: 2, own: 5, step: 2 },
    { pacing: self(1, 3), current: 1, own: 2, step: 2 },
    { pacing: self(1, 3), current: 1, own: null, step: 1 },
    { pacing: self(1, 3), current: null, own: null, step: 1 },
    { pacing: self(1, 3), current: 0, own: undefined, step: 1 },
    { pacing: self(1, 3), current: 2, own: 7, step: 3 },
    { pacing: self(1, 3), current: 2, own: 0, step: 1 },
  ])('$pacing.mode $pacing.from–$pacing.to, pushed $current, own $own → $step', ({ pacing, current, own, step }) => {
    expect(effectiveStep(pacing, current, own)).toBe(step);
  });
});

describe('answerResult: right, partial, wrong', () => {
  it.each<{ score: number | null; result: AnswerResult | null }>([
    { score: null, result: null },
    { score: 0, result: 'wrong' },
    { score: 0.01, result: 'partial' },
    { score: 2 / 3, result: 'partial' },
    { score: 0.999, result: 'partial' },
    { score: 1, result: 'right' },
  ])('$score → $result', ({ score, result }) => {
    expect(answerResult(score)).toBe(result);
  });
});

describe('tileState: the most urgent first', () => {
  const base = { helpStatus: null, connected: true, stuck: null, done: false, step: 0 } as const;
  it.each<{ name: string; over: Partial<RosterEntry>; tile: TileState }>([
    { name: 'asking for help, offline and stuck', over: { helpStatus: 'waiting', connected: false, stuck: 'slow' }, tile: 'help' },
    { name: 'help claimed', over: { helpStatus: 'claimed' }, tile: 'help' },
    { name: 'offline and stuck', over: { connected: false, stuck: 'slow' }, tile: 'offline' },
    { name: 'stuck and done', over: { stuck: 'wrong_answers', done: true }, tile: 'stuck' },
    { name: 'no step yet', over: { step: null }, tile: 'waiting' },
    { name: 'done', over: { done: true }, tile: 'done' },
    { name: 'working', over: {}, tile: 'working' },
  ])('$name → $tile', ({ over, tile }) => {
    expect(tileState({ ...base, ...over })).toBe(tile);
  });
});

describe('seatLayout: placed tiles stay, the rest fill free places in roster order', () => {
  const at = (row: number, col: number) => ({ row, col });
  it.each<{
    name: string;
    roster: Record<string, { row: number; col: number } | null>;
    grid: [number, number];
    cells: (string | null)[];
    overflow: string[];
  }>([
    { name: 'nobody placed', roster: { a: null, b: null }, grid: [1, 3], cells: ['a', 'b', null], overflow: [] },
    { name: 'one placed at the end', roster: { a: null, b: at(0, 0) }, grid: [1, 3], cells: ['b', 'a', null], overflow: [] },
    {
      name: 'two on one place: the first keeps it',
      roster: { a: at(0, 1), b: at(0, 1) },
      grid: [1, 3],
      cells: ['b', 'a', null],
      overflow: [],
    },
    { name: 'a place outside a smaller grid', roster: { a: at(3, 3), b: null }, grid: [1, 2], cells: ['a', 'b'], overflow: [] },
    { name: 'more learners than places', roster: { a: null, b: at(0, 0), c: null }, grid: [1, 2], cells: ['b', 'a'], overflow: ['c'] },
  ])('$name', ({ roster, grid, cells, overflow }) => {
    const entries = Object.entries(roster).map(([id, place]) => ({ id, place }));
    expect(seatLayout(entries, { rows: grid[0], cols: grid[1] })).toEqual({ cells, overflow });
  });
});

describe('the staff view ranks the roster and marks the stuck list', () => {
  const lesson = lessonOf([{ ...qrScanSteps[0], expectedMinutes: 2 }], { id: 'quet-ma-qr', title: 'Quét mã QR' });
  const instructor: Actor = { role: 'instructor', userId: 'u-co-lan', name: 'Cô Lan' };
  const learner = (learnerId: string): Actor => ({ role: 'learner', learnerId });

  function classroom(): Classroom {
    const c = new Classroom({ lesson, presence: (room) => () => ({ connected: true, lastSeen: room.now }) });
    for (const [id, name, seat] of [
      ['a', 'Lan', '3'],
      ['b', 'Hùng', '1'],
      ['c', 'Mai', '2'],
      ['d', 'An', '2'],
    ]) {
      c.run({ role: 'guest' }, { type: 'learner:join', learnerId: id, name, seat, tokenHash: `h-${id}` });
    }
    c.run(instructor, { type: 'step:push', step: 0 });
    return c;
  }

  it('help first (longest waiting on top), then seat, then name; the roster itself stays by seat and name', () => {
    const c = classroom();
    c.run(learner('a'), { type: 'learner:help', active: true, requestId: 'req-a' });
    c.run(learner('c'), { type: 'learner:help', active: true, requestId: 'req-c' });
    const view = c.staff();
    expect(view.roster.map((r) => r.id)).toEqual(['b', 'd', 'c', 'a']);
    const byRank = [...view.roster].sort((x, y) => x.rank - y.rank).map((r) => r.id);
    expect(byRank).toEqual(['a', 'c', 'b', 'd']);
    expect(view.roster.map((r) => r.rank).sort()).toEqual([0, 1, 2, 3]);
  });

  it('the stuck list: flagged and not asking for help; tiles say the same', () => {
    const c = classroom();
    c.run(learner('a'), { type: 'learner:help', active: true, requestId: 'req-a' });
    const view = c.staff(c.now + 3 * MINUTE);
    expect(Object.fromEntries(view.roster.map((r) => [r.id, [r.stuck, r.onStuckList, r.tile]]))).toEqual({
      a: ['slow', false, 'help'],
      b: ['slow', true, 'stuck'],
      c: ['slow', true, 'stuck'],
      d: ['slow', true, 'stuck'],
    });
    expect(c.staff().roster.every((r) => !r.onStuckList && r.stuck === null)).toBe(true);
  });

  it('the layout follows the roster and the places set by hand', () => {
    const c = classroom();
    c.run(instructor, { type: 'seatmap:set', rows: 2, cols: 2 });
    c.run(instructor, { type: 'seat:place', learnerId: 'a', row: 0, col: 0 });
    expect(c.staff().seatLayout).toEqual({ cells: ['a', 'b', 'd', 'c'], overflow: [] });
  });
});
