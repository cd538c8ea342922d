import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../server/lib/config.ts';

const cluster = (env: Record<string, string>) => configFromEnv(env, '/srv/cunghoc').cluster;

describe('several processes from the environment', () => {
  it('nothing set, or DATABASE_URL alone: one process', () => {
    expect(cluster({})).toBeUndefined();
    expect(cluster({ DATABASE_URL: 'postgres://db/x' })).toBeUndefined();
  });

  it('REDIS_URL without DATABASE_URL is refused with a message saying what to set', () => {
    expect(() => cluster({ REDIS_URL: 'redis://r' })).toThrow(/DATABASE_URL/);
  });

  it('both: a cluster node with a 10 s lease by default, a node id, a prefix', () => {
    const c = cluster({ DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://r' })!;
    expect(c).toMatchObject({ leaseMs: 10_000, redisUrl: 'redis://r', redisPrefix: 'cunghoc' });
    expect(c.nodeId).toMatch(/^[A-Za-z0-9._-]+-\d+$/);
    expect(
      cluster({ DATABASE_URL: 'postgres://d', REDIS_URL: 'redis://r', LEASE_MS: '2500', NODE_ID: 'hall-1', REDIS_PREFIX: 'p' }),
    ).toMatchObject({
      leaseMs: 2500,
      nodeId: 'hall-1',
      redisPrefix: 'p',
    });
  });

  it('a bad lease time or node id is refused, not guessed', () => {
    for (const LEASE_MS of ['abc', '100', '1.5'])
      expect(() => cluster({ DATABASE_URL: 'postgres://d', REDIS_URL: 'redis://r', LEASE_MS })).toThrow(/LEASE_MS/);
    expect(() => cluster({ DATABASE_URL: 'postgres://d', REDIS_URL: 'redis://r', NODE_ID: 'a b' })).toThrow(/NODE_ID/);
  });
});
