import type { HelpReason, Pacing, StuckConfig } from './commands.ts';
import type { AnswerValue, Question, QuestionKind } from '../lesson/question.ts';
import type { Lesson } from '../lesson/schema.ts';
import type { Task } from '../lesson/task.ts';

/** The practice task on the tablets: the whole graph, so that the tablet runs it offline. */
export interface TaskPublicView {
  runId: string;
  status: 'open' | 'closed';
  task: Task;
}

/** Where this learner is in the task on screen, as the server knows it (after every acknowledged move). */
export interface LearnerTaskView {
  runId: string;
  screen: string;
  status: 'working' | 'finished' | 'trapped';
  /** The trap fallen into on this attempt, or null. */
  trap: string | null;
  attempts: number;
  finishedOnce: boolean;
}

/** A roster line's task part: the screen by its name, the state, time on the screen, taps that hit nothing. */
export interface RosterTask {
  screen: string;
  screenName: string;
  status: 'working' | 'finished' | 'trapped';
  /** The trap's title, when fallen into one on this attempt. */
  trap: string | null;
  onScreenMs: number;
  misses: number;
  missStreak: number;
}

/** Where the class is in a task: counts only, no names (the projector gets the same). */
export interface TaskCounts {
  /** Learners still working, per screen, in the task's order. */
  screens: { id: string; name: string; count: number }[];
  finished: number;
  trapped: number;
  working: number;
  total: number;
  /** The trap most learners fell into, or null. */
  commonTrap: { title: string; count: number } | null;
}

export interface StaffTaskView extends TaskCounts {
  runId: string;
  title: string;
  source: { step: number; taskId: string };
  status: 'open' | 'closed';
}

export interface DisplayTaskView extends TaskCounts {
  title: string;
  instruction: string;
}

/** A step as every screen shows it: markdown already rendered (raw HTML disabled) on the server. */
export interface StepView {
  index: number;
  id: string;
  title: string;
  html: string;
  image: { url: string; alt: string } | null;
}

export type SessionStatus = 'open' | 'ended';

export type QuizStatus = 'open' | 'closed' | 'revealed';

export interface QuizChoiceView {
  id: string;
  text: string;
  image: { url: string; alt: string } | null;
}

/** The right answer, sent only after the reveal. Null for a poll. */
export type CorrectAnswer =
  | { kind: 'options'; options: string[] }
  | { kind: 'truefalse'; value: boolean }
  | { kind: 'text'; accepted: string[] }
  | { kind: 'number'; value: number; tolerance: number }
  | { kind: 'ordering'; order: string[] }
  | null;

/** A question as learners and the projector see it: no answer key, no explanation before the reveal. */
export interface QuizPublicView {
  runId: string;
  kind: QuestionKind;
  prompt: string;
  /** Options, or the ordering items shuffled the same way for everyone; empty for true/false, text, number. */
  choices: QuizChoiceView[];
  unit: string | null;
  status: QuizStatus;
  /** Server deadline (ms epoch), or null: no time limit. */
  deadline: number | null;
  reveal: { explanation: string | null; correct: CorrectAnswer } | null;
}

export interface HistogramBar {
  key: string;
  label: string;
  count: number;
  /** Whether this answer is right; null before the reveal (public views) or for a poll. */
  correct: boolean | null;
}

/** The instructor's view of the question on screen: with the key, who answered and who not. */
export interface StaffQuizView {
  runId: string;
  question: Question;
  source: { step: number; questionId: string } | null;
  status: QuizStatus;
  deadline: number | null;
  showResults: boolean;
  answered: number;
  total: number;
  missing: { id: string; name: string; seat: string }[];
  histogram: HistogramBar[];
  /** Learners with a fully right answer; null for a poll. */
  correct: number | null;
}

/** The projector: the question and the count; the histogram only when the instructor shows it. */
export interface DisplayQuizView extends QuizPublicView {
  answered: number;
  total: number;
  histogram: HistogramBar[] | null;
}

/** What every learner of a class sees alike; sent once to the class room, never per learner. */
export interface ClassView {
  /** Session event sequence number this view reflects. */
  seq: number;
  /**
   * Position in the class stream: each class message is the previous one + 1. A client that sees a
   * gap asks for a fresh snapshot (learner:resume). Restarts from 1 with the server.
   */
  stream: number;
  sessionId: string;
  lessonTitle: string;
  stepCount: number;
  /** The step the instructor pushed last; null before the first push. */
  current: number | null;
  pacing: Pacing;
  /** The steps a learner may show now: the current one, or the whole self-paced range. */
  steps: StepView[];
  status: SessionStatus;
  /** The question on the learners' screens, if any. */
  quiz: QuizPublicView | null;
  /** The practice task on the learners' screens, if any. */
  task: TaskPublicView | null;
}

