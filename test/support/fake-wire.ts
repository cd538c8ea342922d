import type { Wire } from '../../client/lib/wire.ts';

type Listener = (...args: never[]) => void;

/** A command a page sent, with the ack it waits for (answer it with `reply`, or let it time out with `fail`). */
export interface SentCommand {
  event: string;
  payload: unknown;
  reply(res: unknown): void;
  fail(message?: string): void;
}

/**
 * A connection for the client's state classes (client/lib/wire.ts) with no server behind it: the test
 * connects and drops it, pushes server events, and answers each command the page sends.
 */
export class FakeWire implements Wire {
  connected = false;
  closed = false;
  readonly sent: SentCommand[] = [];
  readonly #listeners = new Map<string, Listener[]>();

  on(event: string, listener: Listener): void {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
  }

  request(event: string, payload: unknown, _timeoutMs: number, done: (err: Error | null, res?: unknown) => void): void {
    this.sent.push({ event, payload, reply: (res) => done(null, res), fail: (message = 'timeout') => done(new Error(message)) });
  }

  close(): void {
    this.closed = true;
  }

  /** The server pushes `event` (or the socket reports connect / disconnect / refused). */
  emit(event: string, ...args: unknown[]): void {
    for (const listener of this.#listeners.get(event) ?? []) (listener as (...a: unknown[]) => void)(...args);
  }

  connect(): void {
    this.connected = true;
    this.emit('connect');
  }

  drop(): void {
    this.connected = false;
    this.emit('disconnect', 'transport close');
  }

  /** The commands named `event` sent so far. */
  commands(event: string): SentCommand[] {
    return this.sent.filter((c) => c.event === event);
  }

  /** The last command named `event`; throws when there is none (the test expected one). */
  last(event: string): SentCommand {
    const found = this.commands(event).at(-1);
    if (!found) throw new Error(`no ${event} sent; sent: ${this.sent.map((c) => c.event).join(', ') || 'nothing'}`);
    return found;
  }
}

/** Let the promises the page chains on an ack run (each await is a microtask). */
export const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** Every FakeWire `fakeSioWire` has made, oldest first (a test empties it in its beforeEach). */
export const wires: FakeWire[] = [];

/**
 * A stand-in for client/lib/wire-sio.ts whose wires are FakeWires, kept in `wires`:
 * `vi.mock('…/client/lib/wire-sio.ts', () => import('…/support/fake-wire.ts').then((m) => m.fakeSioWire))`.
 */
export const fakeSioWire = {
  sioWire: (): FakeWire => {
    const wire = new FakeWire();
    wires.push(wire);
    return wire;
  },
};
