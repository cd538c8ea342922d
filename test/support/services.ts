import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import pg from 'pg';

/**
 * PostgreSQL and Redis for the tests that need them. Where a service cannot be reached, a test file
 * prints one line saying so and skips (describe.skipIf); with REQUIRE_SERVICES=1 (.ci/run) it fails
 * instead. Every test makes its own database and its own Redis key prefix: others use the services too.
 */
export const PG_TEST_URL = process.env.DATABASE_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_TEST_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';
const required = () => process.env.REQUIRE_SERVICES === '1' || process.env.REQUIRE_SERVICES === 'true';

const adminUrl = (url: string, database: string): string => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
};

let pgProbe: Promise<string | null> | undefined;
/** null when PostgreSQL answers at DATABASE_TEST_URL, else why not. */
function probePg(): Promise<string | null> {
  pgProbe ??= (async () => {
    const client = new pg.Client({ connectionString: PG_TEST_URL, connectionTimeoutMillis: 3_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return null;
    } catch (err) {
      return err instanceof Error ? err.message || err.constructor.name : String(err);
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return pgProbe;
}

let redisProbe: Promise<string | null> | undefined;
/** null when Redis answers PING at REDIS_TEST_URL, else why not. */
function probeRedis(): Promise<string | null> {
  redisProbe ??= new Promise((resolve) => {
    const u = new URL(REDIS_TEST_URL);
    const socket = connect({ host: u.hostname, port: Number(u.port || 6379) });
    const done = (why: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => done('no answer within 3 s'), 3_000);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) =>
      done(data.toString().startsWith('+PONG') ? null : `unexpected answer ${JSON.stringify(data.toString().trim())}`),
    );
    socket.once('error', (err) => done(err.message));
  });
  return redisProbe;
}

/**
 * Is the service there for this test file? Prints one clear line when it is not (and throws under
 * REQUIRE_SERVICES, so the file fails). Use: `const ok = await pgAvailable('store-postgres'); describe.skipIf(!ok)(…)`.
 */
async function available(file: string, service: string, url: string, why: string | null): Promise<boolean> {
  if (why === null) return true;
  const where = `${service} not reachable at ${url} (${why})`;
  if (required()) throw new Error(`${file}: ${where}; REQUIRE_SERVICES is set, so this fails instead of skipping`);
  console.warn(`${file}: skipped — ${where}`);
  return false;
}

export const pgAvailable = async (file: string): Promise<boolean> => available(file, 'PostgreSQL', PG_TEST_URL, await probePg());
export const redisAvailable = async (file: string): Promise<boolean> => available(file, 'Redis', REDIS_TEST_URL, await probeRedis());

export interface FreshDatabase {
  name: string;
  url: string;
  /** Drop it (closing whatever connections are left to it). */
  drop(): Promise<void>;
}

/** A new empty database `ch_<random>` made through the `postgres` database; drop it in afterAll. */
export async function freshDatabase(): Promise<FreshDatabase> {
  const name = `ch_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl(PG_TEST_URL, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: adminUrl(PG_TEST_URL, name),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl(PG_TEST_URL, 'postgres') });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A Redis key prefix / stream name of its own for one test. */
export const redisPrefix = (): string => `ch-test-${randomBytes(6).toString('hex')}:`;
