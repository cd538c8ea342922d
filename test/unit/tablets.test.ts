import { describe, expect, it } from 'vitest';
import { Lesson } from '../../shared/lesson/schema.ts';
import { LearnerJoin } from '../../shared/protocol/commands.ts';
import { fold, type Command } from '../../server/engine/engine.ts';
import { SessionEvent as SessionEventSchema } from '../../server/engine/events.ts';
import { anonymousResults, sessionResults } from '../../server/engine/results.ts';
import type { Actor } from '../../server/engine/state.ts';
import { meView, staffView } from '../../server/engine/views.ts';
import { lessonImages, renderSteps } from '../../server/rooms/markdown.ts';
import { snapshot } from '../support/state.ts';
import { Classroom } from '../support/classroom.ts';

// Shared tablets: seat labels from the console, pair mode, the lesson's pictures for prefetching.

const lesson = Lesson.parse({
  id: 'tablets',
  formatVersion: 1,
  title: 'Máy tính bảng dùng chung',
  steps: [
    { id: 'mot', title: 'Một', body: 'Bước một.', image: { src: 'mot.svg', alt: 'Hình một' } },
    {
      id: 'hai',
      title: 'Hai',
      body: 'Bước hai.',
      image: { src: 'mot.svg', alt: 'Lại hình một' },
      questions: [
        {
          id: 'q1',
          kind: 'single',
          prompt: 'Chọn một',
          options: [
            { id: 'a', text: 'A', image: { src: 'a.svg', alt: 'A' } },
            { id: 'b', text: 'B' },
          ],
          correct: 'a',
        },
      ],
    },
    { id: 'ba', title: 'Ba', body: 'Bước ba.' },
  ],
});

const instructor: Actor = { role: 'instructor', userId: 'u-co-lan', name: 'Cô Lan' };
const helper: Actor = { role: 'helper', helperId: 'h-minh', name: 'Minh' };
const guest: Actor = { role: 'guest' };
const A: Actor = { role: 'learner', learnerId: 'a' };

/** A class of this file's lesson (test/support/classroom.ts). */
const newClassroom = (): Classroom => new Classroom({ lesson, sessionId: 'ses-tablets' });

const join = (learnerId: string, name: string, partners?: string[], seat = ''): Command => ({
  type: 'learner:join',
  learnerId,
  name,
  seat,
  tokenHash: `hash-${learnerId}`,
  ...(partners ? { partners } : {}),
});
const label = (learnerId: string, seat: string): Command => ({ type: 'seat:label', learnerId, seat });

const twoTablets = (): Classroom =>
  newClassroom()
    .with(guest, join('a', 'Lành', undefined, 'Bàn 1'))
    .with(guest, join('b', 'An', ['Bình']))
    .with(instructor, { type: 'step:push', step: 1 });

describe('seat:label', () => {
  it.each([{ actor: instructor }, { actor: helper }])(
    "$actor.role labels a learner's tablet: the event, the state, the learner's own view",
    ({ actor }) => {
      const c = twoTablets();
      expect(c.run(actor, label('b', 'Bàn 3 – Máy 2'))).toEqual([
        { type: 'seat:labeled', at: c.now, learnerId: 'b', seat: 'Bàn 3 – Máy 2' },
      ]);
      expect(c.state.learners.get('b')!.seat).toBe('Bàn 3 – Máy 2');
      expect(meView(c.state, c.state.learners.get('b')!).seat).toBe('Bàn 3 – Máy 2');
      expect(staffView(c.state, renderSteps(lesson), () => undefined, '').roster.find((r) => r.id === 'b')!.seat).toBe('Bàn 3 – Máy 2');
      // Replaying the log gives the same session.
      expect(snapshot(fold(c.log))).toEqual(snapshot(c.state));
    },
  );

  it('the same label again is a harmless repeat: no event', () => {
    const c = twoTablets();
    expect(c.run(instructor, label('a', 'Bàn 1'))).toEqual([]);
  });

  it.each<{ name: string; actor: Actor; command: Command; error: string; build?: () => Classroom }>([
    { name: 'a learner (even for themself)', actor: A, command: label('a', 'Bàn 9'), error: 'forbidden' },
    { name: 'a learner for another learner', actor: A, command: label('b', 'Bàn 9'), error: 'forbidden' },
    { name: 'a guest', actor: guest, command: label('a', 'Bàn 9'), error: 'forbidden' },
    { name: 'the system', actor: { role: 'system' }, command: label('a', 'Bàn 9'), error: 'forbidden' },
    { name: 'an unknown learner', actor: instructor, command: label('ghost', 'Bàn 9'), error: 'not_found' },
    {
      name: 'a learner who left',
      actor: instructor,
      command: label('a', 'Bàn 9'),
      error: 'not_found',
      build: () => twoTablets().with(A, { type: 'learner:leave' }),
    },
    {
      name: 'after the end',
      actor: instructor,
      command: label('a', 'Bàn 9'),
      error: 'session_ended',
      build: () => twoTablets().with(instructor, { type: 'session:end' }),
    },
  ])('refused for $name, and nothing changes', ({ actor, command, error, build }) => {
    const c = (build ?? twoTablets)();
    const before = snapshot(c.state);
    expect(c.decide(actor, command)).toEqual({ error });
    expect(snapshot(c.state)).toEqual(before);
  });
});

