/** The budgets (../shared/DESIGN.md, "Budgets") checked against a run's results, and the fan-out ratios. */
import type { BenchResult, FanoutRatios, FanoutRun, TargetCheck } from './result.ts';
import { LINK, type LinkResult } from './link.ts';
import { ratio } from './stats.ts';
import type { TargetKind } from './targets.ts';
import type { Weight } from './weight.ts';

export function fanoutRatios(runs: FanoutRun[]): FanoutRatios[] {
  const sizes = [...new Set(runs.map((r) => r.n))];
  const get = (kind: TargetKind, n: number) => runs.find((r) => r.target === kind && r.n === n && !r.error);
  return sizes.flatMap((n) => {
    const ours = get('ours', n);
    const sio = get('sio', n);
    const ws = get('ws', n);
    if (!ours || !sio || !ws) return [];
    const pair = (a: FanoutRun, b: FanoutRun) => ({
      p50: ratio(a.recipients.p50, b.recipients.p50),
      p99: ratio(a.recipients.p99, b.recipients.p99),
      lastP50: ratio(a.lastRecipient.p50, b.lastRecipient.p50),
      lastP99: ratio(a.lastRecipient.p99, b.lastRecipient.p99),
    });
    const inside = (a: FanoutRun, b: FanoutRun) => ({
      p50: ratio(a.serverSide.commandToWritten.p50, b.serverSide.commandToWritten.p50),
      p99: ratio(a.serverSide.commandToWritten.p99, b.serverSide.commandToWritten.p99),
      cpu: ratio(a.serverCpuMsPerPush, b.serverCpuMsPerPush),
    });
    return [
      {
        n,
        oursOverSio: pair(ours, sio),
        sioOverWs: pair(sio, ws),
        serverSide: { oursOverSio: inside(ours, sio), sioOverWs: inside(sio, ws) },
      },
    ];
  });
}

const KB = 1024;

