import type { ErrorBody } from '../../shared/protocol/errors.ts';
import { sessionEvidence, type Evidence } from '../engine/skills.ts';
import { festivalClass } from '../engine/festival.ts';
import type { FestivalClass } from '../../shared/protocol/register.ts';
import { errorMessages } from '../../shared/protocol/errors.ts';
import type { ClassView, DisplayView, LearnerSnapshot, MeView, SessionResults, StaffView, StepView } from '../../shared/protocol/views.ts';
import { affectedBy } from '../engine/affected.ts';
import { decide, evolve, type Command } from '../engine/engine.ts';
import type { SessionEvent } from '../engine/events.ts';
import type { Actor, SessionState } from '../engine/state.ts';
import { classView, displayView, helperView, meView, staffView, type Presence } from '../engine/views.ts';
import type { Store } from '../store/store.ts';
import { lessonImages, renderSteps } from './markdown.ts';
import type { ViewPacer } from './pacer.ts';
import { sessionResults } from '../engine/results.ts';

/**
 * Where a room's views go. Addressed by session and learner id (Socket.IO rooms), never by local
 * sockets, so that a broadcast adapter can carry them between processes later.
 */
/** Staff views wait at least this many times their own cost (see #scheduleStaff), and never longer than STAFF_WAIT_MAX_MS. */
const STAFF_COST_FACTOR = 20;
const STAFF_WAIT_MAX_MS = 1_000;

export interface Broadcaster {
  toClass(sessionId: string, view: ClassView): void;
  toLearner(learnerId: string, view: MeView): void;
  /** The learner's presence in the class is over (left, removed by the instructor). */
  endLearner(learnerId: string, reason?: 'left' | 'removed'): void;
  endClass(sessionId: string): void;
  /** The instructors' view. */
  toStaff(sessionId: string, view: StaffView): void;
  /** The staff view without answer keys, for helpers. */
  toHelpers(sessionId: string, view: StaffView): void;
  toDisplay(sessionId: string, view: DisplayView): void;
  /**
   * Could anyone be watching this session as `audience`? False only when it is sure nobody is (one
   * process, nobody in the room): a view nobody would receive is then neither built nor encoded.
   */
  watching(sessionId: string, audience: 'staff' | 'helpers' | 'display'): boolean;
}

export interface RoomDeps {
  store: Store;
  broadcaster: Broadcaster;
  now: () => number;
  joinUrl: (code: string) => string;
  /** Staff and projector updates are coalesced over this window. */
  coalesceMs: number;
  /** The share of the process every room's staff views take together (one per registry). */
  pacer: ViewPacer;
  /** How often the staff view is refreshed when nothing happens (stuck flags age with time). */
  refreshMs: number;
  /** A write failed: memory is ahead of storage, and must be rebuilt from it. */
  onStoreFailure: (room: Room, err: unknown) => void;
  /** The session ended and its last views are sent: the registry forgets the room. */
  onEnded: (room: Room) => void;
  /** Where a timer's failure is reported; the class goes on. */
  log: { error: (obj: object, msg: string) => void };
}

export type DispatchResult = { ok: true; events: SessionEvent[] } | { ok: false; error: ErrorBody };

/** One live session: owns its state and timers, runs commands one at a time, sends views. */
export class Room {
  #state: SessionState;
  readonly #steps: StepView[];
  /** The lesson's pictures, for tablets to prefetch: computed once, sent only in snapshots. */
  readonly #images: string[];
  readonly #deps: RoomDeps;
  readonly #presence = new Map<string, Presence & { sockets: number }>();
  /** Message counters of the class stream and of each learner's own stream (for gap detection). */
  #classStream = 0;
  readonly #meStream = new Map<string, number>();
  /** What the last staff view cost to build and send (ms of this process). */
  #staffCostMs = 0;
  /** The coalescing timer of the staff and of the projector view while one is pending, and when it fires (performance.now() ms). */
  readonly #pending: Record<'staff' | 'display', { timer: NodeJS.Timeout; due: number } | null> = { staff: null, display: null };
  #deadlineTimer: NodeJS.Timeout | null = null;
  /** Stuck flags and waiting times change with the clock alone: refresh the staff view now and then. */
  #tick: NodeJS.Timeout | null = null;

