import type { StaffClientEvents, StaffServerEvents } from '../../shared/protocol/events.ts';
import { cleanText, HELPER_CODE, NAME_MAX } from '../../shared/protocol/text.ts';
import type { HelpQueueEntry, StaffView } from '../../shared/protocol/views.ts';
import type { Result } from '../lib/api.ts';
import { Channel } from '../lib/channel.svelte.ts';
import type { HelpQueueCommand } from '../lib/help-queue-command.ts';
import type { Key } from '../lib/i18n/i18n.svelte.ts';
import { ViewClock } from '../lib/view-clock.svelte.ts';
import { newToken } from '../lib/token.ts';
import { store } from '../lib/storage.ts';
import { Watched } from '../lib/watched.svelte.ts';
import { sioWire } from '../lib/wire-sio.ts';

const KEY = 'cunghoc.helper';

/** What this phone remembers of its helper: a reload is the same helper, with the same claims. */
interface Saved {
  code: string;
  name: string;
  token: string;
  /** Requests this helper claimed (the staff view names the claimer, not which phone). */
  claims: string[];
}

function load(): Saved | null {
  try {
    const s = JSON.parse(store.get(KEY) ?? 'null') as Partial<Saved> | null;
    if (typeof s?.code !== 'string' || typeof s.name !== 'string' || typeof s.token !== 'string') return null;
    return {
      code: s.code,
      name: s.name,
      token: s.token,
      claims: Array.isArray(s.claims) ? s.claims.filter((c) => typeof c === 'string') : [],
    };
  } catch {
    return null;
  }
}

export type HelperScreen = 'form' | 'connecting' | 'queue';

/**
 * A helper's phone: joins /staff with the helper code, a name and its own token; the server puts it
 * in its session's staff room and pushes the view, which names the session to watch after reconnects.
 */
export class Helper {
  #saved = $state.raw<Saved | null>(load());
  #channel = $state.raw<Channel<StaffServerEvents, StaffClientEvents> | null>(null);
  #sessionId: string | null = null;
  /** The session is the one of the first view the server pushes. */
  readonly #view = new Watched<StaffView>((view) => !this.#sessionId || view.sessionId === this.#sessionId);
  readonly clock = new ViewClock();

  constructor() {
    if (this.#saved) this.#connect();
  }

  get saved(): Saved | null {
    return this.#saved;
  }
  get channel(): Channel<StaffServerEvents, StaffClientEvents> | null {
    return this.#channel;
  }
  get view(): StaffView | null {
    return this.#view.current;
  }
  /** The server's reason for turning us away (unknown_code, rate_limited…), if it did. */
  get refused(): string | null {
    return this.#channel?.refused ?? null;
  }
  get screen(): HelperScreen {
    if (!this.#saved || this.refused) return 'form';
    return this.#view.current ? 'queue' : 'connecting';
  }

  /** Start helping; returns what is wrong with the form, or null. */
  join(rawCode: string, rawName: string): Key | null {
    const code = rawCode.trim().toUpperCase();
    const name = cleanText(rawName);
    if (!HELPER_CODE.test(code)) return 'helper.codeInvalid';
    if (!name || name.length > NAME_MAX || /[<>\p{Cc}\p{Cf}]/u.test(name)) return 'helper.nameMissing';
    // The same person trying again (a mistyped code) keeps their token; someone else gets their own.
    const same = this.#saved?.name === name ? this.#saved : null;
    this.#save({ code, name, token: same?.token ?? newToken(), claims: same?.claims ?? [] });
    this.#connect();
    return null;
  }

  /** "Đổi người / Thoát": give back this helper's claims, then forget them on this phone. */
  async leave(): Promise<void> {
    const view = this.#view.current;
    if (view && this.#channel?.connected) {
      const mine = view.helpQueue.filter((e) => e.status === 'claimed' && this.isMine(e));
      await Promise.all(mine.map((e) => this.act('help:release', e.id)));
    }
    this.#channel?.close();
    this.#channel = null;
    this.#view.clear();
    this.#sessionId = null;
    this.#saved = null;
    store.remove(KEY);
  }

  isMine = (entry: HelpQueueEntry): boolean => {
    const saved = this.#saved;
    // By name as well: a claim whose ack was lost still shows as the helper's own.
    return !!saved && (saved.claims.includes(entry.id) || entry.claimedBy === saved.name);
  };

  act = async (command: HelpQueueCommand, requestId: string): Promise<Result<null>> => {
    const res = await this.#send(command, requestId);
    const saved = this.#saved;
    if (saved && res.ok) {
      const claims = saved.claims.filter((id) => id !== requestId);
      if (command === 'help:claim') claims.push(requestId);
      this.#save({ ...saved, claims });
    }
    return res;
  };

  /** "Đã xem": the flag of a learner who may be stuck goes away for this step. */
  dismiss(learnerId: string): Promise<Result<null>> {
    const channel = this.#channel;
    if (!channel || !this.#sessionId) return Promise.resolve({ ok: false, error: { code: 'network', message: '' } });
    return channel.send('stuck:dismiss', { sessionId: this.#sessionId, learnerId });
  }

  close(): void {
    this.#channel?.close();
    this.clock.stop();
  }

  #send(command: HelpQueueCommand, requestId: string): Promise<Result<null>> {
    const channel = this.#channel;
    if (!channel || !this.#sessionId) return Promise.resolve({ ok: false, error: { code: 'network', message: '' } });
    return channel.send(command, { sessionId: this.#sessionId, requestId });
  }

  #save(saved: Saved): void {
    this.#saved = saved;
    store.set(KEY, JSON.stringify(saved));
  }

  #connect(): void {
    const { code, name, token } = this.#saved!;
    this.#channel?.close();
    this.#view.clear();
    this.#sessionId = null;
    const channel = new Channel<StaffServerEvents, StaffClientEvents>(sioWire('/staff', { helperCode: code, name, token }));
    // The first view comes unasked, right after connecting; after a reconnect, watch again.
    channel.on('staff:view', (view) => this.#apply(view));
    channel.on('connect', () => void this.#watch(channel));
    this.#channel = channel;
  }

  async #watch(channel: Channel<StaffServerEvents, StaffClientEvents>): Promise<void> {
    if (!this.#sessionId) return;
    const res = await channel.send('staff:watch', { sessionId: this.#sessionId });
    if (res.ok && channel === this.#channel) this.#apply(res.data);
  }

  #apply(view: StaffView): void {
    if (!this.#view.offer(view)) return;
    this.#sessionId = view.sessionId;
    this.clock.sync(view.now);
    // Forget claims that are closed.
    const saved = this.#saved;
    if (saved && saved.claims.some((id) => !view.helpQueue.some((e) => e.id === id))) {
      this.#save({ ...saved, claims: saved.claims.filter((id) => view.helpQueue.some((e) => e.id === id)) });
    }
  }
}
