/**
 * The three servers under test and their instructors: ours (bench/server-entry.ts, the real app),
 * a bare Socket.IO relay and a bare ws broadcaster. Each runs in its own pinned process.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { Lesson } from '../../shared/lesson/schema.ts';
import type { StepView } from '../../shared/protocol/views.ts';
import { renderSteps } from '../../server/rooms/markdown.ts';
import { Child, root } from './children.ts';
import { now } from './clock.ts';
import type { ProbeReport } from './probe.ts';

export type TargetKind = 'ours' | 'sio' | 'ws';

export const targetNames: Record<TargetKind, string> = {
  ours: 'Cùng Học',
  sio: 'bare Socket.IO',
  ws: 'bare ws',
};

export const fixtureLessonsDir = join(root, 'bench/fixtures/lessons');
export const benchLessonId = 'bench-fanout';

/** The bench lesson, validated against the lesson schema (the server would skip an invalid one). */
export function loadBenchLesson(): Lesson {
  const raw = JSON.parse(readFileSync(join(fixtureLessonsDir, `${benchLessonId}.json`), 'utf8')) as unknown;
  const parsed = Lesson.safeParse(raw);
  if (!parsed.success) throw new Error(`bench lesson is invalid: ${JSON.stringify(parsed.error.issues.slice(0, 3))}`);
  return parsed.data;
}

export interface Target {
  kind: TargetKind;
  child: Child;
  port: number;
  url: string;
  probe(opts?: { gc?: boolean; reset?: boolean; snapshot?: string }): Promise<ProbeReport>;
  stop(): Promise<void>;
}

export async function startTarget(
  kind: TargetKind,
  opts: { cores: string | null; profileDir?: string; coalesceMs?: number; env?: Record<string, string>; name?: string },
): Promise<Target> {
  const dataDir = kind === 'ours' ? mkdtempSync(join(tmpdir(), 'cunghoc-bench-')) : null;
  const script = { ours: 'bench/server-entry.ts', sio: 'bench/baselines/sio-server.ts', ws: 'bench/baselines/ws-server.ts' }[kind];
  const child = new Child({
    name: opts.name ?? `server:${kind}`,
    script,
    cores: opts.cores,
    nodeArgs: ['--expose-gc', ...(opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : [])],
    env: {
      NODE_ENV: 'production',
      ...(dataDir
        ? {
            DATA_DIR: dataDir,
            LESSONS_DIR: fixtureLessonsDir,
            CLIENT_DIR: join(root, 'dist/client'),
            LOG_LEVEL: 'warn',
            COALESCE_MS: String(opts.coalesceMs ?? 100),
          }
        : {}),
      ...opts.env,
    },
  });
  const { port } = await child.next<{ port: number }>('ready', 60_000);
  return {
    kind,
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    probe: (o = {}) => child.request<ProbeReport>({ type: 'probe', ...o }, 180_000),
    stop: async () => {
      await child.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Our server: the first instructor (from loopback) and its sign-in cookie. */
export async function setupInstructor(url: string): Promise<string> {
  const res = await fetch(`${url}/api/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'bench', displayName: 'Bench', password: 'bench-password-1' }),
  });
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  if (!res.ok || !cookie) throw new Error(`setup failed: ${res.status} ${await res.text()}`);
  return cookie;
}

export async function startSession(url: string, cookie: string): Promise<{ id: string; code: string }> {
  const res = await fetch(`${url}/api/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ lessonId: benchLessonId }),
  });
  const ack = (await res.json()) as { ok: boolean; data?: { id: string; code: string } };
  if (!ack.ok || !ack.data) throw new Error(`session start failed: ${JSON.stringify(ack)}`);
  return ack.data;
}

type AckBody = { ok: boolean; data?: unknown; error?: { code: string; message: string } };

function connected(socket: Socket, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('instructor socket: connect timeout')), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** The instructor of one class: pushes a step and says when it was sent and when acknowledged. */
export interface Instructor {
  /** Take the send time, then emit; resolves with the send time once the server acknowledged. */
  push(step: number): { sentAt: number; acked: Promise<number> };
  socket: Socket | null;
  close(): void;
}

const sioOptions = () => ({ transports: ['websocket'], forceNew: true, reconnection: false });

