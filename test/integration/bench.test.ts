import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchResult, FanoutRun, ScaleRun } from '../../bench/lib/result.ts';
import type { Summary } from '../../bench/lib/stats.ts';

const root = resolve(import.meta.dirname, '../..');
const out = mkdtempSync(join(tmpdir(), 'cunghoc-bench-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Run the quick harness in its own process, results to a temp folder (never bench/results). */
function runQuickBench(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', out], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGINT'), 170_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output });
    });
  });
}

const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);

function expectSummary(s: Summary, count?: number): void {
  for (const k of ['count', 'p50', 'p95', 'p99', 'max', 'mean'] as const) expect(finite(s[k]), k).toBe(true);
  if (count !== undefined) expect(s.count).toBe(count);
}

function expectHealth(r: Pick<FanoutRun, 'server' | 'generator' | 'host' | 'valid' | 'reasons' | 'warnings'>): void {
  for (const k of ['p50', 'p99', 'max', 'mean'] as const) expect(finite(r.server.loopDelay[k])).toBe(true);
  expect(finite(r.server.cpuPct)).toBe(true);
  expect(finite(r.server.rssMB)).toBe(true);
  for (const k of ['workers', 'loopDelayP99', 'loopDelayMax', 'cpuPct', 'cpuMs', 'serverCpuMs', 'disconnects'] as const) {
    expect(finite(r.generator[k]), k).toBe(true);
  }
  expect(r.host).toHaveProperty('otherOnServerCorePct');
  expect(r.host).toHaveProperty('otherOnGeneratorCoresPct');
  expect(typeof r.valid).toBe('boolean');
  expect(Array.isArray(r.reasons)).toBe(true);
  expect(Array.isArray(r.warnings)).toBe(true);
}

describe('bench harness, quick mode', () => {
  it('measures every scenario and loses nothing', async () => {
    const { code, output } = await runQuickBench();
    expect(code, output.slice(-3000)).toBe(0);
    expect(existsSync(join(out, 'latest.json'))).toBe(true);
    const r = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as BenchResult;
    const md = readFileSync(join(out, 'latest.md'), 'utf8');
    for (const heading of ['### Targets', '### Fan-out', '### Answers', '### Scale', '### Learner page weight']) {
      expect(md).toContain(heading);
    }

    expect(r.mode).toBe('quick');
    expect(r.machine.cores).toBeGreaterThan(0);
    expect(r.machine.node).toBe(process.version);
    expect(r.pinning).toHaveProperty('taskset');
    expect(r.complete).toBe(true);
    expect(typeof r.valid).toBe('boolean');

    // Fan-out: ours and both baselines, every push received by every learner.
    const sizes = (r.settings.fanout as { sizes: number[] }).sizes;
    const pushes = (r.settings.fanout as { pushes: number }).pushes;
    for (const n of sizes) {
      for (const target of ['ours', 'sio', 'ws'] as const) {
        const run = r.fanout.runs.find((x) => x.target === target && x.n === n);
        expect(run, `${target} N=${n}`).toBeDefined();
        expect(run!.connected).toBe(n);
        expect(run!.attempts).toBeGreaterThanOrEqual(1);
        expect(run!.expected).toBe(n * pushes);
        expect(run!.received).toBe(run!.expected);
        expect(run!.lost).toBe(0);
        expectSummary(run!.recipients, n * pushes);
        expectSummary(run!.lastRecipient, pushes);
        expectSummary(run!.ack, pushes);
        expectSummary(run!.serverSide.commandToWritten, pushes);
        expectSummary(run!.serverSide.write, pushes);
        expect(run!.payloadBytes).toBeGreaterThan(1000);
        expect(finite(run!.serverCpuMsPerPush)).toBe(true);
        expect(finite(run!.generatorCpuMsPerPush)).toBe(true);
        expectHealth(run!);
      }
      const ratios = r.fanout.ratios.find((x) => x.n === n)!;
      for (const pair of [ratios.oursOverSio, ratios.sioOverWs]) {
        for (const k of ['p50', 'p99', 'lastP50', 'lastP99'] as const) expect(finite(pair[k])).toBe(true);
      }
      for (const pair of [ratios.serverSide.oursOverSio, ratios.serverSide.sioOverWs]) {
        for (const k of ['p50', 'p99', 'cpu'] as const) expect(finite(pair[k])).toBe(true);
      }
    }

    // Answers: every answer acknowledged, and the instructor's count equals the number sent.
    const burst = r.answers.burst!;
    expect(burst).not.toBeNull();
    expect(burst.sent).toBe(burst.learners);
    expect(burst.acked).toBe(burst.sent);
    expect(burst.errors).toEqual({});
    expect(burst.counted).toBe(burst.sent);
    expectSummary(burst.ack, burst.sent);
    expect(finite(burst.aggregateLagMs)).toBe(true);
    expect(burst.staffViews).toBeGreaterThan(0);
    expectHealth(burst);
    const sustained = r.answers.sustained!;
    expect(sustained).not.toBeNull();
    expect(sustained.sent).toBe(Math.round((sustained.targetRate * sustained.durationMs) / 1000));
    expect(sustained.acked).toBe(sustained.sent);
    expect(sustained.errors).toEqual({});
    expect(sustained.counted).toBe(burst.learners);
    expectSummary(sustained.ack, sustained.sent);
    expect(finite(sustained.achievedRate)).toBe(true);
    expectHealth(sustained);

    // Scale: ours and bare Socket.IO, every learner connected, every push delivered.
    for (const run of [r.scale.ours, r.scale.sio] as ScaleRun[]) {
      expect(run).not.toBeNull();
      expect(run.connected).toBe(run.learners);
      expect(run.learners).toBe(run.classes * run.perClass);
      expect(run.pushErrors).toBe(0);
      expect(run.received).toBe(run.expected);
      expect(run.lost).toBe(0);
      expectSummary(run.delivery, run.expected);
      expectSummary(run.serverSide.commandToWritten, run.pushes);
      for (const k of ['rssBeforeMB', 'rssAfterMB', 'bytesPerLearnerRss', 'bytesPerLearnerHeap'] as const) {
        expect(finite(run[k]), k).toBe(true);
      }
      expectHealth(run);
    }

    // Weight: measured from the production build when there is one.
    if (existsSync(join(root, 'dist/client/index.html'))) {
      expect('error' in r.weight && r.weight.error).toBeFalsy();
      const w = r.weight as Exclude<BenchResult['weight'], { error: string }>;
      expect(w.js.length).toBeGreaterThan(0);
      expect(w.totalGzip).toBe(w.jsGzip + w.cssGzip);
    } else {
      expect((r.weight as { error: string }).error).toMatch(/build/);
    }

    // Every budget has a line in the verdict.
    expect(r.targets).toHaveLength(7); // six budgets and the weak-link load times
    for (const t of r.targets) {
      expect(t.name).toBeTruthy();
      expect(t.measured).toBeTruthy();
      expect(t.met === null || typeof t.met === 'boolean').toBe(true);
    }
  }, 200_000);
});
