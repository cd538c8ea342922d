/**
 * The benchmark harness (issue 8). `npx tsx bench/run.ts [--quick] [--out DIR] [--only …] [--profile]`
 *
 * This file only orchestrates: it parses the options, runs the chosen scenarios (bench/scenarios/, one
 * file each), checks the targets (bench/lib/checks.ts), prints and writes the results. Probing, windows
 * and validity are in bench/lib/harness.ts.
 *
 * Starts each server under test in its own process (ours through bench/server-entry.ts, and two
 * baselines: a bare Socket.IO relay and a bare ws broadcaster), drives it with socket.io-client / ws
 * learners spread over worker processes on 127.0.0.1, and writes latest.json + latest.md to the out
 * folder (bench/results by default, which also updates docs/performance.md after a full run).
 * Every loop is bounded in count and time; a watchdog ends the run if it ever hangs; every child is
 * killed on exit. On a machine with taskset and ≥ 2 cores the server gets core 0, the load generator
 * (workers and this process) the others.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkTargets, fanoutRatios } from './lib/checks.ts';
import { root } from './lib/children.ts';
import { now, sleep } from './lib/clock.ts';
import { benchSettings, createHarness, type Bench } from './lib/harness.ts';
import { measureLink } from './lib/link.ts';
import { Pool } from './lib/pool.ts';
import { summarizeProfile } from './lib/profile.ts';
import { renderMarkdown, updatePerformanceDoc } from './lib/report.ts';
import type { AnswersResult, BenchResult, FanoutRun, FestivalClusterRun, FestivalRun, HogRun, IdleRun } from './lib/result.ts';
import { loadBenchLesson } from './lib/targets.ts';
import { learnerPageWeight } from './lib/weight.ts';
import { answers } from './scenarios/answers.ts';
import { fanout } from './scenarios/fanout.ts';
import { festival, festivalProcesses } from './scenarios/festival.ts';
import { clusterServicesMissing, festivalCluster } from './scenarios/festival-cluster.ts';
import { hogs } from './scenarios/hog.ts';
import { idle } from './scenarios/idle.ts';
import { scale } from './scenarios/scale.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    only: { type: 'string' },
    sizes: { type: 'string' },
    systems: { type: 'string' },
    profile: { type: 'boolean', default: false },
    /** The festival scenario on these many server processes ("1", "2", "1,2"; 2+: PostgreSQL and Redis behind nginx). */
    'festival-processes': { type: 'string', default: '1' },
    /** The festival's number of classes (150 by default, 40 learners each): a smaller day where 6,000 is too many. */
    classes: { type: 'string' },
    /** Heap snapshots (before/after the learners connect) of the memory scenarios, in DIR/heap/. */
    heap: { type: 'boolean', default: false },
    'profile-workers': { type: 'boolean', default: false },
    pushes: { type: 'string' },
    workers: { type: 'string' },
    'no-docs': { type: 'boolean', default: false },
    /** Wait up to this many minutes for the host's 1-minute load average to fall below 1 (shared machines). */
    'wait-quiet': { type: 'string' },
    /** Only rewrite latest.md (and this page, for a full run in bench/results) from latest.json. */
    rerender: { type: 'boolean', default: false },
  },
});

const quick = args.quick;
const settings = benchSettings(quick, args);
if (args.classes) settings.festival.classes = Number(args.classes);
const only = new Set(args.only?.split(',') ?? ['weight', 'link', 'fanout', 'answers', 'scale']);
const defaultOut = join(root, 'bench/results');
const outDir = resolve(args.out ?? defaultOut);
const profileDir = args.profile ? join(outDir, 'profiles') : undefined;

// Watchdog: whatever happens, the run ends (and the exit hook kills every child).
const watchdog = setTimeout(
  () => {
    console.error('bench: watchdog: the run took too long, stopping');
    process.exit(2);
  },
  quick ? 180_000 : 40 * 60_000,
);

const log = (...parts: unknown[]) => console.log(`[bench ${((now() - t0) / 1000).toFixed(1)}s]`, ...parts);
const t0 = now();

// Cores: the server alone on core 0, the load generator (workers and this process) on the others.
const harness = createHarness(settings, { profileDir });
const { coreCount, taskset, serverCores, generatorCores, profiles } = harness;

