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
import { tabletUrls } from './lib/addresses.ts';
import { randomShortCode } from './lib/ids.ts';
import { seedLessons, startRetention } from './lib/maintenance.ts';
import { MediaFiles, mediaFromStore } from './store/media.ts';
import type { Rooms } from './rooms/registry.ts';
import { Directory } from './cluster/directory.ts';
import { RedisBus } from './cluster/bus.ts';
import { useRedisAdapter } from './cluster/redis.ts';
import type { Store } from './store/store.ts';
import { Auth, isLoopback } from './transport/auth.ts';
import { clientAddress, normalizeAddress, TrustedProxies, type AddressOf } from './transport/client-address.ts';
import { Limits, type LimitsConfig } from './transport/limits.ts';
import { apiRouter, sameOrigin } from './transport/http.ts';
import { backupRouter } from './transport/backup.ts';
import { attachSockets, socketBroadcaster, type CardRegister } from './transport/sockets.ts';
import { RegisterFigures } from './rooms/register.ts';
import { clientFiles } from './transport/static.ts';

export interface Config {
  /** Built client (vite build output). */
  clientDir: string;
  /** Starter lessons (*.json) and their images. */
  lessonsDir: string;
  /** Uploaded lesson pictures (DATA_DIR/media), served at /media/ beside lessons/images. */
  mediaDir: string;
  /** The data folder (DATA_DIR), for backups downloaded from the console; without it there is no backup route. */
  dataDir?: string;
  /** Base URL for join links when the LAN address is not the right one (e.g. behind a router name). */
  publicUrl?: string;
  coalesceMs: number;
  /** Staff view refresh when idle (stuck flags age with time); default 10 s. */
  refreshMs?: number;
  /** Learner names are erased from sessions that ended more than this many days ago; 0 keeps them. */
  retentionDays?: number;
  /**
   * Reverse proxies (addresses, subnets: TRUST_PROXY) whose X-Forwarded-For names the client: behind
   * nginx, its address, or every tablet is nginx (server/transport/client-address.ts).
   */
  trustProxy?: readonly string[];
  /** Serve https with this certificate and key (PEM), e.g. from the hall's own CA (docs/tablets.md). */
  tls?: {
    cert: string | Buffer;
    key: string | Buffer;
    /** The hall's CA certificate, offered at /ca.crt for tablets to install. */ ca?: string | Buffer;
  };
}

export interface AppDeps {
  store: Store;
  log: Logger;
  now?: () => number;
  config: Config;
  /** Is a client address (after X-Forwarded-For from a trusted proxy) the server machine itself? Tests replace it to play a remote machine. */
  isLocal?: (address: string | undefined) => boolean;
  /** Every guessing limit, cap, timeout and rate (server/transport/limits.ts); tests may tighten them. */
  limits?: Partial<LimitsConfig>;
  /** Several processes (server/cluster/): PostgreSQL leases decide who owns a session, Redis carries broadcasts and calls. */
  cluster?: ClusterConfig;
}