/** One learner's own status: sent only to that learner's sockets. */
export interface MeView {
  seq: number;
  /** Position in this learner's own stream, like ClassView.stream. */
  stream: number;
  learnerId: string;
  name: string;
  seat: string;
  /** The step this learner is on (the current step unless self-paced). */
  step: number | null;
  /** Indices of the steps this learner marked done. */
  done: number[];
  help: boolean;
  /** The state of this learner's help request: waiting (with place in the queue) or someone coming. */
  helpRequest: { status: 'waiting' | 'claimed'; position: number; helperName: string | null; reason: HelpReason | null } | null;
  /** The last request solved for this learner (so the screen can say so), or null. */
  helpResolved: { by: string; at: number } | null;
  /** This learner's answer to the question on screen; the score and its result only after the reveal. */
  answer: { runId: string; value: AnswerValue; score: number | null; result: AnswerResult | null } | null;
  /** This learner's progress in the task on screen. */
  task: LearnerTaskView | null;
}

export interface LearnerSnapshot {
  class: ClassView;
  me: MeView;
  /** Every image of the lesson (steps and question options), for the tablet to prefetch: sent on join and resume, not with each push. */
  images: string[];
}

/** How an answer's score reads: fully right, partly right, or wrong (a poll or an unrevealed answer has none). */
export type AnswerResult = 'right' | 'partial' | 'wrong';

/** A seat tile's state, most urgent first; "waiting" until the class's first step reaches them. */
export type TileState = 'help' | 'offline' | 'stuck' | 'done' | 'working' | 'waiting';

export interface RosterEntry {
  id: string;
  name: string;
  seat: string;
  step: number | null;
  /** Done with the step they are on. */
  done: boolean;
  doneCount: number;
  /** Help requested since (ms epoch), or null. */
  helpSince: number | null;
  helpStatus: 'waiting' | 'claimed' | null;
  /** "Có thể đang gặp khó": why the learner is flagged (past the step's expected time, far behind the class's median, wrong answers, a practice task's rules), or null. */
  stuck: 'slow' | 'behind_class' | 'wrong_answers' | 'task_slow' | 'task_misses' | null;
  /** The practice task on screen: where this learner is in it. */
  task: RosterTask | null;
  /** Time on the step they are on (ms). */
  onStepMs: number;
  /** Tile placed by hand on the seat map, or null (laid out automatically). */
  place: { row: number; col: number } | null;
  connected: boolean;
  /** Last connect or disconnect (ms epoch). */
  lastSeen: number;
  /** Round-trip time the tablet last measured, ms; null when unknown. */
  rttMs: number | null;
  /** The row's place in the console's roster: who needs help first, longest waiting on top; then by seat, then by name. */
  rank: number;
  /** The learner's tile on the seat map. */
  tile: TileState;
  /** On the helpers' "Có thể đang gặp khó" list: flagged as stuck and not already asking for help. */
  onStuckList: boolean;
}

export interface HelpQueueEntry {
  id: string;
  learnerId: string;
  name: string;
  seat: string;
  step: number | null;
  reason: HelpReason | null;
  at: number;
  status: 'waiting' | 'claimed';
  claimedBy: string | null;
  claimedAt: number | null;
}

export interface ClassCounts {
  /** Learners in the class (not left). */
  total: number;
  done: number;
  help: number;
  stuck: number;
  connected: number;
  disconnected: number;
}

/** The instructor's (and helpers') view of one session. */
export interface StaffView {
  seq: number;
  sessionId: string;
  code: string;
  helperCode: string;
  joinUrl: string;
  lessonTitle: string;
  outline: { index: number; id: string; title: string }[];
  current: number | null;
  pacing: Pacing;
  status: SessionStatus;
  startedAt: number;
  endedAt: number | null;
  roster: RosterEntry[];
  counts: ClassCounts;
  /** Open help requests, oldest first. */
  helpQueue: HelpQueueEntry[];
  /** Share of the class done with the current step, and whether to suggest moving on. */
  pace: { done: number; total: number; suggestNext: boolean };
  stuckConfig: StuckConfig;
  seatMap: { rows: number; cols: number };
  /**
   * The seat map laid out: each place of the grid, row by row, with the learner id on it (or null);
   * and the learners who find no free place. Tiles placed by hand sit where they were put; the
   * others fill the free places in roster order (seat label, then name).
   */
  seatLayout: { cells: (string | null)[]; overflow: string[] };
  /** Server time of this view, for "waiting 3 min" counters. */
  now: number;
  /** The current step's content, for the console's preview. */
  step: StepView | null;
  quiz: StaffQuizView | null;
  /** The practice questions of each step that has some, with their keys (staff only). */
  stepQuestions: { step: number; questions: Question[] }[];
  /** Every question run so far, newest last. */
  runs: { runId: string; prompt: string; status: QuizStatus; answered: number }[];
  /** The practice task on the tablets: counts per screen, finished, traps. */
  task: StaffTaskView | null;
  /** The practice tasks of each step that has some (to open them). */
  stepTasks: { step: number; tasks: { id: string; title: string; screens: number }[] }[];
}

