import type { DisplayClientEvents, DisplayServerEvents } from '../../shared/protocol/events.ts';
import type { DisplayView } from '../../shared/protocol/views.ts';
import type { ClientError } from '../lib/api.ts';
import { Channel } from '../lib/channel.svelte.ts';
import { sioWire } from '../lib/wire-sio.ts';

/** The room's big screen for one class code: watches the display view, again on every reconnect. */
export class Projector {
  readonly code: string;
  readonly channel: Channel<DisplayServerEvents, DisplayClientEvents> | null = null;
  #view = $state.raw<DisplayView | null>(null);
  #error = $state.raw<ClientError | null>(null);

  constructor(code: string | null) {
    this.code = /^\d{6}$/.test(code ?? '') ? code! : '';
    if (!this.code) return;
    this.channel = new Channel(sioWire('/display'));
    this.channel.on('connect', () => void this.#watch());
    this.channel.on('display:view', (view) => this.#apply(view));
  }

  get view(): DisplayView | null {
    return this.#view;
  }
  get error(): ClientError | null {
    return this.#error;
  }
  get ended(): boolean {
    return this.#view?.status === 'ended' || this.#error?.code === 'session_ended';
  }

  async #watch(): Promise<void> {
    const channel = this.channel;
    if (!channel) return;
    const res = await channel.send('display:watch', { code: this.code });
    if (res.ok) this.#apply(res.data);
    this.#error = res.ok ? null : res.error;
    if (!res.ok && res.error.code === 'timeout' && channel.connected) void this.#watch();
  }

  #apply(view: DisplayView): void {
    if (view.code !== this.code || (this.#view && view.seq < this.#view.seq)) return;
    this.#view = view;
  }
}
