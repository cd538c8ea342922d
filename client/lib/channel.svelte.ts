import { networkError, type Result } from './api.ts';
import type { Wire } from './wire.ts';

/** Every command waits this long for its ack. */
const ACK_TIMEOUT_MS = 10_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- mirrors socket.io's own EventsMap
type EventsMap = Record<string, any>;
type PayloadOf<F> = F extends (payload: infer P, ack: never) => void ? P : never;
type AckDataOf<F> = F extends (payload: never, ack: (res: infer R) => void) => void
  ? R extends { ok: true; data: infer T }
    ? T
    : never
  : never;

export type ConnState = 'connecting' | 'connected' | 'reconnecting';

/**
 * One Socket.IO namespace, typed by the shared event maps: S what the server pushes, C the
 * commands. `send` always resolves: with the server's Ack, or `timeout` when none came in time.
 */
export class Channel<S extends EventsMap, C extends EventsMap> {
  readonly #wire: Wire;
  #state = $state<ConnState>('connecting');
  #refused = $state<string | null>(null);

  constructor(wire: Wire) {
    this.#wire = wire;
    wire.on('connect', () => {
      this.#state = 'connected';
      this.#refused = null;
    });
    wire.on('disconnect', () => (this.#state = 'reconnecting'));
    wire.on('refused', (message: string) => (this.#refused = message));
  }

  get state(): ConnState {
    return this.#state;
  }

  get connected(): boolean {
    return this.#state === 'connected';
  }

  /** The server's reason when it refused the namespace, e.g. "unauthorized". */
  get refused(): string | null {
    return this.#refused;
  }

  /** Listen to a server push, or to `connect` (first connect and every reconnect). */
  on<E extends (keyof S & string) | 'connect'>(event: E, listener: E extends keyof S ? S[E] : () => void): void {
    this.#wire.on(event, listener);
  }

  send<K extends keyof C & string>(name: K, payload: PayloadOf<C[K]>): Promise<Result<AckDataOf<C[K]>>> {
    return new Promise((resolve) => {
      this.#wire.request(name, payload, ACK_TIMEOUT_MS, (err, res) => {
        if (err) resolve({ ok: false, error: { code: 'timeout', message: err.message } });
        else if (res && typeof res === 'object' && 'ok' in res) resolve(res as Result<AckDataOf<C[K]>>);
        else resolve(networkError());
      });
    });
  }

  close(): void {
    this.#wire.close();
  }
}
