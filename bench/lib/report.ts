/** bench/results/latest.md and the generated part of docs/performance.md. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { profileMarkdown } from './profile.ts';
import type { BenchResult, ClassesRun, FanoutRun, GeneratorHealth, HostLoad, ServerHealth } from './result.ts';
import type { Summary } from './stats.ts';
import { targetNames } from './targets.ts';

const KB = 1024;
const ms = (x: number) => (Number.isFinite(x) ? String(x) : '–');
const kb = (bytes: number) => (bytes / KB).toFixed(1);
const lat = (s: Summary) => `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.p99)} / ${ms(s.max)}`;
const p50p99max = (s: Pick<Summary, 'p50' | 'p99' | 'max'>) => `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)}`;
const gen = (g: GeneratorHealth) => `${g.cpuPct}% · ${g.loopDelayP99} ms`;
const other = (h: HostLoad) => (h.otherOnServerCorePct === null ? '–' : `${h.otherOnServerCorePct}% · ${h.otherOnGeneratorCoresPct}%`);
const valid = (v: { valid: boolean; warnings: string[] }) => (v.valid ? 'yes' : '**no**') + (v.warnings.length ? ' (disturbed)' : '');
const ok = (met: boolean | null) => (met === null ? '–' : met ? 'met' : '**missed**');

function fanoutRow(r: FanoutRun): string {
  const inside = r.serverSide.commandToWritten;
  return (
    `| ${r.n} | ${targetNames[r.target]} | ${lat(r.recipients)} | ${p50p99max(r.lastRecipient)}` +
    ` | ${p50p99max(inside)} | ${r.serverCpuMsPerPush} · ${r.generatorCpuMsPerPush} | ${r.received}/${r.expected}` +
    ` | ${r.server.loopDelay.p99} ms | ${gen(r.generator)} | ${other(r.host)} | ${valid(r)}${r.attempts > 1 ? ` (${r.attempts} attempts)` : ''} |`
  );
}

/** The first cells of a classes run's row (scale, idle): server, learners, connect, memory, loop, CPU. */
function classesCells(x: ClassesRun & { server: ServerHealth }): string {
  return (
    `| ${targetNames[x.target]} | ${x.connected} | ${(x.connectMs / 1000).toFixed(1)} s | ${x.rssBeforeMB} → ${x.rssAfterMB} MB | ` +
    `${kb(x.bytesPerLearnerRss)} KB · ${kb(x.bytesPerLearnerHeap)} KB | ${x.server.loopDelay.p50} / ${x.server.loopDelay.p99} / ${x.server.loopDelay.max} ms | ${x.server.cpuPct}%`
  );
}

