import { describe, it, expect } from 'vitest';
import { lessonCopy } from '../../shared/lesson/copy.ts';
import type { SessionEvent } from '../../server/engine/events.ts';
import { anonymiseJoin, summaryChange } from '../../server/engine/retention.ts';
import { lessonOf } from '../support/lessons.ts';

// Rules the stores and the lesson routes call (server/engine/retention.ts, shared/lesson/copy.ts).

describe('anonymiseJoin: retention renames learners by their order of joining', () => {
  const joined = (name: string, partners?: string[]) => ({
    type: 'learner:joined' as const,
    at: 1,
    learnerId: 'lrn-1',
    name,
    seat: 'Bàn 2',
    tokenHash: 'h',
    ...(partners ? { partners } : {}),
  });
  it.each([
    { name: 'the first learner', event: joined('Lan'), index: 0, out: { name: '#1' } },
    { name: 'the third', event: joined('Hùng'), index: 2, out: { name: '#3' } },
    { name: 'a pair', event: joined('An', ['Bình', 'Chi']), index: 2, out: { name: '#3', partners: ['#3.1', '#3.2'] } },
  ])('$name', ({ event, index, out }) => {
    const erased = anonymiseJoin(event, index);
    expect(erased).toEqual({ ...event, ...out });
    expect(JSON.stringify(erased)).not.toMatch(/Lan|Hùng|An|Bình|Chi/);
  });

  it('keeps every other field, also one it does not know', () => {
    const stored = { ...joined('Lan'), extra: 'kept' };
    expect(anonymiseJoin(stored, 0)).toEqual({ ...stored, name: '#1' });
  });
});

describe('summaryChange: what new events change in a session row', () => {
  const join = (id: string): SessionEvent => ({ type: 'learner:joined', at: 5, learnerId: id, name: id, seat: '', tokenHash: id });
  it.each<{ name: string; events: SessionEvent[]; out: { learnersJoined: number; endedAt: number | null } }>([
    { name: 'nothing', events: [], out: { learnersJoined: 0, endedAt: null } },
    {
      name: 'two joins',
      events: [join('a'), { type: 'step:pushed', at: 6, step: 0 }, join('b')],
      out: { learnersJoined: 2, endedAt: null },
    },
    {
      name: 'the end',
      events: [
        { type: 'quiz:closed', at: 8, runId: 'r' },
        { type: 'session:ended', at: 9 },
      ],
      out: { learnersJoined: 0, endedAt: 9 },
    },
    {
      name: 'a leave does not count down',
      events: [{ type: 'learner:left', at: 7, learnerId: 'a' }],
      out: { learnersJoined: 0, endedAt: null },
    },
  ])('$name', ({ events, out }) => {
    expect(summaryChange(events)).toEqual(out);
  });
});

describe('lessonCopy: the n-th candidate name of a copy', () => {
  const lesson = (id: string, title: string) => lessonOf(['Một'], { id, title });
  it.each([
    { name: 'first copy', id: 'thanh-toan-qr', title: 'Thanh toán QR', n: 1, out: ['thanh-toan-qr-ban-sao', 'Thanh toán QR (bản sao)'] },
    {
      name: 'second candidate',
      id: 'thanh-toan-qr',
      title: 'Thanh toán QR',
      n: 2,
      out: ['thanh-toan-qr-ban-sao-2', 'Thanh toán QR (bản sao)'],
    },
    {
      name: 'a copy of a copy',
      id: 'thanh-toan-qr-ban-sao-2',
      title: 'Thanh toán QR (bản sao)',
      n: 3,
      out: ['thanh-toan-qr-ban-sao-3', 'Thanh toán QR (bản sao)'],
    },
    { name: 'a long id is cut to fit 64', id: 'a'.repeat(64), title: 'T', n: 10, out: [`${'a'.repeat(53)}-ban-sao-10`, 'T (bản sao)'] },
    {
      name: 'a long title is cut to fit 120',
      id: 'dai',
      title: 'x'.repeat(120),
      n: 1,
      out: ['dai-ban-sao', `${'x'.repeat(110)} (bản sao)`],
    },
  ])('$name', ({ id, title, n, out }) => {
    const copy = lessonCopy(lesson(id, title), n);
    expect([copy.id, copy.title]).toEqual(out);
    expect(copy.id.length).toBeLessThanOrEqual(64);
    expect(copy.title.length).toBeLessThanOrEqual(120);
    expect(copy.steps).toEqual(lesson(id, title).steps);
  });
});
