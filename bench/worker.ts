/**
 * A load-generator process: holds a share of the learners (socket.io-client for our server and the
 * bare Socket.IO baseline, `ws` for the bare ws baseline), records when each push arrives, sends
 * answers on a schedule, and reports to the harness over IPC. Every wait is bounded by a timeout.
 */
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { now } from './lib/clock.ts';
import { LOOP_RESOLUTION_MS, loopDelay } from './lib/stats.ts';

export type TargetKind = 'ours' | 'sio' | 'ws';

export interface LearnerSpec {
  /** The class: our session id, or the baselines' room name. */
  classKey: string;
  /** Our class code (ours only). */
  code?: string;
  token: string;
  name: string;
  /** Connect from this loopback address (127.0.0.x): nginx hashes on it to pick a process. */
  localAddress?: string;
}

interface Client {
  spec: LearnerSpec;
  sio: Socket | null;
  ws: WebSocket | null;
  /** Tag of the last expected push this learner received (counted once). */
  got: number;
  /** Answers and moves in flight. */
  inFlight: number;
}

type Request = { type: string; id: number; [key: string]: unknown };

const clients: Client[] = [];
let disconnects = 0;
const eld = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
eld.enable();
let cpuFrom = process.cpuUsage();
let wallFrom = now();

/** The push the harness waits for: every learner of this worker must receive `step`. */
let expecting: { tag: number; step: number; remaining: number; times: number[] } | null = null;
/** Every class message received while logging: [classKey index, step, time]. */
let logging = false;
let log: { classKey: string; step: number; at: number }[] = [];
let payloadBytes = 0;

function onClass(client: Client, step: number | null, at: number): void {
  if (logging && step !== null) log.push({ classKey: client.spec.classKey, step, at });
  const e = expecting;
  if (e && step === e.step && client.got !== e.tag) {
    client.got = e.tag;
    e.times.push(at);
    e.remaining -= 1;
    if (e.remaining === 0) {
      expecting = null;
      process.send!({ type: 'pushDone', tag: e.tag, times: e.times });
    }
  }
}

function connectOne(kind: TargetKind, port: number, spec: LearnerSpec, timeoutMs: number): Promise<Client> {
  const client: Client = { spec, sio: null, ws: null, got: -1, inFlight: 0 };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('connect timeout')), timeoutMs);
    const done = (err?: Error) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(client);
    };
    if (kind === 'ws') {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/?room=${encodeURIComponent(spec.classKey)}`, {
        perMessageDeflate: false,
      });
      client.ws = ws;
      let joined = false;
      ws.on('message', (data) => {
        const at = now();
        if (!joined) {
          joined = true;
          return done();
        }
        const text = (data as Buffer).toString(); // binaryType 'nodebuffer' (the default): one Buffer a message
        if (payloadBytes === 0) payloadBytes = Buffer.byteLength(text);
        onClass(client, (JSON.parse(text) as { current: number | null }).current, at);
      });
      ws.on('error', (err) => done(err));
      ws.on('close', () => {
        if (joined) disconnects += 1;
      });
      return;
    }
    const socket = io(`http://127.0.0.1:${port}/learner`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: timeoutMs,
      // Passed down to the WebSocket (Node): the address nginx sees, so that learners spread over the processes.
      ...(spec.localAddress ? { localAddress: spec.localAddress } : {}),
    } as Parameters<typeof io>[1]);
    client.sio = socket;
    let joined = false;
    socket.on('class', (view: { current: number | null }) => {
      const at = now();
      if (payloadBytes === 0) payloadBytes = Buffer.byteLength(JSON.stringify(view));
      onClass(client, view.current, at);
    });
    socket.on('disconnect', () => {
      if (joined) disconnects += 1;
    });
    socket.on('connect_error', (err) => done(err));
    socket.once('connect', () => {
      const join =
        kind === 'ours'
          ? socket.emitWithAck('learner:join', { code: spec.code, name: spec.name, token: spec.token })
          : socket.emitWithAck('join', spec.classKey);
      join.then(
        (ack: unknown) => {
          const ok = kind === 'ours' ? (ack as { ok: boolean }).ok : ack === true;
          if (!ok) return done(new Error(`join refused: ${JSON.stringify(ack)}`));
          joined = true;
          done();
        },
        (err: Error) => done(err),
      );
    });
  });
}

