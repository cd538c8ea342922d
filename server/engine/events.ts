import { z } from 'zod';
import { Pacing } from '../../shared/protocol/commands.ts';
import { Lesson } from '../../shared/lesson/schema.ts';

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
  step: z.number().nullable(),
});
export const HelpWithdrawn = z.object({ type: z.literal('help:withdrawn'), at: z.number(), learnerId: z.string() });
export const LearnerLeft = z.object({ type: z.literal('learner:left'), at: z.number(), learnerId: z.string() });
export const SessionEnded = z.object({ type: z.literal('session:ended'), at: z.number() });

export const SessionEvent = z.discriminatedUnion('type', [
  SessionStarted,
  StepPushed,
  PacingChanged,
  LearnerJoined,
  LearnerMoved,
  LearnerMarkedDone,
  HelpRequested,
  HelpWithdrawn,
  LearnerLeft,
  SessionEnded,
]);
export type SessionEvent = z.infer<typeof SessionEvent>;
export type SessionStarted = z.infer<typeof SessionStarted>;
export type EventOf<T extends SessionEvent['type']> = Extract<SessionEvent, { type: T }>;
