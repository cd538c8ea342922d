import { describe, expect, it } from 'vitest';
import { FixedWindow, Limits } from '../../server/transport/limits.ts';

describe('FixedWindow: points per key per window, without a timer per key', () => {
  it('refuses a key past its points until its window has passed, and counts keys apart', () => {
    let t = 1_000;
    const w = new FixedWindow(2, 60_000, () => t);
    expect([w.take('a'), w.take('a'), w.take('a'), w.take('b')]).toEqual([true, true, false, true]);
    t += 59_999;
    expect(w.take('a')).toBe(false);
    t += 1;
    expect([w.take('a'), w.take('a'), w.take('a')]).toEqual([true, true, false]);
  });

  it('a point given back can be taken again; a key back at zero is forgotten at once', () => {
    const w = new FixedWindow(1, 60_000, () => 0);
    expect(w.take('a')).toBe(true);
    expect(w.take('a')).toBe(false);
    w.giveBack('a');
    expect(w.size).toBe(0);
    expect(w.take('a')).toBe(true);
    w.giveBack('never-seen');
    expect(w.size).toBe(1);
  });
});

describe('Limits.attempt: reserved on arrival, failures keep their point', () => {
  it('a successful guess leaves nothing behind; failures block the key; a blocked attempt is not a failure', () => {
    const limits = new Limits({ codesPerConnection: 2, codesPerAddress: 3 });
    limits.attempt({ codeConn: 's1', codeAddr: 'x' }).succeeded();
    expect(limits.attempt({ codeConn: 's1', codeAddr: 'x' }).blocked).toBe(false);
    expect(limits.attempt({ codeConn: 's1', codeAddr: 'x' }).blocked).toBe(false);
    // s1 has used its two failures: refused, and its address point is given back.
    expect(limits.attempt({ codeConn: 's1', codeAddr: 'x' }).blocked).toBe(true);
    // The address has used two of its three: one more from another connection, then refused.
    expect(limits.attempt({ codeConn: 's2', codeAddr: 'x' }).blocked).toBe(false);
    expect(limits.attempt({ codeConn: 's3', codeAddr: 'x' }).blocked).toBe(true);
  });
});
