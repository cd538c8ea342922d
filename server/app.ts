import express from 'express';
import helmet from 'helmet';
import { existsSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Server as IoServer } from 'socket.io';
import { Lesson } from '../shared/lesson/schema.ts';
import { randomShortCode } from './lib/ids.ts';
import { MediaFiles } from './store/media.ts';
import { Rooms } from './rooms/registry.ts';
import type { Store } from './store/store.ts';
import { Auth, isLoopback } from './transport/auth.ts';
import { Limits, type LimitsConfig } from './transport/limits.ts';
import { apiRouter, sameOrigin } from './transport/http.ts';
import { attachSockets, socketBroadcaster } from './transport/sockets.ts';
import { clientFiles } from './transport/static.ts';
import { readdir, readFile } from 'node:fs/promises';

export interface Config {
  /** Built client (vite build output). */
  clientDir: string;
  /** Starter lessons (*.json) and their images. */
  lessonsDir: string;
  /** Uploaded lesson pictures (DATA_DIR/media), served at /media/ beside lessons/images. */
  mediaDir: string;
  /** Base URL for join links when the LAN address is not the right one (e.g. behind a router name). */
  publicUrl?: string;
  coalesceMs: number;
  /** Staff view refresh when idle (stuck flags age with time); default 10 s. */
  refreshMs?: number;
  /** Learner names are erased from sessions that ended more than this many days ago; 0 keeps them. */
  retentionDays?: number;
  /** Serve https with this certificate and key (PEM), e.g. from the hall's own CA (docs/tablets.md). */
  tls?: { cert: string | Buffer; key: string | Buffer; /** The hall's CA certificate, offered at /ca.crt for tablets to install. */ ca?: string | Buffer };
}

export interface AppDeps {
  store: Store;
  log: Logger;
  now?: () => number;
  config: Config;
  /** Is a peer address the server machine itself? Tests replace it to play a remote machine. */
  isLocal?: (address: string | undefined) => boolean;
  /** Guessing limits (class codes, sign-ins); tests may tighten them. */
  limits?: LimitsConfig;
}

export interface App {
  http: HttpServer;
  io: IoServer;
  rooms: Rooms;
  /** Set while no instructor account exists. */
  setupCode: string | null;
  listen(port: number, host?: string): Promise<{ port: number; urls: string[] }>;
  close(): Promise<void>;
}

