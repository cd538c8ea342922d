import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Lesson } from '../../shared/lesson/schema.ts';
import { fold } from '../../server/engine/engine.ts';
import type { SessionEvent } from '../../server/engine/events.ts';
import {
  evidenceFrom,
  monthOf,
  personSkills,
  progressFigures,
  sessionEvidence,
  standardReached,
  starterSkills,
  teachingLessons,
  type Shown,
} from '../../server/engine/skills.ts';
import { festivalClass } from '../../server/engine/festival.ts';

const lessonsDir = resolve(import.meta.dirname, '../../lessons');
const load = (id: string) => Lesson.parse(JSON.parse(readFileSync(resolve(lessonsDir, `${id}.json`), 'utf8')));
const qr = load('thanh-toan-qr');
const T0 = Date.UTC(2026, 10, 2, 2, 0);

const started: SessionEvent = {
  type: 'session:started',
  at: T0,
  sessionId: 'sess0001',
  code: '123456',
  helperCode: 'ABCDEF',
  instructorId: 'u1',
  lesson: qr,
};
const join = (learnerId: string, partners: string[] = []): SessionEvent => ({
  type: 'learner:joined',
  at: T0 + 1,
  learnerId,
  name: learnerId,
  seat: '',
  tokenHash: `h-${learnerId}`,
  ...(partners.length ? { partners } : {}),
});
const opened = (runId: string, step: number | null, kind: 'from-step' | 'poll' = 'from-step'): SessionEvent => {
  const question =
    step === null
      ? qr.steps[0].questions[1]
      : kind === 'poll'
        ? qr.steps[0].questions[0]
        : qr.steps[step].questions.find((q) => q.kind !== 'poll')!;
  return {
    type: 'quiz:opened',
    at: T0 + 10,
    runId,
    question,
    source: step === null ? null : { step, questionId: question.id },
    deadline: null,
  };
};
const answered = (
  runId: string,
  learnerId: string,
  score: number | null,
  at: number,
  answerId = `${runId}-${learnerId}-${at}`,
): SessionEvent => ({
  type: 'quiz:answered',
  at,
  runId,
  learnerId,
  answerId,
  value: { kind: 'truefalse', value: true },
  score,
});

