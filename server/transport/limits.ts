import { readFileSync } from 'node:fs';
import { RateLimiterMemory } from 'rate-limiter-flexible';

/**
 * Every limit that keeps a class running when someone in the hall tries to break it, in one place.
 * docs/security.md lists them with their numbers; the environment variables that override some are read by `configFromEnv` (server/lib/config.ts).
 */
export interface LimitsConfig {
  /** Wrong class or helper codes per address per minute. */
  codesPerAddress: number;
  /** Wrong class codes per connection per minute. */
  codesPerConnection: number;
  /** Failed sign-ins (and setup codes) per address per 5 minutes (never applied to the server machine). */
  signInsPerAddress: number;
  /** Failed sign-ins per username per 5 minutes (never applied to the server machine). */
  signInsPerUser: number;
  /** Open TCP connections in all (HTTP, polling and WebSocket); more are closed at once. */
  maxConnections: number;
  /** Open TCP connections from one address (the server machine itself and trusted proxies are not counted). */
  maxConnectionsPerAddress: number;
  /** A connection that sends nothing for this long is closed (ms). */
  idleSocketMs: number;
  /** A request (headers and body) must arrive within this time (ms); a trickled body is cut. */
  requestTimeoutMs: number;
  /** Headers must arrive within this time (ms). */
  headersTimeoutMs: number;
  /** A /learner or /display socket that has not joined or watched anything within this time is closed (ms). */
  unboundSocketMs: number;
  /** Learners in one class (left ones not counted). */
  learnersPerClass: number;
  /** Learners one address may add to one class (the server machine itself is not counted). */
  learnersPerAddress: number;
  /** Commands one socket may send per second, whatever they are. */
  commandsPerSocketPerSecond: number;
  /** One learner's commands per minute, by kind. */
  learnerPerMinute: { help: number; done: number; navigate: number; answer: number; ping: number; move: number };
}

export const defaultLimits: LimitsConfig = {
  codesPerAddress: 20,
  codesPerConnection: 8,
  signInsPerAddress: 20,
  signInsPerUser: 8,
  maxConnections: 20_000,
  maxConnectionsPerAddress: 40,
  idleSocketMs: 30_000,
  requestTimeoutMs: 120_000,
  headersTimeoutMs: 20_000,
  unboundSocketMs: 15 * 60_000,
  learnersPerClass: 1_000,
  learnersPerAddress: 12,
  commandsPerSocketPerSecond: 50,
  learnerPerMinute: { help: 20, done: 60, navigate: 120, answer: 60, ping: 20, move: 180 },
};

/** The process's open-file limit (Linux), so that the connection cap stays below it; 20,100 when unknown. */
export function fileLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.split(/\s{2,}/)[1]);
    return Number.isFinite(soft) && soft > 200 ? soft : 20_100;
  } catch {
    return 20_100;
  }
}

type LimitKind = 'codeAddr' | 'codeConn' | 'signInAddr' | 'signInUser';
export type LimitKeys = Partial<Record<LimitKind, string>>;

/** A guess counted before it is checked: a failure keeps its point, `succeeded` gives it back. */
export interface Attempt {
  readonly blocked: boolean;
  succeeded(): void;
}

/**
 * Guessing limits, shared by HTTP routes and socket events. An attempt is reserved when it arrives,
 * before any slow work (a password hash, another packet of the same request), so a burst cannot all
 * be checked; only failures keep their point, and once a key has used its failures every attempt is
 * refused with rate_limited until the window passes.
 */
export class Limits {
  readonly config: LimitsConfig;
  readonly #limiters: Record<LimitKind, RateLimiterMemory>;

  constructor(config: Partial<LimitsConfig> = {}) {
    const merged = { ...defaultLimits, ...config };
    // The connection cap must stay below the file limit, or accept() and the OS calls fail first.
    this.config = { ...merged, maxConnections: Math.min(merged.maxConnections, fileLimit() - 100) };
    const c = this.config;
    this.#limiters = {
      codeAddr: new RateLimiterMemory({ keyPrefix: 'code-addr', points: c.codesPerAddress, duration: 60 }),
      codeConn: new RateLimiterMemory({ keyPrefix: 'code-conn', points: c.codesPerConnection, duration: 60 }),
      signInAddr: new RateLimiterMemory({ keyPrefix: 'signin-addr', points: c.signInsPerAddress, duration: 300 }),
      signInUser: new RateLimiterMemory({ keyPrefix: 'signin-user', points: c.signInsPerUser, duration: 300 }),
    };
  }

  /**
   * Reserve one attempt on every key. Call it before the caller's first `await`: the memory
   * limiter counts inside consume() itself, so attempts are counted in arrival order.
   */
  async attempt(keys: LimitKeys): Promise<Attempt> {
    const taken = (Object.entries(keys) as [LimitKind, string][]).map(([kind, key]) => {
      const limiter = this.#limiters[kind];
      return { limiter, key, res: limiter.consume(key) };
    });
    const settled = await Promise.allSettled(taken.map((t) => t.res));
    const blocked = settled.some((s) => s.status === 'rejected');
    const giveBack = () => {
      for (const { limiter, key } of taken) void limiter.reward(key);
    };
    // A refused attempt was not checked: it is not a failure either.
    if (blocked) giveBack();
    return { blocked, succeeded: () => (blocked ? undefined : giveBack()) };
  }
}

/** Events per window per key; every event counts (command rates). */
export class RateCounter {
  readonly #limiter: RateLimiterMemory;

  constructor(points: number, durationSeconds: number, prefix: string) {
    this.#limiter = new RateLimiterMemory({ keyPrefix: prefix, points, duration: durationSeconds });
  }

  /** Count one (at once, in arrival order); resolves false when the key is over its rate. */
  take(key: string): Promise<boolean> {
    return this.#limiter.consume(key).then(
      () => true,
      () => false,
    );
  }
}
