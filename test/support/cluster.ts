import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { io as connect, type Socket } from 'socket.io-client';
import { freePort, getFrom, NGINX, spreadAddresses, startNginx, until, type Nginx } from '../../bench/lib/nginx.ts';
import { dropAdapterStream } from '../../bench/lib/redis.ts';
import type { Ack } from '../../shared/protocol/errors.ts';
import type { TestContext } from 'vitest';
import { freshDatabase, pgAvailable, REDIS_TEST_URL, redisAvailable, redisPrefix, type FreshDatabase } from './services.ts';
import { setupInstructor, startSession } from './server.ts';
import { waitFor } from './sockets.ts';

/**
 * Several real server processes (tsx server/main.ts) on one PostgreSQL database and one Redis
 * prefix, behind a real nginx started as a child with its own prefix folder (never the system's).
 */
const root = resolve(import.meta.dirname, '../..');
// nginx and the helpers around it live in bench/lib/nginx.ts (the festival bench starts the same nginx).
export { freePort, getFrom, NGINX, spreadAddresses, startNginx, until, upstreamOf, type Nginx } from '../../bench/lib/nginx.ts';

export interface ServerNode {
  id: string;
  port: number;
  url: string;
  proc: ChildProcess;
  /** Every line the process printed (JSON log lines), for conditions and for failures. */
  lines: string[];
  exited: Promise<number | null>;
  alive(): boolean;
}

export interface ClusterEnv {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  leaseMs: number;
}

/** Start one server process and wait until it answers HTTP. */
export async function startNode(env: ClusterEnv, id: string, port?: number): Promise<ServerNode> {
  port ??= await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `cunghoc-node-${id}-`));
  const proc = spawn(process.execPath, ['--import', 'tsx', join(root, 'server/main.ts')], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl,
      REDIS_PREFIX: env.prefix,
      LEASE_MS: String(env.leaseMs),
      NODE_ID: id,
      // nginx connects from 127.0.0.1: the tablet's address is its X-Forwarded-For.
      TRUST_PROXY: '127.0.0.1',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      COALESCE_MS: '20',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(line);
  };
  proc.stdout.on('data', collect);
  proc.stderr.on('data', collect);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((r) =>
    proc.once('exit', (code) => {
      exitCode = code;
      rmSync(dataDir, { recursive: true, force: true });
      r(code);
    }),
  );
  const node: ServerNode = { id, port, url: `http://127.0.0.1:${port}`, proc, lines, exited, alive: () => exitCode === undefined };
  try {
    await until(
      `node ${id} to listen on ${port}`,
      async () => {
        if (!node.alive()) throw new Error(`node ${id} exited: ${lines.slice(-20).join('\n')}`);
        return (await getFrom(`${node.url}/api/me`)).status > 0;
      },
      60_000,
      100,
    );
  } catch (err) {
    proc.kill('SIGKILL');
    throw new Error(`${String(err)}\n${lines.slice(-30).join('\n')}`, { cause: err });
  }
  return node;
}

/** Stop a node for good (a stopped one is continued first, so that it can die). */
export async function killNode(node: ServerNode, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!node.alive()) return;
  node.proc.kill('SIGCONT');
  node.proc.kill(signal);
  await node.exited;
}

/** Requests nginx has finished (a WebSocket when it closes): client address → upstream ports that answered it. */
export function accessLog(nginx: Nginx): { address: string; upstream: number; status: number; uri: string }[] {
  const path = join(nginx.dir, 'logs/access.log');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [address, upstream, status, uri] = line.split(' ');
      return { address, upstream: Number(upstream.split(/[ ,]+/).at(-1)!.split(':').at(-1)), status: Number(status), uri };
    });
}

export interface Cluster {
  env: ClusterEnv;
  db: FreshDatabase;
  nodes: ServerNode[];
  nginx: Nginx | null;
  teardown(): Promise<void>;
}

