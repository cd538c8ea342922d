import type { Result } from './api.ts';

/**
 * A view the server numbers (`seq`) and sends both as the answer to a watch and as pushes: the newest
 * one of the right session is kept; an older one (a push overtaken by a watch's answer, or the other
 * way round) or another session's is dropped.
 */
export class Watched<V extends { seq: number }> {
  #view = $state.raw<V | null>(null);
  readonly #belongs: (view: V) => boolean;

  constructor(belongs: (view: V) => boolean = () => true) {
    this.#belongs = belongs;
  }

  get current(): V | null {
    return this.#view;
  }

  /** Keep `view` unless it belongs elsewhere or is older than the one held; true when kept. */
  offer(view: V): boolean {
    if (!this.#belongs(view) || (this.#view && view.seq < this.#view.seq)) return false;
    this.#view = view;
    return true;
  }

  clear(): void {
    this.#view = null;
  }
}

/** What watchOnConnect needs of a Channel. */
interface Connecting {
  readonly connected: boolean;
  on(event: 'connect', listener: () => void): void;
}

/**
 * "Watch on connect": ask for the view (`watch`) on the first connect and on every reconnect, and at
 * once again when the ask timed out while still connected; `answered` gets each answer.
 */
export function watchOnConnect<V>(channel: Connecting, watch: () => Promise<Result<V>>, answered: (res: Result<V>) => void): void {
  const ask = async (): Promise<void> => {
    const res = await watch();
    answered(res);
    if (!res.ok && res.error.code === 'timeout' && channel.connected) void ask();
  };
  channel.on('connect', () => void ask());
}
