import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { fail } from '../../shared/protocol/errors.ts';
import type { Me } from '../../shared/protocol/views.ts';
import { sha256 } from '../lib/ids.ts';
import type { Store } from '../store/store.ts';
import { send } from './respond.ts';

const scrypt = (password: string, salt: Buffer, keylen: number, opts: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };

/** scrypt$N$r$p$salt$hash, all parameters kept with the hash so they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password.normalize('NFC'), salt, SCRYPT.keylen, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scrypt(password.normalize('NFC'), Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return timingSafeEqual(key, expected);
}

export const COOKIE = 'ch_sid';
const SESSION_DAYS = 30;

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    try {
      out[name] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // a malformed cookie is ignored, not fatal
    }
  }
  return out;
}

/** Instructor sign-in sessions: random 256-bit tokens in an httpOnly SameSite=Strict cookie, stored hashed. */
export class Auth {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #signOutListeners: ((sessionKey: string) => void)[] = [];

  constructor(store: Store, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  async signIn(userId: string): Promise<{ cookie: string }> {
    const token = randomBytes(32).toString('base64url');
    const maxAge = SESSION_DAYS * 24 * 3600;
    await this.#store.createAuthSession(sha256(token), userId, this.#now() + maxAge * 1000);
    return { cookie: `${COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}` };
  }

  async signOut(req: IncomingMessage): Promise<string> {
    const key = this.sessionKey(req);
    if (key) {
      await this.#store.deleteAuthSession(key);
      for (const listener of this.#signOutListeners) listener(key);
    }
    return `${COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
  }

  /** The stored key (hash) of a request's sign-in cookie, if it has one. */
  sessionKey(req: IncomingMessage): string | undefined {
    const token = parseCookies(req.headers.cookie)[COOKIE];
    return token ? sha256(token) : undefined;
  }

  /** Called with the key of every sign-in session that signs out (its sockets are cut). */
  onSignOut(listener: (sessionKey: string) => void): void {
    this.#signOutListeners.push(listener);
  }

  /** The signed-in instructor of a request or socket handshake, if any. */
  async user(req: IncomingMessage): Promise<Me | undefined> {
    const token = parseCookies(req.headers.cookie)[COOKIE];
    if (!token) return undefined;
    const session = await this.#store.findAuthSession(sha256(token), this.#now());
    if (!session) return undefined;
    const user = await this.#store.findUserById(session.userId);
    return user && { id: user.id, username: user.username, displayName: user.displayName };
  }
}

export function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

/**
 * The one sign-in check of every HTTP route that needs an instructor: without a valid sign-in cookie
 * the answer is `unauthorized`; with one, the route reads its instructor with `signedInUser(res)`.
 * (Express 5 passes a rejected promise to the error handler, so a store failure is a 500, not a hang.)
 */
export function signedInOnly(auth: Auth): (req: Request, res: Response, next: NextFunction) => Promise<void> {
  return async (req, res, next) => {
    const user = await auth.user(req);
    if (!user) return send(res, fail('unauthorized'));
    res.locals.user = user;
    next();
  };
}

/** The instructor that `signedInOnly` let through. */
export function signedInUser(res: Response): Me {
  const user = res.locals.user as Me | undefined;
  if (!user) throw new Error('signedInUser: the route has no signedInOnly before it');
  return user;
}