describe('skill demonstrated (table)', () => {
  // step 0 "ma-qr-la-gi": [thanh-toan-qr]; step 7 "khong-chia-se-otp": [an-toan-thong-tin, phong-chong-lua-dao]
  const cases: { name: string; events: SessionEvent[]; expected: [string, string, number][] }[] = [
    {
      name: 'a right answer to a tagged step question shows each of its skills',
      events: [join('a'), opened('r1', 7), answered('r1', 'a', 1, T0 + 20)],
      expected: [
        ['a', 'an-toan-thong-tin', T0 + 20],
        ['a', 'phong-chong-lua-dao', T0 + 20],
      ],
    },
    { name: 'a wrong answer shows nothing', events: [join('a'), opened('r1', 0), answered('r1', 'a', 0, T0 + 20)], expected: [] },
    { name: 'partial credit is not enough', events: [join('a'), opened('r1', 0), answered('r1', 'a', 0.5, T0 + 20)], expected: [] },
    { name: 'a poll has no right answer', events: [join('a'), opened('r1', 0, 'poll'), answered('r1', 'a', null, T0 + 20)], expected: [] },
    {
      name: 'a quick question typed in class tags no skill',
      events: [join('a'), opened('r1', null), answered('r1', 'a', 1, T0 + 20)],
      expected: [],
    },
    {
      name: 'the latest answer counts: wrong, then right',
      events: [join('a'), opened('r1', 0), answered('r1', 'a', 0, T0 + 20), answered('r1', 'a', 1, T0 + 30)],
      expected: [['a', 'thanh-toan-qr', T0 + 30]],
    },
    {
      name: 'the latest answer counts: right, then wrong',
      events: [join('a'), opened('r1', 0), answered('r1', 'a', 1, T0 + 20), answered('r1', 'a', 0, T0 + 30)],
      expected: [],
    },
    {
      name: 'pair mode credits each person on the tablet',
      events: [join('a', ['b', 'c']), opened('r1', 0), answered('r1', 'a', 1, T0 + 20)],
      expected: [
        ['a', 'thanh-toan-qr', T0 + 20],
        ['a.1', 'thanh-toan-qr', T0 + 20],
        ['a.2', 'thanh-toan-qr', T0 + 20],
      ],
    },
    {
      name: 'two runs: the first time counts',
      events: [
        join('a'),
        opened('r1', 0),
        answered('r1', 'a', 1, T0 + 20),
        { type: 'quiz:closed', at: T0 + 21, runId: 'r1' },
        opened('r2', 0),
        answered('r2', 'a', 1, T0 + 40),
      ],
      expected: [['a', 'thanh-toan-qr', T0 + 20]],
    },
    {
      name: 'others in the class are not credited',
      events: [join('a'), join('b'), opened('r1', 0), answered('r1', 'b', 1, T0 + 20)],
      expected: [['b', 'thanh-toan-qr', T0 + 20]],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const state = fold([started, ...c.events]);
      expect(sessionEvidence(state).map((e) => [e.rowId, e.skill, e.at])).toEqual(c.expected);
    });
  }

  it('practice tasks enter through the same rule (extension point): a finished task credits its step', () => {
    const state = fold([started, join('a')]);
    expect(evidenceFrom(state, [{ learnerId: 'a', step: 0, at: T0 + 5 }]).map((e) => [e.rowId, e.skill])).toEqual([['a', 'thanh-toan-qr']]);
    expect(evidenceFrom(state, [{ learnerId: 'nobody', step: 0, at: T0 + 5 }])).toEqual([]);
  });

  it("a finished practice task shows the task's own skills, once, at its first finish; a trap shows nothing", () => {
    // Step 4 "xac-nhan-ma-pin-otp" is tagged [thanh-toan-qr, an-toan-thong-tin]; its task "tra-tien-qr" names [thanh-toan-qr].
    const task = qr.steps[4].tasks.find((t) => t.id === 'tra-tien-qr')!;
    const move = (
      learnerId: string,
      at: number,
      outcome: { kind: 'goal' } | { kind: 'trap'; trap: string } | { kind: 'retry' },
    ): SessionEvent => ({
      type: 'task:moved',
      at,
      runId: 't1',
      learnerId,
      moveId: `${learnerId}-${at}`,
      from: task.start,
      element: null,
      matched: null,
      outcome,
    });
    const state = fold([
      started,
      join('a'),
      join('b'),
      { type: 'task:opened', at: T0 + 10, runId: 't1', task, source: { step: 4, taskId: task.id } },
      move('a', T0 + 50, { kind: 'goal' }),
      move('a', T0 + 60, { kind: 'retry' }),
      move('a', T0 + 90, { kind: 'goal' }),
      move('b', T0 + 55, { kind: 'trap', trap: task.traps[0].id }),
    ]);
    expect(sessionEvidence(state).map((e) => [e.rowId, e.skill, e.at])).toEqual([['a', 'thanh-toan-qr', T0 + 50]]);
  });
});

