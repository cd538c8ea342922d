import { z } from 'zod';
import { HelpReason, Pacing, StuckConfig } from '../../shared/protocol/commands.ts';
import { Lesson } from '../../shared/lesson/schema.ts';
import { AnswerValue, Question } from '../../shared/lesson/question.ts';
import { Task } from '../../shared/lesson/task.ts';

/** Domain events: what happened in a session, past tense. A session is the fold of its events. */
export const SessionStarted = z.object({
  type: z.literal('session:started'),
  at: z.number(),
  sessionId: z.string(),
  code: z.string(),
  helperCode: z.string(),
  instructorId: z.string(),
  /** A frozen copy of the lesson: later edits never rewrite this session. */
  lesson: Lesson,
});
export const StepPushed = z.object({ type: z.literal('step:pushed'), at: z.number(), step: z.number() });
export const PacingChanged = z.object({ type: z.literal('pacing:changed'), at: z.number(), pacing: Pacing });
export const LearnerJoined = z.object({
  type: z.literal('learner:joined'),
  at: z.number(),
  learnerId: z.string(),
  name: z.string(),
  seat: z.string(),
  /** Pair mode: the others sharing the tablet, credited with its actions (absent in older logs). */
  partners: z.array(z.string()).optional(),
  /** sha256 of the learner's resume token; the token itself is never stored. */
  tokenHash: z.string(),
});
export const LearnerMoved = z.object({
  type: z.literal('learner:moved'),
  at: z.number(),
  learnerId: z.string(),
  step: z.number(),
});
export const LearnerMarkedDone = z.object({
  type: z.literal('learner:marked-done'),
  at: z.number(),
  learnerId: z.string(),
  step: z.number(),
  done: z.boolean(),
});
export const HelpRequested = z.object({
  type: z.literal('help:requested'),
  at: z.number(),
  learnerId: z.string(),
  requestId: z.string(),
  step: z.number().nullable(),
  reason: HelpReason.nullable(),
});
const Staffer = z.object({ id: z.string(), name: z.string() });
export const HelpClaimed = z.object({ type: z.literal('help:claimed'), at: z.number(), requestId: z.string(), by: Staffer });
export const HelpReleased = z.object({ type: z.literal('help:released'), at: z.number(), requestId: z.string() });
export const HelpResolved = z.object({ type: z.literal('help:resolved'), at: z.number(), requestId: z.string(), by: Staffer });
export const StuckDismissed = z.object({
  type: z.literal('stuck:dismissed'),
  at: z.number(),
  learnerId: z.string(),
  step: z.number(),
  /** Dismissed while working on a practice task: the run, screen and attempt (absent otherwise). */
  task: z.string().optional(),
});
export const StuckConfigured = z.object({ type: z.literal('stuck:configured'), at: z.number(), config: StuckConfig });
/** The seat map's grid was resized (stored as `seatmap:set` before it was named in the past tense). */
export const SeatMapChanged = z.object({ type: z.literal('seatmap:changed'), at: z.number(), rows: z.number(), cols: z.number() });
export const SeatPlaced = z.object({
  type: z.literal('seat:placed'),
  at: z.number(),
  learnerId: z.string(),
  row: z.number(),
  col: z.number(),
});
/** A tablet's seat label, given by staff ("Đặt tên máy"). */
export const SeatLabeled = z.object({
  type: z.literal('seat:labeled'),
  at: z.number(),
  learnerId: z.string(),
  seat: z.string(),
});
export const HelpWithdrawn = z.object({ type: z.literal('help:withdrawn'), at: z.number(), learnerId: z.string() });
/** The instructor removed a learner; `block` refuses the name in this class from now on. */
export const LearnerRemoved = z.object({
  type: z.literal('learner:removed'),
  at: z.number(),
  learnerId: z.string(),
  block: z.boolean(),
});
export const LearnerLeft = z.object({ type: z.literal('learner:left'), at: z.number(), learnerId: z.string() });
export const SessionEnded = z.object({ type: z.literal('session:ended'), at: z.number() });

