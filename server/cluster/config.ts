import { hostname } from 'node:os';
import type { ClusterConfig } from '../app.ts';

/**
 * Several processes from the environment: REDIS_URL turns the cluster on, and needs DATABASE_URL
 * (a session's lease and events must be where every process sees them). DATABASE_URL alone is one
 * process on PostgreSQL. LEASE_MS (default 10 s) is how soon another process takes a dead one's
 * classes; NODE_ID names this process (default hostname-pid); REDIS_PREFIX separates clusters on one Redis.
 */
export function clusterFromEnv(env: NodeJS.ProcessEnv): ClusterConfig | undefined {
  if (!env.REDIS_URL) return undefined;
  if (!env.DATABASE_URL) {
    throw new Error(
      'REDIS_URL is set but DATABASE_URL is not: several processes must share one PostgreSQL database. Set DATABASE_URL too, or unset REDIS_URL for one process.',
    );
  }
  const leaseMs = Number(env.LEASE_MS ?? 10_000);
  if (!Number.isInteger(leaseMs) || leaseMs < 300) throw new Error(`LEASE_MS must be a whole number of milliseconds, at least 300 (got ${env.LEASE_MS}).`);
  const nodeId = env.NODE_ID ?? `${hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 50)}-${process.pid}`;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(nodeId)) throw new Error(`NODE_ID may hold letters, digits, '.', '_' and '-' only (got ${nodeId}).`);
  return { nodeId, leaseMs, redisUrl: env.REDIS_URL, redisPrefix: env.REDIS_PREFIX ?? 'cunghoc' };
}
