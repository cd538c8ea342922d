/**
 * Idle (issue 17): one process carrying many idle learners — 10,000 in 250 classes of 40 by
 * default, every class with its console watching, as on a district's festival day before anyone
 * moves. While they sit there, the harness asks for `GET /` (the learner page) at a steady rate and
 * one console pushes a step now and then: HTTP latency, the staff command's ack, the server's event
 * loop, and memory per idle learner after a GC. The same beside a bare Socket.IO server holding the
 * same sockets and answering `GET /` with the same file.
 */
import { now, sleep } from '../lib/clock.ts';
import type { Bench } from '../lib/harness.ts';
import { learnerSpecs } from '../lib/pool.ts';
import { classesFigures, type IdleRun } from '../lib/result.ts';
import { summarize } from '../lib/stats.ts';
import { openClasses } from '../lib/targets.ts';

/** GET `url` every `everyMs` until `until`; each request's latency (a new connection each, as a tablet's first load). */
async function httpProbe(url: string, everyMs: number, until: number): Promise<{ latencies: number[]; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const pending: Promise<void>[] = [];
  for (let next = now(); next < until; next += everyMs) {
    await sleep(Math.max(0, next - now()));
    const started = now();
    pending.push(
      fetch(url, { headers: { connection: 'close' }, signal: AbortSignal.timeout(10_000) })
        .then(async (res) => {
          await res.arrayBuffer();
          if (!res.ok) throw new Error(String(res.status));
          latencies.push(now() - started);
        })
        .catch(() => void (errors += 1)),
    );
  }
  await Promise.all(pending);
  return { latencies, errors };
}

export async function idle(ctx: Bench, kind: 'ours' | 'sio'): Promise<IdleRun> {
  const { settings, pool, beginWindow, endWindow, validity, withTarget, serverHealth, lesson, stepCount, log } = ctx;
  const s = settings.idle;
  return withTarget(kind, `idle-${kind}`, async (target) => {
    // Every class has its console open (the staff views they get are part of the load).
    const { classes, instructors } = await openClasses(kind, target.url, s.classes, lesson);
    await sleep(500);
    const snapshots = ctx.heapDir
      ? { before: `${ctx.heapDir}/idle-${kind}-before.heapsnapshot`, after: `${ctx.heapDir}/idle-${kind}-after.heapsnapshot` }
      : undefined;
    const before = await target.probe({ gc: true, snapshot: snapshots?.before });
    const specs = classes.flatMap((c, i) => learnerSpecs(s.perClass, c.key, c.code, i * s.perClass));
    const conn = await pool.connect(kind, target.port, specs, 64);
    if (conn.failed > 0) throw new Error(`${conn.failed} learners could not connect: ${JSON.stringify(conn.errors)}`);
    log(`idle ${kind}: ${conn.connected} learners connected in ${conn.ms} ms; settling`);
    await sleep(s.settleMs);
    const after = await target.probe({ gc: true, snapshot: snapshots?.after });
    const n = conn.connected;
    if (snapshots)
      log(`idle ${kind}: heap snapshots in ${ctx.heapDir} (npx tsx bench/lib/heap.ts ${snapshots.after} ${snapshots.before} ${n})`);

    const window = await beginWindow(target, pool);
    const until = now() + s.durationMs;
    // One console pushes a step every pushEveryMs: its ack is the staff command's latency.
    const acks: number[] = [];
    let pushErrors = 0;
    const staff = (async () => {
      for (let k = 1; now() < until; k++) {
        const { sentAt, acked } = instructors[0].push(k % stepCount);
        await acked.then(
          (at) => void acks.push(at - sentAt),
          () => void (pushErrors += 1),
        );
        await sleep(s.pushEveryMs);
      }
    })();
    const http = await httpProbe(`${target.url}/`, s.httpEveryMs, until);
    await staff;
    const { probe: server, generator: gen, host } = await endWindow(window, target, pool);
    for (const i of instructors) i.close();
    await pool.disconnect();
    const v = validity(gen, host);
    if (http.errors > 0) v.reasons.push(`${http.errors} GET / failed`);
    // Writing a snapshot holds the server for seconds (consoles time out) and leaves its pages in RSS.
    if (snapshots) v.reasons.push('heap snapshots taken: only the heap figure is valid (RSS, latencies and acks are not)');
    return {
      ...classesFigures(kind, s, conn, before.memory, after.memory),
      durationMs: s.durationMs,
      http: summarize(http.latencies),
      httpErrors: http.errors,
      staffAck: summarize(acks),
      pushErrors,
      server: serverHealth(server),
      generator: gen,
      host,
      loadAvg: ctx.loadAvg(),
      ...v,
      valid: v.reasons.length === 0,
    };
  });
}
