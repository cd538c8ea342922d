/**
 * The tablet's state (client/learner/learner.svelte.ts) against a fake connection: what it sends,
 * when it sends it again, and which views it keeps.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { settle, wires } from '../../support/fake-wire.ts';
import { classView, meView, snapshot, stubBrowser } from '../../support/client-fixtures.ts';

vi.mock('../../../client/lib/wire-sio.ts', () => import('../../support/fake-wire.ts').then((m) => m.fakeSioWire));
const wiped = vi.hoisted(() => ({ byes: [] as string[] }));
vi.mock('../../../client/lib/tablet.ts', () => ({
  wipeLearner: (bye: string) => {
    wiped.byes.push(bye);
    return Promise.resolve();
  },
}));

const { Learner } = await import('../../../client/learner/learner.svelte.ts');

let stored: Map<string, string>;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'setTimeout', 'clearTimeout', 'clearInterval'] });
  stored = stubBrowser('?code=123456&seat=B%C3%A0n%203');
  wires.length = 0;
  wiped.byes.length = 0;
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** A learner joined as Lan, connected, with the join acknowledged. */
async function joined() {
  const learner = new Learner();
  const wire = wires[0];
  wire.connect();
  const join = learner.join('123456', 'Lan', []);
  wire.last('learner:join').reply({ ok: true, data: snapshot() });
  expect((await join).ok).toBe(true);
  await settle();
  return { learner, wire };
}

describe('the learner page state', () => {
  it('joins with the code, the name, its seat and a fresh token, keeps the token and shows the class', async () => {
    const learner = new Learner();
    expect(learner.prefillCode).toBe('123456');
    expect(learner.screen).toBe('join');
    wires[0].connect();
    const join = learner.join('123456', 'Lan', ['Tín']);
    const sent = wires[0].last('learner:join').payload as Record<string, unknown>;
    expect(sent).toMatchObject({ code: '123456', name: 'Lan', partners: ['Tín'], seat: 'Bàn 3' });
    expect(sent.token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    wires[0].last('learner:join').reply({ ok: true, data: snapshot() });
    await join;
    expect(learner.screen).toBe('class');
    expect(learner.classView?.lessonTitle).toBe('Thanh toán bằng mã QR');
    expect(JSON.parse(stored.get('cunghoc.learner')!)).toEqual({ token: sent.token });
  });

  it('a refused join changes nothing: no token kept, still on the join screen', async () => {
    const learner = new Learner();
    wires[0].connect();
    const join = learner.join('999999', 'Lan', []);
    wires[0].last('learner:join').reply({ ok: false, error: { code: 'unknown_code', message: '' } });
    expect(await join).toMatchObject({ ok: false, error: { code: 'unknown_code' } });
    expect(learner.screen).toBe('join');
    expect(stored.has('cunghoc.learner')).toBe(false);
  });

  it('after a reconnect it resumes with its token first, then resends the done tapped offline', async () => {
    const { learner, wire } = await joined();
    const token = (wire.last('learner:join').payload as { token: string }).token;
    wire.drop();
    learner.toggleDone();
    expect(learner.donePending).toBe(true);
    expect(wire.commands('learner:done')).toHaveLength(0); // offline: kept, not sent
    wire.connect();
    expect(wire.last('learner:resume').payload).toEqual({ token });
    expect(wire.commands('learner:done')).toHaveLength(0); // not before the resume is acknowledged
    wire.last('learner:resume').reply({ ok: true, data: snapshot({ seq: 2 }, { seq: 2 }) });
    await settle();
    expect(wire.last('learner:done').payload).toEqual({ step: 0, done: true });
    wire.last('learner:done').reply({ ok: true, data: meView({ seq: 3, done: [0] }) });
    await settle();
    expect(learner.donePending).toBe(false);
    expect(learner.done).toBe(true);
  });

  it('an answer whose ack never came goes again with the same answerId once the link is back', async () => {
    const quiz = {
      runId: 'run-1',
      kind: 'truefalse',
      prompt: 'Đúng không?',
      choices: [],
      unit: null,
      status: 'open',
      deadline: null,
      reveal: null,
    };
    const { learner, wire } = await joined();
    wire.emit('class', classView({ seq: 2, stream: 2, quiz } as never));
    learner.answerQuiz({ kind: 'truefalse', value: true });
    const first = wire.last('quiz:answer');
    wire.drop();
    first.fail();
    await settle();
    expect(learner.answerPending).toBe(true);
    wire.connect();
    wire.last('learner:resume').reply({ ok: true, data: snapshot({ seq: 3, stream: 3, quiz } as never, { seq: 3 }) });
    await settle();
    const again = wire.commands('quiz:answer');
    expect(again).toHaveLength(2);
    expect(again[1].payload).toEqual(first.payload);
    again[1].reply({
      ok: true,
      data: meView({ seq: 4, answer: { runId: 'run-1', value: { kind: 'truefalse', value: true }, score: null, result: null } }),
    });
    await settle();
    expect(learner.answerSent).toBe(true);
  });

  it('drops a view older than the one it shows, and asks for a snapshot when a stream number is skipped', async () => {
    const { learner, wire } = await joined();
    wire.emit('class', classView({ seq: 5, stream: 2, lessonTitle: 'Mới' }));
    wire.emit('class', classView({ seq: 4, stream: 3, lessonTitle: 'Cũ' }));
    expect(learner.classView?.lessonTitle).toBe('Mới');
    expect(wire.commands('learner:resume')).toHaveLength(0);
    wire.emit('class', classView({ seq: 9, stream: 7 })); // 4, 5 and 6 were missed
    expect(wire.commands('learner:resume')).toHaveLength(1);
  });

  it('the end of the session wipes the learner from the tablet', async () => {
    const { learner, wire } = await joined();
    wire.emit('session:ended', { reason: 'ended' });
    expect(wiped.byes).toEqual(['ended']);
    expect(learner.screen).toBe('join');
  });
});
