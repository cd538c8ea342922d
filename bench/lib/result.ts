/** The shape of bench/results/latest.json (the test checks every field of it). */
import type { LoopDelay, Summary } from './stats.ts';
import type { ProfileSummary } from './profile.ts';
import type { PushTimes } from './probe.ts';
import type { Weight } from './weight.ts';
import type { LinkResult } from './link.ts';
import type { TargetKind } from './targets.ts';
import type { FestivalClusterRun } from '../scenarios/festival-cluster.ts';
export type { FestivalClusterRun };

export interface GeneratorHealth {
  workers: number;
  /** Worst worker event-loop delay p99 / max (ms) over the measurement window. */
  loopDelayP99: number;
  loopDelayMax: number;
  /** CPU used by the workers and the harness, as % of the generator's cores. */
  cpuPct: number;
  /** The same, in ms of CPU, and the server's CPU ms in the same window. */
  cpuMs: number;
  serverCpuMs: number;
  disconnects: number;
}

/**
 * CPU used on the host by processes other than the bench during the window (the machine may be
 * shared), from /proc/stat: per core busy time minus the bench's own processes on that core.
 */
export interface HostLoad {
  /** % of the server's core used by other processes. */
  otherOnServerCorePct: number | null;
  /** % of the generator's cores used by other processes. */
  otherOnGeneratorCoresPct: number | null;
}

export interface ServerHealth {
  loopDelay: LoopDelay;
  /** Named durations inside the server (ours: store.appendEvents, call → durable). */
  timings: Record<string, Summary>;
  /** % of one core over the window. */
  cpuPct: number;
  rssMB: number;
}

export interface Validity {
  /** False when the load generator, not the server, limited the measurement (see reasons). */
  valid: boolean;
  reasons: string[];
  /** Other processes of the host took a large share of the cores meanwhile: figures disturbed. */
  warnings: string[];
}

export interface FanoutRun extends Validity {
  target: TargetKind;
  n: number;
  /** Measurements made: a disturbed one is measured again (bounded); the least disturbed is kept. */
  attempts: number;
  pushes: number;
  connected: number;
  connectMs: number;
  /** Bytes of the view each learner receives (JSON). */
  payloadBytes: number;
  /** Every (learner, push) latency: learner receive − instructor send. */
  recipients: Summary;
  /** The latency of the last learner to receive each push. */
  lastRecipient: Summary;
  /** Instructor's ack of each push (send → ack). */
  ack: Summary;
  expected: number;
  received: number;
  lost: number;
  /** Inside the server: push command received → view written to every learner socket. */
  serverSide: PushTimes;
  /** CPU per push (ms): the server's, and the load generator's (receiving N views). */
  serverCpuMsPerPush: number;
  generatorCpuMsPerPush: number;
  server: ServerHealth;
  generator: GeneratorHealth;
  host: HostLoad;
  error?: string;
}

export interface FanoutRatios {
  n: number;
  oursOverSio: { p50: number; p99: number; lastP50: number; lastP99: number };
  sioOverWs: { p50: number; p99: number; lastP50: number; lastP99: number };
  /** The same ratios inside the servers (command in → last frame written), and of CPU per push. */
  serverSide: {
    oursOverSio: { p50: number; p99: number; cpu: number };
    sioOverWs: { p50: number; p99: number; cpu: number };
  };
}

export interface AnswerPhase extends Validity {
  sent: number;
  acked: number;
  errors: Record<string, number>;
  ack: Summary;
  server: ServerHealth;
  generator: GeneratorHealth;
  host: HostLoad;
}

export interface BurstResult extends AnswerPhase {
  learners: number;
  windowMs: number;
  /** StaffView.quiz.answered once settled. */
  counted: number;
  /** From the last answer sent to the first staff view counting all of them (ms). */
  aggregateLagMs: number;
  staffViews: number;
}

export interface SustainedResult extends AnswerPhase {
  targetRate: number;
  durationMs: number;
  /** Acks per second over first send → last ack. */
  achievedRate: number;
  counted: number;
}

export interface AnswersResult {
  burst: BurstResult | null;
  sustained: SustainedResult | null;
  error?: string;
}

/** Many classes connected on one server: how many, how fast, and what each learner costs. */
export interface ClassesRun extends Validity {
  target: 'ours' | 'sio';
  classes: number;
  perClass: number;
  learners: number;
  connected: number;
  connectMs: number;
  /** After a GC, before the learners connect and once they are connected and idle. */
  rssBeforeMB: number;
  rssAfterMB: number;
  bytesPerLearnerRss: number;
  bytesPerLearnerHeap: number;
}

/** Bytes in MiB, to 0.1. */
export const megabytes = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