export function checkTargets(
  r: Omit<BenchResult, 'targets' | 'complete' | 'valid' | 'invalidReasons' | 'warnings' | 'durationS'>,
): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const largest = Math.max(0, ...r.fanout.ratios.map((x) => x.n));
  const ratios = r.fanout.ratios.find((x) => x.n === largest);
  const pairValid = ['ours', 'sio'].every((t) => r.fanout.runs.find((x) => x.target === t && x.n === largest)?.valid);
  const disturbed = (runs: { warnings: string[] }[]) =>
    runs.some((x) => x.warnings.length > 0) ? ' Disturbed by other processes of the host.' : '';
  // End to end when the load generator kept up; otherwise the servers' own share (command in →
  // last frame written), which the generator cannot distort.
  // (Latencies of a run disturbed by other processes cannot be compared: no verdict then.)
  const inside = ratios?.serverSide.oursOverSio;
  const pair = r.fanout.runs.filter((x) => x.n === largest && x.target !== 'ws');
  const quiet = pair.length === 2 && pair.every((x) => x.warnings.length === 0);
  checks.push({
    name: `fan-out to ${largest || 'N'} learners vs bare Socket.IO`,
    target: 'p50 and p99 ≤ 1.5×',
    measured: ratios
      ? `end to end p50 ${ratios.oursOverSio.p50}×, p99 ${ratios.oursOverSio.p99}×${pairValid ? '' : ' (generator-bound, not valid)'}; ` +
        `inside the server p50 ${inside!.p50}×, p99 ${inside!.p99}×; CPU per push ${inside!.cpu}×`
      : 'not measured',
    met:
      ratios && quiet
        ? pairValid
          ? ratios.oursOverSio.p50 <= 1.5 && ratios.oursOverSio.p99 <= 1.5
          : inside!.p50 <= 1.5 && inside!.p99 <= 1.5
        : null,
    note: ratios
      ? !quiet
        ? `No verdict: other processes of the host disturbed ${pair
            .filter((x) => x.warnings.length)
            .map((x) => x.target)
            .join(' and ')} (latencies not comparable); CPU per push, which descheduling does not inflate, is ${inside!.cpu}×.`
        : pairValid
          ? 'Judged end to end.'
          : 'Judged inside the server: end to end, the load generator was the bottleneck.'
      : undefined,
  });
  const b = r.answers.burst;
  checks.push({
    name: `${b?.learners ?? 'N'}-answer burst`,
    target: 'all acked and counted, ack p99 ≤ 150 ms, aggregate ≤ 250 ms after the last',
    measured: b
      ? `${b.acked}/${b.sent} acked, ${b.counted} counted, p99 ${b.ack.p99} ms, aggregate +${b.aggregateLagMs} ms`
      : 'not measured',
    met: b ? b.acked === b.sent && b.counted === b.sent && b.ack.p99 <= 150 && b.aggregateLagMs <= 250 : null,
    note: b ? (b.valid ? '' : `Not valid: ${b.reasons.join('; ')}.`) + disturbed([b]) || undefined : undefined,
  });
  const su = r.answers.sustained;
  checks.push({
    name: `sustained ${su?.targetRate ?? ''} answers/s`,
    target: 'every answer acknowledged (no budget on latency)',
    measured: su ? `${su.acked}/${su.sent} acked at ${su.achievedRate}/s, p99 ${su.ack.p99} ms` : 'not measured',
    met: su ? su.acked === su.sent : null,
    note: su ? (su.valid ? '' : `Not valid: ${su.reasons.join('; ')}.`) + disturbed([su]) || undefined : undefined,
  });
  const sc = r.scale.ours;
  checks.push({
    name: `${sc?.learners ?? 'N'} connected learners, event loop`,
    target: 'p99 ≤ 20 ms',
    measured: sc ? `p99 ${sc.server.loopDelay.p99} ms (max ${sc.server.loopDelay.max} ms), CPU ${sc.server.cpuPct}%` : 'not measured',
    met: sc ? sc.server.loopDelay.p99 <= 20 : null,
    note: sc ? (sc.valid ? '' : `Not valid: ${sc.reasons.join('; ')}.`) + disturbed([sc]) || undefined : undefined,
  });
  const sio = r.scale.sio;
  checks.push({
    name: 'memory per idle learner (RSS)',
    target: '≤ 25 KB',
    measured: sc
      ? `${(sc.bytesPerLearnerRss / KB).toFixed(1)} KB (bare Socket.IO ${sio ? (sio.bytesPerLearnerRss / KB).toFixed(1) : '?'} KB)`
      : 'not measured',
    met: sc ? sc.bytesPerLearnerRss <= 25 * KB : null,
  });
  const w = r.weight;
  checks.push({
    name: 'learner page JS + CSS, compressed as sent (first load)',
    target: '≤ 45 KB',
    measured:
      'error' in w && w.error
        ? w.error
        : `${((w as Weight).totalGzip / KB).toFixed(1)} KB gzip over http, ${((w as Weight).totalBrotli / KB).toFixed(1)} KB brotli over https`,
    met: 'error' in w && w.error ? null : (w as Weight).totalGzip <= 45 * KB,
  });
  const l = r.link;
  const lr = 'error' in l && l.error ? null : (l as LinkResult);
  checks.push({
    name: `learner join screen usable on ${LINK.kbitPerSecond} kbit/s, ${LINK.latencyMs} ms (Chromium emulation)`,
    target: `first load ≤ ${LINK.firstLoadMs / 1000} s, reload ≤ ${LINK.reloadMs / 1000} s`,
    measured: lr
      ? `first ${(lr.first.usableMs / 1000).toFixed(2)} s (${lr.first.requests} requests, ${(lr.first.wireBytes / KB).toFixed(1)} KB), ` +
        `reload ${(lr.reload.usableMs / 1000).toFixed(2)} s (${lr.reload.requests} requests, ${(lr.reload.wireBytes / KB).toFixed(1)} KB); script sent as ${lr.scriptEncoding}`
      : (l as { error: string }).error,
    met: lr ? lr.first.usableMs <= LINK.firstLoadMs && lr.reload.usableMs <= LINK.reloadMs : null,
  });
  // Issue 17: only when the idle scenario ran (`--only idle`), so the standard table stays as it was.
  const io = r.idle?.ours;
  const ib = r.idle?.sio;
  if (io) {
    const note = (io.valid ? '' : `Not valid: ${io.reasons.join('; ')}.`) + disturbed([io]) || undefined;
    checks.push(
      {
        name: `${io.learners} idle learners, event loop`,
        target: 'p99 ≤ 20 ms',
        measured: `p99 ${io.server.loopDelay.p99} ms (max ${io.server.loopDelay.max} ms), CPU ${io.server.cpuPct}%${ib ? ` (bare Socket.IO ${ib.server.loopDelay.p99} ms)` : ''}`,
        met: io.server.loopDelay.p99 <= 20,
        note,
      },
      {
        name: `${io.learners} idle learners, GET /`,
        target: 'p99 ≤ 50 ms',
        measured: `p99 ${io.http.p99} ms (bare Socket.IO ${ib ? ib.http.p99 : '?'} ms); staff ack p99 ${io.staffAck.p99} ms (bare ${ib ? ib.staffAck.p99 : '?'} ms)`,
        met: io.http.p99 <= 50,
        note,
      },
      {
        name: `memory per idle learner at ${io.learners}`,
        target: '≤ 1.3× bare Socket.IO (RSS after GC)',
        measured: ib
          ? `${(io.bytesPerLearnerRss / KB).toFixed(1)} KB vs ${(ib.bytesPerLearnerRss / KB).toFixed(1)} KB: ${ratio(io.bytesPerLearnerRss, ib.bytesPerLearnerRss)}× (heap + external ${ratio(io.bytesPerLearnerHeap, ib.bytesPerLearnerHeap)}×)`
          : 'bare Socket.IO not measured',
        met: ib ? io.bytesPerLearnerRss <= 1.3 * ib.bytesPerLearnerRss : null,
      },
    );
  }
  // The CPU-hog case: at the heaviest hog, ours degrades no worse than 2× bare Socket.IO (p50, p99).
  const hogs = r.hog ?? [];
  const worst = Math.max(-1, ...hogs.map((h) => h.duty));
  const ho = hogs.find((h) => h.duty === worst && h.target === 'ours');
  const hb = hogs.find((h) => h.duty === worst && h.target === 'sio');
  if (ho && hb) {
    const p50 = ratio(ho.run.recipients.p50, hb.run.recipients.p50);
    const p99 = ratio(ho.run.recipients.p99, hb.run.recipients.p99);
    checks.push({
      name: `fan-out to ${ho.run.n} under a CPU hog (${Math.round(worst * 100)}% of the server's core) with a console page`,
      target: 'p50 and p99 ≤ 2× bare Socket.IO under the same hog',
      measured: `p50 ${ho.run.recipients.p50} vs ${hb.run.recipients.p50} ms (${p50}×), p99 ${ho.run.recipients.p99} vs ${hb.run.recipients.p99} ms (${p99}×)`,
      met: p50 <= 2 && p99 <= 2,
      note: ho.consoleReady ? undefined : 'The console page never got a staff view.',
    });
  }
  return checks;
}
