import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { Ack } from '../../shared/protocol/errors.ts';
import type { ClassView, LearnerSnapshot, MeView, StaffView } from '../../shared/protocol/views.ts';
import { restartablePort } from '../support/link-proxy.ts';
import { LossyProxy } from '../support/lossy-proxy.ts';
import { call, closeSockets, staffSocket, token, unwrap, waitFor } from '../support/sockets.ts';
import { api, openClass, removeDir, startServer, type TestServer } from '../support/server.ts';
import { single } from '../support/lessons.ts';

const root = resolve(import.meta.dirname, '../..');
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  closeSockets();
  for (const f of cleanup.splice(0).reverse()) await f();
});

/**
 * A tablet as the real learner page behaves: joins once, resumes with its token on every
 * (re)connect, and resends an unacknowledged action with the same id until it is acknowledged.
 */
class Tablet {
  readonly socket: Socket;
  readonly token: string;
  view: ClassView | null = null;
  me: MeView | null = null;
  #joined = false;
  #ready: Promise<void>;
  #markReady: () => void = () => undefined;

  constructor(url: string, code: string, name: string, n: number) {
    this.token = token(n);
    this.socket = connect(`${url}/learner`, {
      transports: ['websocket'],
      forceNew: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 1000,
      randomizationFactor: 0.5,
      timeout: 5000,
    });
    this.#ready = new Promise((r) => (this.#markReady = r));
    this.socket.on('class', (v: ClassView) => {
      if (!this.view || v.seq >= this.view.seq) this.view = v;
    });
    this.socket.on('me', (v: MeView) => (this.me = v));
    this.socket.on('disconnect', () => {
      this.#ready = new Promise((r) => (this.#markReady = r));
    });
    this.socket.on('connect', () => {
      const event = this.#joined ? 'learner:resume' : 'learner:join';
      const payload = this.#joined ? { token: this.token } : { code, name, token: this.token };
      this.socket
        .timeout(5000)
        .emitWithAck(event, payload)
        .then((ack: Ack<LearnerSnapshot>) => {
          if (!ack.ok) return;
          this.#joined = true;
          this.view = ack.data.class;
          this.me = ack.data.me;
          this.#markReady();
        })
        .catch(() => undefined); // the link dropped again: the next connect retries
    });
  }

  /** Send until acknowledged, resending the same payload (same ids) after each drop. */
  async send<T>(event: string, payload: unknown, deadline = Date.now() + 60_000): Promise<T> {
    while (Date.now() < deadline) {
      await this.#ready;
      try {
        const ack = (await this.socket.timeout(3000).emitWithAck(event, payload)) as Ack<T>;
        if (ack.ok) return ack.data;
        throw new Error(`${event} refused: ${ack.error.code}`);
      } catch (err) {
        if (err instanceof Error && err.message.includes('refused')) throw err;
      }
    }
    throw new Error(`${event} never acknowledged`);
  }

  close(): void {
    this.socket.close();
  }
}

async function until(what: string, check: () => boolean, ms: number): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

async function classroom() {
  const server = await startServer();
  cleanup.push(async () => {
    await server.stop();
    removeDir(server.dataDir);
  });
  return openClass(server);
}

async function viaProxy(server: TestServer, faults: ConstructorParameters<typeof LossyProxy>[1], seed: number) {
  const proxy = new LossyProxy(server.port, faults, seed);
  const port = await proxy.listen();
  cleanup.push(() => proxy.close());
  return { proxy, url: `http://127.0.0.1:${port}` };
}

const SEED = Number(process.env.NET_SEED ?? 5050);

