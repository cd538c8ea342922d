import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { defaultLimits, type LimitsConfig } from '../transport/limits.ts';
import type { LogFormat } from './startup.ts';
import type { ClusterConfig } from '../app.ts';
import { normalizeAddress, parseProxyEntry } from '../transport/client-address.ts';

/**
 * Every setting the server reads from its environment, in one place, typed and checked. main.ts and
 * bench/server-entry.ts both start from `configFromEnv(process.env, root)`; nothing else reads
 * process.env. A bad value is refused with one line that names the variable, never a stack trace.
 */
export interface ServerConfig {
  /** PORT (3000). */
  port: number;
  /** HOST (0.0.0.0: every interface, so tablets on the Wi-Fi reach it). */
  host: string;
  /** LOG_LEVEL (info). */
  logLevel: LogLevel;
  /** LOG_FORMAT: json or pretty; unset = pretty on a terminal, JSON when piped. */
  logFormat: LogFormat | undefined;
  /** DATA_DIR (<project>/data): the SQLite file, uploaded pictures, backups. */
  dataDir: string;
  /** CLIENT_DIR (<project>/dist/client): the built client. */
  clientDir: string;
  /** LESSONS_DIR (<project>/lessons): starter lessons and their pictures. */
  lessonsDir: string;
  /** PUBLIC_URL: the base of join links when the LAN address is not the right one. */
  publicUrl: string | undefined;
  /** COALESCE_MS (100): views to the same audience within this window go out as one. */
  coalesceMs: number;
  /** RETENTION_DAYS (90): learner names are erased from sessions that ended longer ago; 0 keeps them. */
  retentionDays: number;
  /** TLS_CERT + TLS_KEY (both or neither), TLS_CA optional: files of the hall's certificate. */
  tls: { certFile: string; keyFile: string; caFile: string | undefined } | undefined;
  /** TRUST_PROXY (none): reverse proxies (addresses, subnets) whose X-Forwarded-For names the client. */
  trustProxy: string[];
  /** MAX_CONNECTIONS, MAX_CONNECTIONS_PER_ADDRESS, MAX_LEARNERS_PER_CLASS, MAX_LEARNERS_PER_ADDRESS, REQUEST_TIMEOUT_MS, UNBOUND_SOCKET_MS. */
  limits: LimitsConfig;
  /** DATABASE_URL (postgres://…): the PostgreSQL store instead of SQLite in DATA_DIR. */
  databaseUrl: string | undefined;
  /** REDIS_URL (redis://…): broadcasts between server processes through Redis streams. */
  redisUrl: string | undefined;
  /** LEASE_MS (10000): how long a process owns a live session without renewing its lease. */
  leaseMs: number;
  /** NODE_ID (host name + pid): this process's name among several. */
  nodeId: string;
  /** REDIS_URL with DATABASE_URL: several processes (REDIS_PREFIX, default cunghoc, names the stream and channels). */
  cluster: ClusterConfig | undefined;
  /** NODE_ENV, for the log only. */
  mode: string;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A setting the operator got wrong: the message is the whole story, shown as one line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/**
 * Read and check the environment. `root` is the project folder (default folders are under it).
 * Throws one ConfigError naming every bad variable.
 */
export function configFromEnv(env: Env, root: string): ServerConfig {
  const problems: string[] = [];
  const set = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const int = (name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number => {
    const raw = set(name);
    if (raw === undefined) return fallback;
    const v = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(v) || v < min || v > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return v;
  };
  const url = (name: string, protocols: string[]): string | undefined => {
    const raw = set(name);
    if (raw === undefined) return undefined;
    let parsed: URL | undefined;
    try {
      parsed = new URL(raw);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !protocols.includes(parsed.protocol)) {
      problems.push(`${name} must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')} (got "${redact(raw)}")`);
      return undefined;
    }
    return raw;
  };
  const oneOf = <T extends string>(name: string, values: readonly T[]): T | undefined => {
    const raw = set(name);
    if (raw === undefined) return undefined;
    if (!(values as readonly string[]).includes(raw)) {
      problems.push(`${name} must be one of ${values.join(', ')} (got "${raw}")`);
      return undefined;
    }
    return raw as T;
  };
  const dir = (name: string, fallback: string) => resolve(set(name) ?? fallback);
  const proxies = (name: string): string[] => {
    const raw = set(name);
    if (raw === undefined) return [];
    const entries = raw
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '');
    const bad = entries.filter((e) => !parseProxyEntry(e));
    if (bad.length > 0) {
      problems.push(
        `${name} must be a comma-separated list of proxy addresses or subnets, e.g. 127.0.0.1,::1 or 10.0.0.0/24 (not an address: ${bad.map((b) => `"${b}"`).join(', ')})`,
      );
      return [];
    }
    return [...new Set(entries.map((e) => normalizeAddress(e)))];
  };

  const dataDir = dir('DATA_DIR', resolve(root, 'data'));
  const certFile = set('TLS_CERT');
  const keyFile = set('TLS_KEY');
  if (!certFile !== !keyFile) problems.push('TLS_CERT and TLS_KEY go together: set both (https) or neither (http)');
  const d = defaultLimits;
  const limit = (name: string, fallback: number) => int(name, fallback, { min: 1 });
  const config: ServerConfig = {
    port: int('PORT', 3000, { max: 65_535 }),
    host: set('HOST') ?? '0.0.0.0',
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS) ?? 'info',
    logFormat: oneOf('LOG_FORMAT', ['json', 'pretty'] as const),
    dataDir,
    clientDir: dir('CLIENT_DIR', resolve(root, 'dist/client')),
    lessonsDir: dir('LESSONS_DIR', resolve(root, 'lessons')),
    publicUrl: url('PUBLIC_URL', ['http:', 'https:']),
    coalesceMs: int('COALESCE_MS', 100, { max: 10_000 }),
    retentionDays: int('RETENTION_DAYS', 90, { max: 36_500 }),
    tls:
      certFile && keyFile
        ? { certFile: resolve(certFile), keyFile: resolve(keyFile), caFile: set('TLS_CA') && resolve(set('TLS_CA')!) }
        : undefined,
    trustProxy: proxies('TRUST_PROXY'),
    limits: {
      ...d,
      maxConnections: limit('MAX_CONNECTIONS', d.maxConnections),
      maxConnectionsPerAddress: limit('MAX_CONNECTIONS_PER_ADDRESS', d.maxConnectionsPerAddress),
      learnersPerClass: limit('MAX_LEARNERS_PER_CLASS', d.learnersPerClass),
      learnersPerAddress: limit('MAX_LEARNERS_PER_ADDRESS', d.learnersPerAddress),
      requestTimeoutMs: limit('REQUEST_TIMEOUT_MS', d.requestTimeoutMs),
      unboundSocketMs: limit('UNBOUND_SOCKET_MS', d.unboundSocketMs),
    },
    databaseUrl: url('DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: url('REDIS_URL', ['redis:', 'rediss:']),
    leaseMs: int('LEASE_MS', 10_000, { min: 1_000, max: 600_000 }),
    nodeId:
      set('NODE_ID') ??
      `${hostname()
        .replace(/[^A-Za-z0-9._-]/g, '-')
        .slice(0, 50)}-${process.pid}`,
    cluster: undefined,
    mode: set('NODE_ENV') ?? 'development',
  };
  // Several processes must share one database: a session's lease and events are where every process sees them.
  if (config.redisUrl && !config.databaseUrl) {
    problems.push(
      'REDIS_URL is set but DATABASE_URL is not: several processes must share one PostgreSQL database (set DATABASE_URL too, or unset REDIS_URL for one process)',
    );
  } else if (config.redisUrl) {
    config.cluster = {
      nodeId: config.nodeId,
      leaseMs: config.leaseMs,
      redisUrl: config.redisUrl,
      redisPrefix: set('REDIS_PREFIX') ?? 'cunghoc',
    };
  }
  const nodeId = set('NODE_ID');
  if (nodeId !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(nodeId)) {
    problems.push(`NODE_ID may hold only letters, digits, ".", "_" and "-", up to 64 of them (got "${nodeId}")`);
  }
  if (problems.length > 0) throw new ConfigError(`configuration: ${problems.join('; ')}`);
  return config;
}

/** A URL with its password hidden, for messages and logs. */
export function redact(raw: string): string {
  return raw.replace(/(\/\/[^/:@]*:)[^@/]*@/, '$1***@');
}