export function renderMarkdown(r: BenchResult): string {
  const m = r.machine;
  const lines: string[] = [];
  lines.push(
    `Run of ${r.startedAt} (${r.mode} mode, ${r.durationS} s). Machine: ${m.cpu}, ${m.cores} cores, ${m.memGB} GB, ${m.os}, Node ${m.node}; ` +
      `load average at start ${m.loadAvgAtStart.join(' / ')}${m.shared ? ' — a shared machine: the share of each core other processes used is given per scenario ("other load")' : ''}.`,
    '',
    `Code: commit ${r.revision.commit}${r.revision.dirty ? ' with uncommitted changes in server/ or shared/' : ''}.`,
    '',
    r.pinning.taskset
      ? `Pinning: each server under test on core ${r.pinning.server}, the load generator (${String(r.settings.workers)} worker processes and the harness) on core ${r.pinning.generator} (taskset).`
      : 'Pinning: none (taskset missing or a single core): server and load generator share the cores.',
    '',
    `Run ${r.valid ? 'valid' : `**invalid**: ${r.invalidReasons.length} measurement(s) limited by the load generator or failed (listed at the end)`}. ` +
      `Nothing lost: ${r.complete ? 'yes (every push reached every learner, every answer acknowledged and counted)' : '**no**'}.`,
    '',
    ...(r.warnings.length ? [`Disturbed by other processes of the host: ${r.warnings.join('; ')}.`, ''] : []),
    '### Targets',
    '',
    '| budget | target | measured | | note |',
    '|---|---|---|---|---|',
    ...r.targets.map((t) => `| ${t.name} | ${t.target} | ${t.measured} | ${ok(t.met)} | ${t.note ?? ''} |`),
    '',
  );

  const f = r.fanout;
  if (f.runs.length > 0) {
    const s = r.settings.fanout as { pushes: number; gapMs: number };
    lines.push(
      '### Fan-out',
      '',
      `${s.pushes} pushes of ~${kb(Math.max(...f.runs.map((x) => x.payloadBytes)))} KB views to one class, one after the other (${s.gapMs} ms pause once a push reached everyone). ` +
        'Latency: learner receive − instructor send, same monotonic clock. ms.',
      '',
      '"Inside the server": push command received → view written to the last learner socket, timed in the server process. ' +
        '"CPU/push": ms of CPU per push, server · load generator (workers + harness); when the generator needs more than the server, ' +
        'the generator is the bottleneck and the run is marked invalid. "Other load": CPU used by other processes of the host on the server\'s core · the generator\'s core.',
      '',
      '| N | server | per recipient p50 / p95 / p99 / max | last recipient p50 / p99 / max | inside the server p50 / p99 / max | CPU/push | received | server loop p99 | generator CPU · loop p99 | other load | valid |',
      '|---:|---|---|---|---|---|---|---|---|---|---|',
      ...f.runs.map(fanoutRow),
      '',
      'Ratios, end to end (per recipient p50 · p99; last recipient p50 · p99) and inside the servers (p50 · p99; CPU per push):',
      '',
      '| N | ours / bare Socket.IO | last recipient | inside | CPU | bare Socket.IO / bare ws | last recipient | inside | CPU |',
      '|---:|---|---|---|---|---|---|---|---|',
      ...f.ratios.map(
        (x) =>
          `| ${x.n} | ${x.oursOverSio.p50}× · ${x.oursOverSio.p99}× | ${x.oursOverSio.lastP50}× · ${x.oursOverSio.lastP99}× | ${x.serverSide.oursOverSio.p50}× · ${x.serverSide.oursOverSio.p99}× | ${x.serverSide.oursOverSio.cpu}× ` +
          `| ${x.sioOverWs.p50}× · ${x.sioOverWs.p99}× | ${x.sioOverWs.lastP50}× · ${x.sioOverWs.lastP99}× | ${x.serverSide.sioOverWs.p50}× · ${x.serverSide.sioOverWs.p99}× | ${x.serverSide.sioOverWs.cpu}× |`,
      ),
      '',
    );
  }

  const a = r.answers;
  if (a.burst || a.sustained || a.error) {
    lines.push('### Answers', '');
    if (a.error) lines.push(`Failed: ${a.error}`, '');
    if (a.burst) {
      const b = a.burst;
      lines.push(
        `Burst: ${b.learners} learners each answer a poll once, at a random moment of ${b.windowMs} ms. ` +
          `Acked ${b.acked}/${b.sent}${Object.keys(b.errors).length ? ` (errors ${JSON.stringify(b.errors)})` : ''}; ` +
          `the instructor's StaffView.quiz.answered reached ${b.counted}; ack latency p50 / p95 / p99 / max ${lat(b.ack)} ms; ` +
          `the aggregate counting every answer arrived ${ms(b.aggregateLagMs)} ms after the last answer was sent ` +
          `(${b.staffViews} staff views in all). Server CPU ${b.server.cpuPct}%, loop p99 ${b.server.loopDelay.p99} ms; ` +
          `generator ${gen(b.generator)}; other load ${other(b.host)}${b.valid ? '' : ' — invalid: ' + b.reasons.join('; ')}${b.warnings.length ? ' — disturbed: ' + b.warnings.join('; ') : ''}.`,
        '',
      );
    }
    if (a.sustained) {
      const su = a.sustained;
      lines.push(
        `Sustained: ${su.targetRate} answers/s for ${su.durationMs / 1000} s, each a new answerId (learners change their answers). ` +
          `Acked ${su.acked}/${su.sent}${Object.keys(su.errors).length ? ` (errors ${JSON.stringify(su.errors)})` : ''} at ${su.achievedRate}/s; ` +
          `ack p50 / p95 / p99 / max ${lat(su.ack)} ms; still ${su.counted} learners counted. ` +
          `Server CPU ${su.server.cpuPct}%, loop p99 ${su.server.loopDelay.p99} ms (max ${su.server.loopDelay.max}); ` +
          `generator ${gen(su.generator)}; other load ${other(su.host)}${su.valid ? '' : ' — invalid: ' + su.reasons.join('; ')}${su.warnings.length ? ' — disturbed: ' + su.warnings.join('; ') : ''}.`,
        '',
      );
    }
  }

  const sc = [r.scale.ours, r.scale.sio].filter((x) => x !== null);
  if (sc.length > 0) {
    const first = sc[0];
    lines.push(
      '### Scale',
      '',
      `${first.classes} classes of ${first.perClass} connected at once; each class pushes a step every ${first.pushEveryMs / 1000} s for ${first.durationMs / 1000} s ` +
        '(the instructors watching). Memory: RSS after a full GC before the learners connect and once they are connected and idle.',
      '',
      '| server | learners | connect | RSS before → after | per learner RSS · heap+external | loop p50 / p99 / max | CPU | delivery p50 / p99 / max | inside the server p50 / p99 | received | generator CPU · loop p99 | other load | valid |',
      '|---|---:|---:|---|---|---|---:|---|---|---|---|---|---|',
      ...sc.map(
        (x) =>
          `${classesCells(x)} | ${p50p99max(x.delivery)} ms | ` +
          `${ms(x.serverSide.commandToWritten.p50)} / ${ms(x.serverSide.commandToWritten.p99)} ms | ` +
          `${x.received}/${x.expected} | ${gen(x.generator)} | ${other(x.host)} | ${valid(x)} |`,
      ),
      '',
    );
  }

  const idle = [r.idle?.ours, r.idle?.sio].filter((x) => x !== null && x !== undefined);
  if (idle.length > 0) {
    const first = idle[0];
    const [o, b] = [r.idle?.ours, r.idle?.sio];
    const x = (a: number | undefined, c: number | undefined) =>
      a !== undefined && c !== undefined && c > 0 ? `${Math.round((a / c) * 100) / 100}×` : '?';
    lines.push(
      '### Idle learners on one process',
      '',
      `${first.classes} classes of ${first.perClass} connected and idle, every class's console watching; for ${first.durationMs / 1000} s, \`GET /\` every ${r.settings.idle ? (r.settings.idle as { httpEveryMs: number }).httpEveryMs : '?'} ms (a new connection each) and one console's step:push every ${r.settings.idle ? (r.settings.idle as { pushEveryMs: number }).pushEveryMs : '?'} ms. Memory after a full GC, before the learners connect and once they are idle.`,
      '',
      '| server | learners | connect | RSS before → after | per learner RSS · heap+external | loop p50 / p99 / max | CPU | GET / p50 / p99 / max | staff ack p50 / p99 / max | generator CPU · loop p99 | other load | load avg | valid |',
      '|---|---:|---:|---|---|---|---:|---|---|---|---|---|---|',
      ...idle.map(
        (y) =>
          `${classesCells(y)} | ${p50p99max(y.http)} ms | ` +
          `${p50p99max(y.staffAck)} ms | ${gen(y.generator)} | ${other(y.host)} | ${y.loadAvg.join(' ')} | ${valid(y)} |`,
      ),
      '',
      ...(o && b
        ? [
            `Ours / bare Socket.IO: loop p99 ${x(o.server.loopDelay.p99, b.server.loopDelay.p99)}, GET / p99 ${x(o.http.p99, b.http.p99)}, staff ack p99 ${x(o.staffAck.p99, b.staffAck.p99)}, ` +
              `memory per learner ${x(o.bytesPerLearnerRss, b.bytesPerLearnerRss)} (RSS) · ${x(o.bytesPerLearnerHeap, b.bytesPerLearnerHeap)} (heap + external).`,
            '',
          ]
        : []),
    );
  }

  const fest = [r.festival?.ours, r.festival?.sio].filter((x) => x !== null && x !== undefined);
  if (fest.length > 0) {
    const f0 = fest[0];
    lines.push(
      '### Festival day, one process',
      '',
      `${f0.pushes.classes} classes of ${f0.pushes.perClass} on ${f0.processes} process (our store: SQLite), every console watching: each class pushes a step every ${f0.pushes.pushEveryMs / 1000} s for ${f0.pushes.durationMs / 1000} s, ` +
        `then every class opens a poll and every learner answers once within ${f0.answers.windowMs / 1000} s.`,
      '',
      '| server | learners | per learner RSS · heap+external | push delivery p50 / p99 / max | pushes: loop p99 · CPU | answers acked | ack p50 / p99 / max | answers: loop p99 · CPU | other load | load avg | valid |',
      '|---|---:|---|---|---|---|---|---|---|---|---|',
      ...fest.map(
        (f) =>
          `| ${targetNames[f.pushes.target]} | ${f.pushes.connected} | ${kb(f.pushes.bytesPerLearnerRss)} KB · ${kb(f.pushes.bytesPerLearnerHeap)} KB | ` +
          `${p50p99max(f.pushes.delivery)} ms | ${f.pushes.server.loopDelay.p99} ms · ${f.pushes.server.cpuPct}% | ` +
          `${f.answers.acked}/${f.answers.sent} | ${p50p99max(f.answers.ack)} ms | ${f.answers.server.loopDelay.p99} ms · ${f.answers.server.cpuPct}% | ` +
          `${other(f.pushes.host)} | ${f.loadAvg.join(' ')} | ${valid(f.pushes)} |`,
      ),
      '',
    );
  }

  const cl = [r.festivalCluster?.ours, r.festivalCluster?.sio].filter((x) => x !== null && x !== undefined);
  if (cl.length > 0) {
    const c0 = cl[0];
    const each = (list: number[], unit: string) => list.map((v) => `${v}${unit}`).join(' / ');
    /** Loop p99 and CPU of each process, in start order. */
    const perProcess = (servers: ServerHealth[]) =>
      `${each(
        servers.map((x) => x.loopDelay.p99),
        ' ms',
      )} · ${each(
        servers.map((x) => x.cpuPct),
        '%',
      )}`;
    const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) && Number.isFinite(b) ? `${(a / b).toFixed(2)}×` : '–');
    lines.push(
      `### Festival day, ${c0.processes} processes`,
      '',
      `${c0.classes} classes of ${c0.perClass} on ${c0.processes} processes behind nginx (\`hash $remote_addr consistent\`; learners from ${c0.processes * 8} loopback addresses), ` +
        'ours on PostgreSQL with the Redis streams adapter, bare Socket.IO with the same adapter. Each class is started on one process and its console talks to it; ' +
        'the pushes and the poll are those of the one-process run. The servers are not pinned: they share the cores with nginx, PostgreSQL and Redis ' +
        '(the load generator keeps its core). Loop p99 and CPU (% of one core) per process, memory per learner for all processes together.',
      '',
      '| server | learners (per process) | per learner RSS · heap+external | push delivery p50 / p99 / max | received | pushes: loop p99 · CPU per process | answers acked | ack p50 / p99 / max | answers: loop p99 · CPU per process | generator CPU · loop p99 | load avg | valid |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...cl.map(
        (f) =>
          `| ${targetNames[f.target]} | ${f.connected} (${f.learnersPerProcess.join(' + ')}) | ${kb(f.bytesPerLearnerRss)} KB · ${kb(f.bytesPerLearnerHeap)} KB | ` +
          `${p50p99max(f.pushes.delivery)} ms | ${f.pushes.received}/${f.pushes.expected} | ` +
          `${perProcess(f.pushes.servers)} | ${f.answers.acked}/${f.answers.sent} | ${p50p99max(f.answers.ack)} ms | ` +
          `${perProcess(f.answers.servers)} | ${gen(f.pushes.generator)} | ${f.loadAvg.join(' ')} | ${f.pushes.valid && f.answers.valid ? 'yes' : '**no**'} |`,
      ),
      '',
    );
    const o = r.festivalCluster?.ours;
    const b = r.festivalCluster?.sio;
    if (o && b) {
      const worst = (list: { loopDelay: { p99: number } }[]) => Math.max(...list.map((x) => x.loopDelay.p99));
      const cpu = (list: { cpuPct: number }[]) => list.reduce((sum, x) => sum + x.cpuPct, 0);
      lines.push(
        `Ours / bare Socket.IO: push delivery p50 ${ratio(o.pushes.delivery.p50, b.pushes.delivery.p50)}, p99 ${ratio(o.pushes.delivery.p99, b.pushes.delivery.p99)}; ` +
          `answer ack p99 ${ratio(o.answers.ack.p99, b.answers.ack.p99)}; worst process loop p99 ${ratio(worst(o.pushes.servers), worst(b.pushes.servers))} (pushes) · ` +
          `${ratio(worst(o.answers.servers), worst(b.answers.servers))} (answers); CPU of all processes ${ratio(cpu(o.pushes.servers), cpu(b.pushes.servers))} (pushes) · ` +
          `${ratio(cpu(o.answers.servers), cpu(b.answers.servers))} (answers); memory per learner ${ratio(o.bytesPerLearnerRss, b.bytesPerLearnerRss)} (RSS) · ` +
          `${ratio(o.bytesPerLearnerHeap, b.bytesPerLearnerHeap)} (heap + external).`,
        '',
      );
    }
  }

  if (r.hog && r.hog.length > 0) {
    const h0 = r.hog[0];
    lines.push(
      '### Under a CPU hog',
      '',
      `Fan-out to ${h0.run.n} learners (${h0.run.pushes} pushes) while a process spins on the server's core for a share of every 100 ms; a console page in Chromium watches the class ` +
        "(ours; a blank page beside bare Socket.IO), Chromium pinned with the load generator. Other load on the server's core is mostly the hog itself.",
      '',
      '| hog | server | per recipient p50 / p99 / max | last recipient p50 / p99 | inside the server p50 / p99 | CPU/push | server CPU · loop p99 | console views | received | load avg |',
      '|---:|---|---|---|---|---|---|---:|---|---|',
      ...r.hog.map(
        (h) =>
          `| ${Math.round(h.duty * 100)}% | ${targetNames[h.target]} | ${p50p99max(h.run.recipients)} | ${ms(h.run.lastRecipient.p50)} / ${ms(h.run.lastRecipient.p99)} | ` +
          `${ms(h.run.serverSide.commandToWritten.p50)} / ${ms(h.run.serverSide.commandToWritten.p99)} | ${h.run.serverCpuMsPerPush} · ${h.run.generatorCpuMsPerPush} | ${h.run.server.cpuPct}% · ${h.run.server.loopDelay.p99} ms | ` +
          `${h.target === 'ours' ? h.consoleFrames : '–'} | ${h.run.received}/${h.run.expected} | ${h.loadAvg.join(' ')} |`,
      ),
      '',
      ...[...new Set(r.hog.map((h) => h.duty))].flatMap((d) => {
        const o = r.hog!.find((h) => h.duty === d && h.target === 'ours');
        const b = r.hog!.find((h) => h.duty === d && h.target === 'sio');
        if (!o || !b) return [];
        const q = (a: number, c: number) => (c > 0 ? `${Math.round((a / c) * 100) / 100}×` : '?');
        return [
          `- hog ${Math.round(d * 100)}%: ours / bare p50 ${q(o.run.recipients.p50, b.run.recipients.p50)}, p99 ${q(o.run.recipients.p99, b.run.recipients.p99)}; last recipient p50 ${q(o.run.lastRecipient.p50, b.run.lastRecipient.p50)}; inside the server p50 ${q(o.run.serverSide.commandToWritten.p50, b.run.serverSide.commandToWritten.p50)}`,
        ];
      }),
      '',
    );
  }

  const w = r.weight;
  lines.push('### Learner page weight', '');
  if ('error' in w && w.error) lines.push(`Not measured: ${w.error}`, '');
  else if (!('error' in w) || !w.error) {
    const wt = w as Exclude<BenchResult['weight'], { error: string }>;
    lines.push(
      `From dist/client/${wt.page} and its static imports, as sent: the build's .gz (http://) and .br (https://) files. KB = 1,024 bytes.`,
      '',
      '| file | bytes | gzip (http) | brotli (https) |',
      '|---|---:|---:|---:|',
      ...[...wt.js, ...wt.css].map((x) => `| ${x.file} | ${x.bytes} | ${x.gzip} | ${x.brotli} |`),
      `| **total** (JS ${kb(wt.jsGzip)} KB + CSS ${kb(wt.cssGzip)} KB gzip) | ${wt.totalBytes} | **${wt.totalGzip}** (${kb(wt.totalGzip)} KB) | ${wt.totalBrotli} (${kb(wt.totalBrotli)} KB) |`,
      ...(wt.lazy.length ? ['', `Loaded on demand, not counted: ${wt.lazy.map((x) => `${x.file} (${x.gzip} B gzip)`).join(', ')}.`] : []),
      '',
    );
  }

  for (const p of r.profiles) {
    lines.push(`### CPU profile: ${p.scenario}`, '', profileMarkdown(p.summary, 12), '');
  }
  if (r.invalidReasons.length) lines.push('### Invalid measurements', '', ...r.invalidReasons.map((x) => `- ${x}`), '');
  lines.push(`Settings: \`${JSON.stringify(r.settings)}\``, '');
  return lines.join('\n');
}

const BEGIN = '<!-- bench:results:begin (generated by bench/run.ts; do not edit by hand) -->';
const END = '<!-- bench:results:end -->';

/** Replace the generated section of docs/performance.md (or append one). */
export function updatePerformanceDoc(path: string, md: string): void {
  const doc = existsSync(path) ? readFileSync(path, 'utf8') : '# Performance\n';
  const section = `${BEGIN}\n\n${md.trim()}\n\n${END}`;
  const from = doc.indexOf(BEGIN);
  const to = doc.indexOf(END);
  const next = from >= 0 && to > from ? doc.slice(0, from) + section + doc.slice(to + END.length) : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next);
}