  constructor(state: SessionState, deps: RoomDeps) {
    this.#state = state;
    this.#deps = deps;
    this.#steps = renderSteps(state.lesson);
    this.#images = lessonImages(state.lesson);
    this.#armDeadline(); // a restored session keeps its question's deadline
    if (this.isOpen) {
      // Each room at its own phase: rooms started or restored together (a festival's 250 classes
      // after a restart) would otherwise all rebuild their staff views in the same instant.
      const refresh = this.#guard('refresh', () => this.#scheduleStaff());
      this.#tick = setTimeout(
        () => {
          refresh();
          this.#tick = setInterval(refresh, deps.refreshMs);
          this.#tick.unref();
        },
        Math.floor(Math.random() * deps.refreshMs),
      );
      this.#tick.unref();
    }
  }

  get id(): string {
    return this.#state.id;
  }
  get code(): string {
    return this.#state.code;
  }
  get helperCode(): string {
    return this.#state.helperCode;
  }
  get isOpen(): boolean {
    return this.#state.status === 'open';
  }
  get joinUrl(): string {
    return this.#deps.joinUrl(this.#state.code);
  }

  learnerIdForToken(tokenHash: string): string | undefined {
    const id = this.#state.byToken.get(tokenHash);
    return id !== undefined && !this.#state.learners.get(id)?.left ? id : undefined;
  }

  /**
   * Run a command: decide and fold at once (in memory, in arrival order), append the events to the
   * store's next group commit, and only once they are durable acknowledge and publish. Deciding does
   * not wait for the disk, so a burst of answers shares a handful of fsyncs instead of one each.
   */
  dispatch(command: Command, actor: Actor): Promise<DispatchResult> {
    const decision = decide(this.#state, command, { now: this.#deps.now(), actor });
    if ('error' in decision) {
      return Promise.resolve({ ok: false, error: { code: decision.error, message: errorMessages[decision.error] } });
    }
    const { events } = decision;
    const afterSeq = this.#state.seq;
    for (const event of events) evolve(this.#state, event);
    // An idempotent repeat still waits for what it repeats to be durable before it is acknowledged.
    const write = this.#deps.store.appendEvents(this.#state.id, afterSeq, events);
    return write.then(
      (): DispatchResult => {
        if (events.length > 0) this.#publish(events, actor);
        return { ok: true, events };
      },
      (err: unknown): DispatchResult => {
        this.#deps.onStoreFailure(this, err);
        return { ok: false, error: { code: 'internal', message: errorMessages.internal } };
      },
    );
  }

  /** Replace the in-memory state by the fold of what storage holds (after a failed write). */
  resetTo(state: SessionState): void {
    this.#state = state;
    this.#armDeadline();
    this.#scheduleStaff();
  }

  learnerSnapshot(learnerId: string): LearnerSnapshot | undefined {
    const learner = this.#state.learners.get(learnerId);
    if (!learner || learner.left) return undefined;
    return {
      class: { ...classView(this.#state, this.#steps), stream: this.#classStream },
      me: { ...meView(this.#state, learner), stream: this.#meStream.get(learnerId) ?? 0 },
      images: this.#images,
    };
  }

  /** A learner's own view as an ack carries it: the current position in their stream. */
  meView(learnerId: string): MeView | undefined {
    const learner = this.#state.learners.get(learnerId);
    return learner && { ...meView(this.#state, learner), stream: this.#meStream.get(learnerId) ?? 0 };
  }

  /** The round-trip time a tablet measured. */
  reportRtt(learnerId: string, rttMs: number): void {
    const p = this.#presence.get(learnerId);
    if (p) p.rttMs = rttMs;
  }

  #sendMe(learnerId: string): void {
    const learner = this.#state.learners.get(learnerId);
    if (!learner || learner.left) return;
    const stream = (this.#meStream.get(learnerId) ?? 0) + 1;
    this.#meStream.set(learnerId, stream);
    this.#deps.broadcaster.toLearner(learnerId, { ...meView(this.#state, learner), stream });
  }

  staffView(): StaffView {
    return staffView(this.#state, this.#steps, (id) => this.#presence.get(id), this.joinUrl, this.#deps.now());
  }

  results(): SessionResults {
    return sessionResults(this.#state);
  }

  displayView(): DisplayView {
    return displayView(this.#state, this.#steps, this.joinUrl);
  }

  /** Skills shown so far in this class, per person (the register's rule, server/engine/skills.ts). */
  evidence(): Evidence[] {
    return sessionEvidence(this.#state);
  }

  /** This class on the festival board: aggregates only, no names. */
  festivalView(): FestivalClass {
    return festivalClass(this.#state);
  }

  /** A socket of this learner connected. */
  connect(learnerId: string): void {
    const p = this.#presence.get(learnerId) ?? { sockets: 0, connected: false, lastSeen: 0 };
    p.sockets += 1;
    p.connected = true;
    p.lastSeen = this.#deps.now();
    this.#presence.set(learnerId, p);
    this.#scheduleStaff();
  }

  /** A socket of this learner went away. */
  disconnect(learnerId: string): void {
    const p = this.#presence.get(learnerId);
    if (!p) return;
    p.sockets = Math.max(0, p.sockets - 1);
    p.connected = p.sockets > 0;
    p.lastSeen = this.#deps.now();
    this.#scheduleStaff();
  }

  /** Stop timers. The room is gone from memory after this; its events stay in the store. */
  close(): void {
    for (const timer of [this.#pending.staff?.timer, this.#pending.display?.timer, this.#deadlineTimer]) if (timer) clearTimeout(timer);
    if (this.#tick) clearInterval(this.#tick);
    this.#pending.staff = this.#pending.display = null;
    this.#deadlineTimer = this.#tick = null;
  }

  /** The server enforces a question's time limit: at the deadline the room closes it itself. */
  #armDeadline(): void {
    if (this.#deadlineTimer) clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = null;
    const run = this.#state.activeRun === null ? undefined : this.#state.quizzes.get(this.#state.activeRun);
    if (!run || run.status !== 'open' || run.deadline === null || !this.isOpen) return;
    const runId = run.runId;
    this.#deadlineTimer = setTimeout(
      this.#guard('deadline', () => {
        this.#deadlineTimer = null;
        void this.dispatch({ type: 'quiz:close', runId }, { role: 'system' });
      }),
      Math.max(0, run.deadline - this.#deps.now()),
    );
  }

  /** Send what the engine says the events changed (affectedBy), after a command of `actor`. */
  #publish(events: readonly SessionEvent[], actor: Actor): void {
    const b = this.#deps.broadcaster;
    const affected = affectedBy(this.#state, events, actor.role === 'learner' ? actor.learnerId : null);
    for (const { learnerId, reason } of affected.ended) b.endLearner(learnerId, reason);
    if (affected.quizChanged) this.#armDeadline();
    if (affected.classView) {
      this.#classStream += 1;
      b.toClass(this.id, { ...classView(this.#state, this.#steps), stream: this.#classStream });
    }
    for (const id of affected.learners) this.#sendMe(id);
    if (affected.sessionEnded) {
      b.endClass(this.id);
      this.close();
      this.#sendStaff();
      this.#sendDisplay();
      this.#deps.onEnded(this);
      return;
    }
    // The staff's own command: its console acts on the view it shows (the next step is the shown one
    // plus one), so that view comes after the usual short wait, not after a paced one.
    this.#scheduleStaff(actor.role === 'instructor' || actor.role === 'helper');
    this.#scheduleDisplay();
  }

  /**
   * One view sent once `delayMs` after the first change, however many follow meanwhile; a change
   * that wants it sooner than the pending timer brings it forward.
   */
  #coalesce(kind: 'staff' | 'display', delayMs: number): void {
    if (!this.isOpen) return;
    const due = performance.now() + delayMs;
    const pending = this.#pending[kind];
    if (pending) {
      if (due >= pending.due) return;
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(
      this.#guard(`${kind} view`, () => {
        this.#pending[kind] = null;
        if (kind === 'staff') this.#sendStaff();
        else this.#sendDisplay();
      }),
      delayMs,
    );
    this.#pending[kind] = { timer, due };
  }

  /**
   * Staff views are coalesced over `coalesceMs`, or over 20 times what the last one cost to build
   * and send if that is longer, stretched further while all rooms' views together take more than
   * their share of the process (at most a second): a hall of 500, or 150 classes answering at once,
   * keep their consoles' views from starving the tablets' commands.
   */
  #scheduleStaff(staffAction = false): void {
    const { coalesceMs, pacer } = this.#deps;
    const paced = Math.min(STAFF_WAIT_MAX_MS, Math.max(coalesceMs, this.#staffCostMs * STAFF_COST_FACTOR) * pacer.stretch());
    // COALESCE_MS is the floor even when it is set above STAFF_WAIT_MAX_MS.
    this.#coalesce('staff', staffAction ? coalesceMs : Math.max(coalesceMs, paced));
  }

  #sendStaff(): void {
    const b = this.#deps.broadcaster;
    const staff = b.watching(this.id, 'staff');
    const helpers = b.watching(this.id, 'helpers');
    if (!staff && !helpers) return;
    const started = performance.now();
    const view = this.staffView();
    if (staff) b.toStaff(this.id, view);
    if (helpers) b.toHelpers(this.id, helperView(view));
    this.#staffCostMs = performance.now() - started;
    this.#deps.pacer.spent(this.#staffCostMs);
  }

  #sendDisplay(): void {
    const b = this.#deps.broadcaster;
    if (b.watching(this.id, 'display')) b.toDisplay(this.id, this.displayView());
  }

  #scheduleDisplay(): void {
    this.#coalesce('display', this.#deps.coalesceMs);
  }

  /** A timer callback that logs a throw instead of ending the process: the class goes on. */
  #guard(what: string, fn: () => void): () => void {
    return () => {
      try {
        fn();
      } catch (err) {
        this.#deps.log.error({ err, sessionId: this.id, timer: what }, 'room timer failed');
      }
    };
  }
}
