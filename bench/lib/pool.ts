/** The load generator: worker processes holding the learners, driven over IPC. */
import { randomBytes } from 'node:crypto';
import { Child } from './children.ts';
import { now } from './clock.ts';
import type { LoopDelay } from './stats.ts';
import type { TargetKind } from './targets.ts';
import type { AnswerStats, LearnerSpec } from '../worker.ts';

export interface WorkerStats {
  loopDelay: LoopDelay;
  cpu: { user: number; system: number; wallMs: number };
  rss: number;
  clients: number;
  disconnects: number;
  payloadBytes: number;
}

export type { AnswerStats };

/** Counts by key (errors by message or code), added up over the workers' reports. */
export function addCounts(parts: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p)) out[k] = (out[k] ?? 0) + v;
  return out;
}

export function learnerSpecs(n: number, classKey: string, code?: string, offset = 0): LearnerSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    classKey,
    code,
    // 16 random bytes, base64url: what the learner page makes.
    token: randomBytes(16).toString('base64url'),
    name: `Học viên ${offset + i + 1}`,
  }));
}

export class Pool {
  readonly workers: Child[];

  private constructor(workers: Child[]) {
    this.workers = workers;
  }

  static async start(count: number, cores: string | null, nodeArgs: string[] = []): Promise<Pool> {
    const workers = Array.from({ length: count }, (_, i) => new Child({ name: `worker${i}`, script: 'bench/worker.ts', cores, nodeArgs }));
    await Promise.all(workers.map((w) => w.next('ready', 60_000)));
    return new Pool(workers);
  }

  all<T>(msg: { type: string; [k: string]: unknown }, timeoutMs = 60_000): Promise<T[]> {
    return Promise.all(this.workers.map((w) => w.request<T>(msg, timeoutMs)));
  }

  /** Spread the learners over the workers (round-robin) and connect them all. */
  async connect(
    kind: TargetKind,
    port: number,
    specs: LearnerSpec[],
    concurrency = 32,
  ): Promise<{ connected: number; failed: number; errors: Record<string, number>; ms: number }> {
    const shares: LearnerSpec[][] = this.workers.map(() => []);
    specs.forEach((s, i) => shares[i % shares.length].push(s));
    const started = now();
    const results = await Promise.all(
      this.workers.map((w, i) =>
        w.request<{ connected: number; failed: number; errors: Record<string, number> }>(
          { type: 'connect', kind, port, learners: shares[i], concurrency, timeoutMs: 30_000 },
          30_000 + shares[i].length * 200,
        ),
      ),
    );
    return {
      connected: results.reduce((s, r) => s + r.connected, 0),
      failed: results.reduce((s, r) => s + r.failed, 0),
      errors: addCounts(results.map((r) => r.errors)),
      ms: Math.round(now() - started),
    };
  }

  async disconnect(): Promise<void> {
    await this.all({ type: 'disconnect' });
  }

  /** Arm every worker for push `tag` of `step`; resolves once all are armed. */
  async expect(tag: number, step: number): Promise<void> {
    await this.all({ type: 'expect', tag, step }, 10_000);
  }

  /** Every worker's receive times of push `tag`; after timeoutMs, what arrived and how many are missing. */
  waitPush(tag: number, timeoutMs: number): Promise<{ times: number[]; missing: number }> {
    return Promise.all(
      this.workers.map(
        (w) =>
          new Promise<{ times: number[]; missing: number }>((resolve, reject) => {
            const timer = setTimeout(() => {
              off();
              w.request<{ times: number[]; missing: number }>({ type: 'abandon', tag }, 10_000).then(resolve, reject);
            }, timeoutMs);
            const off = w.on('pushDone', (m) => {
              if (m.tag !== tag) return;
              clearTimeout(timer);
              off();
              resolve({ times: m.times as number[], missing: 0 });
            });
          }),
      ),
    ).then((parts) => ({ times: parts.flatMap((p) => p.times), missing: parts.reduce((s, p) => s + p.missing, 0) }));
  }

  stats(reset: boolean): Promise<WorkerStats[]> {
    return this.all<WorkerStats>({ type: 'stats', reset });
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop(5_000)));
  }
}
