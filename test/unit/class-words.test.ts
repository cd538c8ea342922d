import { describe, expect, it } from 'vitest';
import * as en from '../../client/lib/i18n/en.ts';
import * as vi from '../../client/lib/i18n/vi.ts';
import { textLabels, textSizes } from '../../client/lib/text-sizes.ts';
import { tileState } from '../../server/engine/seatmap.ts';
import { type Command } from '../../server/engine/engine.ts';
import { stuckReason } from '../../server/engine/stuck.ts';
import { sessionResults } from '../../server/engine/results.ts';
import type { Actor } from '../../server/engine/state.ts';
import { displayView, staffView } from '../../server/engine/views.ts';
import { tabletUrls } from '../../server/lib/addresses.ts';
import { exportResults, questionsCsv } from '../../server/lib/csv.ts';
import { renderSteps } from '../../server/rooms/markdown.ts';
import type { RosterEntry } from '../../shared/protocol/views.ts';
import { Classroom } from '../support/classroom.ts';
import { lessonOf } from '../support/lessons.ts';

// What a whole class showed (issue 20): one way of counting everywhere, and the words that misled.
const lesson = lessonOf(
  [
    { id: 'mot', title: 'Một', body: 'Bước một.' },
    {
      id: 'hai',
      title: 'Hai',
      body: 'Bước hai.',
      questions: [{ id: 'dung-sai', kind: 'truefalse', prompt: 'Mã QR có thể bị dán đè?', correct: true }],
    },
  ],
  { id: 'dem', title: 'Đếm người' },
);
const steps = renderSteps(lesson);
const instructor: Actor = { role: 'instructor', userId: 'u-co-lan', name: 'Cô Lan' };
const guest: Actor = { role: 'guest' };
const as = (learnerId: string): Actor => ({ role: 'learner', learnerId });
const join = (learnerId: string, name: string, partners: string[] = []): Command => ({
  type: 'learner:join',
  learnerId,
  name,
  seat: '',
  tokenHash: `hash-${learnerId}`,
  ...(partners.length ? { partners } : {}),
});

/** A class of this file's lesson (test/support/classroom.ts). */
const newClassroom = (): Classroom => new Classroom({ lesson, sessionId: 'ses-dem', steps });

/** The walkthrough's class: a grandmother and her grandson on one tablet, two learners alone. */
const pairClass = (): Classroom =>
  newClassroom()
    .with(guest, join('pair', 'Bà Lành', ['Cháu Minh']))
    .with(guest, join('hoa', 'Hoà'))
    .with(guest, join('tu', 'Bác Tư'))
    .with(instructor, { type: 'step:push', step: 1 })
    .with(instructor, { type: 'quiz:open', runId: 'run-00001', source: { step: 1, questionId: 'dung-sai' }, timeLimit: null })
    .with(as('pair'), { type: 'quiz:answer', runId: 'run-00001', answerId: 'ans-pair-01', value: { kind: 'truefalse', value: true } })
    .with(as('hoa'), { type: 'quiz:answer', runId: 'run-00001', answerId: 'ans-hoa-001', value: { kind: 'truefalse', value: false } })
    .with(as('tu'), { type: 'quiz:answer', runId: 'run-00001', answerId: 'ans-tu-0001', value: { kind: 'truefalse', value: false } })
    .with(as('pair'), { type: 'learner:done', step: 1, done: true });

describe('pair mode counts people, everywhere', () => {
  it('console, projector and results agree: 4 people, 4 answered, 2 right (50%), 2 chose "Sai"', () => {
    const c = pairClass();
    const staff = staffView(c.state, steps, () => undefined, '', c.now);
    const display = displayView(c.state, steps, '');
    const results = sessionResults(c.state);

    expect(staff.counts).toMatchObject({ total: 4, done: 2 });
    expect(staff.pace).toMatchObject({ done: 2, total: 4 });
    expect(staff.quiz).toMatchObject({ answered: 4, total: 4, correct: 2 });
    expect(staff.quiz!.histogram.map((b) => [b.key, b.count])).toEqual([
      ['true', 2],
      ['false', 2],
    ]);
    expect(staff.runs[0].answered).toBe(4);
    // The tablet is one line in the roster and one name in "who is missing": a pair, not two people.
    expect(staff.roster.map((r) => r.name).sort()).toEqual(['Bà Lành & Cháu Minh', 'Bác Tư', 'Hoà'].sort());

    expect(display).toMatchObject({ joined: 4, done: 2 });
    expect(display.quiz).toMatchObject({ answered: 4, total: 4 });

    expect(results.participation.learners).toBe(4);
    expect(results.questions[0]).toMatchObject({ answered: 4, total: 4, correctPct: 50, mostChosenWrong: { label: 'false', count: 2 } });
  });

  it('a pair that leaves takes both people out of the live counts', () => {
    const c = pairClass();
    c.run(as('pair'), { type: 'learner:leave' });
    const staff = staffView(c.state, steps, () => undefined, '', c.now);
    expect(staff.counts.total).toBe(2);
    expect(staff.quiz).toMatchObject({ answered: 2, total: 2, correct: 0 });
    expect(displayView(c.state, steps, '')).toMatchObject({ joined: 2, done: 0 });
  });
});