/** What `n` learners added to a server's memory, per learner: RSS, and heap + external (socket buffers live outside the heap). */
export function memoryPerLearner(
  before: Pick<NodeJS.MemoryUsage, 'rss' | 'heapUsed' | 'external'>,
  after: Pick<NodeJS.MemoryUsage, 'rss' | 'heapUsed' | 'external'>,
  n: number,
): Pick<ClassesRun, 'bytesPerLearnerRss' | 'bytesPerLearnerHeap'> {
  return {
    bytesPerLearnerRss: Math.round((after.rss - before.rss) / n),
    bytesPerLearnerHeap: Math.round((after.heapUsed + after.external - before.heapUsed - before.external) / n),
  };
}

/**
 * The figures every classes run starts with: its sizes, how the learners connected, and the server's
 * memory after a GC before they connected (`before`) and once they were connected and idle (`after`).
 */
export function classesFigures(
  target: 'ours' | 'sio',
  sizes: { classes: number; perClass: number },
  conn: { connected: number; ms: number },
  before: NodeJS.MemoryUsage,
  after: NodeJS.MemoryUsage,
): Omit<ClassesRun, keyof Validity> {
  return {
    target,
    classes: sizes.classes,
    perClass: sizes.perClass,
    learners: sizes.classes * sizes.perClass,
    connected: conn.connected,
    connectMs: conn.ms,
    rssBeforeMB: megabytes(before.rss),
    rssAfterMB: megabytes(after.rss),
    ...memoryPerLearner(before, after, conn.connected),
  };
}

export interface ScaleRun extends ClassesRun {
  pushEveryMs: number;
  durationMs: number;
  pushes: number;
  pushErrors: number;
  delivery: Summary;
  expected: number;
  received: number;
  lost: number;
  serverSide: PushTimes;
  server: ServerHealth;
  generator: GeneratorHealth;
  host: HostLoad;
  error?: string;
}

/** Issue 17: many idle learners on one process, HTTP and a staff command meanwhile. */
export interface IdleRun extends ClassesRun {
  durationMs: number;
  /** `GET /` (the learner page), a new connection each, at a steady rate through the window. */
  http: Summary;
  httpErrors: number;
  /** One console's step:push (send → ack), now and then through the window. */
  staffAck: Summary;
  pushErrors: number;
  server: ServerHealth;
  generator: GeneratorHealth;
  host: HostLoad;
  /** The host's 1/5/15-minute load average at the end of the run (shared machines). */
  loadAvg: number[];
  error?: string;
}

/** The CPU-hog case: the fan-out at N with a hog spinning `duty` of the server's core, a console page watching. */
export interface HogRun {
  duty: number;
  target: 'ours' | 'sio';
  /** The console page had its first staff view before the measurement (ours; always true beside bare Socket.IO). */
  consoleReady: boolean;
  /** Staff views the console page received during the measurement. */
  consoleFrames: number;
  run: FanoutRun;
  loadAvg: number[];
}

/** The festival scenario: the scale run's pushes (150 × 40 by default), then every class answering a poll. */
export interface FestivalRun {
  processes: number;
  store: 'sqlite' | 'postgres' | null;
  pushes: ScaleRun;
  answers: AnswerPhase & { windowMs: number };
  loadAvg: number[];
}

export interface TargetCheck {
  name: string;
  target: string;
  measured: string;
  /** null: not measured (scenario skipped or failed). */
  met: boolean | null;
  note?: string;
}

export interface BenchResult {
  version: 1;
  mode: 'full' | 'quick';
  startedAt: string;
  durationS: number;
  machine: {
    cpu: string;
    cores: number;
    memGB: number;
    os: string;
    node: string;
    loadAvgAtStart: number[];
    shared: boolean;
  };
  /** The code measured: the commit, and whether server/ or shared/ had uncommitted changes. */
  revision: { commit: string; dirty: boolean };
  pinning: { taskset: boolean; server: string | null; generator: string | null };
  settings: Record<string, unknown>;
  fanout: { runs: FanoutRun[]; ratios: FanoutRatios[] };
  answers: AnswersResult;
  scale: { ours: ScaleRun | null; sio: ScaleRun | null };
  /** Issue 17's scenarios (only with `--only idle,…`). */
  idle?: { ours: IdleRun | null; sio: IdleRun | null };
  hog?: HogRun[];
  festival?: { ours: FestivalRun | null; sio: FestivalRun | null };
  /** The festival on several processes (PostgreSQL + Redis behind nginx; `--festival-processes 2`). */
  festivalCluster?: { ours: FestivalClusterRun | null; sio: FestivalClusterRun | null };
  weight: (Weight & { error?: undefined }) | { error: string };
  /** The learner page on an emulated 400 kbit/s, 300 ms link (bench/lib/link.ts). */
  link: (LinkResult & { error?: undefined }) | { error: string };
  targets: TargetCheck[];
  /** Nothing lost anywhere: every push received by every learner, every answer acknowledged and counted. */
  complete: boolean;
  valid: boolean;
  invalidReasons: string[];
  /** Scenarios disturbed by other processes of the (shared) host. */
  warnings: string[];
  profiles: { scenario: string; summary: ProfileSummary }[];
}
