/**
 * Festival day on several processes (issue 17): the same 150 classes of 40 as bench/scenarios/festival.ts,
 * on `processes` server processes behind nginx (`hash $remote_addr consistent`, bench/lib/nginx.ts).
 * Ours: PostgreSQL (a fresh database per run, dropped after) and the Redis streams adapter (a prefix
 * of its own); bare Socket.IO: the same adapter, no store. Each class is started on one process (its
 * owner) and its console talks to that process; the learners connect through nginx from 127.0.0.x
 * addresses spread over the processes, so most classes have learners on both.
 *
 * The servers are not pinned (nginx, PostgreSQL, Redis and every server process share the host's
 * cores); the load generator keeps its cores. Event loop and CPU are reported per process.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Socket } from 'socket.io-client';
import { freshDatabase, PG_TEST_URL, REDIS_TEST_URL, type FreshDatabase } from '../../test/support/services.ts';
import { root } from '../lib/children.ts';
import { now, sleep } from '../lib/clock.ts';
import type { Bench } from '../lib/harness.ts';
import { NGINX, spreadAddresses, startNginx, type Nginx } from '../lib/nginx.ts';
import { learnerSpecs, type AnswerStats } from '../lib/pool.ts';
import { dropAdapterStream } from '../lib/redis.ts';
import type { ProbeReport } from '../lib/probe.ts';
import { memoryPerLearner, type GeneratorHealth, type ServerHealth } from '../lib/result.ts';
import { summarize, type Summary } from '../lib/stats.ts';
import {
  fixtureLessonsDir,
  ourInstructor,
  setupInstructor,
  sioInstructor,
  startSession,
  startTarget,
  type Instructor,
  type Target,
} from '../lib/targets.ts';
import { mergeAnswers, openPoll } from './answers.ts';
import { deliveries, pushRounds, type Delivered } from './scale.ts';

/** Client addresses per process: each one's learners come from several (ephemeral ports are per address). */
const ADDRESSES_PER_PROCESS = 8;
/** Joins in flight per worker (4 workers: 16 in all, under the 20 of codesPerAddress). */
const JOIN_CONCURRENCY = 4;

export interface FestivalPhase {
  /** One entry per server process, in start order. */
  servers: ServerHealth[];
  generator: GeneratorHealth;
  valid: boolean;
  reasons: string[];
}

export interface FestivalClusterRun {
  target: 'ours' | 'sio';
  processes: number;
  store: 'postgres' | null;
  classes: number;
  perClass: number;
  learners: number;
  connected: number;
  /** Learners on each process (as nginx hashed their addresses). */
  learnersPerProcess: number[];
  connectMs: number;
  /** (RSS after − before the learners connected, all processes together) / learners. */
  bytesPerLearnerRss: number;
  bytesPerLearnerHeap: number;
  pushes: FestivalPhase & {
    pushEveryMs: number;
    durationMs: number;
    count: number;
    pushErrors: number;
  } & Delivered;
  answers: FestivalPhase & { windowMs: number; sent: number; acked: number; errors: Record<string, number>; ack: Summary };
  loadAvg: number[];
}

interface Cluster {
  nodes: Target[];
  nginx: Nginx;
  stop(): Promise<void>;
}

