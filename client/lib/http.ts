import type { Ack } from '../../shared/protocol/errors.ts';
import { networkError, type Result } from './api.ts';

// Apart from api.ts, which the learner page loads (via the channel): only staff pages call the HTTP API.

/** Same-origin JSON call; the session cookie rides along. Never throws. */
export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Result<T>> {
  try {
    const res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: method === 'POST' ? { 'Content-Type': 'application/json', Accept: 'application/json' } : { Accept: 'application/json' },
      body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
    });
    const json = (await res.json()) as Ack<T>;
    return json && typeof json === 'object' && 'ok' in json ? json : networkError();
  } catch {
    return networkError();
  }
}
