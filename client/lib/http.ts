import type { Ack } from '../../shared/protocol/errors.ts';
import { networkError, type Result } from './api.ts';

// Apart from api.ts, which the learner page loads (via the channel): only staff pages call the HTTP API.

/** Same-origin JSON call; the session cookie rides along. Never throws. */
export async function api<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<Result<T>> {
  const json = method !== 'GET';
  try {
    const res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: json ? { 'Content-Type': 'application/json', Accept: 'application/json' } : { Accept: 'application/json' },
      body: json ? JSON.stringify(body ?? {}) : undefined,
    });
    const ack = (await res.json()) as Ack<T>;
    return ack && typeof ack === 'object' && 'ok' in ack ? ack : networkError();
  } catch {
    return networkError();
  }
}

/** Upload a file as the raw request body, with its own Content-Type (pictures for lessons). */
export async function upload<T>(path: string, file: Blob): Promise<Result<T>> {
  try {
    const res = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': file.type || 'application/octet-stream', Accept: 'application/json' },
      body: file,
    });
    const ack = (await res.json()) as Ack<T>;
    return ack && typeof ack === 'object' && 'ok' in ack ? ack : networkError();
  } catch {
    return networkError();
  }
}