/** `processes` servers of `kind` on one database and Redis prefix, nginx in front. */
async function startCluster(ctx: Bench, kind: 'ours' | 'sio', processes: number, learners: number): Promise<Cluster> {
  const prefix = `ch-bench-${randomBytes(6).toString('hex')}`;
  let db: FreshDatabase | null = null;
  const nodes: Target[] = [];
  const dataDirs: string[] = [];
  let nginx: Nginx | null = null;
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
    await nginx?.stop().catch(() => undefined);
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
    await db?.drop().catch((err: unknown) => ctx.log(`festival: could not drop database ${db?.name}:`, err));
    await dropAdapterStream(REDIS_TEST_URL, prefix);
  };
  try {
    if (kind === 'ours') db = await freshDatabase();
    // One after the other: the first runs the migrations, the others find them done.
    for (let i = 0; i < processes; i++) {
      const env: Record<string, string> = { REDIS_URL: REDIS_TEST_URL, REDIS_PREFIX: prefix };
      if (db) {
        const dataDir = mkdtempSync(join(tmpdir(), 'cunghoc-bench-'));
        dataDirs.push(dataDir);
        Object.assign(env, {
          DATA_DIR: dataDir,
          DATABASE_URL: db.url,
          NODE_ID: `bench-node${i + 1}`,
          // Behind nginx, limits count per learner (the X-Forwarded-For nginx sets), as in a hall.
          TRUST_PROXY: '127.0.0.1',
          LESSONS_DIR: fixtureLessonsDir,
          CLIENT_DIR: join(root, 'dist/client'),
        });
      }
      nodes.push(await startTarget(kind, { cores: null, coalesceMs: ctx.settings.coalesceMs, env, name: `server:${kind}:${i + 1}` }));
    }
    // Two connections a learner (client side, upstream side), and some room.
    nginx = await startNginx(
      nodes.map((n) => n.port),
      { workerConnections: 2 * learners + 1024 },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes, nginx, stop };
}

