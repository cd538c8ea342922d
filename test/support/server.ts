import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { afterEach } from 'vitest';
import { startApp, type App } from '../../server/app.ts';
import { openStore } from '../../server/store/open.ts';
import { openSqliteStore } from '../../server/store/sqlite.ts';
import type { LimitsConfig } from '../../server/transport/limits.ts';
import type { Ack } from '../../shared/protocol/errors.ts';
import type { LearnerSnapshot, Me, SessionSummary, StaffView } from '../../shared/protocol/views.ts';
import {
  call,
  closeSockets,
  displaySocket,
  learnerSocket,
  staffSocket,
  token,
  unwrap,
  type DisplaySocket,
  type LearnerSocket,
  type StaffSocket,
} from './sockets.ts';

// The socket helpers, for the files that take everything from here.
export * from './sockets.ts';

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
    /** The server's clock (AppDeps.now): a test moves time on instead of sleeping. */
    now?: () => number;
    /** The server's logger (silent by default). */
    log?: Logger;
    /** Run on this PostgreSQL database, as main.ts opens it with DATABASE_URL set (default: SQLite in the data folder). */
    databaseUrl?: string;
    /** The proxies whose X-Forwarded-For is believed (TRUST_PROXY; default none). */
    trustProxy?: string[];
  } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'cunghoc-test-'));
  const log = opts.log ?? pino({ level: 'silent' });
  const app = await startApp({
    store: opts.databaseUrl ? await openStore({ dataDir, databaseUrl: opts.databaseUrl, log }) : openSqliteStore(dataDir),
    log,
    ...(opts.remote ? { isLocal: () => false } : {}),
    ...(opts.isLocal ? { isLocal: opts.isLocal } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    config: {
      clientDir: join(root, 'dist/client'),
      lessonsDir: opts.lessonsDir ?? join(root, 'lessons'),
      mediaDir: join(dataDir, 'media'),
      dataDir,
      coalesceMs: 20,
      ...(opts.tls ? { tls: opts.tls } : {}),
      ...(opts.trustProxy ? { trustProxy: opts.trustProxy } : {}),
    },
  });
  const { port } = await app.listen(opts.port ?? 0, '127.0.0.1');
  return { app, url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`, port, dataDir, stop: () => app.close() };
}

export type ServerOptions = Parameters<typeof startServer>[0];

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
  const start = async (opts?: ServerOptions) => track(await startServer(opts));
  return {
    start,
    track,
    /** A server of its own with a class open on it (see openClass). */
    startClass: async (opts: ClassOptions & { server?: ServerOptions } = {}) => openClass(await start(opts.server), opts),
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

export interface ClassOptions {
  /** The lesson the class follows (default: the QR-payment lesson). */
  lesson?: string;
  /** How many learners join, named "Học viên i" with token(offset + i). */
  learners?: number;
  /** Each learner joins at seat "Bàn i+1". */
  seats?: boolean;
  /** Learner i's name (default "Học viên i"). */
  name?: (i: number) => string;
  /** Join all at once rather than one after the other (a large class). */
  together?: boolean;
  /** The first learner's number (names and tokens count from it). */
  offset?: number;
  /** The step the instructor pushes once everyone has joined (none by default). */
  push?: number;
  /** A projector watching the class. */
  display?: boolean;
}

export interface ClassLearner {
  socket: LearnerSocket;
  snap: LearnerSnapshot;
  id: string;
  token: string;
}

export interface TestClass<S extends { url: string } = TestServer> {
  server: S;
  cookie: string;
  me: Me;
  session: SessionSummary;
  /** The instructor's console, watching the session. */
  staff: StaffSocket;
  /** The staff view its watch answered with. */
  first: StaffView;
  helperCode: string;
  learners: ClassLearner[];
  display?: DisplaySocket;
}

/**
 * The class-starting helper of every layer: the first instructor, a session of `lesson`, the console
 * watching it, `learners` tablets joined (and a projector) — all on `server`, whose sockets are closed
 * by the teardown that opened the server (useServers, or the test file's own closeSockets()).
 */
export async function openClass<S extends { url: string }>(server: S, opts: ClassOptions = {}): Promise<TestClass<S>> {
  const { cookie, me } = await setupInstructor(server.url);
  return { ...(await openSession(server, cookie, opts)), me };
}

/** The same class for an instructor already signed in (`cookie`): a session, the console, the tablets. */
export async function openSession<S extends { url: string }>(
  server: S,
  cookie: string,
  opts: ClassOptions = {},
): Promise<Omit<TestClass<S>, 'me'>> {
  const session = await startSession(server.url, cookie, opts.lesson);
  const staff = staffSocket(server.url, cookie);
  const first = unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id }));
  const learners = await joinLearners(server.url, session.code, opts.learners ?? 0, opts);
  if (opts.push !== undefined) unwrap(await call(staff, 'step:push', { sessionId: session.id, step: opts.push }));
  let display: DisplaySocket | undefined;
  if (opts.display) {
    display = displaySocket(server.url);
    unwrap(await call(display, 'display:watch', { code: session.code }));
  }
  return { server, cookie, session, staff, first, helperCode: first.helperCode, learners, ...(display ? { display } : {}) };
}

/** `n` tablets joining the class of `code` (in this order unless `together`), with token(offset + i). */
export async function joinLearners(
  url: string,
  code: string,
  n: number,
  opts: Pick<ClassOptions, 'seats' | 'name' | 'together' | 'offset'> = {},
): Promise<ClassLearner[]> {
  const { offset = 0, seats = false, name = (i: number) => `Học viên ${i}` } = opts;
  const joinOne = async (i: number): Promise<ClassLearner> => {
    const socket = learnerSocket(url);
    const t = token(i);
    const join = { code, name: name(i), ...(seats ? { seat: `Bàn ${i + 1}` } : {}), token: t };
    const snap = unwrap(await call<LearnerSnapshot>(socket, 'learner:join', join));
    return { socket, snap, id: snap.me.learnerId, token: t };
  };
  const indices = Array.from({ length: n }, (_, k) => offset + k);
  if (opts.together) return Promise.all(indices.map(joinOne));
  const learners: ClassLearner[] = [];
  for (const i of indices) learners.push(await joinOne(i));
  return learners;
}