/**
 * A database of its own, a Redis prefix of its own, `count` processes and nginx in front. Pass
 * `via` to put proxies between the processes and PostgreSQL/Redis (connection strings through them).
 */
export async function startCluster(opts: {
  count?: number;
  leaseMs: number;
  nginx?: boolean;
  via?: { databaseUrl?: (url: string) => string; redisUrl?: string };
}): Promise<Cluster> {
  const db = await freshDatabase();
  const prefix = redisPrefix().replace(/:$/, '');
  const env: ClusterEnv = {
    databaseUrl: opts.via?.databaseUrl ? opts.via.databaseUrl(db.url) : db.url,
    redisUrl: opts.via?.redisUrl ?? REDIS_TEST_URL,
    prefix,
    leaseMs: opts.leaseMs,
  };
  const nodes: ServerNode[] = [];
  let nginx: Nginx | null = null;
  const teardown = async () => {
    await Promise.all(nodes.map((n) => killNode(n, 'SIGKILL')));
    await nginx?.stop();
    await db.drop().catch(() => undefined);
    await dropAdapterStream(REDIS_TEST_URL, prefix);
  };
  try {
    // One after the other: the first runs the migrations, the others find them done.
    for (let i = 0; i < (opts.count ?? 2); i++) nodes.push(await startNode(env, `node${i + 1}`));
    if (opts.nginx !== false) nginx = await startNginx(nodes.map((n) => n.port));
  } catch (err) {
    await teardown();
    throw err;
  }
  return { env, db, nodes, nginx, teardown };
}

/** Is nginx there for this test file? One printed line when it is not; a failure under REQUIRE_SERVICES (.ci/run). */
export function nginxAvailable(file: string): boolean {
  if (existsSync(NGINX)) return true;
  const line = `${file}: skipped — nginx is not installed at ${NGINX} (apt-get install -y nginx)`;
  if (process.env.REQUIRE_SERVICES === '1' || process.env.REQUIRE_SERVICES === 'true')
    throw new Error(`${line}; REQUIRE_SERVICES is set, so this is a failure`);
  console.warn(line);
  return false;
}

// ---- clients through nginx, from a chosen loopback address ------------------------------------

const recorded = new WeakMap<Socket, Map<string, unknown>>();
/** Every client disconnection and its reason, for a failing test's report. */
export const disconnects: string[] = [];
const clients: Socket[] = [];

/**
 * A Socket.IO client from `localAddress` (Linux routes all of 127/8 to lo, and nginx hashes on the
 * address), reconnecting on its own like the learner page. WebSocket only: in Node, the client's
 * long-polling requests ignore `localAddress` (they would all come from 127.0.0.1); `polling: true`
 * is a long-polling-only client from 127.0.0.1, to check that its requests stay on one process.
 */
export function clientSocket(
  url: string,
  ns: '/learner' | '/staff' | '/display',
  opts: {
    localAddress?: string;
    polling?: boolean;
    reconnection?: boolean;
    cookie?: string;
    auth?: Record<string, string> | (() => Record<string, string>);
  },
): Socket {
  const auth = opts.auth;
  const socket = connect(url + ns, {
    forceNew: true,
    reconnection: opts.reconnection ?? true,
    transports: opts.polling ? ['polling'] : ['websocket'],
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
    localAddress: opts.localAddress,
    extraHeaders: opts.cookie ? { cookie: opts.cookie } : undefined,
    // Evaluated at each (re)connection, as the page reads its stored resume token.
    auth: typeof auth === 'function' ? (cb: (data: object) => void) => cb(auth()) : auth,
  } as Parameters<typeof connect>[1]);
  const last = new Map<string, unknown>();
  recorded.set(socket, last);
  socket.onAny((event: string, payload: unknown) => last.set(event, payload));
  socket.on('disconnect', (reason) =>
    disconnects.push(`${new Date().toISOString()} ${ns} from ${opts.localAddress ?? '127.0.0.1'}: ${reason}`),
  );
  clients.push(socket);
  return socket;
}

