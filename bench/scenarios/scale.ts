/**
 * Scale: many classes connected at once, each pushing a step every few seconds; memory per learner
 * (RSS and heap after a GC, before and after they connect), loop delay, delivery.
 */
import { now, sleep } from '../lib/clock.ts';
import type { Bench } from '../lib/harness.ts';
import { learnerSpecs, type Pool } from '../lib/pool.ts';
import { classesFigures, type ScaleRun } from '../lib/result.ts';
import { summarize, type Summary } from '../lib/stats.ts';
import { openClasses, type Instructor, type Target } from '../lib/targets.ts';

/** Sizes of a scale run (settings.scale by default; the festival scenario passes its own). */
export interface ScaleSizes {
  classes: number;
  perClass: number;
  pushEveryMs: number;
  durationMs: number;
  settleMs: number;
}

/** A phase run after the push window, learners still connected (the festival's answers). */
export type ScaleAfter<T> = (target: Target, classes: { key: string; code?: string }[], instructors: Instructor[]) => Promise<T>;

export async function scale(ctx: Bench, kind: 'ours' | 'sio'): Promise<ScaleRun>;
export async function scale<T>(
  ctx: Bench,
  kind: 'ours' | 'sio',
  sizes: ScaleSizes,
  after: ScaleAfter<T>,
  name: string,
): Promise<ScaleRun & { after: T }>;
export async function scale<T>(
  ctx: Bench,
  kind: 'ours' | 'sio',
  sizes?: ScaleSizes,
  afterPhase?: ScaleAfter<T>,
  name = 'scale',
): Promise<ScaleRun & { after?: T }> {
  const { settings, pool, beginWindow, endWindow, validity, withTarget, serverHealth, lesson, stepCount } = ctx;
  const s = sizes ?? settings.scale;
  return withTarget(kind, `${name}-${kind}`, async (target) => {
    const { classes, instructors } = await openClasses(kind, target.url, s.classes, lesson);
    await sleep(500);
    const before = await target.probe({ gc: true });

    const specs = classes.flatMap((c, i) => learnerSpecs(s.perClass, c.key, c.code, i * s.perClass));
    const conn = await pool.connect(kind, target.port, specs);
    if (conn.failed > 0) throw new Error(`${conn.failed} learners could not connect: ${JSON.stringify(conn.errors)}`);
    await sleep(s.settleMs);
    const after = await target.probe({ gc: true });
    const window = await beginWindow(target, pool);

    const { rounds, sends, pushErrors } = await pushRounds(pool, classes, instructors, s, stepCount);
    const { probe: server, generator: gen, host } = await endWindow(window, target, pool);
    const delivered = await deliveries(pool, sends, classes.length * rounds * s.perClass);
    const extra = afterPhase ? { after: await afterPhase(target, classes, instructors) } : {};
    for (const i of instructors) i.close();
    await pool.disconnect();
    return {
      ...classesFigures(kind, s, conn, before.memory, after.memory),
      pushEveryMs: s.pushEveryMs,
      durationMs: s.durationMs,
      pushes: classes.length * rounds,
      pushErrors,
      ...delivered,
      serverSide: server.pushes,
      server: serverHealth(server),
      generator: gen,
      host,
      ...validity(gen, host),
      ...extra,
    };
  });
}

/**
 * Each class pushes a step every pushEveryMs for durationMs, the classes spread evenly over the
 * period, with every learner worker logging what it receives; resolves a second after the last ack.
 */
export async function pushRounds(
  pool: Pool,
  classes: { key: string }[],
  instructors: Instructor[],
  s: Pick<ScaleSizes, 'pushEveryMs' | 'durationMs'>,
  stepCount: number,
): Promise<{ rounds: number; sends: Map<string, number>; pushErrors: number }> {
  await pool.all({ type: 'log', on: true });
  const rounds = Math.floor(s.durationMs / s.pushEveryMs);
  const sends = new Map<string, number>();
  let pushErrors = 0;
  const start = now() + 200;
  await new Promise<void>((resolveAll) => {
    let remaining = classes.length * rounds;
    classes.forEach((c, i) => {
      for (let j = 0; j < rounds; j++) {
        const at = start + (i * s.pushEveryMs) / classes.length + j * s.pushEveryMs;
        setTimeout(
          () => {
            const step = j % stepCount;
            const { sentAt, acked } = instructors[i].push(step);
            sends.set(`${c.key}|${step}`, sentAt);
            acked
              .catch(() => (pushErrors += 1))
              .finally(() => {
                if (--remaining === 0) resolveAll();
              });
          },
          Math.max(0, at - now()),
        );
      }
    });
  });
  await sleep(1000);
  return { rounds, sends, pushErrors };
}

/** What reached the learners of the pushes made: how many are expected, how many came, and their delivery times. */
export interface Delivered {
  /** Receive − send of every push a learner got. */
  delivery: Summary;
  expected: number;
  received: number;
  lost: number;
}

/** Stop the workers' logs; each learner's delivery time (receive − send) of every push it got, of `expected` in all. */
export async function deliveries(pool: Pool, sends: Map<string, number>, expected: number): Promise<Delivered> {
  await pool.all({ type: 'log', on: false });
  const dumps = await pool.all<{ log: { classKey: string; step: number; at: number }[] }>({ type: 'dump' });
  const delivery: number[] = [];
  for (const d of dumps) {
    for (const e of d.log) {
      const sentAt = sends.get(`${e.classKey}|${e.step}`);
      if (sentAt !== undefined) delivery.push(e.at - sentAt);
    }
  }
  return { delivery: summarize(delivery), expected, received: delivery.length, lost: expected - delivery.length };
}
