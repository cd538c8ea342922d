import type { Namespaces } from '../../shared/protocol/namespaces.ts';

/**
 * What a Channel needs from a Socket.IO connection; wire-sio.ts implements it over socket.io-client
 * for every page (tests may put a fake behind it).
 *
 * Contract: keep reconnecting on your own until `close()`, except when the server refuses the
 * namespace. Emit `connect`, `disconnect` (reason) and `refused` (message) besides server events.
 */
export interface Wire {
  readonly connected: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- listeners are typed by Channel
  on(event: string, listener: (...args: any[]) => void): void;
  /** Emit with an ack callback; `err` when no ack came within `timeoutMs`. */
  request(event: string, payload: unknown, timeoutMs: number, done: (err: Error | null, res?: unknown) => void): void;
  close(): void;
}

/** The namespaces the server opens, one per role. */
export type Namespace = (typeof Namespaces)[keyof typeof Namespaces];