async function connectAll(msg: Request): Promise<object> {
  const { kind, port, learners, concurrency, timeoutMs } = msg as unknown as {
    kind: TargetKind;
    port: number;
    learners: LearnerSpec[];
    concurrency: number;
    timeoutMs: number;
  };
  const started = now();
  const errors: Record<string, number> = {};
  let next = 0;
  let failed = 0;
  const lane = async () => {
    while (next < learners.length) {
      const spec = learners[next++];
      try {
        clients.push(await connectOne(kind, port, spec, timeoutMs));
      } catch (err) {
        failed += 1;
        const key = (err as Error).message.slice(0, 120);
        errors[key] = (errors[key] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, learners.length) }, lane));
  return { connected: clients.length, failed, errors, ms: now() - started };
}

function disconnectAll(): object {
  const n = clients.length;
  for (const c of clients.splice(0)) {
    c.sio?.removeAllListeners('disconnect');
    c.sio?.disconnect();
    c.ws?.removeAllListeners('close');
    c.ws?.terminate();
  }
  expecting = null;
  return { closed: n };
}

/** What a worker reports of the answers (or moves) it sent: counts, errors by code, ack latencies and times. */
export interface AnswerStats {
  sent: number;
  ok: number;
  errors: Record<string, number>;
  /** Ack latency of every answer, ms. */
  latencies: number[];
  firstSendAt: number;
  lastSendAt: number;
  lastAckAt: number;
}

const answerId = (): string => randomBytes(12).toString('base64url');

/**
 * Send one learner command with its ack timeout and record it in `stats`: the send, then an ok ack
 * (its latency), a timeout or the refusal's code. Resolves once acknowledged or timed out.
 */
function sendCounted(client: Client, event: string, payload: object, stats: AnswerStats, timeoutMs: number): Promise<void> {
  const socket = client.sio!;
  const sentAt = now();
  stats.sent += 1;
  stats.firstSendAt = Math.min(stats.firstSendAt, sentAt);
  stats.lastSendAt = Math.max(stats.lastSendAt, sentAt);
  client.inFlight += 1;
  return new Promise((resolve) => {
    socket.timeout(timeoutMs).emit(event, payload, (err: Error | null, ack?: { ok: boolean; error?: { code: string } }) => {
      const at = now();
      client.inFlight -= 1;
      if (err) {
        stats.errors.timeout = (stats.errors.timeout ?? 0) + 1;
      } else if (ack?.ok) {
        stats.ok += 1;
        stats.latencies.push(at - sentAt);
        stats.lastAckAt = Math.max(stats.lastAckAt, at);
      } else {
        const code = ack?.error?.code ?? 'unknown';
        stats.errors[code] = (stats.errors[code] ?? 0) + 1;
      }
      resolve();
    });
  });
}

/** Send one poll answer (a fresh answerId) and record it. */
function answer(client: Client, runId: string, option: string, stats: AnswerStats, timeoutMs: number): Promise<void> {
  return sendCounted(client, 'quiz:answer', { runId, answerId: answerId(), value: { kind: 'poll', option } }, stats, timeoutMs);
}

const emptyStats = (): AnswerStats => ({
  sent: 0,
  ok: 0,
  errors: {},
  latencies: [],
  firstSendAt: Infinity,
  lastSendAt: 0,
  lastAckAt: 0,
});

/** Every learner answers once, at a random moment of [startAt, startAt + windowMs). */
async function burst(msg: Request): Promise<AnswerStats> {
  const { runIds, startAt, windowMs, timeoutMs } = msg as unknown as {
    runIds: Record<string, string>;
    startAt: number;
    windowMs: number;
    timeoutMs: number;
  };
  const stats = emptyStats();
  const acks: Promise<void>[] = [];
  await Promise.all(
    clients.map(
      (client) =>
        new Promise<void>((resolve) => {
          const at = startAt + Math.random() * windowMs;
          setTimeout(
            () => {
              acks.push(answer(client, runIds[client.spec.classKey], 'a', stats, timeoutMs));
              resolve();
            },
            Math.max(0, at - now()),
          );
        }),
    ),
  );
  await Promise.all(acks);
  return stats;
}

