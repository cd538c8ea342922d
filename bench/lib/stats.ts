/** Latency summaries, in milliseconds, rounded to 0.01 ms. */
export interface Summary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

const round = (x: number): number => Math.round(x * 100) / 100;

/** Nearest-rank percentile of a sorted array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.length ? sorted[sorted.length - 1] : NaN),
    mean: round(sorted.length ? sum / sorted.length : NaN),
  };
}

export const ratio = (a: number, b: number): number => (b > 0 ? Math.round((a / b) * 100) / 100 : NaN);

/** The sampling interval of every event-loop delay histogram in the bench (ms). */
export const LOOP_RESOLUTION_MS = 10;

/**
 * An event-loop delay histogram (perf_hooks.monitorEventLoopDelay) as plain milliseconds of delay.
 * The histogram records the whole interval between two samples (≥ the resolution even when idle),
 * so the resolution is subtracted: what is left is how late the loop was.
 */
export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export function loopDelay(h: { percentile(p: number): number; max: number; mean: number; count?: number }): LoopDelay {
  const ms = (ns: number) => (Number.isFinite(ns) ? round(Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS)) : 0);
  return { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean) };
}