export interface ClusterConfig {
  nodeId: string;
  leaseMs: number;
  redisUrl: string;
  /** Names the Redis stream and channels (several clusters or tests on one Redis). */
  redisPrefix: string;
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

/**
 * A server as main.ts starts it: the starter lessons seeded into the store, the app wired, old
 * learner names erased now and every six hours. Tests and the bench start theirs the same way.
 */
export async function startApp(deps: AppDeps): Promise<App> {
  const now = deps.now ?? Date.now;
  await seedLessons(deps.store, deps.config.lessonsDir, now(), deps.log);
  const app = await createApp(deps);
  const stopRetention = await startRetention({ store: deps.store, log: deps.log, now, days: deps.config.retentionDays ?? 90 });
  const close = app.close.bind(app);
  app.close = () => {
    stopRetention();
    return close();
  };
  return app;
}

/** Wire the classroom: store → rooms → HTTP + Socket.IO, and nothing else (no seeding, no timers of its own work). */
export async function createApp({
  store,
  log,
  now = Date.now,
  config,
  isLocal = isLoopback,
  limits: limitsConfig,
  cluster,
}: AppDeps): Promise<App> {
  const limits = new Limits(limitsConfig);
  const proxies = new TrustedProxies(config.trustProxy);
  if (proxies.size > 0) log.info({ trustProxy: proxies.entries }, 'client addresses from X-Forwarded-For of trusted proxies');
  let untrustedWarned = false;
  const addressOf: AddressOf = (peer, headers) => {
    // Once: behind a proxy that TRUST_PROXY does not name, every tablet would be that proxy.
    if (!untrustedWarned && headers['x-forwarded-for'] !== undefined && !proxies.has(normalizeAddress(peer ?? ''))) {
      untrustedWarned = true;
      log.warn(
        { peer },
        'a request came with X-Forwarded-For from an address not in TRUST_PROXY: the header is ignored (behind a proxy, set TRUST_PROXY to its address)',
      );
    }
    return clientAddress(peer, headers, proxies);
  };
  let port = 0;
  const scheme = config.tls ? 'https' : 'http';
  // Read once and refreshed now and then: asking the OS on every view would throw (EMFILE) under a flood.
  let lanCache: string[] = [];
  const readLanUrls = (): string[] => {
    try {
      return tabletUrls(networkInterfaces(), port, config.publicUrl, scheme);
    } catch (err) {
      log.warn({ err }, 'network interfaces unreadable; keeping the last known addresses');
      return lanCache;
    }
  };
  lanCache = readLanUrls();
  const lanTimer = setInterval(() => (lanCache = readLanUrls()), 30_000);
  lanTimer.unref();
  const lanUrls = (): string[] => lanCache;
  // Without any network, the join link can only work on this machine.
  const joinUrl = (code: string) => `${lanUrls()[0] ?? `${scheme}://localhost:${port}`}/?code=${code}`;

  const app = express();
  const c = limits.config;
  const serverOptions = {
    requestTimeout: c.requestTimeoutMs,
    headersTimeout: Math.min(c.headersTimeoutMs, c.requestTimeoutMs),
    // How often request and header deadlines are checked (Node's default, 30 s, would let a trickle run long).
    connectionsCheckingInterval: Math.max(100, Math.min(5_000, Math.floor(c.headersTimeoutMs / 4))),
  };
  // One listener either way: http, or https when the hall has a certificate (no redirect: tablets keep the address they know).
  const http: HttpServer = config.tls
    ? createHttpsServer({ ...serverOptions, cert: config.tls.cert, key: config.tls.key }, app)
    : createHttpServer(serverOptions, app);
  guardConnections(http, c, isLocal, proxies, log, now);
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
  const leases = store.leases;
  if (cluster && !leases)
    throw new Error('Several processes need a store with leases: set DATABASE_URL (PostgreSQL) as well as REDIS_URL.');
  const adapter = cluster && useRedisAdapter(io, cluster.redisUrl, cluster.redisPrefix, log);
  const bus = cluster && new RedisBus(cluster.redisUrl, cluster.nodeId, `${cluster.redisPrefix}:bus`, log);
  const { rooms, directory } = Directory.create(
    {
      store,
      broadcaster: socketBroadcaster(io, { local: !cluster }),
      now,
      joinUrl,
      coalesceMs: config.coalesceMs,
      refreshMs: config.refreshMs ?? 10_000,
      log,
    },
    cluster && leases && bus ? { nodeId: cluster.nodeId, leaseMs: cluster.leaseMs, leases, bus } : undefined,
  );
  if (cluster) {
    // No restore of every open session: each is taken by whichever process finds it without an owner.
    await bus!.ready();
    await directory.startKeeping();
    log.info({ node: cluster.nodeId, leaseMs: cluster.leaseMs, owned: directory.ownedIds().length }, 'cluster node started');
  } else {
    const restored = await rooms.restore();
    if (restored > 0) log.info({ restored }, 'open sessions restored from storage');
  }
  const auth = new Auth(store, now);
  const media = new MediaFiles(store.media ?? config.mediaDir, join(config.lessonsDir, 'images'));
  const setup = { code: (await store.countUsers()) === 0 ? randomShortCode(8) : null };
  const figures = new RegisterFigures({ store, rooms, now });
  // Warm the dashboard's memo once the server is up; a store closed meanwhile (tests) just skips it.
  const warmTimer = setTimeout(() => void figures.warm().catch(() => undefined), 1000);
  warmTimer.unref();
  // A learner card at the join screen: its holder, and the link from the session's learner to them.
  const people: CardRegister = {
    byCard: async (card) => {
      const p = await store.findPersonByCard(card);
      return p?.name ? { id: p.id, name: p.name } : undefined;
    },
    link: (sessionId, rowId, personId) =>
      store.linkLearner(
        { sessionId, rowId, personId, at: now() },
        { personId, at: now(), userId: 'card', action: 'linked', detail: sessionId },
      ),
  };
  // "Mã cài máy": lets staff label tablets before any class (shown on the console's home page).
  const tabletCode = randomShortCode(6);

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
      // These two act only on a trustworthy origin (HTTPS, localhost); over the LAN's plain http
      // Chrome ignores them with a console warning on every page, so they are sent only where they apply.
      crossOriginOpenerPolicy: false,
      originAgentCluster: false,
    }),
  );
  if (config.dataDir) app.use('/api/backup', backupRouter({ auth, dataDir: config.dataDir, log, now, external: store.kind !== 'sqlite' }));
  app.use((req, res, next) => {
    if (req.secure || isTrustworthyHost(req.headers.host)) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Origin-Agent-Cluster', '?1');
    }
    next();
  });
  app.use(
    '/api',
    apiRouter({
      store,
      rooms,
      directory,
      auth,
      log,
      now,
      setupCode: () => setup.code,
      spendSetupCode: () => (setup.code = null),
      lanUrls,
      isLocal,
      addressOf,
      limits,
      media,
      figures,
      tabletCode: () => tabletCode,
    }),
  );
  const ca = config.tls?.ca;
  if (ca) app.get('/ca.crt', (_req, res) => void res.type('application/x-x509-ca-cert').send(ca));
  // Uploads are named by content hash (a name never changes its bytes); starter images ship with the app.
  if (media.uploadDir) app.use('/media', express.static(media.uploadDir, { maxAge: '1d', index: false, dotfiles: 'deny' }));
  else app.use('/media', mediaFromStore(media));
  app.use('/media', express.static(join(config.lessonsDir, 'images'), { maxAge: '1d', fallthrough: false }));
  if (existsSync(join(config.clientDir, 'index.html'))) {
    app.use(clientFiles(config.clientDir));
  } else {
    app.get('/', (_req, res) => {
      res.status(503).type('text/plain').send('The client is not built: run `npm run build` (npm start does it).');
    });
  }

  // Anything else (a missing picture, a `..%2f` path, a bug): a short plain answer, never a stack or a path.
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('Not found');
  });
  app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = (err as { status?: unknown; statusCode?: unknown }).status ?? (err as { statusCode?: unknown }).statusCode;
    const code = typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
    if (code >= 500) log.error({ err, url: req.originalUrl }, 'request failed');
    if (res.headersSent) return void res.destroy();
    res
      .status(code)
      .type('text/plain')
      .send(code === 404 ? 'Not found' : code < 500 ? 'Bad request' : 'Server error');
  });

  attachSockets(io, { rooms, directory, auth, log, limits, isLocal, addressOf, people, tabletCode: () => tabletCode });

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
          lanCache = readLanUrls();
          // After listening, a failed accept (EMFILE…) is logged; the server goes on.
          http.removeListener('error', reject);
          http.on('error', (err) => log.error({ err }, 'http server error'));
          resolve({ port, urls: [...lanUrls(), `${scheme}://localhost:${port}`] });
        });
      }),
    close: async () => {
      clearInterval(lanTimer);
      clearTimeout(warmTimer);
      await directory.close();
      rooms.close();
      // io.close() ends every socket, then waits for the last connection. A connection in use is never idle, and a
      // closing server times no request out: a tablet reconnecting by long-polling through its keep-alive connection,
      // or a request half sent, would hold close() forever. So stop listening first, then end every HTTP connection
      // left (WebSockets are not among them: io.close() ends those).
      if (http.listening) http.close();
      const closed = new Promise<void>((resolve) => void io.close(() => resolve()));
      http.closeAllConnections();
      await closed;
      adapter?.close();
      await store.close();
    },
  };
}

