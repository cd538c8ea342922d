import type { Ack, ErrorBody } from '../../shared/protocol/errors.ts';
import type { LocalErrorCode } from './i18n/i18n.svelte.ts';

export type ClientError = ErrorBody | { code: LocalErrorCode; message: string };
/** An Ack, or the client's own error when no answer came back. */
export type Result<T> = { ok: true; data: T } | { ok: false; error: ClientError };

export const networkError = (): { ok: false; error: ClientError } => ({
  ok: false,
  error: { code: 'network', message: 'no answer from the server' },
});

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
