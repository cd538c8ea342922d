/**
 * Answers: a class of 1,000 answers a poll within one second (every one acknowledged and counted),
 * then keeps changing answers at a steady rate.
 */
import type { Socket } from 'socket.io-client';
import { now, sleep } from '../lib/clock.ts';
import type { Bench } from '../lib/harness.ts';
import { addCounts, learnerSpecs, type AnswerStats } from '../lib/pool.ts';
import type { AnswersResult, BurstResult, SustainedResult } from '../lib/result.ts';
import { summarize } from '../lib/stats.ts';
import { ourInstructor, setupInstructor, startSession } from '../lib/targets.ts';

export function mergeAnswers(parts: AnswerStats[]): AnswerStats {
  return {
    sent: parts.reduce((s, p) => s + p.sent, 0),
    ok: parts.reduce((s, p) => s + p.ok, 0),
    errors: addCounts(parts.map((p) => p.errors)),
    latencies: parts.flatMap((p) => p.latencies),
    firstSendAt: Math.min(...parts.map((p) => p.firstSendAt)),
    lastSendAt: Math.max(...parts.map((p) => p.lastSendAt)),
    lastAckAt: Math.max(...parts.map((p) => p.lastAckAt)),
  };
}

/** Our console opens a poll in a class; resolves with its run id. */
export async function openPoll(staff: Socket, sessionId: string): Promise<{ runId: string }> {
  const open = (await staff.timeout(10_000).emitWithAck('quiz:open', {
    sessionId,
    source: {
      question: {
        id: 'q',
        kind: 'poll',
        prompt: 'Bác đã từng trả tiền bằng mã QR chưa?',
        options: [
          { id: 'a', text: 'Rồi' },
          { id: 'b', text: 'Chưa' },
        ],
      },
    },
    timeLimit: null,
  })) as { ok: boolean; data?: { runId: string }; error?: unknown };
  if (!open.ok || !open.data) throw new Error(`quiz:open refused: ${JSON.stringify(open.error)}`);
  return open.data;
}

export async function answers(ctx: Bench): Promise<AnswersResult> {
  const { settings, pool, beginWindow, endWindow, validity, withTarget, serverHealth, log } = ctx;
  const s = settings.answers;
  return withTarget('ours', 'answers', async (target) => {
    const cookie = await setupInstructor(target.url);
    const session = await startSession(target.url, cookie);
    const conn = await pool.connect('ours', target.port, learnerSpecs(s.learners, session.id, session.code));
    if (conn.failed > 0) throw new Error(`${conn.failed} learners could not connect: ${JSON.stringify(conn.errors)}`);
    const instructor = await ourInstructor(target.url, cookie, session.id);
    const staff = instructor.socket as Socket;
    await instructor.push(0).acked;

    type QuizView = { runId: string; answered: number } | null;
    let views: { at: number; quiz: QuizView }[] = [];
    staff.on('staff:view', (v: { quiz: QuizView }) => views.push({ at: now(), quiz: v.quiz }));
    const counted = async (runId: string, expect: number, ms: number) => {
      const until = now() + ms;
      const current = () => views.filter((v) => v.quiz?.runId === runId).at(-1)?.quiz?.answered ?? 0;
      while (now() < until && current() < expect) await sleep(20);
      await sleep(settings.coalesceMs * 3); // and nothing more arrives after
      return current();
    };

    const open = await openPoll(staff, session.id);
    const runIds = { [session.id]: open.runId };
    await sleep(500);

    // Burst: every learner answers once, at a random moment of one second.
    views = [];
    const window1 = await beginWindow(target, pool);
    const startAt = now() + 300;
    const burstParts = await pool.all<AnswerStats>(
      { type: 'burst', runIds, startAt, windowMs: s.burstWindowMs, timeoutMs: s.ackTimeoutMs },
      s.burstWindowMs + s.ackTimeoutMs + 30_000,
    );
    const b = mergeAnswers(burstParts);
    const burstCounted = await counted(open.runId, s.learners, 5000);
    const allCounted = views.find((v) => v.quiz?.runId === open.runId && v.quiz.answered >= b.sent);
    const { probe: server1, generator: gen1, host: host1 } = await endWindow(window1, target, pool);
    const burst: BurstResult = {
      learners: s.learners,
      windowMs: s.burstWindowMs,
      sent: b.sent,
      acked: b.ok,
      errors: b.errors,
      ack: summarize(b.latencies),
      counted: burstCounted,
      aggregateLagMs: allCounted ? Math.round((allCounted.at - b.lastSendAt) * 100) / 100 : NaN,
      staffViews: views.length,
      server: serverHealth(server1),
      generator: gen1,
      host: host1,
      ...validity(gen1, host1),
    };
    log(
      `answers burst: ${b.ok}/${b.sent} acked, counted ${burstCounted}, ack p99 ${burst.ack.p99} ms, aggregate lag ${burst.aggregateLagMs} ms`,
    );

    // Sustained: new answers (new answerIds) at a steady rate; every one must be acknowledged.
    await sleep(500);
    const window2 = await beginWindow(target, pool);
    const start2 = now() + 300;
    const parts = await pool.all<AnswerStats>(
      {
        type: 'sustained',
        runIds,
        startAt: start2,
        ratePerSec: s.sustainedRate / pool.workers.length,
        durationMs: s.sustainedMs,
        timeoutMs: s.ackTimeoutMs,
      },
      s.sustainedMs + s.ackTimeoutMs + 30_000,
    );
    const { probe: server2, generator: gen2, host: host2 } = await endWindow(window2, target, pool);
    const m = mergeAnswers(parts);
    const sustainedCounted = await counted(open.runId, s.learners, 5000);
    const sustained: SustainedResult = {
      targetRate: s.sustainedRate,
      durationMs: s.sustainedMs,
      sent: m.sent,
      acked: m.ok,
      errors: m.errors,
      ack: summarize(m.latencies),
      achievedRate: Math.round(m.ok / ((m.lastAckAt - m.firstSendAt) / 1000)),
      counted: sustainedCounted,
      server: serverHealth(server2),
      generator: gen2,
      host: host2,
      ...validity(gen2, host2),
    };
    log(`answers sustained: ${m.ok}/${m.sent} acked at ${sustained.achievedRate}/s, ack p99 ${sustained.ack.p99} ms`);
    instructor.close();
    await pool.disconnect();
    return { burst, sustained };
  });
}