/** Wire the classroom: store → rooms → HTTP + Socket.IO. Tests build the same thing on port 0. */
export async function createApp({ store, log, now = Date.now, config, isLocal = isLoopback, limits: limitsConfig }: AppDeps): Promise<App> {
  await seedLessons(store, config.lessonsDir, now(), log);
  let port = 0;
  const scheme = config.tls ? 'https' : 'http';
  const lanUrls = (): string[] => {
    const urls = config.publicUrl ? [config.publicUrl.replace(/\/$/, '')] : [];
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) urls.push(`${scheme}://${a.address}:${port}`);
    }
    urls.push(`${scheme}://localhost:${port}`);
    return urls;
  };
  const joinUrl = (code: string) => `${lanUrls()[0]}/?code=${code}`;

  const app = express();
  // One listener either way: http, or https when the hall has a certificate (no redirect: tablets keep the address they know).
  const http: HttpServer = config.tls
    ? (createHttpsServer({ cert: config.tls.cert, key: config.tls.key }, app) as unknown as HttpServer)
    : createHttpServer(app);
  const io = new IoServer(http, {
    maxHttpBufferSize: 64 * 1024,
    pingInterval: 10_000,
    pingTimeout: 10_000,
    // Browsers send Origin; a page from another site may not drive our sockets.
    allowRequest: (req, callback) => {
      const origin = req.headers.origin;
      callback(null, origin === undefined || sameOrigin(origin, req.headers.host));
    },
  });
  const rooms = new Rooms({ store, broadcaster: socketBroadcaster(io), now, joinUrl, coalesceMs: config.coalesceMs, refreshMs: config.refreshMs ?? 10_000, log });
  const restored = await rooms.restore();
  if (restored > 0) log.info({ restored }, 'open sessions restored from storage');
  // Privacy: erase old learner names now and every six hours; the aggregates stay.
  const retention = async () => {
    const days = config.retentionDays ?? 90;
    if (days <= 0) return;
    const erased = await store.eraseLearnerNames(now() - days * 86_400_000);
    if (erased > 0) log.info({ erased, days }, 'learner names erased from old sessions');
  };
  await retention();
  const retentionTimer = setInterval(() => void retention().catch((err: unknown) => log.error({ err }, 'retention')), 6 * 3600_000);
  retentionTimer.unref();
  const auth = new Auth(store, now);
  const limits = new Limits(limitsConfig);
  const media = new MediaFiles(config.mediaDir, join(config.lessonsDir, 'images'));
  const setup = { code: (await store.countUsers()) === 0 ? randomShortCode(8) : null };

  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(
    helmet({
      // Plain HTTP on a LAN: HSTS and upgrade-insecure-requests would send tablets to an HTTPS that is not there.
      strictTransportSecurity: false,
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'"],
          // Older Safari does not count ws:// of our own host as 'self'.
          connectSrc: ["'self'", (req) => `${config.tls ? 'wss' : 'ws'}://${safeHost(req.headers.host)}`],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'self'"],
        },
      },
      crossOriginEmbedderPolicy: false,
    }),
  );
  app.use(
    '/api',
    apiRouter({
      store,
      rooms,
      auth,
      log,
      now,
      setupCode: () => setup.code,
      spendSetupCode: () => (setup.code = null),
      lanUrls,
      isLocal,
      limits,
      media,
    }),
  );
  const ca = config.tls?.ca;
  if (ca) app.get('/ca.crt', (_req, res) => void res.type('application/x-x509-ca-cert').send(ca));
  // Uploads are named by content hash (a name never changes its bytes); starter images ship with the app.
  app.use('/media', express.static(config.mediaDir, { maxAge: '1d', index: false, dotfiles: 'deny' }));
  app.use('/media', express.static(join(config.lessonsDir, 'images'), { maxAge: '1d', fallthrough: false }));
  if (existsSync(join(config.clientDir, 'index.html'))) {
    app.use(clientFiles(config.clientDir));
  } else {
    app.get('/', (_req, res) => {
      res.status(503).type('text/plain').send('The client is not built: run `npm run build` (npm start does it).');
    });
  }

  attachSockets(io, { rooms, auth, log, limits });

  return {
    http,
    io,
    rooms,
    get setupCode() {
      return setup.code;
    },
    listen: (p, host = '0.0.0.0') =>
      new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(p, host, () => {
          port = (http.address() as AddressInfo).port;
          resolve({ port, urls: lanUrls() });
        });
      }),
    close: async () => {
      clearInterval(retentionTimer);
      rooms.close();
      await new Promise<void>((resolve) => io.close(() => resolve()));
      if (http.listening) await new Promise<void>((resolve) => http.close(() => resolve()));
      await store.close();
    },
  };
}

function safeHost(host: string | undefined): string {
  return host && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? host : 'localhost';
}

/**
 * Load lessons/*.json into the store on start; an invalid file is refused loudly, never half-loaded.
 * Their order in the lesson list is the curriculum's: the ids listed in lessons/curriculum.txt (one
 * per line, `#` comments), then any other starter lesson by file name.
 */
async function seedLessons(store: Store, dir: string, now: number, log: Logger): Promise<void> {
  if (!existsSync(dir)) return;
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  const lessons: Lesson[] = [];
  for (const file of files) {
    const parsed = Lesson.safeParse(JSON.parse(await readFile(join(dir, file), 'utf8')));
    if (!parsed.success) {
      log.error({ file, issues: parsed.error.issues.slice(0, 5) }, 'starter lesson is invalid; skipped');
      continue;
    }
    lessons.push(parsed.data);
  }
  const curriculum = await readCurriculum(join(dir, 'curriculum.txt'));
  const rank = (id: string) => {
    const i = curriculum.indexOf(id);
    return i === -1 ? curriculum.length : i;
  };
  const unknown = curriculum.filter((id) => !lessons.some((l) => l.id === id));
  if (unknown.length > 0) log.warn({ unknown }, 'lessons/curriculum.txt names lessons that are not there');
  // Stable sort: unlisted lessons keep their file-name order after the listed ones.
  const ordered = [...lessons].sort((a, b) => rank(a.id) - rank(b.id));
  for (const [position, lesson] of ordered.entries()) {
    if (await store.seedLesson(lesson, now, position)) log.info({ lesson: lesson.id }, 'lesson seeded');
  }
}

async function readCurriculum(path: string): Promise<string[]> {
  if (!existsSync(path)) return [];
  return (await readFile(path, 'utf8'))
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line.length > 0);
}
