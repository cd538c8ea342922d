/**
 * Practice tasks at festival scale (issue 13): `npx tsx bench/tasks.ts [--learners 1000] [--seconds 60] [--workers 4]`.
 *
 * One class of N learners with the bench lesson's two-screen task open; each learner makes one move
 * per second (a tap to the other screen, with a client-made id) for the given time. Reports the
 * acknowledgement latency of every move, how long after the last move the instructor's per-screen
 * counts were current, and how many staff updates were sent (coalesced). The same load runs against
 * a bare Socket.IO server that acknowledges each move at once, in the same run, for comparison.
 */
import { parseArgs } from 'node:util';
import type { Socket } from 'socket.io-client';
import { hasTaskset } from './lib/children.ts';
import { now, sleep } from './lib/clock.ts';
import { Pool, learnerSpecs, type AnswerStats } from './lib/pool.ts';
import { summarize, type Summary } from './lib/stats.ts';
import { ourInstructor, setupInstructor, startSession, startTarget, type TargetKind } from './lib/targets.ts';
import { cpus } from 'node:os';

const { values: args } = parseArgs({
  options: {
    learners: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '60' },
    workers: { type: 'string', default: '4' },
  },
});
const learners = Number(args.learners);
const durationMs = Number(args.seconds) * 1000;
const workers = Number(args.workers);
const coalesceMs = 100;
const multi = hasTaskset() && cpus().length >= 2;
const serverCores = multi ? '0' : null;
const generatorCores = multi ? `1-${cpus().length - 1}` : null;

type Moves = AnswerStats & { onB: number };
interface Run {
  system: TargetKind;
  sent: number;
  acked: number;
  errors: Record<string, number>;
  ack: Summary;
  /** ms from the last move's ack to the first staff view whose per-screen counts match the learners' screens. */
  countsLagMs: number | null;
  staffViews: number | null;
}

function merge(parts: Moves[]): Moves {
  const out: Moves = { sent: 0, ok: 0, errors: {}, latencies: [], firstSendAt: Infinity, lastSendAt: 0, lastAckAt: 0, onB: 0 };
  for (const p of parts) {
    out.sent += p.sent;
    out.ok += p.ok;
    out.onB += p.onB;
    out.latencies.push(...p.latencies);
    out.firstSendAt = Math.min(out.firstSendAt, p.firstSendAt);
    out.lastSendAt = Math.max(out.lastSendAt, p.lastSendAt);
    out.lastAckAt = Math.max(out.lastAckAt, p.lastAckAt);
    for (const [k, v] of Object.entries(p.errors)) out.errors[k] = (out.errors[k] ?? 0) + v;
  }
  return out;
}

async function run(pool: Pool, system: 'ours' | 'sio'): Promise<Run> {
  const target = await startTarget(system, { cores: serverCores, coalesceMs });
  try {
    let runId = 'bench-run-0001';
    let views: { at: number; onB: number }[] | null = null;
    let staff: Socket | null = null;
    let close = () => {};
    if (system === 'ours') {
      const cookie = await setupInstructor(target.url);
      const session = await startSession(target.url, cookie);
      const conn = await pool.connect('ours', target.port, learnerSpecs(learners, session.id, session.code));
      if (conn.failed) throw new Error(`${conn.failed} learners could not join: ${JSON.stringify(conn.errors)}`);
      const instructor = await ourInstructor(target.url, cookie, session.id);
      staff = instructor.socket!;
      close = () => instructor.close();
      await instructor.push(0).acked;
      const opened = (await staff
        .timeout(10_000)
        .emitWithAck('task:open', { sessionId: session.id, source: { step: 0, taskId: 'bench-task' } })) as {
        ok: boolean;
        data?: { runId: string };
      };
      if (!opened.ok || !opened.data) throw new Error(`task:open refused: ${JSON.stringify(opened)}`);
      runId = opened.data.runId;
      const seen: { at: number; onB: number }[] = [];
      views = seen;
      staff.on('staff:view', (v: { task: { screens: { id: string; count: number }[] } | null }) => {
        seen.push({ at: now(), onB: v.task?.screens.find((s) => s.id === 'b')?.count ?? -1 });
      });
    } else {
      const conn = await pool.connect('sio', target.port, learnerSpecs(learners, 'room-1'));
      if (conn.failed) throw new Error(`${conn.failed} learners could not connect: ${JSON.stringify(conn.errors)}`);
    }
    await sleep(500);
    if (views) views.length = 0;
    const startAt = now() + 500;
    const parts = await pool.all<Moves>(
      { type: 'moves', runId, startAt, everyMs: 1000, durationMs, timeoutMs: 30_000 },
      durationMs + 90_000,
    );
    const m = merge(parts);
    let countsLagMs: number | null = null;
    if (views) {
      const deadline = now() + 5000;
      const current = () => views.find((v) => v.at >= m.lastAckAt && v.onB === m.onB);
      while (!current() && now() < deadline) await sleep(10);
      const hit = current();
      countsLagMs = hit ? Math.round((hit.at - m.lastAckAt) * 10) / 10 : null;
    }
    close();
    await pool.disconnect();
    return {
      system,
      sent: m.sent,
      acked: m.ok,
      errors: m.errors,
      ack: summarize(m.latencies),
      countsLagMs,
      staffViews: views ? views.length : null,
    };
  } finally {
    await target.stop();
  }
}

async function main(): Promise<void> {
  console.log(
    `practice tasks: ${learners} learners, one move/s for ${durationMs / 1000} s; ${workers} workers; server on ${serverCores ?? 'any core'}`,
  );
  const pool = await Pool.start(workers, generatorCores);
  try {
    const results: Run[] = [];
    for (const system of ['ours', 'sio'] as const) {
      const r = await run(pool, system);
      results.push(r);
      console.log(
        `${system === 'ours' ? 'Cùng Học' : 'bare Socket.IO'}: ${r.acked}/${r.sent} acked, ack p50 ${r.ack.p50} / p99 ${r.ack.p99} / max ${r.ack.max} ms` +
          (r.countsLagMs !== null || system === 'ours'
            ? `; per-screen counts current ${r.countsLagMs} ms after the last ack; ${r.staffViews} staff views`
            : '') +
          (Object.keys(r.errors).length ? `; errors ${JSON.stringify(r.errors)}` : ''),
      );
    }
    const ours = results[0];
    const ok = ours.acked === ours.sent && ours.ack.p99 <= 150 && ours.countsLagMs !== null && ours.countsLagMs <= 250;
    console.log(JSON.stringify({ learners, durationMs, results, verdict: ok ? 'met' : 'NOT met' }, null, 2));
    process.exitCode = ok ? 0 : 1;
  } finally {
    await pool.stop();
  }
}

void main();