/**
 * An instructor on a Socket.IO console: a push emits `event` with `payload(step)` (made after the send
 * time is taken), acknowledged within 30 s; `check` throws when the ack is a refusal.
 */
function socketInstructor<A>(socket: Socket, event: string, payload: (step: number) => unknown, check?: (ack: A) => void): Instructor {
  return {
    socket,
    push(step) {
      const sentAt = now();
      const acked = socket
        .timeout(30_000)
        .emitWithAck(event, payload(step))
        .then((ack: A) => {
          check?.(ack);
          return now();
        });
      return { sentAt, acked };
    },
    close: () => socket.disconnect(),
  };
}

export async function ourInstructor(url: string, cookie: string, sessionId: string): Promise<Instructor> {
  const socket = io(`${url}/staff`, { ...sioOptions(), extraHeaders: { cookie } });
  await connected(socket);
  const watch = (await socket.timeout(10_000).emitWithAck('staff:watch', { sessionId })) as AckBody;
  if (!watch.ok) throw new Error(`staff:watch failed: ${JSON.stringify(watch.error)}`);
  return socketInstructor(
    socket,
    'step:push',
    (step) => ({ sessionId, step }),
    (ack: AckBody) => {
      if (!ack.ok) throw new Error(`step:push refused: ${JSON.stringify(ack.error)}`);
    },
  );
}

/**
 * What the baselines relay: a view shaped and sized like our ClassView for the same step (the same
 * rendered HTML). Deliberately not typed as ClassView, so that the bench does not stop type-checking
 * whenever that type grows; each run reports every system's payload bytes, so a drift shows.
 */
export interface BaselineView {
  seq: number;
  stream: number;
  sessionId: string;
  lessonTitle: string;
  stepCount: number;
  current: number;
  pacing: { mode: 'instructor' };
  steps: StepView[];
  status: 'open';
  quiz: null;
}

export function baselineViews(lesson: Lesson, room: string): (step: number) => BaselineView {
  const steps: StepView[] = renderSteps(lesson);
  let seq = 1;
  return (step) => ({
    seq: ++seq,
    stream: seq,
    sessionId: room,
    lessonTitle: lesson.title,
    stepCount: steps.length,
    current: step,
    pacing: { mode: 'instructor' },
    steps: [steps[step]],
    status: 'open',
    quiz: null,
  });
}

/**
 * `count` classes, each with its console watching: sessions started by one instructor on our server,
 * plain room names on bare Socket.IO.
 */
export async function openClasses(
  kind: 'ours' | 'sio',
  url: string,
  count: number,
  lesson: Lesson,
): Promise<{ classes: { key: string; code?: string }[]; instructors: Instructor[] }> {
  const classes: { key: string; code?: string }[] = [];
  const instructors: Instructor[] = [];
  if (kind === 'ours') {
    const cookie = await setupInstructor(url);
    for (let c = 0; c < count; c++) {
      const session = await startSession(url, cookie);
      classes.push({ key: session.id, code: session.code });
      instructors.push(await ourInstructor(url, cookie, session.id));
    }
  } else {
    for (let c = 0; c < count; c++) {
      classes.push({ key: `class-${c + 1}` });
      instructors.push(await sioInstructor(url, `class-${c + 1}`, lesson));
    }
  }
  return { classes, instructors };
}

export async function sioInstructor(url: string, room: string, lesson: Lesson): Promise<Instructor> {
  const socket = io(`${url}/staff`, sioOptions());
  await connected(socket);
  const view = baselineViews(lesson, room);
  return socketInstructor(socket, 'push', (step) => ({ room, view: view(step) }));
}

export async function wsInstructor(port: number, room: string, lesson: Lesson): Promise<Instructor> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/?role=instructor`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const view = baselineViews(lesson, room);
  const waiting: ((at: number) => void)[] = [];
  ws.on('message', () => waiting.shift()?.(now()));
  return {
    socket: null,
    push(step) {
      const sentAt = now();
      ws.send(JSON.stringify({ room, view: view(step) }));
      return { sentAt, acked: new Promise<number>((resolve) => waiting.push(resolve)) };
    },
    close: () => ws.terminate(),
  };
}
