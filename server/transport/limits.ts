import { RateLimiterMemory } from 'rate-limiter-flexible';

/** How many failures each limiter allows per window. */
export interface LimitsConfig {
  /** Wrong class or helper codes per address per minute. */
  codesPerAddress: number;
  /** Wrong class codes per connection per minute. */
  codesPerConnection: number;
  /** Failed sign-ins (and setup codes) per address per 5 minutes. */
  signInsPerAddress: number;
  /** Failed sign-ins per username per 5 minutes. */
  signInsPerUser: number;
}

export const defaultLimits: LimitsConfig = {
  codesPerAddress: 20,
  codesPerConnection: 8,
  signInsPerAddress: 20,
  signInsPerUser: 8,
};

type LimitKind = 'codeAddr' | 'codeConn' | 'signInAddr' | 'signInUser';
export type LimitKeys = Partial<Record<LimitKind, string>>;

/**
 * Guessing limits, shared by HTTP routes and socket events: only failures count, and once a key
 * has used its failures every attempt is refused with rate_limited until the window passes.
 */
export class Limits {
  readonly #limiters: Record<LimitKind, RateLimiterMemory>;

  constructor(config: LimitsConfig = defaultLimits) {
    this.#limiters = {
      codeAddr: new RateLimiterMemory({ keyPrefix: 'code-addr', points: config.codesPerAddress, duration: 60 }),
      codeConn: new RateLimiterMemory({ keyPrefix: 'code-conn', points: config.codesPerConnection, duration: 60 }),
      signInAddr: new RateLimiterMemory({ keyPrefix: 'signin-addr', points: config.signInsPerAddress, duration: 300 }),
      signInUser: new RateLimiterMemory({ keyPrefix: 'signin-user', points: config.signInsPerUser, duration: 300 }),
    };
  }

  /** Is any of these keys out of failures? */
  async blocked(keys: LimitKeys): Promise<boolean> {
    for (const [kind, key] of Object.entries(keys) as [LimitKind, string][]) {
      const limiter = this.#limiters[kind];
      const res = await limiter.get(key);
      if (res && res.consumedPoints >= limiter.points) return true;
    }
    return false;
  }

  /** Count one failure against each key. */
  async failed(keys: LimitKeys): Promise<void> {
    for (const [kind, key] of Object.entries(keys) as [LimitKind, string][]) {
      await this.#limiters[kind].consume(key).catch(() => undefined); // over the limit: already blocked
    }
  }
}
