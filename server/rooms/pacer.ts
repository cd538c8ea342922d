/**
 * How much of the process the staff views take, across every room. A festival day has a console
 * watching each of 150 classes; during an answer burst every class's view changes at once, and
 * rebuilding each every 100 ms would take the loop from the answers themselves. Rooms report what
 * each view cost; `stretch()` says how much longer than usual they should wait for the next one so
 * that, together, they stay near `share` of the process.
 */
export class ViewPacer {
  readonly #share: number;
  readonly #windowMs: number;
  readonly #clock: () => number;
  #windowStart: number;
  /** View time spent in the current window and in the one before it (ms). */
  #current = 0;
  #previous = 0;

  constructor(opts: { share?: number; windowMs?: number; clock?: () => number } = {}) {
    this.#share = opts.share ?? 0.1;
    this.#windowMs = opts.windowMs ?? 1_000;
    this.#clock = opts.clock ?? (() => performance.now());
    this.#windowStart = this.#clock();
  }

  /** A view took `ms` of this process to build and send. */
  spent(ms: number): void {
    this.#roll();
    this.#current += ms;
  }

  /** 1 while the views stay within their share; the factor they are over it by, otherwise. */
  stretch(): number {
    this.#roll();
    const elapsed = this.#clock() - this.#windowStart;
    // The last full window and the part of this one: a burst counts at once, and fades within two windows.
    const share = (this.#previous + this.#current) / (this.#windowMs + elapsed);
    return Math.max(1, share / this.#share);
  }

  #roll(): void {
    const now = this.#clock();
    while (now - this.#windowStart >= this.#windowMs) {
      this.#previous = this.#current;
      this.#current = 0;
      this.#windowStart += this.#windowMs;
      // A long quiet gap: nothing left to count.
      if (now - this.#windowStart >= this.#windowMs) {
        this.#previous = 0;
        this.#windowStart = now;
      }
    }
  }
}
