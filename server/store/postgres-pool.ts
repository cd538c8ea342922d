import pg from 'pg';
import type { Logger } from 'pino';

/** BIGINT (counts, ms timestamps, fences) as numbers: every value here fits in 2^53. */
const INT8 = 20;
export const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string): ((value: string) => unknown) =>
    oid === INT8 && format !== 'binary'
      ? (v: string) => Number(v)
      : (pg.types.getTypeParser(oid, format as 'text') as (value: string) => unknown)) as pg.CustomTypesConfig['getTypeParser'],
};

/** The pool's settings: a few connections per process, and a bounded wait so a lost database fails commands instead of hanging them. */
export function pgPool(connectionString: string, opts: { max?: number; log?: Logger } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    types,
    max: opts.max ?? 10,
    connectionTimeoutMillis: 5_000,
    // A database that stops answering (a cut network) fails the query instead of holding it forever.
    query_timeout: 30_000,
    keepAlive: true,
    idleTimeoutMillis: 30_000,
    application_name: 'cunghoc',
  });
  // An idle client losing its connection (the database restarting) must never end the process.
  pool.on('error', (err) => opts.log?.warn({ err }, 'postgres: idle connection lost'));
  return pool;
}

/** Run `fn` in one transaction on one connection of the pool: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const { client, release } = await checkout(pool);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    release();
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    // A failed transaction may mean a broken connection: this one is not reused.
    release(err);
    throw err;
  }
}

/**
 * A connection of the pool for several statements. While it is out, a lost connection must not be
 * an uncaught 'error' event (pg emits one even when a query is failing with it): the failing query
 * tells the caller. `release(err)` throws the connection away instead of returning it to the pool.
 */
export async function checkout(pool: pg.Pool): Promise<{ client: pg.PoolClient; release: (err?: unknown) => void }> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error) => void (broken = err);
  client.on('error', onError);
  return {
    client,
    release: (err) => {
      client.removeListener('error', onError);
      client.release(err === undefined && broken === undefined ? undefined : err instanceof Error ? err : (broken ?? true));
    },
  };
}