/** A question opened to the class: a frozen copy, from a lesson step or typed during class. */
export const QuizOpened = z.object({
  type: z.literal('quiz:opened'),
  at: z.number(),
  runId: z.string(),
  question: Question,
  /** Where it came from: a step's question, or null for a quick question. */
  source: z.object({ step: z.number(), questionId: z.string() }).nullable(),
  /** Server-enforced deadline (ms epoch), or null: no time limit. */
  deadline: z.number().nullable(),
  /** Server-side secret that orders an ordering question's items (absent in older logs: the run id). */
  shuffleSeed: z.string().optional(),
});
export const QuizAnswered = z.object({
  type: z.literal('quiz:answered'),
  at: z.number(),
  runId: z.string(),
  learnerId: z.string(),
  /** Client-generated: a resend of the same answer is recognised and not counted again. */
  answerId: z.string(),
  value: AnswerValue,
  score: z.number().nullable(),
});
export const QuizClosed = z.object({ type: z.literal('quiz:closed'), at: z.number(), runId: z.string() });
export const QuizResultsShown = z.object({
  type: z.literal('quiz:results-shown'),
  at: z.number(),
  runId: z.string(),
  show: z.boolean(),
});
export const QuizRevealed = z.object({ type: z.literal('quiz:revealed'), at: z.number(), runId: z.string() });
export const QuizDismissed = z.object({ type: z.literal('quiz:dismissed'), at: z.number(), runId: z.string() });

/** A practice task opened for the class: a frozen copy, from a lesson step (by the instructor or with the step). */
export const TaskOpened = z.object({
  type: z.literal('task:opened'),
  at: z.number(),
  runId: z.string(),
  task: Task,
  source: z.object({ step: z.number(), taskId: z.string() }),
});
/** What a move did, as judged by the engine. Never the text a learner typed: only whether it matched. */
export const TaskMoveOutcome = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('screen'), screen: z.string() }),
  z.object({ kind: z.literal('goal') }),
  z.object({ kind: z.literal('trap'), trap: z.string() }),
  z.object({ kind: z.literal('miss') }),
  z.object({ kind: z.literal('hint') }),
  z.object({ kind: z.literal('retry') }),
]);
export const TaskMoved = z.object({
  type: z.literal('task:moved'),
  at: z.number(),
  runId: z.string(),
  learnerId: z.string(),
  /** Client-made: a resend after a reconnect is recognised and counted once. */
  moveId: z.string(),
  from: z.string(),
  /** The element tapped (and the QR code scanned), if any. */
  element: z.string().nullable(),
  code: z.string().nullable().optional(),
  /** For a field or PIN pad: whether the entry fit what it expects. The entry itself is never stored. */
  matched: z.boolean().nullable(),
  outcome: TaskMoveOutcome,
});
/** A learner reached a task's goal: what the register (skills that add up across classes) reads. */
export const TaskFinished = z.object({
  type: z.literal('task:finished'),
  at: z.number(),
  runId: z.string(),
  taskId: z.string(),
  learnerId: z.string(),
  skills: z.array(z.string()),
});
export const TaskClosed = z.object({ type: z.literal('task:closed'), at: z.number(), runId: z.string() });

/** Event types renamed since sessions were first stored: an old name is read as the new one. */
const renamedEvents: Record<string, string> = { 'seatmap:set': 'seatmap:changed' };

/** Bring an event stored under an older shape up to today's, before it is checked. */
function upcast(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || !('type' in raw) || typeof raw.type !== 'string') return raw;
  const renamed = renamedEvents[raw.type];
  return renamed === undefined ? raw : { ...raw, type: renamed };
}

const CurrentEvent = z.discriminatedUnion('type', [
  TaskOpened,
  TaskMoved,
  TaskFinished,
  TaskClosed,
  HelpClaimed,
  HelpReleased,
  HelpResolved,
  StuckDismissed,
  StuckConfigured,
  SeatMapChanged,
  SeatPlaced,
  SeatLabeled,
  QuizOpened,
  QuizAnswered,
  QuizClosed,
  QuizResultsShown,
  QuizRevealed,
  QuizDismissed,
  SessionStarted,
  StepPushed,
  PacingChanged,
  LearnerJoined,
  LearnerMoved,
  LearnerMarkedDone,
  HelpRequested,
  HelpWithdrawn,
  LearnerLeft,
  LearnerRemoved,
  SessionEnded,
]);
/** A stored or new event; one stored under an older name is upcast on reading. */
export const SessionEvent = z.preprocess(upcast, CurrentEvent);
export type SessionEvent = z.infer<typeof CurrentEvent>;
/** Every event type of today. */
export const eventTypes: SessionEvent['type'][] = CurrentEvent.options.map((o) => o.shape.type.value);
export type SessionStarted = z.infer<typeof SessionStarted>;
export type EventOf<T extends SessionEvent['type']> = Extract<SessionEvent, { type: T }>;
