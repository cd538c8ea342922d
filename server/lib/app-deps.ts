import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { AppDeps, Config } from '../app.ts';
import type { Store } from '../store/store.ts';
import type { ServerConfig } from './config.ts';

/**
 * What startApp gets from the environment's configuration: server/main.ts and the bench's server
 * (bench/server-entry.ts) start the same app from it. `extra` is what only one of them passes
 * (main.ts: the data folder for backups, the TLS certificate it has read).
 */
export function appDeps(config: ServerConfig, store: Store, log: Logger, extra: Partial<Config> = {}): AppDeps {
  return {
    store,
    log,
    limits: config.limits,
    // REDIS_URL with DATABASE_URL: leases and the Redis streams adapter.
    cluster: config.cluster,
    config: {
      clientDir: config.clientDir,
      lessonsDir: config.lessonsDir,
      mediaDir: resolve(config.dataDir, 'media'),
      publicUrl: config.publicUrl,
      coalesceMs: config.coalesceMs,
      retentionDays: config.retentionDays,
      trustProxy: config.trustProxy,
      ...extra,
    },
  };
}