describe('weak networks', () => {
  it(`a lossy link (seed ${SEED}): every step reaches every learner; no acknowledged answer lost or doubled`, async () => {
    const { server, session, staff } = await classroom();
    const calm = { latencyMs: 0, jitterMs: 0, cutChance: 0, stallChance: 0, stallMs: 0 };
    const { proxy, url } = await viaProxy(server, calm, SEED);
    const tablets = Array.from({ length: 12 }, (_, i) => new Tablet(url, session.code, `Học viên ${i}`, i));
    cleanup.push(() => tablets.forEach((t) => t.close()));
    await until('all joined', () => tablets.every((t) => t.me !== null), 10_000);
    // Now the link gets bad: latency, jitter, stalls and connections cut at random.
    proxy.faults = { latencyMs: 20, jitterMs: 40, cutChance: 0.03, stallChance: 0.03, stallMs: 800 };

    const stepCount = tablets[0].view!.stepCount;
    for (let step = 0; step < stepCount; step++) {
      unwrap(await call(staff, 'step:push', { sessionId: session.id, step }));
      await until(`step ${step} everywhere`, () => tablets.every((t) => t.view?.current === step), 30_000);
    }

    const runId = unwrap(
      await call<{ runId: string }>(staff, 'quiz:open', {
        sessionId: session.id,
        source: {
          question: single('q', 'Cần kiểm tra gì?', ['Tên', 'Màu']),
        },
        timeLimit: null,
      }),
    ).runId;
    await until('question everywhere', () => tablets.every((t) => t.view?.quiz?.runId === runId), 30_000);
    const acked = await Promise.all(
      tablets.map((t, i) =>
        t.send<MeView>('quiz:answer', { runId, answerId: `answer-${i}-0001`, value: { kind: 'single', option: i % 3 ? 'a' : 'b' } }),
      ),
    );
    expect(acked).toHaveLength(12);
    // Resend every answer once more, as a tablet does when an ack was lost: still counted once.
    await Promise.all(
      tablets.map((t, i) =>
        t.send('quiz:answer', { runId, answerId: `answer-${i}-0001`, value: { kind: 'single', option: i % 3 ? 'a' : 'b' } }),
      ),
    );
    const view = unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id }));
    expect(view.quiz!.answered).toBe(12);
    expect(view.quiz!.histogram.map((h) => [h.key, h.count])).toEqual([
      ['a', 8],
      ['b', 4],
    ]);
    expect(proxy.cuts + proxy.stalls).toBeGreaterThan(0); // the link really was bad
  }, 120_000);

  it('50 learners reconnect at the same moment and are all back on the current step within 5 s', async () => {
    const { server, session, staff } = await classroom();
    const { proxy, url } = await viaProxy(server, { latencyMs: 0, jitterMs: 0, cutChance: 0, stallChance: 0, stallMs: 0 }, 1);
    const tablets = Array.from({ length: 50 }, (_, i) => new Tablet(url, session.code, `HV ${i}`, i));
    cleanup.push(() => tablets.forEach((t) => t.close()));
    await until('all joined', () => tablets.every((t) => t.me !== null), 15_000);
    unwrap(await call(staff, 'step:push', { sessionId: session.id, step: 2 }));
    await until('step 2', () => tablets.every((t) => t.view?.current === 2), 5_000);

    const reconnected = tablets.map((t) => new Promise<void>((r) => t.socket.once('connect', () => r())));
    proxy.cutAll(); // the Wi-Fi drops for the whole room
    unwrap(await call(staff, 'step:push', { sessionId: session.id, step: 3 })); // pushed while they are away
    const start = Date.now();
    await Promise.all(reconnected);
    await until('back on step 3', () => tablets.every((t) => t.view?.current === 3), 5_000);
    expect(Date.now() - start).toBeLessThan(5_000);
    const roster = await waitFor<StaffView>(staff, 'staff:view', (v) => v.counts.connected === 50);
    expect(roster.counts.total).toBe(50); // the same 50 learners, nobody joined twice
  }, 60_000);
});

describe('server shutdown', () => {
  it('close() returns, and ends the connection, while a client holds it busy with a request half sent', async () => {
    const server = await startServer();
    cleanup.push(() => removeDir(server.dataDir));
    // A request whose headers never end keeps its connection from being idle; nothing else will ever end it.
    const client = tcpConnect(server.port, '127.0.0.1');
    cleanup.push(() => void client.destroy());
    client.on('error', () => undefined); // reset by the closing server: what the test waits for
    await new Promise((r) => client.once('connect', r));
    client.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const ended = new Promise((r) => client.once('close', r));
    let stopped = false;
    const stopping = server.stop().then(() => (stopped = true));
    await until('close() returned', () => stopped, 10_000);
    await stopping;
    await ended; // and the connection was ended, not left open
  });
});

function startProcess(port: number, dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'server/main.ts')], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((res, rej) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('Cùng Học is running')) res(child);
    });
    child.once('exit', (code) => rej(new Error(`server exited ${code}`)));
  });
}

describe('power cut', () => {
  it('a server killed with SIGKILL keeps every acknowledged event; tablets resume on their own', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cunghoc-kill-'));
    const port = await restartablePort();
    const url = `http://127.0.0.1:${port}`;
    let child = await startProcess(port, dataDir);
    cleanup.push(() => {
      child.kill('SIGKILL');
      removeDir(dataDir);
    });
    const { session, staff } = await openClass({ url });
    const tablets = Array.from({ length: 8 }, (_, i) => new Tablet(url, session.code, `HV ${i}`, i));
    cleanup.push(() => tablets.forEach((t) => t.close()));
    await until('joined', () => tablets.every((t) => t.me !== null), 10_000);
    unwrap(await call(staff, 'step:push', { sessionId: session.id, step: 1 }));
    const runId = unwrap(
      await call<{ runId: string }>(staff, 'quiz:open', {
        sessionId: session.id,
        source: { question: { id: 'q', kind: 'truefalse', prompt: 'Không bao giờ cho ai mã OTP?', correct: true } },
        timeLimit: 600,
      }),
    ).runId;
    await until('question', () => tablets.every((t) => t.view?.quiz?.runId === runId), 10_000);
    // Every acknowledged action, right up to the kill.
    await Promise.all(
      tablets.map((t, i) =>
        t.send('quiz:answer', { runId, answerId: `kill-${i}-answer`, value: { kind: 'truefalse', value: i % 2 === 0 } }),
      ),
    );
    await Promise.all(tablets.slice(0, 5).map((t) => t.send('learner:done', { step: 1, done: true })));
    const before = unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id }));

    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    child = await startProcess(port, dataDir);

    // Nobody types anything: the tablets reconnect and resume with their tokens.
    await until('resumed', () => tablets.every((t) => t.socket.connected && t.view?.quiz?.runId === runId), 20_000);
    const login = await api(url, 'POST', '/api/auth/login', { username: 'giangvien', password: 'mat-khau-du-dai' });
    const staff2 = staffSocket(url, login.cookie!);
    const after = unwrap(await call<StaffView>(staff2, 'staff:watch', { sessionId: session.id }));
    expect(after.seq).toBe(before.seq);
    expect(after.quiz).toMatchObject({ runId, status: 'open', answered: 8, deadline: before.quiz!.deadline });
    expect(after.counts).toMatchObject({ total: 8, done: 5 });
    expect(after.quiz!.histogram.map((h) => h.count)).toEqual([4, 4]);
  }, 90_000);
});
