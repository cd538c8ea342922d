import { expect } from 'vitest';
import type { Lesson } from '../../shared/lesson/schema.ts';
import type { ClassView, DisplayView, MeView, RosterEntry, StaffView, StepView } from '../../shared/protocol/views.ts';
import { decide, evolve, fold, startSession, type Command, type Decision } from '../../server/engine/engine.ts';
import type { SessionEvent, SessionStarted } from '../../server/engine/events.ts';
import { learnerStep, type Actor, type LearnerState, type QuizRun, type SessionState } from '../../server/engine/state.ts';
import { classView, displayView, meView, staffView, type PresenceOf } from '../../server/engine/views.ts';
import { snapshot } from './state.ts';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
/** The start of every test class: a Monday morning in Hà Nội (01:30 UTC). */
export const T0 = Date.UTC(2025, 9, 6, 1, 30);

export interface ClassroomOptions {
  lesson: Lesson;
  /** The lesson's steps as views show them (default: the body as its HTML). */
  steps?: StepView[];
  /** How far the clock moves for each command by default (default one second; 0: only `tick` moves it). */
  stepMs?: number;
  start?: number;
  sessionId?: string;
  helperCode?: string;
  instructorId?: string;
  joinUrl?: string;
  /** The presence the staff view sees (default: nobody connected). */
  presence?: (classroom: Classroom) => PresenceOf;
}

/** The first event of a test class: session "ses-0000001", code 123456, started by u-co-lan at T0 unless told. */
export const sessionStart = (
  lesson: Lesson,
  o: Pick<ClassroomOptions, 'sessionId' | 'helperCode' | 'instructorId' | 'start'> = {},
): SessionStarted =>
  startSession({
    sessionId: o.sessionId ?? 'ses-0000001',
    code: '123456',
    helperCode: o.helperCode ?? 'ABC123',
    instructorId: o.instructorId ?? 'u-co-lan',
    lesson,
    now: o.start ?? T0,
  });

/** The steps of a lesson as plain views: the body stands for its HTML. */
export const plainSteps = (lesson: Lesson): StepView[] =>
  lesson.steps.map((s, index) => ({ index, id: s.id, title: s.title, html: s.body, image: null }));

/**
 * A session under test, driven through the engine alone (decide, then evolve) with a clock of its
 * own: every command happens `stepMs` after the one before, or at the time it is given.
 */
export class Classroom {
  readonly log: SessionEvent[];
  readonly state: SessionState;
  readonly steps: StepView[];
  now: number;
  readonly #stepMs: number;
  readonly #joinUrl: string;
  readonly #presence: PresenceOf;

  constructor(options: ClassroomOptions) {
    this.now = options.start ?? T0;
    this.log = [sessionStart(options.lesson, { ...options, start: this.now })];
    this.state = fold(this.log);
    this.steps = options.steps ?? plainSteps(options.lesson);
    this.#stepMs = options.stepMs ?? SECOND;
    this.#joinUrl = options.joinUrl ?? 'http://lop.local/l?c=123456';
    this.#presence = options.presence?.(this) ?? (() => undefined);
  }

  /** Move the clock on. */
  tick(ms: number): this {
    this.now += ms;
    return this;
  }

  /** Decide at the next tick (or at `at`) without applying anything; deciding never changes the state. */
  decide(actor: Actor, command: Command, at = this.now + this.#stepMs): Decision {
    const before = snapshot(this.state);
    const decision = decide(this.state, command, { now: at, actor });
    expect(snapshot(this.state)).toEqual(before);
    return decision;
  }

  /** Run a command that must succeed, at the next tick (or at `at`); returns its events (possibly none). */
  run(actor: Actor, command: Command, at = this.now + this.#stepMs): SessionEvent[] {
    if (at < this.now) throw new Error('the clock only moves forward');
    this.now = at;
    const decision = decide(this.state, command, { now: this.now, actor });
    if ('error' in decision) throw new Error(`${command.type} by ${actor.role} failed: ${decision.error}`);
    for (const event of decision.events) {
      evolve(this.state, event);
      this.log.push(event);
    }
    return decision.events;
  }

  /** `run`, for building a class in one expression: `onStep1().with(B, leave)`. */
  with(actor: Actor, command: Command, at?: number): this {
    this.run(actor, command, at);
    return this;
  }

  learner(id: string): LearnerState {
    const found = this.state.learners.get(id);
    if (!found) throw new Error(`no learner ${id}`);
    return found;
  }

  stepOf(id: string): number | null {
    return learnerStep(this.state, this.learner(id));
  }

  quiz(runId: string): QuizRun {
    const run = this.state.quizzes.get(runId);
    if (!run) throw new Error(`no run ${runId}`);
    return run;
  }

  classView(): ClassView {
    return classView(this.state, this.steps);
  }

  me(id: string): MeView {
    return meView(this.state, this.learner(id));
  }

  staff(now = this.now): StaffView {
    return staffView(this.state, this.steps, this.#presence, this.#joinUrl, now);
  }

  display(): DisplayView {
    return displayView(this.state, this.steps, this.#joinUrl);
  }

  roster(id: string, now = this.now): RosterEntry {
    const entry = this.staff(now).roster.find((r) => r.id === id);
    if (!entry) throw new Error(`${id} not on the roster`);
    return entry;
  }

  /** Each learner's stuck flag at `now` (left learners are not on the roster). */
  stuck(now = this.now): Record<string, RosterEntry['stuck']> {
    return Object.fromEntries(this.staff(now).roster.map((r) => [r.id, r.stuck]));
  }

  /** Each learner's own view of their request: "waiting #2", "claimed #1 Minh", or "-". */
  places(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const id of this.state.learners.keys()) {
      const r = this.me(id).helpRequest;
      out[id] = r === null ? '-' : `${r.status} #${r.position}${r.helperName === null ? '' : ` ${r.helperName}`}`;
    }
    return out;
  }

  /** The staff queue, as "id status [helper]". */
  queue(): string[] {
    return this.staff().helpQueue.map((q) => `${q.id} ${q.status}${q.claimedBy === null ? '' : ` ${q.claimedBy}`}`);
  }
}
