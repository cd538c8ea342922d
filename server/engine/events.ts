import { z } from 'zod';
import { HelpReason, Pacing, StuckConfig } from '../../shared/protocol/commands.ts';
import { Lesson } from '../../shared/lesson/schema.ts';
import { AnswerValue, Question } from '../../shared/lesson/question.ts';
import { Task } from '../../shared/lesson/task.ts';

/** Domain events: what happened in a session, past tense. A session is the fold of its events. */

/** An event's schema: its type, when it happened (ms epoch), then its own fields. */
function event<T extends string, S extends z.ZodRawShape>(type: T, fields: S) {
  return z.object({ type: z.literal(type), at: z.number(), ...fields });
}

export const SessionStarted = event('session:started', {
  sessionId: z.string(),
  code: z.string(),
  helperCode: z.string(),
  instructorId: z.string(),
  /** A frozen copy of the lesson: later edits never rewrite this session. */
  lesson: Lesson,
});
export const StepPushed = event('step:pushed', { step: z.number() });
export const PacingChanged = event('pacing:changed', { pacing: Pacing });
export const LearnerJoined = event('learner:joined', {
  learnerId: z.string(),
  name: z.string(),
  seat: z.string(),
  /** Pair mode: the others sharing the tablet, credited with its actions (absent in older logs). */
  partners: z.array(z.string()).optional(),
  /** sha256 of the learner's resume token; the token itself is never stored. */
  tokenHash: z.string(),
});
export const LearnerMoved = event('learner:moved', {
  learnerId: z.string(),
  step: z.number(),
});
export const LearnerMarkedDone = event('learner:marked-done', {
  learnerId: z.string(),
  step: z.number(),
  done: z.boolean(),
});
export const HelpRequested = event('help:requested', {
  learnerId: z.string(),
  requestId: z.string(),
  step: z.number().nullable(),
  reason: HelpReason.nullable(),
});
const Staffer = z.object({ id: z.string(), name: z.string() });
export const HelpClaimed = event('help:claimed', { requestId: z.string(), by: Staffer });
export const HelpReleased = event('help:released', { requestId: z.string() });
export const HelpResolved = event('help:resolved', { requestId: z.string(), by: Staffer });
export const StuckDismissed = event('stuck:dismissed', {
  learnerId: z.string(),
  step: z.number(),
  /** Dismissed while working on a practice task: the run, screen and attempt (absent otherwise). */
  task: z.string().optional(),
});
export const StuckConfigured = event('stuck:configured', { config: StuckConfig });
/** The seat map's grid was resized (stored as `seatmap:set` before it was named in the past tense). */
export const SeatMapChanged = event('seatmap:changed', { rows: z.number(), cols: z.number() });
export const SeatPlaced = event('seat:placed', {
  learnerId: z.string(),
  row: z.number(),
  col: z.number(),
});
/** A tablet's seat label, given by staff ("Đặt tên máy"). */
export const SeatLabeled = event('seat:labeled', {
  learnerId: z.string(),
  seat: z.string(),
});
export const HelpWithdrawn = event('help:withdrawn', { learnerId: z.string() });
/** The instructor removed a learner; `block` refuses the name in this class from now on. */
export const LearnerRemoved = event('learner:removed', {
  learnerId: z.string(),
  block: z.boolean(),
});
export const LearnerLeft = event('learner:left', { learnerId: z.string() });
export const SessionEnded = event('session:ended', {});

/** A question opened to the class: a frozen copy, from a lesson step or typed during class. */
export const QuizOpened = event('quiz:opened', {
  runId: z.string(),
  question: Question,
  /** Where it came from: a step's question, or null for a quick question. */
  source: z.object({ step: z.number(), questionId: z.string() }).nullable(),
  /** Server-enforced deadline (ms epoch), or null: no time limit. */
  deadline: z.number().nullable(),
  /** Server-side secret that orders an ordering question's items (absent in older logs: the run id). */
  shuffleSeed: z.string().optional(),
});
export const QuizAnswered = event('quiz:answered', {
  runId: z.string(),
  learnerId: z.string(),
  /** Client-generated: a resend of the same answer is recognised and not counted again. */
  answerId: z.string(),
  value: AnswerValue,
  score: z.number().nullable(),
});
export const QuizClosed = event('quiz:closed', { runId: z.string() });
export const QuizResultsShown = event('quiz:results-shown', {
  runId: z.string(),
  show: z.boolean(),
});
export const QuizRevealed = event('quiz:revealed', { runId: z.string() });
export const QuizDismissed = event('quiz:dismissed', { runId: z.string() });

/** A practice task opened for the class: a frozen copy, from a lesson step (by the instructor or with the step). */
export const TaskOpened = event('task:opened', {
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
export const TaskMoved = event('task:moved', {
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
export const TaskFinished = event('task:finished', {
  runId: z.string(),
  taskId: z.string(),
  learnerId: z.string(),
  skills: z.array(z.string()),
});
export const TaskClosed = event('task:closed', { runId: z.string() });

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
