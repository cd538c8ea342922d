import { describe, expect, it } from 'vitest';
import { ViewPacer } from '../../server/rooms/pacer.ts';

/** A pacer (a tenth of the process, one-second windows) on a clock the test moves. */
function pacerOnClock(): { pacer: ViewPacer; at: (ms: number) => void } {
  let t = 0;
  return { pacer: new ViewPacer({ share: 0.1, windowMs: 1_000, clock: () => t }), at: (ms) => void (t = ms) };
}

describe("ViewPacer: every room's staff views together keep to their share of the process", () => {
  it('does not stretch while views stay within their share; stretches by how far over it they are', () => {
    const { pacer, at } = pacerOnClock();
    pacer.spent(50);
    at(500);
    expect(pacer.stretch()).toBe(1);
    // 450 ms of views within 1.5 s: 30% of the process, three times the share.
    pacer.spent(400);
    expect(pacer.stretch()).toBeCloseTo(3);
  });

  it('a burst fades within two windows; after a long quiet gap nothing is left of it', () => {
    const { pacer, at } = pacerOnClock();
    pacer.spent(600);
    at(1_000);
    // The burst is the previous window now: 600 ms over 1 s.
    expect(pacer.stretch()).toBeCloseTo(6);
    at(2_000);
    expect(pacer.stretch()).toBe(1);
    pacer.spent(600);
    at(60_000);
    expect(pacer.stretch()).toBe(1);
  });
});
