import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { createApp } from './app.ts';
import { openSqliteStore } from './store/sqlite.ts';

/** Wiring only: configuration from the environment, real store, listen, print where to go. */
const env = process.env;
const root = resolve(import.meta.dirname, '..');
const port = Number(env.PORT ?? 3000);
const host = env.HOST ?? '0.0.0.0';
const log = pino({ level: env.LOG_LEVEL ?? 'info' });

if (!env.TLS_CERT !== !env.TLS_KEY) throw new Error('TLS_CERT and TLS_KEY go together: set both (https) or neither (http)');
const dataDir = resolve(env.DATA_DIR ?? resolve(root, 'data'));
const store = openSqliteStore(dataDir);
const app = await createApp({
  store,
  log,
  config: {
    clientDir: resolve(env.CLIENT_DIR ?? resolve(root, 'dist/client')),
    lessonsDir: resolve(env.LESSONS_DIR ?? resolve(root, 'lessons')),
    mediaDir: resolve(dataDir, 'media'),
    publicUrl: env.PUBLIC_URL,
    coalesceMs: Number(env.COALESCE_MS ?? 100),
    retentionDays: Number(env.RETENTION_DAYS ?? 90),
    // Both or neither: https with the hall's certificate (scripts/make-hall-ca.sh), else plain http.
    tls:
      env.TLS_CERT && env.TLS_KEY
        ? { cert: readFileSync(env.TLS_CERT), key: readFileSync(env.TLS_KEY), ...(env.TLS_CA ? { ca: readFileSync(env.TLS_CA) } : {}) }
        : undefined,
  },
});
const { urls } = await app.listen(port, host);

const lines = [
  '',
  '  Cùng Học is running.',
  `  Instructor console (on this machine): ${urls.at(-1)}/teach/`,
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