/**
 * Connection caps and timeouts, below the process's file limit: more connections in all than
 * `maxConnections`, or from one address than `maxConnectionsPerAddress`, are closed at once; a
 * connection silent for `idleSocketMs` is closed; a request must arrive whole within `requestTimeoutMs`.
 * These count TCP peers: a trusted proxy carries every tablet behind it, so it has no per-address cap
 * (nginx's limit_conn counts per tablet, docs/nginx.conf.example); the total cap holds for it too.
 */
function guardConnections(
  http: HttpServer,
  c: LimitsConfig,
  isLocal: (a: string | undefined) => boolean,
  proxies: TrustedProxies,
  log: Logger,
  now: () => number,
): void {
  http.maxConnections = c.maxConnections;
  http.timeout = c.idleSocketMs;
  const perAddress = new Map<string, number>();
  let warned = 0;
  http.on('connection', (socket) => {
    const address = normalizeAddress(socket.remoteAddress ?? '');
    if (proxies.has(address)) return;
    const n = (perAddress.get(address) ?? 0) + 1;
    if (n > c.maxConnectionsPerAddress && !isLocal(address)) {
      if (now() - warned > 60_000) {
        warned = now();
        log.warn({ address, limit: c.maxConnectionsPerAddress }, 'too many connections from one address; closing the extra ones');
      }
      socket.destroy();
      return;
    }
    perAddress.set(address, n);
    socket.once('close', () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left <= 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
  });
  http.on('drop', (data?: { remoteAddress?: string }) => {
    if (now() - warned > 60_000) {
      warned = now();
      log.warn({ address: data?.remoteAddress, limit: c.maxConnections }, 'connection cap reached; refusing new connections');
    }
  });
  // A malformed or timed-out request ends its connection, never the process.
  http.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    const status =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? '408 Request Timeout'
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : '400 Bad Request';
    if (socket.writable && err.code !== 'ECONNRESET') socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    socket.destroy();
  });
}

/** localhost, 127.0.0.0/8 and [::1] are trustworthy origins even over http (the Secure Contexts spec). */
export function isTrustworthyHost(host: string | undefined): boolean {
  const name = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(name) || name === '[::1]';
}

function safeHost(host: string | undefined): string {
  return host && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? host : 'localhost';
}
