import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import QRCode from 'qrcode';
import { ClassCode, CreateUserBody, LoginBody, SetupBody, StartSessionBody } from '../../shared/protocol/commands.ts';
import { fail } from '../../shared/protocol/errors.ts';
import type { Me, ServerInfo, SessionSummary } from '../../shared/protocol/views.ts';
import { randomId } from '../lib/ids.ts';
import { exportResults, learnersCsv, questionsCsv, stepsCsv, tasksCsv } from '../lib/csv.ts';
import { anonymousResults } from '../engine/results.ts';
import type { ExportLang } from '../../shared/i18n/export.ts';
import type { Rooms } from '../rooms/registry.ts';
import type { Directory } from '../cluster/directory.ts';
import type { Store } from '../store/store.ts';
import { Auth, hashPassword, signedInOnly, signedInUser, verifyPassword } from './auth.ts';
import { badRequest, jsonBody, send } from './respond.ts';
import { isMediaUpload, lessonRoutes } from './lessons.ts';
import type { MediaFiles } from '../store/media.ts';
import type { Limits } from './limits.ts';
import type { AddressOf } from './client-address.ts';
import { registerRoutes } from './register.ts';
import type { RegisterFigures } from '../rooms/register.ts';

export interface HttpDeps {
  store: Store;
  rooms: Rooms;
  /** Open sessions wherever they are owned (a cluster). */
  directory: Directory;
  auth: Auth;
  log: Logger;
  now: () => number;
  /** The one-time code that allows setup from another machine; null once an account exists. */
  setupCode: () => string | null;
  /** Called once the first account exists: the setup code is spent. */
  spendSetupCode: () => void;
  lanUrls: () => string[];
  /** Is a client address the server machine itself? */
  isLocal: (address: string | undefined) => boolean;
  /** The client's address of a request (X-Forwarded-For from a trusted proxy, else the TCP peer). */
  addressOf: AddressOf;
  limits: Limits;
  media: MediaFiles;
  /** The register's figures (docs/register.md). */
  figures: RegisterFigures;
  /** The tablet setup code of this server ("Mã cài máy"), for signed-in instructors only. */
  tabletCode: () => string;
}

