/**
 * Festival day (issue 17), one process with SQLite: 150 classes of 40 (6,000 learners) connected,
 * every console watching; each class pushes a step every few seconds (fan-out), then every class
 * opens a poll and every learner answers within a few seconds (answer acks). Event loop and CPU of
 * each phase, memory per learner after GC; beside bare Socket.IO with the same classes (which relays
 * the pushes and acknowledges the answers at once).
 *
 * The several-process variant (PostgreSQL + the Redis streams adapter, behind nginx) is
 * bench/scenarios/festival-cluster.ts, run with `--festival-processes 2` (or `1,2` for both).
 */
import type { Socket } from 'socket.io-client';
import { now } from '../lib/clock.ts';
import type { Bench } from '../lib/harness.ts';
import type { AnswerStats } from '../lib/pool.ts';
import type { FestivalRun } from '../lib/result.ts';
import { summarize } from '../lib/stats.ts';
import { mergeAnswers, openPoll } from './answers.ts';
import { scale } from './scale.ts';

export async function festival(ctx: Bench, kind: 'ours' | 'sio'): Promise<FestivalRun> {
  const { settings, pool, beginWindow, endWindow, validity, serverHealth, log } = ctx;
  const f = settings.festival;
  const run = await scale(
    ctx,
    kind,
    f,
    async (target, classes, instructors) => {
      // Every class opens a poll (bare Socket.IO has none: any run id is acknowledged).
      const runIds: Record<string, string> = {};
      for (const [i, c] of classes.entries()) {
        runIds[c.key] = kind === 'ours' ? (await openPoll(instructors[i].socket as Socket, c.key)).runId : 'run';
      }
      const window = await beginWindow(target, pool);
      const parts = await pool.all<AnswerStats>(
        { type: 'burst', runIds, startAt: now() + 300, windowMs: f.answerWindowMs, timeoutMs: f.ackTimeoutMs },
        f.answerWindowMs + f.ackTimeoutMs + 30_000,
      );
      const { probe, generator, host } = await endWindow(window, target, pool);
      const m = mergeAnswers(parts);
      log(`festival ${kind}: ${m.ok}/${m.sent} answers acked, ack p99 ${summarize(m.latencies).p99} ms`);
      return {
        windowMs: f.answerWindowMs,
        sent: m.sent,
        acked: m.ok,
        errors: m.errors,
        ack: summarize(m.latencies),
        server: serverHealth(probe),
        generator,
        host,
        ...validity(generator, host),
      };
    },
    'festival',
  );
  const { after: answers, ...pushes } = run;
  return { processes: 1, store: kind === 'ours' ? 'sqlite' : null, pushes, answers, loadAvg: ctx.loadAvg() };
}

/** `--festival-processes 1,2`: the process counts to run (2 and more: bench/scenarios/festival-cluster.ts). */
export function festivalProcesses(list: string): number[] {
  const counts = list.split(',').map((x) => Number(x.trim()));
  const bad = counts.find((n) => !Number.isInteger(n) || n < 1 || n > 8);
  if (bad !== undefined) throw new Error(`--festival-processes ${list}: each count must be a whole number from 1 to 8`);
  return [...new Set(counts)];
}