describe('the words of the class', () => {
  it('the roster says connected learners are "Đã kết nối", not the header\'s "Đang kết nối…" (connecting)', () => {
    expect(vi.teach['roster.online']).toBe('Đã kết nối');
    expect(vi.teach['roster.online']).not.toBe(vi.common['conn.connecting'].replace('…', ''));
    expect(en.teach['roster.online']).toBe('Connected');
  });

  it('the default text size is the plain "A", the larger ones "A+" and "A++": nothing reads "smaller"', () => {
    expect(textSizes.map((s) => textLabels[s])).toEqual(['A', 'A+', 'A++']);
    expect(Object.values(textLabels).some((l) => l.includes('-'))).toBe(false);
  });

  it('seat tiles wait for the first step instead of saying "Đang làm"', () => {
    const c = newClassroom();
    c.run(guest, join('hoa', 'Hoà'));
    const [before] = staffView(c.state, steps, () => ({ connected: true, lastSeen: c.now, rttMs: 20 }), '', c.now).roster;
    expect(tileState(before)).toBe('waiting');
    expect(vi.teach['state.waiting']).toBe('Chờ bước đầu tiên');
    c.run(instructor, { type: 'step:push', step: 0 });
    const [after] = staffView(c.state, steps, () => ({ connected: true, lastSeen: c.now, rttMs: 20 }), '', c.now).roster;
    expect(tileState(after)).toBe('working');
    const tile = (over: Partial<RosterEntry>) =>
      tileState({ helpStatus: null, connected: true, stuck: null, done: false, step: 0, ...over });
    expect([
      tile({ helpStatus: 'waiting' }),
      tile({ connected: false }),
      tile({ stuck: 'slow' }),
      tile({ done: true }),
      tile({ step: null }),
    ]).toEqual(['help', 'offline', 'stuck', 'done', 'waiting']);
  });

  it('with only the class-median rule on, the reason is "behind the class", not "longer than expected"', () => {
    const c = newClassroom();
    for (const id of ['a', 'b', 'c', 'slow']) c.run(guest, join(id, id));
    c.run(instructor, {
      type: 'stuck:configure',
      config: { enabled: true, expectedFactor: 0, medianFactor: 2, minDone: 3, wrongAnswers: 0, taskMisses: 0, paceThreshold: 0.8 },
    });
    c.run(instructor, { type: 'step:push', step: 0 });
    for (const id of ['a', 'b', 'c']) c.run(as(id), { type: 'learner:done', step: 0, done: true });
    const reason = stuckReason(c.state, c.state.learners.get('slow')!, c.now + 60 * 60_000, new Map());
    expect(reason).toBe('behind_class');
    expect(vi.staff['stuck.behind_class']).toBe('Chậm hơn nhiều so với cả lớp');
    expect(vi.staff['stuck.behind_class']).not.toBe(vi.staff['stuck.slow']);
    expect(en.staff['stuck.behind_class']).toMatch(/class/);
  });

  it('the addresses for tablets never include localhost or an internal address', () => {
    const nic = (address: string, internal: boolean, family: 'IPv4' | 'IPv6' = 'IPv4') =>
      ({ address, internal, family, netmask: '', mac: '', cidr: null }) as never;
    const interfaces = {
      lo: [nic('127.0.0.1', true), nic('::1', true, 'IPv6')],
      wlan0: [nic('192.168.1.10', false), nic('fe80::1', false, 'IPv6')],
    };
    expect(tabletUrls(interfaces, 3000)).toEqual(['http://192.168.1.10:3000']);
    expect(tabletUrls(interfaces, 3000, 'http://lop-hoc.local:3000/')).toEqual(['http://lop-hoc.local:3000', 'http://192.168.1.10:3000']);
    expect(tabletUrls({ lo: [nic('127.0.0.1', true)] }, 3000)).toEqual([]);
  });

  it('the JSON download words a true/false answer as the page and the CSV do ("Sai", not "false")', () => {
    const c = pairClass();
    const results = sessionResults(c.state);
    const vi_ = exportResults(results, 'vi');
    expect(vi_.questions[0].mostChosenWrong).toEqual({ label: 'Sai', count: 2 });
    expect(vi_.learners.find((l) => l.name === 'Hoà')!.answers['run-00001'].label).toBe('Sai');
    expect(vi_.learners.find((l) => l.name === 'Bà Lành')!.answers['run-00001'].label).toBe('Đúng');
    expect(exportResults(results, 'en').questions[0].mostChosenWrong!.label).toBe('False');
    expect(questionsCsv(results, 'vi')).toContain('"Sai",2');
    // The page's own data keeps the keys (it words them in its language); the export does not change it.
    expect(results.questions[0].mostChosenWrong!.label).toBe('false');
  });
});

describe('icons are served, not emoji', () => {
  it('no emoji (Extended_Pictographic) in any component or dictionary: a tablet without an emoji font shows empty boxes', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const path = await import('node:path');
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    const root = path.join(import.meta.dirname, '../../client');
    const found = walk(root)
      .filter((f) => /\.(svelte|ts)$/.test(f))
      .flatMap((f) =>
        [...readFileSync(f, 'utf8').matchAll(/\p{Extended_Pictographic}/gu)].map((m) => `${f.slice(root.length + 1)}: ${m[0]}`),
      );
    expect(found).toEqual([]);
  });
});
