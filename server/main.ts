import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createApp } from './app.ts';
import { appRoot, bannerStream, createLogger, logFormat, startupBanner } from './lib/startup.ts';
import { openStore, redactUrl } from './store/open.ts';
import { limitsFromEnv } from './transport/limits.ts';
import { clusterFromEnv } from './cluster/config.ts';

/** Wiring only: configuration from the environment, real store, listen, print where to go. */
const env = process.env;
// server/ under tsx, dist/server/server/ once built: the project folder is the one with package.json.
const root = appRoot(import.meta.dirname);
const port = Number(env.PORT ?? 3000);
const host = env.HOST ?? '0.0.0.0';
const level = env.LOG_LEVEL ?? 'info';
const format = logFormat(env, process.stdout.isTTY === true);
const log = createLogger(level, format);

if (!env.TLS_CERT !== !env.TLS_KEY) throw new Error('TLS_CERT and TLS_KEY go together: set both (https) or neither (http)');
const dataDir = resolve(env.DATA_DIR ?? resolve(root, 'data'));
const cluster = clusterFromEnv(env);
const store = await openStore({ dataDir, databaseUrl: env.DATABASE_URL, log });
const app = await createApp({
  store,
  log,
  limits: limitsFromEnv(),
  cluster,
  config: {
    clientDir: resolve(env.CLIENT_DIR ?? resolve(root, 'dist/client')),
    lessonsDir: resolve(env.LESSONS_DIR ?? resolve(root, 'lessons')),
    mediaDir: resolve(dataDir, 'media'),
    dataDir,
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
const { port: listening, urls } = await app.listen(port, host);

const banner = startupBanner({ port: listening, urls, setupCode: app.setupCode, dataDir: env.DATABASE_URL ? redactUrl(env.DATABASE_URL) : dataDir, node: process.version });
process[bannerStream(format, level)].write(banner + '\n');
log.info({ port: listening, urls, mode: env.NODE_ENV ?? 'development' }, 'listening');

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
