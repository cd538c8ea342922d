import type { Logger } from 'pino';
import { openPostgresStore } from './postgres.ts';
import { openSqliteStore } from './sqlite.ts';
import type { Store } from './store.ts';

/** The store this process runs on: PostgreSQL when DATABASE_URL is set (several processes), else SQLite in the data folder (the default). */
export async function openStore({
  dataDir,
  databaseUrl,
  log,
  poolSize,
}: {
  dataDir: string;
  databaseUrl?: string;
  log?: Logger;
  poolSize?: number;
}): Promise<Store> {
  if (!databaseUrl) return openSqliteStore(dataDir);
  let store: Store;
  try {
    store = await openPostgresStore(databaseUrl, { log, poolSize });
  } catch (err) {
    // The process cannot run without its store: say where it looked, in both languages.
    const why = err instanceof Error ? err.message || err.constructor.name : String(err);
    throw new Error(
      `Không mở được cơ sở dữ liệu PostgreSQL ${redactUrl(databaseUrl)} · Cannot open the PostgreSQL database ${redactUrl(databaseUrl)}: ${why}`,
      { cause: err },
    );
  }
  log?.info({ database: redactUrl(databaseUrl) }, 'store: PostgreSQL');
  return store;
}

/** A connection string without its password, for the log. */
export const redactUrl = (url: string): string => {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
};
