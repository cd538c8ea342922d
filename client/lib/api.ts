import type { ErrorBody } from '../../shared/protocol/errors.ts';
import type { LocalErrorCode } from './i18n/i18n.svelte.ts';

export type ClientError = ErrorBody | { code: LocalErrorCode; message: string };
/** An Ack, or the client's own error when no answer came back. */
export type Result<T> = { ok: true; data: T } | { ok: false; error: ClientError };

export const networkError = (): { ok: false; error: ClientError } => ({
  ok: false,
  error: { code: 'network', message: 'no answer from the server' },
});
