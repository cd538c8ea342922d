import { describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv } from '../../server/lib/config.ts';
import { defaultLimits } from '../../server/transport/limits.ts';

const root = '/srv/cunghoc';

/** The one line an operator would see, or undefined when the environment is accepted. */
function refusal(env: Record<string, string>): string | undefined {
  try {
    configFromEnv(env, root);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
}

describe('configFromEnv', () => {
  it('an empty environment gives the one-machine defaults, folders under the project', () => {
    const c = configFromEnv({}, root);
    expect(c).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      logLevel: 'info',
      logFormat: undefined,
      dataDir: '/srv/cunghoc/data',
      clientDir: '/srv/cunghoc/dist/client',
      lessonsDir: '/srv/cunghoc/lessons',
      publicUrl: undefined,
      coalesceMs: 100,
      retentionDays: 90,
      tls: undefined,
      databaseUrl: undefined,
      redisUrl: undefined,
      leaseMs: 10_000,
      trustProxy: [],
      mode: 'development',
    });
    expect(c.limits).toEqual(defaultLimits);
    expect(c.nodeId).toMatch(/-\d+$/);
  });

  it('reads every setting it knows', () => {
    const c = configFromEnv(
      {
        PORT: '8080',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'debug',
        LOG_FORMAT: 'json',
        DATA_DIR: '/var/lib/cunghoc',
        CLIENT_DIR: 'client-build',
        LESSONS_DIR: '/opt/lessons',
        PUBLIC_URL: 'http://hoitruong.local:8080',
        COALESCE_MS: '50',
        RETENTION_DAYS: '0',
        TLS_CERT: '/etc/hall/cert.pem',
        TLS_KEY: '/etc/hall/key.pem',
        TLS_CA: '/etc/hall/ca.pem',
        MAX_CONNECTIONS: '5000',
        MAX_LEARNERS_PER_CLASS: '60',
        UNBOUND_SOCKET_MS: '60000',
        DATABASE_URL: 'postgres://cunghoc:secret@db.local:5432/cunghoc',
        REDIS_URL: 'redis://127.0.0.1:6379/0',
        LEASE_MS: '5000',
        NODE_ID: 'huyen-1',
        NODE_ENV: 'production',
        TRUST_PROXY: '127.0.0.1, ::1,10.0.0.0/24',
      },
      root,
    );
    expect(c).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      logLevel: 'debug',
      logFormat: 'json',
      dataDir: '/var/lib/cunghoc',
      lessonsDir: '/opt/lessons',
      publicUrl: 'http://hoitruong.local:8080',
      coalesceMs: 50,
      retentionDays: 0,
      tls: { certFile: '/etc/hall/cert.pem', keyFile: '/etc/hall/key.pem', caFile: '/etc/hall/ca.pem' },
      databaseUrl: 'postgres://cunghoc:secret@db.local:5432/cunghoc',
      redisUrl: 'redis://127.0.0.1:6379/0',
      leaseMs: 5000,
      nodeId: 'huyen-1',
      trustProxy: ['127.0.0.1', '::1', '10.0.0.0/24'],
      mode: 'production',
    });
    expect(c.clientDir).toMatch(/\/client-build$/);
    expect(c.limits).toMatchObject({
      maxConnections: 5000,
      learnersPerClass: 60,
      unboundSocketMs: 60_000,
      learnersPerAddress: defaultLimits.learnersPerAddress,
    });
  });

  it('an empty variable counts as unset', () => {
    expect(configFromEnv({ PORT: '', DATABASE_URL: ' ' }, root)).toMatchObject({ port: 3000, databaseUrl: undefined });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be a whole number from 0 to 65535 (got "abc")'],
    [{ PORT: '70000' }, 'PORT'],
    [{ COALESCE_MS: '-5' }, 'COALESCE_MS'],
    [{ RETENTION_DAYS: '1.5' }, 'RETENTION_DAYS'],
    [{ MAX_CONNECTIONS: '0' }, 'MAX_CONNECTIONS must be a whole number from 1'],
    [{ LEASE_MS: '10' }, 'LEASE_MS must be a whole number from 1000'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")'],
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT'],
    [{ TLS_CERT: '/etc/hall/cert.pem' }, 'TLS_CERT and TLS_KEY go together'],
    [{ PUBLIC_URL: 'hoitruong.local' }, 'PUBLIC_URL must be a URL starting with http:// or https://'],
    [{ DATABASE_URL: 'mysql://db/cunghoc' }, 'DATABASE_URL must be a URL starting with postgres:// or postgresql://'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ NODE_ID: 'huyện 1' }, 'NODE_ID may hold only'],
    [{ TRUST_PROXY: 'nginx.local' }, 'TRUST_PROXY must be a comma-separated list of proxy addresses or subnets, e.g. 127.0.0.1,::1'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '127.0.0.1:8080' }, 'not an address: "127.0.0.1:8080"'],
  ])('refuses %j with one line naming the variable', (env, expected) => {
    const message = refusal(env);
    expect(message).toContain(expected);
    expect(message).not.toContain('\n');
  });

  it('TRUST_PROXY: an IPv4-mapped address is its IPv4 address, a repeated one counts once, empty entries are skipped', () => {
    expect(configFromEnv({ TRUST_PROXY: '::FFFF:127.0.0.1,127.0.0.1,, FE80::1,' }, root).trustProxy).toEqual(['127.0.0.1', 'fe80::1']);
  });

  it('names every bad variable at once, and never prints a database password', () => {
    const message = refusal({ PORT: 'x', LEASE_MS: 'y', DATABASE_URL: 'mysql://cunghoc:hunter2@db/cunghoc' })!;
    expect(message).toMatch(/^configuration: PORT .*; .*DATABASE_URL .*; LEASE_MS/);
    expect(message).not.toContain('hunter2');
    expect(message).toContain('cunghoc:***@db');
  });
});
