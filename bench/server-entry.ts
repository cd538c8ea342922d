/**
 * The real server, started the way server/main.ts starts it (same createApp, same SQLite store, same
 * configuration from the environment), plus a probe the harness reads over IPC: event-loop delay,
 * CPU, memory after a GC. Started by bench/run.ts with --expose-gc, pinned to its own core.
 */
import { resolve } from 'node:path';
import { pino } from 'pino';
import { createApp } from '../server/app.ts';
import { openSqliteStore } from '../server/store/sqlite.ts';
import { instrumentSocketIo } from './lib/instrument.ts';
import { now } from './lib/clock.ts';
import { recordTiming, startProbe } from './lib/probe.ts';

const env = process.env;
const root = resolve(import.meta.dirname, '..');
const log = pino({ level: env.LOG_LEVEL ?? 'warn' });

const dataDir = resolve(env.DATA_DIR ?? resolve(root, 'data'));
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
const app = await createApp({
  store,
  log,
  config: {
    clientDir: resolve(env.CLIENT_DIR ?? resolve(root, 'dist/client')),
    lessonsDir: resolve(env.LESSONS_DIR ?? resolve(root, 'lessons')),
    mediaDir: resolve(dataDir, 'media'),
    publicUrl: env.PUBLIC_URL,
    coalesceMs: Number(env.COALESCE_MS ?? 100),
  },
});
const { port } = await app.listen(Number(env.PORT ?? 0), env.HOST ?? '127.0.0.1');

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
