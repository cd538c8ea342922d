/**
 * What a server under test tells the harness about itself, over the IPC channel: event-loop delay,
 * CPU time and memory, optionally after a full GC (start node with --expose-gc). Imported by every
 * server entry (ours and the baselines) so all are measured the same way.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { LOOP_RESOLUTION_MS, loopDelay, type LoopDelay } from './stats.ts';
import { now } from './clock.ts';
import { summarize, type Summary } from './stats.ts';

/** Push timings inside the server: command received → broadcast written (see instrument.ts). */
const commands = new Map<string, number>();
let pushTimes: { total: number[]; write: number[]; unmatched: number } = { total: [], write: [], unmatched: 0 };

export function recordCommand(classKey: string, at: number): void {
  commands.set(classKey, at);
}

export function recordPush(classKey: string, start: number, end: number): void {
  const at = commands.get(classKey);
  commands.delete(classKey);
  pushTimes.write.push(end - start);
  if (at === undefined) pushTimes.unmatched += 1;
  else pushTimes.total.push(end - at);
}

/** Other named durations the server entry records (ms), e.g. how long a store append takes. */
let timings = new Map<string, number[]>();

export function recordTiming(name: string, ms: number): void {
  let list = timings.get(name);
  if (!list) timings.set(name, (list = []));
  list.push(ms);
}

export interface PushTimes {
  /** Push command received → last frame of the view written. */
  commandToWritten: Summary;
  /** The broadcast call alone (encode once, write to every socket). */
  write: Summary;
  /** Broadcasts of a view without a push command before them (e.g. a question opened). */
  unmatched: number;
}

export interface ProbeRequest {
  type: 'probe';
  id: number;
  /** Run a full GC first (twice: weak references and finalizers). */
  gc?: boolean;
  /** Start a new measurement window after answering. */
  reset?: boolean;
  /** Write a V8 heap snapshot to this file (after the GC), for bench/lib/heap.ts. */
  snapshot?: string;
}

export interface ProbeReport {
  type: 'probe';
  id: number;
  at: number;
  /** Since the last reset. */
  loopDelay: LoopDelay;
  /** CPU time since the last reset (µs) and wall time of the window (ms). */
  cpu: { user: number; system: number; wallMs: number };
  memory: NodeJS.MemoryUsage;
  pushes: PushTimes;
  timings: Record<string, Summary>;
}

export function startProbe(onExit: () => Promise<void>): void {
  const h = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  h.enable();
  let cpuFrom = process.cpuUsage();
  let wallFrom = now();
  const send = (msg: unknown) => process.send?.(msg);

  process.on('message', (raw: unknown) => {
    const msg = raw as { type?: string } & Partial<ProbeRequest>;
    if (msg.type === 'probe') {
      if (msg.gc) {
        const gc = (globalThis as { gc?: () => void }).gc;
        if (!gc) throw new Error('start the server with --expose-gc');
        gc();
        gc();
      }
      if (msg.snapshot) writeHeapSnapshot(msg.snapshot);
      const cpu = process.cpuUsage(cpuFrom);
      const report: ProbeReport = {
        type: 'probe',
        id: msg.id!,
        at: now(),
        loopDelay: loopDelay(h),
        cpu: { user: cpu.user, system: cpu.system, wallMs: now() - wallFrom },
        memory: process.memoryUsage(),
        pushes: {
          commandToWritten: summarize(pushTimes.total),
          write: summarize(pushTimes.write),
          unmatched: pushTimes.unmatched,
        },
        timings: Object.fromEntries([...timings].map(([name, list]) => [name, summarize(list)])),
      };
      if (msg.reset) {
        pushTimes = { total: [], write: [], unmatched: 0 };
        timings = new Map();
        h.reset();
        cpuFrom = process.cpuUsage();
        wallFrom = now();
      }
      send(report);
    } else if (msg.type === 'exit') {
      onExit().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    }
  });
  // The harness is gone (crashed, killed): never outlive it.
  process.on('disconnect', () => process.exit(0));
}
