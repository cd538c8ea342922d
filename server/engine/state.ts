import type { Lesson } from '../../shared/lesson/schema.ts';
import type { AnswerValue, Question } from '../../shared/lesson/question.ts';
import type { Task } from '../../shared/lesson/task.ts';
import type { HelpReason, Pacing, StuckConfig } from '../../shared/protocol/commands.ts';
import type { SessionStatus } from '../../shared/protocol/views.ts';
import { effectiveStep } from '../../shared/lesson/pacing.ts';

export interface LearnerState {
  id: string;
  name: string;
  /** Pair mode: the one or two others on the same tablet; each is credited with its actions. */
  partners: string[];
  seat: string;
  tokenHash: string;
  joinedAt: number;
  /** Own position while self-paced; null = follows the class's current step. */
  ownStep: number | null;
  /** Step indices marked done. */
  done: Set<number>;
  /** Time from reaching a step to marking it done (ms), per step: feeds the median and the stats. */
  doneIn: Map<number, number>;
  /** When the learner reached the step they are on (a push, their own move, a pacing change that moved them). */
  since: number;
  /** Wrong answers to each step's practice questions. */
  wrong: Map<number, number>;
  /** The learner's open help request, if any. */
  help: { id: string; since: number; step: number | null } | null;
  /** The last request solved for them, so their screen can say so. */
  lastHelp: { by: string; at: number } | null;
  /** The learner's last few requests withdrawn before anyone claimed them (oldest first). */
  withdrawn: string[];
  /** Tile on the seat map, when placed by hand. */
  place: { row: number; col: number } | null;
  left: boolean;
}

/** Help request lifecycle: waiting → claimed → resolved, or withdrawn by the learner. */
export type HelpStatus = 'waiting' | 'claimed' | 'resolved' | 'withdrawn';

export interface HelpRequest {
  id: string;
  learnerId: string;
  step: number | null;
  reason: HelpReason | null;
  at: number;
  status: HelpStatus;
  claimedBy: { id: string; name: string } | null;
  claimedAt: number | null;
  closedAt: number | null;
}

/** Quiz lifecycle: open → closed → revealed. */
export type QuizStatus = 'open' | 'closed' | 'revealed';

export interface AnswerRecord {
  answerId: string;
  value: AnswerValue;
  score: number | null;
  at: number;
}

/** One opening of a question: its answers and its place in the lifecycle. */
export interface QuizRun {
  runId: string;
  question: Question;
  source: { step: number; questionId: string } | null;
  openedAt: number;
  deadline: number | null;
  /** Orders an ordering question's items; never sent to clients. */
  shuffleSeed: string;
  status: QuizStatus;
  showResults: boolean;
  /** The latest answer of each learner. */
  answers: Map<string, AnswerRecord>;
  /** Every answer id seen, so that a resent old answer never overwrites a newer one. */
  answerIds: Set<string>;
}

/** Where one learner is in a practice task. */
export interface TaskProgress {
  screen: string;
  /** Arrival on the current screen (ms epoch). */
  since: number;
  /** First seen on the task: the time to finish counts from here. */
  startedAt: number;
  status: 'working' | 'finished' | 'trapped';
  /** The trap fallen into on this attempt. */
  trap: string | null;
  /** Every trap fallen into, one entry per fall, in order. */
  traps: string[];
  misses: number;
  /** Misses in a row on the current screen: feeds stuck detection. */
  missStreak: number;
  hints: number;
  attempts: number;
  /** Time from first seen to the first finish (ms), or null. */
  finishMs: number | null;
  /** Total time on each screen (ms), over every attempt. */
  screenMs: Map<string, number>;
}

/** One opening of a practice task. */
export interface TaskRun {
  runId: string;
  task: Task;
  source: { step: number; taskId: string };
  openedAt: number;
  status: 'open' | 'closed';
  progress: Map<string, TaskProgress>;
  /** Every move id seen, so that a resend after a reconnect counts once. */
  moveIds: Set<string>;
  /** Time of each finished visit of each screen (ms), over the class: the median that stuck detection compares with. */
  visits: Map<string, number[]>;
}

export interface SessionState {
  id: string;
  code: string;
  helperCode: string;
  instructorId: string;
  lesson: Lesson;
  status: SessionStatus;
  startedAt: number;
  endedAt: number | null;
  /** The step the instructor pushed last; null before the first push. */
  current: number | null;
  pacing: Pacing;
  /** Number of events folded so far; the last event's sequence number. */
  seq: number;
  learners: Map<string, LearnerState>;
  /** tokenHash → learnerId, for resume. */
  byToken: Map<string, string>;
  /**
   * Help requests, oldest first: the queue is the open ones in this order. Of the requests a
   * learner withdrew before anyone claimed them only the last few are kept (the others are counted
   * in `withdrawnHelp`), so toggling help cannot grow memory.
   */
  helpRequests: Map<string, HelpRequest>;
  /** Unclaimed withdrawn requests no longer kept in full, by step (the results still count them). */
  withdrawnHelp: Map<number | null, number>;
  /** Names the instructor removed with "block rejoin" (compared case-insensitively). */
  blockedNames: Set<string>;
  stuckConfig: StuckConfig;
  /** Stuck flags dismissed by staff: learner → the step it was dismissed on. */
  stuckDismissed: Map<string, number>;
  seatMap: { rows: number; cols: number };
  /** Every question run of the session, in the order they were opened. */
  quizzes: Map<string, QuizRun>;
  /** The run on the learners' screens, if any. */
  activeRun: string | null;
  /** Every practice task run, in the order they were opened. */
  tasks: Map<string, TaskRun>;
  /** The task on the learners' screens, if any. */
  activeTask: string | null;
  /** Stuck flags dismissed on a task: learner → run, screen and attempt it was dismissed on. */
  taskDismissed: Map<string, string>;
}

/** Who is acting: the transport authenticates, the engine decides what each role may do. */
export type Actor =
  | { role: 'instructor'; userId: string; name?: string }
  | { role: 'helper'; helperId: string; name: string }
  | { role: 'learner'; learnerId: string }
  /** A socket that has not joined yet: may only join. */
  | { role: 'guest' }
  /** The room's own timers (a quiz deadline). */
  | { role: 'system' };

export interface Ctx {
  now: number;
  actor: Actor;
}

/** How staff screens and the learner's own screen name a tablet's learner(s): "An & Bình". */
/** How a blocked name is compared: NFC, case folded. */
export function nameKey(name: string): string {
  return name.normalize('NFC').toLocaleLowerCase('vi');
}

export function displayName(learner: Pick<LearnerState, 'name' | 'partners'>): string {
  return [learner.name, ...learner.partners].join(' & ');
}

/** The step a learner is on: the class's current step, or their own place in the self-paced range. */
export function learnerStep(state: SessionState, learner: LearnerState): number | null {
  return effectiveStep(state.pacing, state.current, learner.ownStep);
}