/** The projector: class code, current step and aggregates only — no personal data. */
export interface DisplayView {
  seq: number;
  code: string;
  joinUrl: string;
  lessonTitle: string;
  status: SessionStatus;
  current: number | null;
  stepCount: number;
  step: StepView | null;
  joined: number;
  done: number;
  quiz: DisplayQuizView | null;
  /** Where the class is in the practice task on screen; no names. */
  task: DisplayTaskView | null;
}

/** Lists and summaries served over HTTP. */
export interface LessonSummary {
  id: string;
  title: string;
  summary: string;
  stepCount: number;
  /** Archived lessons are listed only on request (?archived=1) and cannot start a class. */
  archived: boolean;
  /** Last save (ms since epoch). */
  updatedAt: number;
}

/** One lesson for the editor: GET /api/lessons/:id. */
export interface LessonRecord {
  lesson: Lesson;
  archived: boolean;
  updatedAt: number;
}

export interface SessionSummary {
  id: string;
  code: string;
  lessonId: string;
  lessonTitle: string;
  status: SessionStatus;
  startedAt: number;
  endedAt: number | null;
  learnerCount: number;
}

export interface Me {
  id: string;
  username: string;
  displayName: string;
}

export interface ServerInfo {
  /** Base URLs the tablets can reach (LAN first), e.g. http://192.168.1.10:3000 */
  lanUrls: string[];
  setupNeeded: boolean;
  /** True when this request came from the server machine itself. */
  local: boolean;
}

/** GET /api/backup/status: when the data folder was last backed up (download or `npm run backup`). */
export interface BackupStatus {
  /** ms since epoch; null when never. */
  lastAt: number | null;
}

/** Results of one session: participation, item analysis per question, and each learner's tally. */
export interface SessionResults {
  sessionId: string;
  code: string;
  lessonTitle: string;
  status: SessionStatus;
  startedAt: number;
  endedAt: number | null;
  participation: {
    learners: number;
    /** Learners who answered at least one question. */
    answeredAny: number;
    questions: number;
  };
  questions: {
    runId: string;
    prompt: string;
    kind: QuestionKind;
    openedAt: number;
    answered: number;
    total: number;
    /** Share of answers fully right, 0–100; null for a poll or with no answers. */
    correctPct: number | null;
    /** The wrong answer chosen most (item analysis); null when none. */
    mostChosenWrong: { label: string; count: number } | null;
  }[];
  /** Per practice task run: % finished, median time to finish, where most were stuck, each trap's share. */
  tasks: {
    runId: string;
    taskId: string;
    title: string;
    step: number;
    openedAt: number;
    learners: number;
    finished: number;
    /** 0–100, null with nobody in class. */
    finishedPct: number | null;
    medianTimeToFinishMs: number | null;
    /** The screen where most of those still working (not finished, not in a trap) stopped. */
    stuckScreen: { name: string; count: number } | null;
    traps: { id: string; title: string; count: number; pct: number }[];
  }[];
  /** Per step, hardest first: help requests and task struggles, median time-to-done, median time to claim and to solve. */
  steps: {
    index: number;
    title: string;
    helpRequests: number;
    /** Learners who fell into a trap or did not finish a practice task of this step. */
    taskStruggles: number;
    done: number;
    medianTimeToDoneMs: number | null;
    medianToClaimMs: number | null;
    medianToResolveMs: number | null;
  }[];
  /** One row per person: a tablet in pair mode gives a row to each of its learners. */
  learners: {
    id: string;
    name: string;
    /** Pair mode: the others who shared this person's tablet (empty when alone). */
    partners: string[];
    seat: string;
    answered: number;
    /** Questions answered fully right. */
    correct: number;
    /** Sum of scores, partial credit included. */
    score: number;
    /** Per question run: the answer given, its score and how it reads (null for a poll). */
    answers: Record<string, { label: string; score: number | null; result: AnswerResult | null }>;
    /** Per task run: finished or not, the traps fallen into (titles), time to finish (ms). */
    tasks: Record<string, { finished: boolean; traps: string[]; timeMs: number | null }>;
  }[];
}