/** Answers at a steady rate (this worker's share), each a new answerId, round-robin over learners. */
async function sustained(msg: Request): Promise<AnswerStats> {
  const { runIds, startAt, ratePerSec, durationMs, timeoutMs } = msg as unknown as {
    runIds: Record<string, string>;
    startAt: number;
    ratePerSec: number;
    durationMs: number;
    timeoutMs: number;
  };
  const stats = emptyStats();
  const total = Math.round((ratePerSec * durationMs) / 1000);
  const acks: Promise<void>[] = [];
  let next = 0;
  await new Promise((r) => setTimeout(r, Math.max(0, startAt - now())));
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor((ratePerSec * (now() - startAt)) / 1000));
      while (stats.sent < due && clients.length > 0) {
        const client = clients[next++ % clients.length];
        acks.push(answer(client, runIds[client.spec.classKey], stats.sent % 2 === 0 ? 'a' : 'b', stats, timeoutMs));
      }
      if (stats.sent >= total || now() > startAt + durationMs + 5_000) return resolve();
      setTimeout(tick, 2);
    };
    tick();
  });
  await Promise.all(acks);
  return stats;
}

/**
 * Practice-task moves: every learner taps back and forth between the bench task's two screens, one
 * move per `everyMs`, each with a fresh client-made moveId, for `durationMs`. Reports how many ended on "b".
 */
async function moves(msg: Request): Promise<AnswerStats & { onB: number }> {
  const { runId, startAt, everyMs, durationMs, timeoutMs } = msg as unknown as {
    runId: string;
    startAt: number;
    everyMs: number;
    durationMs: number;
    timeoutMs: number;
  };
  const stats = emptyStats();
  const acks: Promise<void>[] = [];
  const onB = new Set<Client>();
  const send = (client: Client): Promise<void> => {
    const from = onB.has(client) ? 'b' : 'a';
    const action = { kind: 'tap', element: from === 'a' ? 'next' : 'back' };
    // Shown at once on the tablet: the next move starts from the new screen whatever the ack time.
    if (from === 'a') onB.add(client);
    else onB.delete(client);
    return sendCounted(client, 'task:move', { runId, moveId: answerId(), from, action }, stats, timeoutMs);
  };
  const rounds = Math.floor(durationMs / everyMs);
  await Promise.all(
    clients.map(async (client) => {
      // Each learner's own phase within the period, so the moves spread evenly over each second.
      const phase = Math.random() * everyMs;
      for (let r = 0; r < rounds; r++) {
        const at = startAt + phase + r * everyMs;
        await new Promise((res) => setTimeout(res, Math.max(0, at - now())));
        acks.push(send(client));
      }
    }),
  );
  await Promise.all(acks);
  return { ...stats, onB: onB.size };
}

function workerStats(reset: boolean): object {
  const cpu = process.cpuUsage(cpuFrom);
  const out = {
    loopDelay: loopDelay(eld),
    cpu: { user: cpu.user, system: cpu.system, wallMs: now() - wallFrom },
    rss: process.memoryUsage().rss,
    clients: clients.length,
    disconnects,
    payloadBytes,
  };
  if (reset) {
    eld.reset();
    cpuFrom = process.cpuUsage();
    wallFrom = now();
    disconnects = 0;
  }
  return out;
}

const handlers: Record<string, (msg: Request) => object | Promise<object>> = {
  connect: connectAll,
  disconnect: disconnectAll,
  expect: (msg) => {
    expecting = { tag: msg.tag as number, step: msg.step as number, remaining: clients.length, times: [] };
    return {};
  },
  /** Give up waiting for a push: report what arrived. */
  abandon: (msg) => {
    const e = expecting;
    expecting = null;
    return e && e.tag === msg.tag ? { times: e.times, missing: e.remaining } : { times: [], missing: 0 };
  },
  log: (msg) => {
    logging = msg.on as boolean;
    return {};
  },
  dump: () => {
    const out = { log };
    log = [];
    return out;
  },
  burst,
  sustained,
  moves,
  stats: (msg) => workerStats(Boolean(msg.reset)),
};

process.on('message', (raw: unknown) => {
  const msg = raw as Request;
  if (msg.type === 'exit') {
    disconnectAll();
    setTimeout(() => process.exit(0), 50);
    return;
  }
  const handler = handlers[msg.type];
  if (!handler) {
    process.send!({ type: 'error', id: msg.id, message: `unknown request ${msg.type}` });
    return;
  }
  Promise.resolve()
    .then(() => handler(msg))
    .then(
      (result) => process.send!({ type: 'done', id: msg.id, ...result }),
      (err: unknown) => process.send!({ type: 'error', id: msg.id, message: String((err as Error)?.stack ?? err) }),
    );
});
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready' });
