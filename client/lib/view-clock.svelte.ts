/**
 * Server time on staff screens (not the countdown's clock, countdown-clock.ts), ticking each second: the last staff view's `now`, carried forward by
 * this device's clock, so "chờ 2 phút" is right even when the laptop's or phone's clock is off.
 */
export class ViewClock {
  #offset = $state(0);
  #local = $state(Date.now());
  readonly #timer = setInterval(() => (this.#local = Date.now()), 1000);

  /** A view arrived, stamped with the server's time. */
  sync(serverNow: number): void {
    this.#local = Date.now();
    this.#offset = serverNow - this.#local;
  }

  get now(): number {
    return this.#local + this.#offset;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
