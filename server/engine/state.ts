import type { Lesson } from '../../shared/lesson/schema.ts';
import type { Pacing } from '../../shared/protocol/commands.ts';
import type { SessionStatus } from '../../shared/protocol/views.ts';

export interface LearnerState {
  id: string;
  name: string;
  seat: string;
  tokenHash: string;
  joinedAt: number;
  /** Own position while self-paced; null = follows the class's current step. */
  ownStep: number | null;
  /** Step indices marked done. */
  done: Set<number>;
  help: { since: number; step: number | null } | null;
  left: boolean;
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
}

/** Who is acting: the transport authenticates, the engine decides what each role may do. */
export type Actor =
  | { role: 'instructor'; userId: string }
  | { role: 'helper'; name: string }
  | { role: 'learner'; learnerId: string }
  /** A socket that has not joined yet: may only join. */
  | { role: 'guest' };

export interface Ctx {
  now: number;
  actor: Actor;
}

/** The step a learner is on: the class's current step, or their own place in the self-paced range. */
export function learnerStep(state: SessionState, learner: LearnerState): number | null {
  if (state.pacing.mode === 'self') {
    const own = learner.ownStep ?? state.current ?? state.pacing.from;
    return Math.min(Math.max(own, state.pacing.from), state.pacing.to);
  }
  return state.current;
}
