/**
 * The clock every bench process uses: CLOCK_MONOTONIC in milliseconds (process.hrtime on Linux), the
 * same clock in every process of the host, so a send time taken in one process and a receive time
 * taken in another can be subtracted. Never Date.now(): it jumps with NTP.
 */
export const now = (): number => Number(process.hrtime.bigint()) / 1e6;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