describe('pair mode', () => {
  it('a join with partners keeps them; staff and the learner see "An & Bình"', () => {
    const c = twoTablets();
    const b = c.state.learners.get('b')!;
    expect(c.log.find((e) => e.type === 'learner:joined' && e.learnerId === 'b')).toMatchObject({ name: 'An', partners: ['Bình'] });
    expect(b.partners).toEqual(['Bình']);
    expect(meView(c.state, b).name).toBe('An & Bình');
    const view = staffView(c.state, renderSteps(lesson), () => undefined, '');
    expect(view.roster.map((r) => r.name).sort()).toEqual(['An & Bình', 'Lành']);
  });

  it('a join alone stores no partners field, and old logs without it fold to no partners', () => {
    const c = newClassroom();
    const [event] = c.run(guest, join('a', 'Lành'));
    expect(event).not.toHaveProperty('partners');
    const parsed = SessionEventSchema.parse(JSON.parse(JSON.stringify(event)));
    expect(fold([c.log[0], parsed]).learners.get('a')!.partners).toEqual([]);
  });

  it('more than two partners are refused by the schema and by the engine', () => {
    const payload = { code: '123456', name: 'An', partners: ['Bình', 'Chi', 'Dũng'], token: 'x'.repeat(22) };
    expect(LearnerJoin.safeParse(payload).success).toBe(false);
    expect(LearnerJoin.safeParse({ ...payload, partners: ['Bình', '  Chi  '] }).data?.partners).toEqual(['Bình', 'Chi']);
    expect(LearnerJoin.safeParse({ ...payload, partners: ['Bình', ''] }).success).toBe(false);
    expect(newClassroom().decide(guest, join('z', 'An', ['B', 'C', 'D']))).toEqual({ error: 'bad_request' });
  });

  it("results give each person of a pair a row of their own, crediting the tablet's answers, marked with the partners", () => {
    const c = twoTablets();
    c.run(instructor, { type: 'quiz:open', runId: 'run-00001', source: { step: 1, questionId: 'q1' }, timeLimit: null });
    c.run(
      { role: 'learner', learnerId: 'b' },
      { type: 'quiz:answer', runId: 'run-00001', answerId: 'ans-b-0001', value: { kind: 'single', option: 'a' } },
    );
    c.run(A, { type: 'quiz:answer', runId: 'run-00001', answerId: 'ans-a-0001', value: { kind: 'single', option: 'b' } });
    const results = sessionResults(c.state);
    expect(results.learners.map(({ id, name, partners, answered, correct }) => ({ id, name, partners, answered, correct }))).toEqual([
      { id: 'b', name: 'An', partners: ['Bình'], answered: 1, correct: 1 },
      { id: 'b.1', name: 'Bình', partners: ['An'], answered: 1, correct: 1 },
      { id: 'a', name: 'Lành', partners: [], answered: 1, correct: 0 },
    ]);
    expect(results.participation).toEqual({ learners: 3, answeredAny: 3, questions: 1 });
    // Item analysis counts people too: 2 of 3 right.
    expect(results.questions[0]).toMatchObject({ answered: 3, total: 3, correctPct: 66.7 });
    // Shared beyond the class: no name left, partners named by their numbers.
    expect(anonymousResults(results).learners.map(({ name, partners }) => [name, partners])).toEqual([
      ['#1', ['#2']],
      ['#2', ['#1']],
      ['#3', []],
    ]);
  });
});

describe('lesson pictures for prefetching', () => {
  it('lists every step and option picture once, as served under /media/', () => {
    expect(lessonImages(lesson)).toEqual(['/media/mot.svg', '/media/a.svg']);
  });
});