/** The JSON API under /api. Every answer is an Ack; state-changing routes need JSON from our own origin. */
export function apiRouter(deps: HttpDeps): express.Router {
  const { store, rooms, auth } = deps;
  const api = express.Router();

  // CSRF: a cross-site form cannot send application/json, and a browser's Origin must be ours.
  api.use((req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    const origin = req.headers.origin;
    if (origin !== undefined && !sameOrigin(origin, req.headers.host)) {
      return send(res, fail('forbidden', 'Cross-origin request refused.'));
    }
    if (!req.is('application/json') && !isMediaUpload(req)) return send(res, fail('bad_request', 'Send JSON.'));
    next();
  });
  // Each route that takes a body names its parser: this one (64 KB of JSON is plenty for any
  // command) or its own (lesson saves, imports and uploads have larger caps, read after the sign-in).
  const json = jsonBody();
  const signedIn = signedInOnly(auth);
  const addressOf = (req: Request) => deps.addressOf(req.socket.remoteAddress, req.headers);

  api.get('/info', async (req, res) => {
    const info: ServerInfo = {
      lanUrls: deps.lanUrls(),
      setupNeeded: (await store.countUsers()) === 0,
      local: deps.isLocal(addressOf(req)),
    };
    send(res, { ok: true, data: info });
  });

  // One setup at a time: the first that passes the checks owns it until its account exists.
  let setupRunning = false;
  api.get('/tablet-code', signedIn, async (req, res) => {
    send(res, { ok: true, data: { code: deps.tabletCode() } });
  });

  api.post('/setup', json, async (req, res) => {
    const body = SetupBody.safeParse(req.body);
    if (!body.success) return send(res, badRequest(body.error));
    // Behind a trusted proxy, "this machine" is the address it forwards, not the proxy's own.
    const address = addressOf(req);
    const local = deps.isLocal(address);
    // Reserved before any await, so a burst of setup codes cannot all be checked.
    const attempt = local ? null : deps.limits.attempt({ signInAddr: address });
    if (setupRunning || (await store.countUsers()) > 0) {
      attempt?.succeeded();
      return send(res, fail('setup_done'));
    }
    if (attempt?.blocked) return send(res, fail('rate_limited'));
    const code = deps.setupCode();
    const codeOk = code !== null && body.data.setupCode?.trim().toUpperCase() === code;
    if (!local && !codeOk) {
      if (!body.data.setupCode) attempt?.succeeded(); // asking without a code is not a guess
      return send(res, fail('setup_code_required'));
    }
    attempt?.succeeded();
    if (setupRunning) return send(res, fail('setup_done'));
    setupRunning = true;
    try {
      if ((await store.countUsers()) > 0) return send(res, fail('setup_done'));
      const me = await createUser(store, body.data, deps.now());
      deps.spendSetupCode();
      res.setHeader('Set-Cookie', (await auth.signIn(me.id)).cookie);
      send(res, { ok: true, data: me }, 201);
    } finally {
      setupRunning = false;
    }
  });

  api.post('/auth/login', json, async (req, res) => {
    const body = LoginBody.safeParse(req.body);
    if (!body.success) return send(res, badRequest(body.error));
    const username = body.data.username.trim();
    // The server machine is never limited: a lockout from the hall must not keep its instructor out.
    const address = addressOf(req);
    const local = deps.isLocal(address);
    // Reserved on arrival, before the slow hash: a burst of guesses cannot all be checked.
    const attempt = local ? null : deps.limits.attempt({ signInAddr: address, signInUser: username.toLowerCase() });
    if (attempt?.blocked) return send(res, fail('rate_limited'));
    const user = await store.findUserByUsername(username);
    // Hash even for an unknown user, so timing does not tell which usernames exist.
    const ok = await verifyPassword(body.data.password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) return send(res, fail('bad_credentials'));
    attempt?.succeeded();
    res.setHeader('Set-Cookie', (await auth.signIn(user.id)).cookie);
    send(res, { ok: true, data: { id: user.id, username: user.username, displayName: user.displayName } });
  });

  api.post('/auth/logout', async (req, res) => {
    res.setHeader('Set-Cookie', await auth.signOut(req));
    send(res, { ok: true, data: null });
  });

  // Who is signed in: null when nobody (a normal answer, not an error, so pages load quietly).
  api.get('/auth/me', async (req, res) => {
    send(res, { ok: true, data: (await auth.user(req)) ?? null });
  });

  api.post('/users', json, signedIn, async (req, res) => {
    const body = CreateUserBody.safeParse(req.body);
    if (!body.success) return send(res, badRequest(body.error));
    if (await store.findUserByUsername(body.data.username)) return send(res, fail('username_taken'));
    send(res, { ok: true, data: await createUser(store, body.data, deps.now()) }, 201);
  });

  api.use(lessonRoutes({ store, auth, media: deps.media, now: deps.now }));

  api.get('/sessions', signedIn, async (req, res) => {
    send(res, { ok: true, data: await store.listSessions() });
  });

  api.post('/sessions', json, signedIn, async (req, res) => {
    const user = signedInUser(res);
    const body = StartSessionBody.safeParse(req.body);
    if (!body.success) return send(res, badRequest(body.error));
    const record = await store.getLessonRecord(body.data.lessonId);
    if (!record) return send(res, fail('not_found', 'No such lesson.'));
    if (record.archived) return send(res, fail('lesson_archived'));
    const room = await rooms.start(record.lesson, user.id);
    const summary: SessionSummary | undefined = await store.getSessionSummary(room.id);
    send(res, { ok: true, data: summary! }, 201);
  });

  // Results, during and after class: JSON, or CSV (a table per learner, or per question).
  api.get('/sessions/:file', signedIn, async (req, res) => {
    const match = /^([A-Za-z0-9_-]{8,40})\.(json|csv)$/.exec(String(req.params.file));
    if (!match) return send(res, fail('not_found'));
    const [, id, format] = match;
    const found = await rooms.results(id);
    if (!found) return send(res, fail('not_found'));
    // ?anonymous: names become "#1", "#2"… (seats and numbers stay), for sharing beyond the class.
    const results = req.query.anonymous !== undefined ? anonymousResults(found) : found;
    const lang: ExportLang = req.query.lang === 'en' ? 'en' : 'vi';
    const base = `ket-qua-${results.code}-${new Date(results.startedAt).toISOString().slice(0, 10)}`;
    if (format === 'json') {
      // The page reads the raw keys and words them itself; the downloaded file is for people.
      if (req.query.download === undefined) return send(res, { ok: true, data: results });
      res.attachment(`${base}.json`);
      return send(res, { ok: true, data: exportResults(results, lang) });
    }
    const tables = {
      learners: { file: 'hoc-vien', csv: learnersCsv },
      questions: { file: 'cau-hoi', csv: questionsCsv },
      steps: { file: 'cac-buoc', csv: stepsCsv },
      tasks: { file: 'bai-thuc-hanh', csv: tasksCsv },
    } as const;
    const which = req.query.table;
    const table = tables[which === 'questions' || which === 'steps' || which === 'tasks' ? which : 'learners'];
    res.attachment(`${base}-${table.file}.csv`);
    res.type('text/csv; charset=utf-8');
    res.send(table.csv(results, lang));
  });

  // The join QR of an open class: public, like the code itself, which the projector shows anyway.
  api.get('/join-qr/:file', async (req, res) => {
    const attempt = deps.limits.attempt({ codeAddr: addressOf(req) });
    if (attempt.blocked) return send(res, fail('rate_limited'));
    const code = ClassCode.safeParse(String(req.params.file).replace(/\.svg$/, ''));
    const room = code.success ? await deps.directory.byCode(code.data) : undefined;
    if (!room || !(await room.isOpen())) return send(res, fail('unknown_code'));
    attempt.succeeded();
    const svg = await QRCode.toString(room.joinUrl, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
    res.type('image/svg+xml').setHeader('Cache-Control', 'no-store');
    res.send(svg);
  });

  api.use(
    registerRoutes({
      store,
      rooms,
      directory: deps.directory,
      auth,
      figures: deps.figures,
      now: deps.now,
      baseUrl: () => deps.lanUrls()[0],
    }),
  );

  api.use((_req, res) => send(res, fail('not_found')));
  // Body parser errors (bad JSON, too large) and bugs: a clear code, never a stack trace.
  api.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const type = (err as { type?: string }).type;
    if (type === 'entity.parse.failed') return send(res, fail('bad_request', 'Malformed JSON.'));
    if (type === 'entity.too.large') return send(res, isMediaUpload(req) ? fail('image_too_large') : fail('too_large'));
    // Other client errors raised by Express itself (a malformed %-escape in the path, …).
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) return send(res, fail('bad_request'));
    deps.log.error({ err }, 'request failed');
    send(res, fail('internal'));
  });
  return api;
}

const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

async function createUser(store: Store, input: { username: string; displayName: string; password: string }, now: number): Promise<Me> {
  const id = randomId(9);
  await store.createUser({
    id,
    username: input.username,
    displayName: input.displayName,
    passwordHash: await hashPassword(input.password),
    createdAt: now,
  });
  return { id, username: input.username, displayName: input.displayName };
}

export function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
