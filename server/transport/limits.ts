import { readFileSync } from 'node:fs';

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
  readonly #limiters: Record<LimitKind, FixedWindow>;

  constructor(config: Partial<LimitsConfig> = {}) {
    const merged = { ...defaultLimits, ...config };
    // The connection cap must stay below the file limit, or accept() and the OS calls fail first.
    this.config = { ...merged, maxConnections: Math.min(merged.maxConnections, fileLimit() - 100) };
    const c = this.config;
    this.#limiters = {
      codeAddr: new FixedWindow(c.codesPerAddress, 60_000),
      codeConn: new FixedWindow(c.codesPerConnection, 60_000),
      signInAddr: new FixedWindow(c.signInsPerAddress, 300_000),
      signInUser: new FixedWindow(c.signInsPerUser, 300_000),
    };
  }

  /**
   * Reserve one attempt on every key, at once: attempts are counted in arrival order, before the
   * caller's first `await`.
   */
  attempt(keys: LimitKeys): Attempt {
    const taken = (Object.entries(keys) as [LimitKind, string][]).map(([kind, key]) => ({ limiter: this.#limiters[kind], key }));
    const results = taken.map(({ limiter, key }) => limiter.take(key));
    const blocked = results.includes(false);
    const giveBack = () => {
      for (const [i, { limiter, key }] of taken.entries()) if (results[i]) limiter.giveBack(key);
    };
    // A refused attempt was not checked: it is not a failure either.
    if (blocked) giveBack();
    return { blocked, succeeded: () => (blocked ? undefined : giveBack()) };
  }
}

/**
 * Points per fixed window per key, in memory: a key's window starts at its first point. A key back
 * at zero (every point given back) is forgotten at once, and one sweep per window forgets the keys
 * whose window has passed: no timer per key, so ten thousand tablets that joined cost a few bytes each.
 */
export class FixedWindow {
  readonly #points: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #keys = new Map<string, { used: number; endsAt: number }>();
  #sweep: NodeJS.Timeout | null = null;

  constructor(points: number, windowMs: number, now: () => number = Date.now) {
    this.#points = points;
    this.#windowMs = windowMs;
    this.#now = now;
  }

  /** Take one point; false (and nothing taken) when the key has used all its points in this window. */
  take(key: string): boolean {
    const at = this.#now();
    let entry = this.#keys.get(key);
    if (!entry || entry.endsAt <= at) {
      entry = { used: 0, endsAt: at + this.#windowMs };
      this.#keys.set(key, entry);
      this.#armSweep();
    }
    if (entry.used >= this.#points) return false;
    entry.used += 1;
    return true;
  }

  /** Give one point back (a guess that turned out right); a key at zero is forgotten. */
  giveBack(key: string): void {
    const entry = this.#keys.get(key);
    if (!entry) return;
    entry.used -= 1;
    if (entry.used <= 0) this.#keys.delete(key);
  }

  /** Keys held now (what a key costs is what this counts: the tests check that a right guess leaves none). */
  get size(): number {
    return this.#keys.size;
  }

  #armSweep(): void {
    if (this.#sweep) return;
    this.#sweep = setInterval(() => {
      const at = this.#now();
      for (const [key, entry] of this.#keys) if (entry.endsAt <= at) this.#keys.delete(key);
      if (this.#keys.size === 0 && this.#sweep) {
        clearInterval(this.#sweep);
        this.#sweep = null;
      }
    }, this.#windowMs);
    this.#sweep.unref();
  }
}
