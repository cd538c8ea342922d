import pg from 'pg';
import type { Logger } from 'pino';

/** BIGINT (counts, ms timestamps, fences) as numbers: every value here fits in 2^53. */
const INT8 = 20;
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8 && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/** The pool's settings: a few connections per process, and a bounded wait so a lost database fails commands instead of hanging them. */
export function pgPool(connectionString: string, opts: { max?: number; log?: Logger } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    types,
    max: opts.max ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'cunghoc',
  });
  // An idle client losing its connection (the database restarting) must never end the process.
  pool.on('error', (err) => opts.log?.warn({ err }, 'postgres: idle connection lost'));
  return pool;
}

/** Run `fn` in one transaction on one connection of the pool: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

