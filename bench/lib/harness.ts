/**
 * What every scenario of the harness shares: the settings, the cores (server on one, load generator
 * on the others), a measurement window (the server's probe, the workers and the harness count from
 * its start), the health of both sides, and whether a measurement is valid.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Lesson } from '../../shared/lesson/schema.ts';
import { hasTaskset, pinSelf } from './children.ts';
import { now } from './clock.ts';
import type { Pool, WorkerStats } from './pool.ts';
import type { ProbeReport } from './probe.ts';
import { megabytes, type GeneratorHealth, type HostLoad, type ServerHealth } from './result.ts';
import { LOOP_RESOLUTION_MS, loopDelay } from './stats.ts';
import { startTarget, type Target, type TargetKind } from './targets.ts';

export interface SettingsArgs {
  pushes?: string;
  workers?: string;
  sizes?: string;
  systems?: string;
}

/** Sizes, counts and limits of every scenario, full or quick. */
export function benchSettings(quick: boolean, args: SettingsArgs) {
  return {
    workers: Number(args.workers ?? (quick ? 2 : 4)),
    fanout: {
      sizes: args.sizes ? args.sizes.split(',').map(Number) : quick ? [20] : [100, 500, 1000],
      systems: (args.systems?.split(',') ?? ['ws', 'sio', 'ours']) as TargetKind[],
      pushes: Number(args.pushes ?? (quick ? 20 : 200)),
      /** Pause between a push fully delivered and the next one. */
      gapMs: quick ? 20 : 50,
      pushTimeoutMs: 10_000,
      /** At the largest N, measure a disturbed run again, at most this many times. */
      retriesWhenDisturbed: quick ? 0 : 2,
    },
    answers: {
      learners: quick ? 20 : 1000,
      burstWindowMs: 1000,
      sustainedRate: quick ? 100 : 3000,
      sustainedMs: quick ? 2000 : 10_000,
      ackTimeoutMs: 10_000,
    },
    scale: {
      classes: quick ? 3 : 75,
      perClass: quick ? 10 : 40,
      pushEveryMs: quick ? 1000 : 2000,
      durationMs: quick ? 3000 : 30_000,
      settleMs: quick ? 500 : 3000,
    },
    idle: {
      classes: quick ? 5 : 250,
      perClass: quick ? 8 : 40,
      settleMs: quick ? 500 : 5000,
      durationMs: quick ? 3000 : 30_000,
      /** A tablet loading the page this often (ms) through the window. */
      httpEveryMs: 100,
      /** One console pushes a step this often (ms). */
      pushEveryMs: 500,
    },
    hog: {
      n: quick ? 20 : 500,
      pushes: quick ? 10 : 60,
      /** Share of every 100 ms the hog spins on the server's core. */
      duties: quick ? [0, 2 / 3] : [0, 1 / 3, 2 / 3],
    },
    festival: {
      classes: quick ? 4 : 150,
      perClass: quick ? 10 : 40,
      pushEveryMs: quick ? 1000 : 3000,
      durationMs: quick ? 3000 : 30_000,
      settleMs: quick ? 500 : 5000,
      /** Every learner answers the poll once within this window. */
      answerWindowMs: quick ? 1000 : 5000,
      ackTimeoutMs: 10_000,
    },
    coalesceMs: 100,
    /** A worker event loop this late (p99, ms) means the learners could not keep up. */
    generatorLoopDelayLimitMs: 50,
    /** A generator busier than this (% of its cores) is saturated. */
    generatorCpuLimitPct: 90,
    /** Other processes of the host using more than this share of a core disturb the figures. */
    otherLoadWarnPct: 20,
  };
}

export type BenchSettings = ReturnType<typeof benchSettings>;

/** A measurement window: the server's probe, the workers and this process all start counting now. */
export interface Window {
  cores: { busy: number; total: number }[] | null;
}

/** Per-core busy and total time (ms) from /proc/stat, or null off Linux. */
export function coreTimes(): { busy: number; total: number }[] | null {
  try {
    const tick = 10; // USER_HZ = 100 on Linux
    return readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .filter((l) => /^cpu\d+ /.test(l))
      .map((l) => {
        const [user, nice, system, idle, iowait, irq, softirq, steal] = l.split(/\s+/).slice(1).map(Number);
        const busy = user + nice + system + irq + softirq + (steal || 0);
        return { busy: busy * tick, total: (busy + idle + iowait) * tick };
      });
  } catch {
    return null;
  }
}

export function parseCores(list: string | null): number[] {
  if (list === null) return [];
  return list.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}

export type Harness = ReturnType<typeof createHarness>;

/** The context a scenario runs in: settings, the learner pool, the bench lesson, and the measuring tools. */
export interface Bench extends Harness {
  pool: Pool;
  lesson: Lesson;
  stepCount: number;
  log: (...parts: unknown[]) => void;
  /** With --heap: scenarios that measure memory write heap snapshots here. */
  heapDir?: string;
}

/**
 * Cores and measuring for one run: the server alone on core 0, the load generator (workers and this
 * process, which pins itself here) on the others, when the machine has taskset and ≥ 2 cores.
 */