const lesson = loadBenchLesson();
const stepCount = lesson.steps.length;

const invalidReasons: string[] = [];

function revision(): { commit: string; dirty: boolean } {
  const git = (...a: string[]) => spawnSync('git', a, { cwd: root, encoding: 'utf8' }).stdout?.trim() ?? '';
  return { commit: git('rev-parse', '--short', 'HEAD') || 'unknown', dirty: git('status', '--porcelain', '--', 'server', 'shared') !== '' };
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const measured = revision(); // the code as it was when the run started
  let loadAvgAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
  log(
    `mode ${quick ? 'quick' : 'full'}; ${coreCount} cores; server on ${serverCores ?? 'any core'}, load generator on ${generatorCores ?? 'any core'}; load average ${loadAvgAtStart.join(' ')}`,
  );
  if (args['wait-quiet']) {
    const until = now() + Number(args['wait-quiet']) * 60_000;
    while (loadavg()[0] >= 1 && now() < until) {
      log(`waiting for a quieter host (load average ${loadavg()[0].toFixed(2)})`);
      await sleep(15_000);
    }
  }
  const festivalCounts = festivalProcesses(args['festival-processes']);
  if (only.has('festival') && festivalCounts.some((n) => n > 1)) {
    const missing = await clusterServicesMissing();
    if (missing) throw new Error(`--festival-processes ${args['festival-processes']}: ${missing}`);
  }
  // Our server is measured as npm start runs it: the tsc build (see bench/server-entry.ts).
  if (process.env.BENCH_SERVER !== 'source') {
    const script: string = '../scripts/build.mjs'; // plain JS, no types
    const builder = (await import(script)) as { staleParts(): string[]; build(parts: string[]): Promise<void> };
    if (builder.staleParts().includes('server')) {
      log('dist/server is missing or older than the sources: building it (tsc) to measure what npm start runs');
      await builder.build(['server']);
    }
  }
  loadAvgAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
  mkdirSync(outDir, { recursive: true });
  if (profileDir) mkdirSync(profileDir, { recursive: true });

  let weight: BenchResult['weight'] = { error: 'not measured' };
  if (only.has('weight')) {
    try {
      weight = learnerPageWeight(join(root, 'dist/client'));
      log(`learner page: ${weight.totalGzip} B gzip, ${weight.totalBrotli} B brotli`);
    } catch (err) {
      weight = { error: (err as Error).message };
    }
  }
  let link: BenchResult['link'] = { error: 'not measured' };
  if (only.has('link')) {
    try {
      if (!existsSync(join(root, 'dist/client/index.html'))) throw new Error('dist/client not built: run `npm run build` first');
      link = await measureLink({
        clientDir: join(root, 'dist/client'),
        lessonsDir: join(root, 'lessons'),
        chromiumPath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      });
      log(
        `learner page on ${link.kbitPerSecond} kbit/s, ${link.latencyMs} ms: usable in ${link.first.usableMs} ms (first load), ${link.reload.usableMs} ms (reload)`,
      );
    } catch (err) {
      link = { error: (err as Error).message };
    }
  }

  const pool = await Pool.start(
    settings.workers,
    generatorCores,
    args['profile-workers'] ? ['--cpu-prof', `--cpu-prof-dir=${join(outDir, 'profiles', 'workers')}`] : [],
  );
  const heapDir = args.heap ? join(outDir, 'heap') : undefined;
  if (heapDir) mkdirSync(heapDir, { recursive: true });
  const ctx: Bench = { ...harness, pool, lesson, stepCount, log, heapDir };
  const fanoutRuns: FanoutRun[] = [];
  let answersResult: AnswersResult = { burst: null, sustained: null };
  const scaleResult: BenchResult['scale'] = { ours: null, sio: null };
  const idleResult: { ours: IdleRun | null; sio: IdleRun | null } = { ours: null, sio: null };
  const hogResult: HogRun[] = [];
  const festivalResult: { ours: FestivalRun | null; sio: FestivalRun | null } = { ours: null, sio: null };
  const clusterResult: { ours: FestivalClusterRun | null; sio: FestivalClusterRun | null } = { ours: null, sio: null };
  try {
    if (only.has('fanout')) {
      for (const n of settings.fanout.sizes) {
        for (const kind of settings.fanout.systems) {
          try {
            const largest = n === Math.max(...settings.fanout.sizes);
            const otherLoad = (x: FanoutRun) => Math.max(x.host.otherOnServerCorePct ?? 0, x.host.otherOnGeneratorCoresPct ?? 0);
            let run = await fanout(ctx, kind, n);
            for (let attempt = 2; largest && run.warnings.length > 0 && attempt <= settings.fanout.retriesWhenDisturbed + 1; attempt++) {
              log(`fan-out ${kind} N=${n} disturbed (${run.warnings.join('; ')}): measuring again`);
              const again = await fanout(ctx, kind, n);
              again.attempts = attempt;
              run = otherLoad(again) < otherLoad(run) ? again : { ...run, attempts: attempt };
            }
            fanoutRuns.push(run);
            log(
              `fan-out ${kind} N=${n}: p50 ${run.recipients.p50} p99 ${run.recipients.p99} max ${run.recipients.max} ms, last p50 ${run.lastRecipient.p50} ms, lost ${run.lost}; server CPU ${run.server.cpuPct}%, generator CPU ${run.generator.cpuPct}% loop p99 ${run.generator.loopDelayP99} ms${run.valid ? '' : ' INVALID: ' + run.reasons.join('; ')}`,
            );
          } catch (err) {
            log(`fan-out ${kind} N=${n} failed:`, err);
            invalidReasons.push(`fan-out ${kind} N=${n} failed: ${(err as Error).message}`);
            await pool.disconnect().catch(() => undefined);
          }
        }
      }
    }
    if (only.has('answers')) {
      try {
        answersResult = await answers(ctx);
      } catch (err) {
        log('answers failed:', err);
        answersResult = { burst: null, sustained: null, error: (err as Error).message };
        invalidReasons.push(`answers failed: ${(err as Error).message}`);
        await pool.disconnect().catch(() => undefined);
      }
    }
    if (only.has('scale')) {
      for (const kind of ['ours', 'sio'] as const) {
        try {
          const run = await scale(ctx, kind);
          scaleResult[kind] = run;
          log(
            `scale ${kind}: ${run.connected} learners in ${run.connectMs} ms; ${run.bytesPerLearnerRss} B RSS/learner; loop p99 ${run.server.loopDelay.p99} ms; CPU ${run.server.cpuPct}%; delivery p99 ${run.delivery.p99} ms; lost ${run.lost}${run.valid ? '' : ' INVALID: ' + run.reasons.join('; ')}`,
          );
        } catch (err) {
          log(`scale ${kind} failed:`, err);
          invalidReasons.push(`scale ${kind} failed: ${(err as Error).message}`);
          await pool.disconnect().catch(() => undefined);
        }
      }
    }
    if (only.has('idle')) {
      for (const kind of (['ours', 'sio'] as const).filter((k) => !args.systems || settings.fanout.systems.includes(k))) {
        try {
          const run = await idle(ctx, kind);
          idleResult[kind] = run;
          log(
            `idle ${kind}: ${run.connected} learners; ${run.bytesPerLearnerRss} B RSS/learner (${run.bytesPerLearnerHeap} B heap); loop p99 ${run.server.loopDelay.p99} ms; ` +
              `GET / p99 ${run.http.p99} ms; staff ack p99 ${run.staffAck.p99} ms; CPU ${run.server.cpuPct}%; load ${run.loadAvg.join(' ')}${run.valid ? '' : ' INVALID: ' + run.reasons.join('; ')}`,
          );
        } catch (err) {
          log(`idle ${kind} failed:`, err);
          invalidReasons.push(`idle ${kind} failed: ${(err as Error).message}`);
          await pool.disconnect().catch(() => undefined);
        }
      }
    }
    if (only.has('festival') && festivalCounts.includes(1)) {
      for (const kind of (['ours', 'sio'] as const).filter((k) => !args.systems || settings.fanout.systems.includes(k))) {
        try {
          const run = await festival(ctx, kind);
          festivalResult[kind] = run;
          log(
            `festival ${kind}: ${run.pushes.connected} learners; push delivery p50 ${run.pushes.delivery.p50} p99 ${run.pushes.delivery.p99} ms, lost ${run.pushes.lost}; ` +
              `answers ${run.answers.acked}/${run.answers.sent}, ack p99 ${run.answers.ack.p99} ms; loop p99 ${run.pushes.server.loopDelay.p99} / ${run.answers.server.loopDelay.p99} ms; ` +
              `${run.pushes.bytesPerLearnerRss} B RSS/learner; load ${run.loadAvg.join(' ')}`,
          );
        } catch (err) {
          log(`festival ${kind} failed:`, err);
          invalidReasons.push(`festival ${kind} failed: ${(err as Error).message}`);
          await pool.disconnect().catch(() => undefined);
        }
      }
    }
    for (const processes of only.has('festival') ? festivalCounts.filter((n) => n > 1) : []) {
      for (const kind of (['ours', 'sio'] as const).filter((k) => !args.systems || settings.fanout.systems.includes(k))) {
        try {
          const run = await festivalCluster(ctx, kind, processes);
          clusterResult[kind] = run;
          log(
            `festival ${kind} on ${processes} processes: ${run.connected} learners (${run.learnersPerProcess.join(' + ')}); push delivery p50 ${run.pushes.delivery.p50} p99 ${run.pushes.delivery.p99} ms, lost ${run.pushes.lost}; ` +
              `answers ${run.answers.acked}/${run.answers.sent}, ack p99 ${run.answers.ack.p99} ms; loop p99 ${run.pushes.servers.map((x) => x.loopDelay.p99).join(' / ')} ms; ` +
              `CPU ${run.pushes.servers.map((x) => x.cpuPct).join(' / ')}%; ${run.bytesPerLearnerRss} B RSS/learner; load ${run.loadAvg.join(' ')}`,
          );
        } catch (err) {
          log(`festival ${kind} on ${processes} processes failed:`, err);
          invalidReasons.push(`festival ${kind} on ${processes} processes failed: ${(err as Error).message}`);
          await pool.disconnect().catch(() => undefined);
        }
      }
    }
    if (only.has('hog')) {
      try {
        hogResult.push(...(await hogs(ctx)));
      } catch (err) {
        log('hog failed:', err);
        invalidReasons.push(`hog failed: ${(err as Error).message}`);
        await pool.disconnect().catch(() => undefined);
      }
    }
  } finally {
    await pool.stop();
  }

  const partial = {
    version: 1 as const,
    mode: quick ? ('quick' as const) : ('full' as const),
    startedAt,
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: coreCount,
      memGB: Math.round(totalmem() / 2 ** 30),
      os: `${osType()} ${release()}`,
      node: process.version,
      loadAvgAtStart,
      // Other work (other engineers' tests) may run on this host: see loadAvgAtStart.
      shared: loadAvgAtStart[0] > 0.5,
    },
    revision: measured,
    pinning: { taskset, server: serverCores, generator: generatorCores },
    settings: { ...settings, only: [...only], profile: Boolean(profileDir) },
    fanout: { runs: fanoutRuns, ratios: fanoutRatios(fanoutRuns) },
    answers: answersResult,
    scale: scaleResult,
    ...(only.has('idle') ? { idle: idleResult } : {}),
    ...(only.has('hog') ? { hog: hogResult } : {}),
    ...(only.has('festival') ? { festival: festivalResult } : {}),
    ...(only.has('festival') && festivalCounts.some((n) => n > 1) ? { festivalCluster: clusterResult } : {}),
    weight,
    link,
    profiles: [] as BenchResult['profiles'],
  };
  for (const run of fanoutRuns) if (!run.valid) invalidReasons.push(`fan-out ${run.target} N=${run.n}: ${run.reasons.join('; ')}`);
  for (const phase of [answersResult.burst, answersResult.sustained]) {
    if (phase && !phase.valid) invalidReasons.push(`answers: ${phase.reasons.join('; ')}`);
  }
  for (const run of [scaleResult.ours, scaleResult.sio]) {
    if (run && !run.valid) invalidReasons.push(`scale ${run.target}: ${run.reasons.join('; ')}`);
  }
  for (const run of [idleResult.ours, idleResult.sio]) {
    if (run && !run.valid) invalidReasons.push(`idle ${run.target}: ${run.reasons.join('; ')}`);
  }
  for (const f of [festivalResult.ours, festivalResult.sio]) {
    if (f && !f.pushes.valid) invalidReasons.push(`festival ${f.pushes.target} pushes: ${f.pushes.reasons.join('; ')}`);
    if (f && !f.answers.valid) invalidReasons.push(`festival ${f.pushes.target} answers: ${f.answers.reasons.join('; ')}`);
  }
  for (const f of [clusterResult.ours, clusterResult.sio]) {
    if (f && !f.pushes.valid) invalidReasons.push(`festival ${f.target} ×${f.processes} pushes: ${f.pushes.reasons.join('; ')}`);
    if (f && !f.answers.valid) invalidReasons.push(`festival ${f.target} ×${f.processes} answers: ${f.answers.reasons.join('; ')}`);
  }
  for (const h of hogResult) {
    if (!h.run.valid) invalidReasons.push(`hog ${Math.round(h.duty * 100)}% ${h.target}: ${h.run.reasons.join('; ')}`);
    if (!h.consoleReady) invalidReasons.push(`hog ${Math.round(h.duty * 100)}% ${h.target}: the console page never got a staff view`);
  }
  const warnings: string[] = [];
  for (const run of fanoutRuns) if (run.warnings.length) warnings.push(`fan-out ${run.target} N=${run.n}: ${run.warnings.join('; ')}`);
  for (const [name, phase] of [
    ['answers burst', answersResult.burst],
    ['answers sustained', answersResult.sustained],
  ] as const) {
    if (phase?.warnings.length) warnings.push(`${name}: ${phase.warnings.join('; ')}`);
  }
  for (const run of [scaleResult.ours, scaleResult.sio]) {
    if (run?.warnings.length) warnings.push(`scale ${run.target}: ${run.warnings.join('; ')}`);
  }
  const complete =
    fanoutRuns.every((r) => r.lost === 0 && r.received === r.expected) &&
    (!answersResult.burst ||
      (answersResult.burst.acked === answersResult.burst.sent && answersResult.burst.counted === answersResult.burst.sent)) &&
    (!answersResult.sustained || answersResult.sustained.acked === answersResult.sustained.sent) &&
    [scaleResult.ours, scaleResult.sio].every((r) => !r || (r.lost === 0 && r.pushErrors === 0)) &&
    hogResult.every((h) => h.run.lost === 0 && h.run.received === h.run.expected) &&
    [festivalResult.ours, festivalResult.sio, clusterResult.ours, clusterResult.sio].every(
      (f) => !f || (f.pushes.lost === 0 && f.pushes.pushErrors === 0 && f.answers.acked === f.answers.sent),
    );

  if (profileDir) {
    const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'));
    for (const p of profiles) {
      const file = files.find((f) => f.includes(`.${p.pid}.`));
      if (file) {
        const summary = summarizeProfile(join(profileDir, file), 20);
        delete summary.all; // a Map: not for the JSON
        partial.profiles.push({ scenario: p.scenario, summary });
      }
    }
  }

  const result: BenchResult = {
    ...partial,
    durationS: Math.round((now() - t0) / 1000),
    targets: checkTargets(partial),
    complete,
    valid: invalidReasons.length === 0,
    invalidReasons,
    warnings,
  };
  writeFileSync(join(outDir, 'latest.json'), JSON.stringify(result, null, 2) + '\n');
  const md = renderMarkdown(result);
  writeFileSync(join(outDir, 'latest.md'), md);
  log(`wrote ${join(outDir, 'latest.json')} and latest.md`);
  if (!quick && outDir === defaultOut && !args['no-docs'] && only.size === 4) {
    updatePerformanceDoc(join(root, 'docs/performance.md'), md);
    log('updated docs/performance.md');
  }
  console.log('\n' + md);
  clearTimeout(watchdog);
  process.exit(complete ? 0 : 1);
}

if (args.rerender) {
  const result = JSON.parse(readFileSync(join(outDir, 'latest.json'), 'utf8')) as BenchResult;
  const md = renderMarkdown(result);
  writeFileSync(join(outDir, 'latest.md'), md);
  const everything = (result.settings.only as string[] | undefined)?.length === 4;
  if (result.mode === 'full' && everything && outDir === defaultOut && !args['no-docs'])
    updatePerformanceDoc(join(root, 'docs/performance.md'), md);
  console.log(md);
  process.exit(0);
} else {
  void main();
}
