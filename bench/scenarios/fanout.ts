/**
 * Fan-out: one class of N, the instructor pushes `pushes` steps one after the other; every
 * (learner, push) latency, the last learner's, the servers' own share and CPU per push.
 */
import { sleep } from '../lib/clock.ts';
import type { Bench } from '../lib/harness.ts';
import { learnerSpecs } from '../lib/pool.ts';
import type { FanoutRun } from '../lib/result.ts';
import { summarize } from '../lib/stats.ts';
import {
  ourInstructor,
  setupInstructor,
  sioInstructor,
  startSession,
  wsInstructor,
  type Instructor,
  type Target,
  type TargetKind,
} from '../lib/targets.ts';

/** What another scenario adds around the measurement (the CPU-hog case: a hog and a console page). */
export interface FanoutExtras {
  /** Name of the run (profiles). */
  scenario?: string;
  pushes?: number;
  /** Started once the learners are connected, stopped after the window; gets our class (ours only). */
  around?: (target: Target, ours: { sessionId: string; cookie: string } | null) => Promise<() => Promise<void>>;
}

export async function fanout(ctx: Bench, kind: TargetKind, n: number, extras: FanoutExtras = {}): Promise<FanoutRun> {
  const { settings, pool, beginWindow, endWindow, validity, withTarget, serverHealth, lesson, stepCount } = ctx;
  const pushes = extras.pushes ?? settings.fanout.pushes;
  return withTarget(kind, extras.scenario ?? `fanout-${kind}-${n}`, async (target) => {
    let instructor: Instructor;
    let classKey = 'class-1';
    let code: string | undefined;
    let cookie = '';
    if (kind === 'ours') {
      cookie = await setupInstructor(target.url);
      const session = await startSession(target.url, cookie);
      classKey = session.id;
      code = session.code;
    }
    const conn = await pool.connect(kind, target.port, learnerSpecs(n, classKey, code));
    if (conn.failed > 0) throw new Error(`${conn.failed} of ${n} learners could not connect: ${JSON.stringify(conn.errors)}`);
    if (kind === 'ours') instructor = await ourInstructor(target.url, cookie, classKey);
    else if (kind === 'sio') instructor = await sioInstructor(target.url, classKey, lesson);
    else instructor = await wsInstructor(target.port, classKey, lesson);
    const stopExtras = extras.around ? await extras.around(target, kind === 'ours' ? { sessionId: classKey, cookie } : null) : null;
    await sleep(500);

    const window = await beginWindow(target, pool);
    const latencies: number[] = [];
    const last: number[] = [];
    const acks: number[] = [];
    let lost = 0;
    for (let k = 0; k < pushes; k++) {
      const step = k % stepCount; // consecutive pushes always differ: a repeat would be a no-op
      await pool.expect(k, step);
      const arrived = pool.waitPush(k, settings.fanout.pushTimeoutMs);
      const { sentAt, acked } = instructor.push(step);
      const { times, missing } = await arrived;
      for (const t of times) latencies.push(t - sentAt);
      if (times.length > 0) last.push(Math.max(...times) - sentAt);
      lost += missing;
      acks.push((await acked) - sentAt);
      await sleep(settings.fanout.gapMs);
    }
    const { probe: server, workers: workerStats, generator, host } = await endWindow(window, target, pool);
    await stopExtras?.();
    instructor.close();
    await pool.disconnect();
    const serverCpuMsPerPush = Math.round((generator.serverCpuMs / pushes) * 100) / 100;
    const generatorCpuMsPerPush = Math.round((generator.cpuMs / pushes) * 100) / 100;
    const v = validity(generator, host);
    // Each side's work per push runs on its own core: the slower side sets the latency. The
    // generator is the bottleneck when it needs more CPU to receive a push than the server to send
    // it, and more of the last recipient's latency comes after the server wrote the last frame than
    // before.
    const lastRecipient = summarize(last);
    const inside = server.pushes.commandToWritten.p50;
    if (generatorCpuMsPerPush > serverCpuMsPerPush && lastRecipient.p50 - inside > inside) {
      v.valid = false;
      v.reasons.push(
        `generator-bound: receiving a push cost the load generator ${generatorCpuMsPerPush} ms of CPU, sending it cost the server ${serverCpuMsPerPush} ms; ` +
          `the last learner got it ${Math.round((lastRecipient.p50 - inside) * 100) / 100} ms (p50) after the server had written it, the server took ${inside} ms`,
      );
    }
    return {
      target: kind,
      n,
      attempts: 1,
      pushes,
      connected: conn.connected,
      connectMs: conn.ms,
      payloadBytes: Math.max(...workerStats.map((w) => w.payloadBytes)),
      recipients: summarize(latencies),
      lastRecipient,
      ack: summarize(acks),
      expected: n * pushes,
      received: latencies.length,
      lost,
      serverSide: server.pushes,
      serverCpuMsPerPush,
      generatorCpuMsPerPush,
      server: serverHealth(server),
      generator,
      host,
      ...v,
    };
  });
}
