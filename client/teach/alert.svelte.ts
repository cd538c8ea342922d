import type { HelpQueueEntry } from '../../shared/protocol/views.ts';
import { store } from '../lib/storage.ts';

const SOUND_KEY = 'cunghoc.sound';

/**
 * "Có người cần giúp": requests that arrived while the console was open stay in a banner until the
 * instructor says they have seen them; a short beep too, if the instructor turned it on (off by default).
 */
export class HelpAlert {
  /** Every request id seen so far; null until the first view (those already waiting raise no alert). */
  #known: Set<string> | null = null;
  #fresh = $state.raw<HelpQueueEntry[]>([]);
  #sound = $state(store.get(SOUND_KEY) === 'on');
  #audio: AudioContext | null = null;

  get fresh(): HelpQueueEntry[] {
    return this.#fresh;
  }
  get sound(): boolean {
    return this.#sound;
  }

  update(queue: HelpQueueEntry[]): void {
    const known = this.#known;
    this.#known = new Set([...(known ?? []), ...queue.map((e) => e.id)]);
    // A request resolved or withdrawn leaves the queue, and the banner with it.
    const waiting = new Set(queue.map((e) => e.id));
    const kept = this.#fresh.filter((e) => waiting.has(e.id));
    const added = known ? queue.filter((e) => !known.has(e.id)) : [];
    if (kept.length !== this.#fresh.length || added.length > 0) this.#fresh = [...kept, ...added];
    if (added.length > 0 && this.#sound) this.#beep();
  }

  seen(): void {
    this.#fresh = [];
  }

  toggleSound(): void {
    this.#sound = !this.#sound;
    store.set(SOUND_KEY, this.#sound ? 'on' : 'off');
    // Beeping now lets the instructor hear it, and unlocks audio while the click counts as a gesture.
    if (this.#sound) this.#beep();
  }

  /** Two short tones, made on the spot: no sound file to serve. */
  #beep(): void {
    try {
      const audio = (this.#audio ??= new AudioContext());
      void audio.resume();
      const t0 = audio.currentTime;
      const gain = audio.createGain();
      gain.connect(audio.destination);
      gain.gain.setValueAtTime(0.0001, t0);
      for (const [at, hz] of [
        [0, 880],
        [0.2, 660],
      ]) {
        const osc = audio.createOscillator();
        osc.frequency.value = hz;
        osc.connect(gain);
        gain.gain.exponentialRampToValueAtTime(0.3, t0 + at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, t0 + at + 0.18);
        osc.start(t0 + at);
        osc.stop(t0 + at + 0.18);
      }
    } catch {
      // No audio on this machine: the banner still shows.
    }
  }
}