export function closeClients(): void {
  for (const s of clients.splice(0)) s.disconnect();
}

export const lastOf = <T>(socket: Socket, event: string): T | undefined => recorded.get(socket)?.get(event) as T | undefined;

/** Resolve when `predicate` holds for the last payload of `event` or a later one (test/support/sockets.ts waits for the later ones). */
export async function waitOn<T>(socket: Socket, event: string, predicate: (v: T) => boolean, ms = 15_000): Promise<T> {
  const last = lastOf<T>(socket, event);
  if (last !== undefined && predicate(last)) return last;
  return waitFor(socket, event, predicate, ms).catch((err: Error) => {
    throw new Error(`${err.message} (last: ${JSON.stringify(lastOf(socket, event))?.slice(0, 300)})`, { cause: err });
  });
}

/** A command and its ack (the client's own timeout: an ack that never comes is a failure). */
export function ask<T>(socket: Socket, event: string, payload: unknown, ms = 15_000): Promise<Ack<T>> {
  return socket.timeout(ms).emitWithAck(event, payload) as Promise<Ack<T>>;
}

/** Rows of one query on a connection of its own, closed after. */
async function queryRows<R extends object>(databaseUrl: string, sql: string, params: unknown[]): Promise<R[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

type LeaseRow = { owner: string; fence: number; expired: boolean };

/** The current lease of a session, straight from the database. */
export async function leaseRow(databaseUrl: string, sessionId: string): Promise<LeaseRow | undefined> {
  const rows = await queryRows<LeaseRow>(
    databaseUrl,
    'SELECT owner, fence, expires_at < now() AS expired FROM session_leases WHERE session_id = $1',
    [sessionId],
  );
  return rows[0];
}

type StoredEvent = { seq: number; type: string; body: unknown };

/** The stored events of a session, in order: their sequence numbers and types. */
export function storedEvents(databaseUrl: string, sessionId: string): Promise<StoredEvent[]> {
  return queryRows<StoredEvent>(databaseUrl, 'SELECT seq, type, data AS body FROM session_events WHERE session_id = $1 ORDER BY seq', [
    sessionId,
  ]);
}

// ---- what every cluster test file does ----------------------------------------------------------

/** Are PostgreSQL, Redis and nginx all there for this test file? One printed line for each missing. */
export async function clusterReady(file: string): Promise<boolean> {
  return (await pgAvailable(file)) && (await redisAvailable(file)) && nginxAvailable(file);
}

/** After each test: the clients closed; on failure, the disconnections and each process's last lines; the cluster torn down. */
export async function endTest(ctx: TestContext, cluster: Cluster | undefined): Promise<void> {
  closeClients();
  if (ctx.task.result?.state === 'fail') {
    console.warn(disconnects.join('\n'));
    for (const n of cluster?.nodes ?? [])
      console.warn(
        `${n.id} alive=${n.alive()}\n${n.lines
          .filter((l) => !l.includes('"level":30'))
          .slice(-15)
          .join('\n')}`,
      );
  }
  await cluster?.teardown();
}

/**
 * A class started through nginx: `perNode` client addresses that nginx sends to each process, an
 * instructor's cookie, the session, the process that owns it and the other one.
 */
export async function classOnCluster(cluster: Cluster, perNode: number) {
  const nginx = cluster.nginx!;
  const spread = await spreadAddresses(
    nginx,
    cluster.nodes.map((n) => n.port),
    perNode,
  );
  const { cookie } = await setupInstructor(nginx.url);
  const session = await startSession(nginx.url, cookie);
  const ownerId = (await leaseRow(cluster.db.url, session.id))!.owner;
  const owner = cluster.nodes.find((n) => n.id === ownerId)!;
  const other = cluster.nodes.find((n) => n !== owner)!;
  return { nginx, spread, cookie, session, owner, other };
}
