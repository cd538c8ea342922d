/**
 * The real server, started the way server/main.ts starts it (same startApp, same SQLite store, same
 * configFromEnv and appDeps), plus a probe the harness reads over IPC: event-loop delay,
 * CPU, memory after a GC. Started by bench/run.ts with --expose-gc, pinned to its own core.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { instrumentSocketIo } from './lib/instrument.ts';
import { now } from './lib/clock.ts';
import { recordTiming, startProbe } from './lib/probe.ts';

const root = resolve(import.meta.dirname, '..');
// The server as `npm start` runs it: the tsc build in dist/server under plain node (bench/run.ts
// builds it first when it is stale). Under tsx, every closure of ours would carry a name property
// (esbuild's keepNames): about 5 KB more per learner socket and slower closures than in production.
// BENCH_SERVER=source measures the TypeScript sources through tsx instead.
const fromSource = process.env.BENCH_SERVER === 'source';
const load = <T>(path: string): Promise<T> =>
  import(fromSource ? `../server/${path}.ts` : pathToFileURL(join(root, 'dist/server/server', `${path}.js`)).href) as Promise<T>;
const { startApp } = await load<typeof import('../server/app.ts')>('app');
const { configFromEnv } = await load<typeof import('../server/lib/config.ts')>('lib/config');
const { openStore } = await load<typeof import('../server/store/open.ts')>('store/open');
const { appDeps } = await load<typeof import('../server/lib/app-deps.ts')>('lib/app-deps');
// The bench's defaults (a free port on loopback, quiet log), then whatever the harness sets.
const config = configFromEnv({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...process.env }, root);
const log = pino({ level: config.logLevel });

const { dataDir } = config;
// SQLite in DATA_DIR, or PostgreSQL when the harness passes DATABASE_URL (the festival's several-process variant).
const store = await openStore({ dataDir, databaseUrl: config.databaseUrl });
// Timing only: how long an append takes to become durable (call → resolved). The SQLite store
// commits on the event loop, so this is also how long the loop may be held by a commit (fsync).
const append = store.appendEvents.bind(store);
store.appendEvents = (sessionId, afterSeq, events) => {
  const started = now();
  const done = append(sessionId, afterSeq, events);
  done.then(
    () => recordTiming('store.appendEvents', now() - started),
    () => undefined,
  );
  return done;
};
// As main.ts starts it (REDIS_URL with DATABASE_URL: the festival's several-process run), without
// the backup route and TLS.
const app = await startApp(appDeps(config, store, log));
const { port } = await app.listen(config.port, config.host);

// Timing only: the server's share of each push (command in → view written to every learner socket).
instrumentSocketIo(app.io, {
  staff: '/staff',
  pushEvent: 'step:push',
  classOfCommand: (p) => (p as { sessionId?: string } | undefined)?.sessionId,
  learners: '/learner',
  classOfRoom: (room) => (room.startsWith('class:') ? room.slice('class:'.length) : undefined),
  viewEvent: 'class',
});
startProbe(() => app.close());
process.send?.({ type: 'ready', port });
