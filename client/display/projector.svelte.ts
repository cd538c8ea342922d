import type { DisplayClientEvents, DisplayServerEvents } from '../../shared/protocol/events.ts';
import type { DisplayView } from '../../shared/protocol/views.ts';
import type { ClientError } from '../lib/api.ts';
import { Channel } from '../lib/channel.svelte.ts';
import { Watched, watchOnConnect } from '../lib/watched.svelte.ts';
import { sioWire } from '../lib/wire-sio.ts';

/** The room's big screen for one class code: watches the display view, again on every reconnect. */
export class Projector {
  readonly code: string;
  readonly channel: Channel<DisplayServerEvents, DisplayClientEvents> | null = null;
  readonly #view = new Watched<DisplayView>((view) => view.code === this.code);
  #error = $state.raw<ClientError | null>(null);

  constructor(code: string | null) {
    this.code = /^\d{6}$/.test(code ?? '') ? code! : '';
    if (!this.code) return;
    const channel = new Channel<DisplayServerEvents, DisplayClientEvents>(sioWire('/display'));
    this.channel = channel;
    watchOnConnect(
      channel,
      () => channel.send('display:watch', { code: this.code }),
      (res) => {
        if (res.ok) this.#view.offer(res.data);
        this.#error = res.ok ? null : res.error;
      },
    );
    channel.on('display:view', (view) => this.#view.offer(view));
  }

  get view(): DisplayView | null {
    return this.#view.current;
  }
  get error(): ClientError | null {
    return this.#error;
  }
  get ended(): boolean {
    return this.#view.current?.status === 'ended' || this.#error?.code === 'session_ended';
  }
}