describe('standard reached (table)', () => {
  const shown = (entries: [string, number][]) => new Map<string, Shown>(entries.map(([s, at]) => [s, { at, sessionId: 'x' }]));
  const cases: { required: string[]; shown: [string, number][]; expected: { reached: boolean; at: number | null } }[] = [
    {
      required: ['a', 'b'],
      shown: [
        ['a', 5],
        ['b', 9],
      ],
      expected: { reached: true, at: 9 },
    },
    { required: ['a', 'b'], shown: [['a', 5]], expected: { reached: false, at: null } },
    {
      required: ['a'],
      shown: [
        ['a', 5],
        ['z', 99],
      ],
      expected: { reached: true, at: 5 },
    },
    { required: [], shown: [['a', 5]], expected: { reached: false, at: null } },
  ];
  for (const c of cases) {
    it(`${c.required.join('+') || 'nothing required'} with ${c.shown.map(([s]) => s).join(',')}`, () => {
      expect(standardReached(c.required, shown(c.shown))).toEqual(c.expected);
    });
  }

  it('skills add up across sessions, the first showing kept', () => {
    const s = personSkills([
      {
        sessionId: 's2',
        evidence: [
          { rowId: 'x', skill: 'a', at: 50 },
          { rowId: 'x', skill: 'b', at: 60 },
        ],
      },
      { sessionId: 's1', evidence: [{ rowId: 'y', skill: 'a', at: 10 }] },
    ]);
    expect([...s]).toEqual([
      ['a', { at: 10, sessionId: 's1' }],
      ['b', { at: 60, sessionId: 's2' }],
    ]);
  });

  it('the starter curriculum teaches every starter skill with practice, each named and in a framework domain', () => {
    const lessons = readFileSync(resolve(lessonsDir, 'curriculum.txt'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map(load);
    const taught = teachingLessons(lessons);
    expect([...taught.keys()].sort()).toEqual(Object.keys(starterSkills).sort());
    expect(taught.get('vneid')?.id).toBe('cai-dat-vneid');
    for (const def of Object.values(starterSkills)) expect(def.name).toMatch(/\p{Ll}/u);
  });
});

describe('figures (table)', () => {
  const month = (y: number, m: number, d = 15) => Date.UTC(y, m - 1, d);
  const people = [
    { id: 'p1', hamlet: 'Thôn Đông', group: 'nong-dan' as const },
    { id: 'p2', hamlet: 'Thôn Đông', group: 'hoc-sinh' as const },
    { id: 'p3', hamlet: 'Thôn Tây', group: 'nong-dan' as const },
    { id: 'p4', hamlet: 'Thôn Tây', group: 'can-bo' as const },
  ];
  const skills = new Map<string, Map<string, Shown>>([
    [
      'p1',
      new Map([
        ['a', { at: month(2026, 9), sessionId: 's' }],
        ['b', { at: month(2026, 11), sessionId: 's' }],
      ]),
    ],
    [
      'p2',
      new Map([
        ['a', { at: month(2026, 9), sessionId: 's' }],
        ['b', { at: month(2026, 9), sessionId: 's' }],
      ]),
    ],
    ['p3', new Map([['a', { at: month(2026, 10), sessionId: 's' }]])],
  ]);
  const figures = progressFigures({
    people,
    attended: new Set(['p1', 'p2', 'p3']),
    skills,
    required: ['a', 'b'],
    skillIds: ['a', 'b', 'c'],
    targetPct: 80,
    populations: { 'Thôn Đông': 2, 'Thôn Tây': 10, 'Thôn Bắc': 5 },
    at: 1,
  });

  it('per hamlet: adults reached over the adults living there (pupils not counted), against the target', () => {
    expect(figures.hamlets.map((h) => [h.key, h.registered, h.attended, h.reached, h.population, h.sharePct, h.met])).toEqual([
      ['Thôn Bắc', 0, 0, 0, 5, 0, false],
      ['Thôn Đông', 2, 2, 2, 2, 50, false],
      ['Thôn Tây', 2, 1, 0, 10, 0, false],
    ]);
  });
  it('per group: pupils are held to 100%', () => {
    const g = Object.fromEntries(figures.groups.map((r) => [r.key, [r.registered, r.reached, r.sharePct, r.targetPct, r.met]]));
    expect(g).toEqual({ 'nong-dan': [2, 1, 50, 80, false], 'hoc-sinh': [1, 1, 100, 100, true], 'can-bo': [1, 0, 0, 80, false] });
  });
  it('per skill and per month (empty months shown)', () => {
    expect(figures.skills.map((s) => [s.id, s.demonstrated, s.sharePct, s.required])).toEqual([
      ['a', 3, 75, true],
      ['b', 2, 50, true],
      ['c', 0, 0, false],
    ]);
    expect(figures.months).toEqual([
      { month: '2026-09', reached: 1, cumulative: 1 },
      { month: '2026-10', reached: 0, cumulative: 1 },
      { month: '2026-11', reached: 1, cumulative: 2 },
    ]);
    expect(figures.totals).toEqual({ registered: 4, attended: 3, reached: 2 });
  });
  it('months are Vietnam months (UTC+7)', () => {
    expect(monthOf(Date.UTC(2026, 0, 31, 17, 30))).toBe('2026-02');
    expect(monthOf(Date.UTC(2026, 0, 31, 16, 30))).toBe('2026-01');
  });
});

describe('festival board', () => {
  it('aggregates only: joined, % done with the current step, help waiting, the question running; no names', () => {
    const state = fold([
      started,
      join('Lành'),
      join('Hoà', ['Tín']),
      { type: 'step:pushed', at: T0 + 2, step: 1 },
      { type: 'learner:marked-done', at: T0 + 3, learnerId: 'Lành', step: 1, done: true },
      { type: 'help:requested', at: T0 + 4, learnerId: 'Hoà', requestId: 'req1', step: 1, reason: null },
      opened('r1', 0),
      answered('r1', 'Lành', 1, T0 + 20),
    ]);
    const board = festivalClass(state);
    expect(board).toMatchObject({
      joined: 3,
      step: 1,
      donePct: 50,
      helpWaiting: 1,
      oldestHelpSince: T0 + 4,
      activity: { kind: 'question', answered: 1 },
    });
    expect(JSON.stringify(board)).not.toMatch(/Lành|Hoà|Tín/);
  });
});
