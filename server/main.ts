import { resolve } from 'node:path';
import { pino } from 'pino';
import { createApp } from './app.ts';
import { openSqliteStore } from './store/sqlite.ts';
import { limitsFromEnv } from './transport/limits.ts';

/** Wiring only: configuration from the environment, real store, listen, print where to go. */
const env = process.env;
const root = resolve(import.meta.dirname, '..');
const port = Number(env.PORT ?? 3000);
const host = env.HOST ?? '0.0.0.0';
const log = pino({ level: env.LOG_LEVEL ?? 'info' });

const dataDir = resolve(env.DATA_DIR ?? resolve(root, 'data'));
const store = openSqliteStore(dataDir);
const app = await createApp({
  store,
  log,
  limits: limitsFromEnv(),
  config: {
    clientDir: resolve(env.CLIENT_DIR ?? resolve(root, 'dist/client')),
    lessonsDir: resolve(env.LESSONS_DIR ?? resolve(root, 'lessons')),
    mediaDir: resolve(dataDir, 'media'),
    publicUrl: env.PUBLIC_URL,
    coalesceMs: Number(env.COALESCE_MS ?? 100),
    retentionDays: Number(env.RETENTION_DAYS ?? 90),
  },
});
const { urls } = await app.listen(port, host);

const lines = [
  '',
  '  Cùng Học is running.',
  `  Instructor console (on this machine): http://localhost:${port}/teach/`,
  ...urls.filter((u) => !u.includes('localhost')).map((u) => `  Tablets on the Wi-Fi:                 ${u}/`),
];
if (app.setupCode) lines.push(`  First-run setup code (for setup from another machine): ${app.setupCode}`);
console.log(lines.join('\n') + '\n');

let closing = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    log.info('shutting down');
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