export function createHarness(settings: BenchSettings, opts: { profileDir?: string }) {
  const coreCount = cpus().length;
  const taskset = coreCount >= 2 && hasTaskset();
  const serverCores = taskset ? '0' : null;
  const generatorCores = taskset ? (coreCount === 2 ? '1' : `1-${coreCount - 1}`) : null;
  const generatorCoreCount = taskset ? coreCount - 1 : coreCount;
  if (generatorCores) pinSelf(generatorCores);
  const { profileDir } = opts;

  // The harness's own event loop and CPU count as load generator.
  const selfLoop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  selfLoop.enable();
  let selfCpuFrom = process.cpuUsage();
  const profiles: { scenario: string; pid: number }[] = [];

  function serverHealth(p: ProbeReport): ServerHealth {
    return {
      loopDelay: p.loopDelay,
      timings: p.timings,
      cpuPct: Math.round(((p.cpu.user + p.cpu.system) / 1000 / p.cpu.wallMs) * 1000) / 10,
      rssMB: megabytes(p.memory.rss),
    };
  }

  function generatorHealth(stats: WorkerStats[], server: ProbeReport): GeneratorHealth {
    const self = process.cpuUsage(selfCpuFrom);
    const selfDelay = loopDelay(selfLoop);
    const cpuMs = stats.reduce((s, w) => s + (w.cpu.user + w.cpu.system) / 1000, 0) + (self.user + self.system) / 1000;
    const wallMs = Math.max(...stats.map((w) => w.cpu.wallMs));
    return {
      workers: stats.length,
      loopDelayP99: Math.max(selfDelay.p99, ...stats.map((w) => w.loopDelay.p99)),
      loopDelayMax: Math.max(selfDelay.max, ...stats.map((w) => w.loopDelay.max)),
      cpuPct: Math.round((cpuMs / wallMs / generatorCoreCount) * 1000) / 10,
      cpuMs: Math.round(cpuMs),
      serverCpuMs: Math.round((server.cpu.user + server.cpu.system) / 1000),
      disconnects: stats.reduce((s, w) => s + w.disconnects, 0),
    };
  }

  async function beginWindow(target: Target, pool: Pool): Promise<Window> {
    await target.probe({ reset: true });
    await pool.stats(true);
    selfLoop.reset();
    selfCpuFrom = process.cpuUsage();
    return { cores: coreTimes() };
  }

  async function endWindow(
    w: Window,
    target: Target,
    pool: Pool,
    opts: { reset?: boolean } = {},
  ): Promise<{ probe: ProbeReport; workers: WorkerStats[]; generator: GeneratorHealth; host: HostLoad }> {
    const probe = await target.probe({ reset: opts.reset });
    const workers = await pool.stats(Boolean(opts.reset));
    const generator = generatorHealth(workers, probe);
    const after = coreTimes();
    let host: HostLoad = { otherOnServerCorePct: null, otherOnGeneratorCoresPct: null };
    if (w.cores && after && serverCores !== null) {
      const busy = (ids: number[]) => ids.reduce((s, i) => s + (after[i].busy - w.cores![i].busy), 0);
      const wall = (ids: number[]) => ids.reduce((s, i) => s + (after[i].total - w.cores![i].total), 0);
      const pct = (ids: number[], ours: number) => Math.max(0, Math.round(((busy(ids) - ours) / wall(ids)) * 1000) / 10);
      host = {
        otherOnServerCorePct: pct(parseCores(serverCores), generator.serverCpuMs),
        otherOnGeneratorCoresPct: pct(parseCores(generatorCores), generator.cpuMs),
      };
    }
    if (opts.reset) {
      selfLoop.reset();
      selfCpuFrom = process.cpuUsage();
    }
    return { probe, workers, generator, host };
  }

  /**
   * Is the load generator, not the server, what limited this measurement? (invalid) Did other
   * processes of the host take a large share of the cores meanwhile? (a warning: figures disturbed)
   */
  function validity(gen: GeneratorHealth, host: HostLoad): { valid: boolean; reasons: string[]; warnings: string[] } {
    const reasons: string[] = [];
    const warnings: string[] = [];
    if ((host.otherOnServerCorePct ?? 0) > settings.otherLoadWarnPct) {
      warnings.push(`other processes used ${host.otherOnServerCorePct}% of the server's core`);
    }
    if ((host.otherOnGeneratorCoresPct ?? 0) > settings.otherLoadWarnPct) {
      warnings.push(`other processes used ${host.otherOnGeneratorCoresPct}% of the load generator's core(s)`);
    }
    if (gen.loopDelayP99 > settings.generatorLoopDelayLimitMs) {
      reasons.push(`load generator event-loop p99 ${gen.loopDelayP99} ms > ${settings.generatorLoopDelayLimitMs} ms`);
    }
    if (gen.cpuPct > settings.generatorCpuLimitPct) {
      reasons.push(`load generator CPU ${gen.cpuPct}% of its cores > ${settings.generatorCpuLimitPct}%`);
    }
    if (gen.disconnects > 0) reasons.push(`${gen.disconnects} learner sockets dropped during the measurement`);
    return { valid: reasons.length === 0, reasons, warnings };
  }

  async function withTarget<T>(kind: TargetKind, scenario: string, body: (t: Target) => Promise<T>): Promise<T> {
    const target = await startTarget(kind, {
      cores: serverCores,
      coalesceMs: settings.coalesceMs,
      profileDir: kind === 'ours' ? profileDir : undefined,
    });
    if (profileDir && kind === 'ours' && target.child.proc.pid) profiles.push({ scenario, pid: target.child.proc.pid });
    try {
      return await body(target);
    } finally {
      await target.stop();
    }
  }

  return {
    settings,
    coreCount,
    taskset,
    serverCores,
    generatorCores,
    profileDir,
    profiles,
    serverHealth,
    generatorHealth,
    beginWindow,
    endWindow,
    validity,
    withTarget,
    /** Start counting the harness's own CPU and loop delay again (between phases). */
    resetSelf: () => {
      selfLoop.reset();
      selfCpuFrom = process.cpuUsage();
    },
    now,
    loadAvg: () => loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
