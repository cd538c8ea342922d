import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach } from 'vitest';
import { startApp, type App } from '../../server/app.ts';
import { openSqliteStore } from '../../server/store/sqlite.ts';
import type { LimitsConfig } from '../../server/transport/limits.ts';
import type { Ack } from '../../shared/protocol/errors.ts';
import type {
  DisplayClientEvents,
  DisplayServerEvents,
  LearnerClientEvents,
  LearnerServerEvents,
  StaffClientEvents,
  StaffServerEvents,
} from '../../shared/protocol/events.ts';
import type { Me, SessionSummary } from '../../shared/protocol/views.ts';

const root = resolve(import.meta.dirname, '../..');

export interface TestServer {
  app: App;
  url: string;
  port: number;
  dataDir: string;
  /** Stop the server, keep the data folder (for restart tests). */
  stop(): Promise<void>;
}

/** A real server on port 0 with its own data folder; call stop() (and cleanup()) in teardown. */
export async function startServer(
  opts: {
    dataDir?: string;
    port?: number;
    remote?: boolean;
    lessonsDir?: string;
    /** Plays the server machine (true) or a machine of the hall (false), address by address. */
    isLocal?: (address: string | undefined) => boolean;
    /** Tighter caps and rates for abuse tests. */
    limits?: Partial<LimitsConfig>;
    tls?: { cert: string; key: string };
  } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'cunghoc-test-'));
  const app = await startApp({
    store: openSqliteStore(dataDir),
    log: pino({ level: 'silent' }),
    ...(opts.remote ? { isLocal: () => false } : {}),
    ...(opts.isLocal ? { isLocal: opts.isLocal } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
    config: {
      clientDir: join(root, 'dist/client'),
      lessonsDir: opts.lessonsDir ?? join(root, 'lessons'),
      mediaDir: join(dataDir, 'media'),
      dataDir,
      coalesceMs: 20,
      ...(opts.tls ? { tls: opts.tls } : {}),
    },
  });
  const { port } = await app.listen(opts.port ?? 0, '127.0.0.1');
  return { app, url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`, port, dataDir, stop: () => app.close() };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * For a test file: servers started through it are stopped after each test, with their data folders
 * removed and every socket the test opened closed.
 */
export function useServers() {
  const started: TestServer[] = [];
  afterEach(async () => {
    closeSockets();
    for (const s of started.splice(0)) {
      await s.stop().catch(() => undefined);
      removeDir(s.dataDir);
    }
  });
  return {
    start: async (opts?: Parameters<typeof startServer>[0]) => track(await startServer(opts)),
    track,
  };
  function track(server: TestServer): TestServer {
    started.push(server);
    return server;
  }
}

/** JSON call to the API with an optional cookie; returns the Ack and any Set-Cookie. */
export async function api<T>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  cookie?: string,
): Promise<{ status: number; ack: Ack<T>; cookie?: string }> {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(cookie ? { cookie } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const setCookie = res.headers.get('set-cookie')?.split(';')[0];
  return { status: res.status, ack: (await res.json()) as Ack<T>, cookie: setCookie };
}

/** Create the first instructor (from loopback) and return the sign-in cookie. */
export async function setupInstructor(base: string): Promise<{ cookie: string; me: Me }> {
  const r = await api<Me>(base, 'POST', '/api/setup', {
    username: 'giangvien',
    displayName: 'Cô Hạnh',
    password: 'mat-khau-du-dai',
  });
  if (!r.ack.ok || !r.cookie) throw new Error(`setup failed: ${JSON.stringify(r.ack)}`);
  return { cookie: r.cookie, me: r.ack.data };
}

export async function startSession(base: string, cookie: string, lessonId = 'thanh-toan-qr'): Promise<SessionSummary> {
  const r = await api<SessionSummary>(base, 'POST', '/api/sessions', { lessonId }, cookie);
  if (!r.ack.ok) throw new Error(`start failed: ${JSON.stringify(r.ack)}`);
  return r.ack.data;
}

export type LearnerSocket = Socket<LearnerServerEvents, LearnerClientEvents>;
export type StaffSocket = Socket<StaffServerEvents, StaffClientEvents>;
export type DisplaySocket = Socket<DisplayServerEvents, DisplayClientEvents>;

const opened: Socket[] = [];
/** The last payload of each event each socket received, so a wait never misses one that came early. */
const latest = new WeakMap<Socket, Map<string, unknown>>();

function open<S extends Socket>(
  url: string,
  ns: string,
  extraHeaders?: Record<string, string>,
  auth?: Record<string, string>,
): S {
  const socket = connect(url + ns, {
    transports: ['websocket'],
    forceNew: true,
    reconnectionDelay: 50,
    reconnectionDelayMax: 200,
    extraHeaders,
    auth,
    // A test server on https has a certificate from a throwaway CA (test/e2e/offline.test.ts).
    rejectUnauthorized: !url.startsWith('https:'),
  }) as unknown as S;
  opened.push(socket as unknown as Socket);
  const last = new Map<string, unknown>();
  latest.set(socket as unknown as Socket, last);
  (socket as unknown as Socket).onAny((event: string, payload: unknown) => last.set(event, payload));
  return socket;
}

export const learnerSocket = (url: string) => open<LearnerSocket>(url, '/learner');
export const staffSocket = (url: string, cookie: string) => open<StaffSocket>(url, '/staff', { cookie });
export const displaySocket = (url: string) => open<DisplaySocket>(url, '/display');
/** A helper's phone: the session's helper code, a name and its own token. */
export function helperSocket(url: string, helperCode: string, name: string, helperToken: string): StaffSocket {
  return open<StaffSocket>(url, '/staff', undefined, { helperCode, name, token: helperToken });
}

/** Close every socket a test opened. */
export function closeSockets(): void {
  for (const s of opened.splice(0)) s.disconnect();
}

/** Send a command and wait for its ack. */
export function call<T>(socket: Socket, event: string, payload: unknown): Promise<Ack<T>> {
  return socket.timeout(15_000).emitWithAck(event, payload) as Promise<Ack<T>>;
}

export function unwrap<T>(ack: Ack<T>): T {
  if (!ack.ok) throw new Error(`expected ok, got ${ack.error.code}: ${ack.error.message}`);
  return ack.data;
}

/** Resolve when `predicate` holds for the last value received on `event`, or for the next ones. */
export function waitFor<T>(socket: Socket, event: string, predicate: (v: T) => boolean, ms = 5000): Promise<T> {
  const last = latest.get(socket)?.get(event) as T | undefined;
  if (last !== undefined && predicate(last)) return Promise.resolve(last);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, handler);
      reject(new Error(`timed out waiting for ${event}`));
    }, ms);
    const handler = (v: T) => {
      if (!predicate(v)) return;
      clearTimeout(timer);
      socket.off(event, handler);
      resolve(v);
    };
    socket.on(event, handler);
  });
}

export const token = (n: number): string => `tok-${String(n).padStart(4, '0')}-${'x'.repeat(20)}`;