export async function festivalCluster(ctx: Bench, kind: 'ours' | 'sio', processes: number): Promise<FestivalClusterRun> {
  const { settings, pool, serverHealth, generatorHealth, lesson, stepCount, log } = ctx;
  const f = settings.festival;
  const learners = f.classes * f.perClass;
  const cluster = await startCluster(ctx, kind, processes, learners);
  const { nodes, nginx } = cluster;
  const instructors: Instructor[] = [];
  try {
    // Classes spread over the processes: class c is started on (and owned by) process c mod n.
    const classes: { key: string; code?: string; owner: number }[] = [];
    let cookie = '';
    if (kind === 'ours') {
      cookie = await setupInstructor(nodes[0].url);
      for (let c = 0; c < f.classes; c++) {
        const session = await startSession(nodes[c % processes].url, cookie);
        classes.push({ key: session.id, code: session.code, owner: c % processes });
      }
    } else {
      for (let c = 0; c < f.classes; c++) classes.push({ key: `class-${c + 1}`, owner: c % processes });
    }
    for (const c of classes) {
      const url = nodes[c.owner].url;
      instructors.push(kind === 'ours' ? await ourInstructor(url, cookie, c.key) : await sioInstructor(url, c.key, lesson));
    }
    // Client addresses by the process nginx sends them to; the learners take them in turn.
    const spread = await spreadAddresses(
      nginx,
      nodes.map((n) => n.port),
      ADDRESSES_PER_PROCESS,
    );
    const byNode = nodes.map((n) => spread.get(n.port)!);
    const addresses = Array.from({ length: ADDRESSES_PER_PROCESS }, (_, i) => byNode.map((list) => list[i])).flat();
    await sleep(500);
    const probeAll = (o: { gc?: boolean; reset?: boolean }) => Promise.all(nodes.map((n) => n.probe(o)));
    const before = await probeAll({ gc: true });

    const specs = classes
      .flatMap((c, i) => learnerSpecs(f.perClass, c.key, c.code, i * f.perClass))
      .map((spec, i) => ({ ...spec, localAddress: addresses[i % addresses.length] }));
    const learnersPerProcess = nodes.map((_, p) => specs.filter((_s, i) => (i % addresses.length) % processes === p).length);
    // Few joins in flight at once: behind nginx every learner has nginx's address, and the class-code
    // guessing limit reserves a point per address on arrival (20 a minute), given back on success.
    const conn = await pool.connect(kind, nginx.port, specs, JOIN_CONCURRENCY);
    if (conn.failed > 0) throw new Error(`${conn.failed} learners could not connect: ${JSON.stringify(conn.errors)}`);
    await sleep(f.settleMs);
    const after = await probeAll({ gc: true });
    const n = conn.connected;
    // All processes together.
    const total = (reports: ProbeReport[]) => {
      const sum = (pick: (m: NodeJS.MemoryUsage) => number) => reports.reduce((s, r) => s + pick(r.memory), 0);
      return { rss: sum((m) => m.rss), heapUsed: sum((m) => m.heapUsed), external: sum((m) => m.external) };
    };

    // A window: every process's probe, the workers and the harness count from here.
    const begin = async () => {
      await probeAll({ reset: true });
      await pool.stats(true);
      ctx.resetSelf();
    };
    const end = async (): Promise<FestivalPhase> => {
      const probes = await probeAll({});
      const workers = await pool.stats(false);
      const generator = generatorHealth(workers, probes[0]);
      // Host load is not split here: the servers share the cores with nginx, PostgreSQL and Redis.
      const v = ctx.validity(generator, { otherOnServerCorePct: null, otherOnGeneratorCoresPct: null });
      return { servers: probes.map(serverHealth), generator, valid: v.valid, reasons: v.reasons };
    };

    await begin();
    const { rounds, sends, pushErrors } = await pushRounds(pool, classes, instructors, f, stepCount);
    const pushPhase = await end();
    const delivered = await deliveries(pool, sends, classes.length * rounds * f.perClass);
    log(
      `festival ${kind} ×${processes}: ${n} learners (${learnersPerProcess.join(' + ')}); push delivery p50 ${delivered.delivery.p50} p99 ${delivered.delivery.p99} ms, ` +
        `${delivered.received}/${delivered.expected} received`,
    );

    // Every class opens a poll on its owner (bare Socket.IO has none: any run id is acknowledged).
    const runIds: Record<string, string> = {};
    for (const [i, c] of classes.entries()) {
      runIds[c.key] = kind === 'ours' ? (await openPoll(instructors[i].socket as Socket, c.key)).runId : 'run';
    }
    await begin();
    const parts = await pool.all<AnswerStats>(
      { type: 'burst', runIds, startAt: now() + 300, windowMs: f.answerWindowMs, timeoutMs: f.ackTimeoutMs },
      f.answerWindowMs + f.ackTimeoutMs + 30_000,
    );
    const answerPhase = await end();
    const m = mergeAnswers(parts);
    log(`festival ${kind} ×${processes}: ${m.ok}/${m.sent} answers acked, ack p99 ${summarize(m.latencies).p99} ms`);
    await pool.disconnect();
    return {
      target: kind,
      processes,
      store: kind === 'ours' ? 'postgres' : null,
      classes: f.classes,
      perClass: f.perClass,
      learners,
      connected: n,
      learnersPerProcess,
      connectMs: conn.ms,
      ...memoryPerLearner(total(before), total(after), n),
      pushes: {
        ...pushPhase,
        pushEveryMs: f.pushEveryMs,
        durationMs: f.durationMs,
        count: classes.length * rounds,
        pushErrors,
        ...delivered,
      },
      answers: { ...answerPhase, windowMs: f.answerWindowMs, sent: m.sent, acked: m.ok, errors: m.errors, ack: summarize(m.latencies) },
      loadAvg: ctx.loadAvg(),
    };
  } finally {
    for (const i of instructors) i.close();
    await pool.disconnect().catch(() => undefined);
    await cluster.stop();
  }
}

/** Can the several-process run start? null when PostgreSQL, Redis and nginx are all there, else why not. */
export async function clusterServicesMissing(): Promise<string | null> {
  if (!existsSync(NGINX)) return `nginx is not installed at ${NGINX}`;
  const client = new pg.Client({ connectionString: PG_TEST_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
  } catch (err) {
    return `PostgreSQL not reachable at ${PG_TEST_URL} (${(err as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = new Redis(REDIS_TEST_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3_000 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    return `Redis not reachable at ${REDIS_TEST_URL} (${(err as Error).message})`;
  } finally {
    redis.disconnect();
  }
  return null;
}
