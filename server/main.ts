import { readFileSync } from 'node:fs';
import { startApp } from './app.ts';
import { appDeps } from './lib/app-deps.ts';
import { ConfigError, configFromEnv, type ServerConfig } from './lib/config.ts';
import { appRoot, bannerStream, createLogger, logFormat, startupBanner } from './lib/startup.ts';
import { openStore, redactUrl } from './store/open.ts';

/** Wiring only: configuration from the environment, real store, listen, print where to go. */
// server/ under tsx, dist/server/server/ once built: the project folder is the one with package.json.
const root = appRoot(import.meta.dirname);
// An operator's mistake: one line that says which setting, not a stack trace.
const refuse = (message: string): never => {
  process.stderr.write(`cung-hoc: ${message}\n`);
  process.exit(2);
};
let config: ServerConfig;
try {
  config = configFromEnv(process.env, root);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  config = refuse(err.message);
}
const readPem = (name: string, file: string): Buffer => {
  try {
    return readFileSync(file);
  } catch (err) {
    return refuse(`configuration: ${name} ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
};
const level = config.logLevel;
const format = logFormat({ LOG_FORMAT: config.logFormat }, process.stdout.isTTY === true);
const log = createLogger(level, format);

const { dataDir, tls, databaseUrl } = config;
// Both or neither: https with the hall's certificate (scripts/make-hall-ca.sh), else plain http.
// Read before anything is opened, so a wrong path stops the start cleanly.
const pems = tls
  ? {
      cert: readPem('TLS_CERT', tls.certFile),
      key: readPem('TLS_KEY', tls.keyFile),
      ...(tls.caFile ? { ca: readPem('TLS_CA', tls.caFile) } : {}),
    }
  : undefined;
// PostgreSQL with DATABASE_URL, else SQLite in DATA_DIR.
const store = await openStore({ dataDir, databaseUrl, log }).catch((err: unknown) =>
  refuse(err instanceof Error ? err.message : String(err)),
);
const app = await startApp(appDeps(config, store, log, { dataDir, tls: pems }));
const { port: listening, urls } = await app.listen(config.port, config.host);

const banner = startupBanner({
  port: listening,
  urls,
  setupCode: app.setupCode,
  dataDir: databaseUrl ? redactUrl(databaseUrl) : dataDir,
  node: process.version,
});
process[bannerStream(format, level)].write(banner + '\n');
log.info({ port: listening, urls, mode: config.mode }, 'listening');

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
