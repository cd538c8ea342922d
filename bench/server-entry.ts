/**
 * The real server, started the way server/main.ts starts it (same startApp, same SQLite store, same
 * configFromEnv), plus a probe the harness reads over IPC: event-loop delay,
 * CPU, memory after a GC. Started by bench/run.ts with --expose-gc, pinned to its own core.
 */
import { resolve } from 'node:path';
import { pino } from 'pino';
import { startApp } from '../server/app.ts';
import { configFromEnv } from '../server/lib/config.ts';
import { openSqliteStore } from '../server/store/sqlite.ts';
import { instrumentSocketIo } from './lib/instrument.ts';
import { now } from './lib/clock.ts';
import { recordTiming, startProbe } from './lib/probe.ts';

const root = resolve(import.meta.dirname, '..');
// The bench's defaults (a free port on loopback, quiet log), then whatever the harness sets.
const config = configFromEnv({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...process.env }, root);
const log = pino({ level: config.logLevel });

const { dataDir } = config;
const store = openSqliteStore(dataDir);
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
const app = await startApp({
  store,
  log,
  limits: config.limits,
  config: {
    clientDir: config.clientDir,
    lessonsDir: config.lessonsDir,
    mediaDir: resolve(dataDir, 'media'),
    publicUrl: config.publicUrl,
    coalesceMs: config.coalesceMs,
    retentionDays: config.retentionDays,
  },
});
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
