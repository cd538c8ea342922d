import type { SessionEvent } from './events.ts';
import { assertNever } from './never.ts';
import type { SessionState } from './state.ts';

/** Who needs a new view after some events, read from the state they led to. */
export interface Affected {
  /** The class view changed: one push to the class's room. */
  classView: boolean;
  /** Every learner's own view changed (a pacing change moves everyone). */
  everyone: boolean;
  /** Learners whose own view changed (besides `everyone`). */
  learners: Set<string>;
  /** Learners whose presence in the class is over, in order, and why: their tablets go back to the join screen. */
  ended: { learnerId: string; reason: 'left' | 'removed' }[];
  /** The session ended: every tablet is told, the room stops. */
  sessionEnded: boolean;
  /** A question opened, closed or went away: its deadline timer is armed anew. */
  quizChanged: boolean;
}

/** What one event changes for whom (before the help queue's places are counted: see `affectedBy`). */
export interface EventEffect {
  classView?: true;
  everyone?: true;
  learners?: string[];
  ended?: 'left' | 'removed';
  sessionEnded?: true;
  quizChanged?: true;
  /** The help queue moved: every waiting learner's place may have changed. */
  queue?: true;
}

/** One event's effect on the views. Exhaustive: a new event type does not compile until it says whom it touches. */
export function effectOf(state: SessionState, event: SessionEvent): EventEffect {
  switch (event.type) {
    case 'step:pushed':
      return { classView: true };
    case 'pacing:changed':
      return { classView: true, everyone: true };
    case 'session:ended':
      return { classView: true, sessionEnded: true };
    case 'learner:left':
      return { ended: 'left' };
    case 'learner:removed':
      return { ended: 'removed' };
    case 'learner:moved':
    case 'learner:marked-done':
    case 'seat:labeled':
    case 'stuck:dismissed':
    case 'quiz:answered':
    case 'task:moved':
      return { learners: [event.learnerId] };
    case 'help:requested':
    case 'help:withdrawn':
      return { queue: true, learners: [event.learnerId] };
    case 'help:claimed':
    case 'help:released':
    case 'help:resolved': {
      const request = state.helpRequests.get(event.requestId);
      return { queue: true, learners: request ? [request.learnerId] : [] };
    }
    case 'quiz:opened':
    case 'quiz:closed':
    case 'quiz:dismissed':
      return { classView: true, quizChanged: true };
    case 'quiz:revealed':
      // Each learner who answered learns their own result.
      return { classView: true, quizChanged: true, learners: [...(state.quizzes.get(event.runId)?.answers.keys() ?? [])] };
    case 'task:opened':
    case 'task:closed':
      // Each learner's own progress is in their MeView; an opening or closing changes the class view only.
      return { classView: true };
    // Staff and projector views only (they follow every event, coalesced).
    case 'task:finished':
    case 'stuck:configured':
    case 'seatmap:changed':
    case 'seat:placed':
    case 'quiz:results-shown':
    case 'learner:joined':
    case 'session:started':
      return {};
    default:
      return assertNever(event);
  }
}

/**
 * Who needs a new view after `events` (already folded into `state`). `acting`: the learner whose
 * own command this was; their ack carries their new view, so no push goes to them besides.
 */
export function affectedBy(state: SessionState, events: readonly SessionEvent[], acting: string | null = null): Affected {
  const out: Affected = { classView: false, everyone: false, learners: new Set(), ended: [], sessionEnded: false, quizChanged: false };
  let queueMoved = false;
  for (const event of events) {
    const effect = effectOf(state, event);
    out.classView ||= effect.classView === true;
    out.everyone ||= effect.everyone === true;
    out.sessionEnded ||= effect.sessionEnded === true;
    out.quizChanged ||= effect.quizChanged === true;
    queueMoved ||= effect.queue === true;
    for (const id of effect.learners ?? []) out.learners.add(id);
    if (effect.ended && 'learnerId' in event) out.ended.push({ learnerId: event.learnerId, reason: effect.ended });
  }
  // Places in the queue moved: each waiting learner gets their new place.
  if (queueMoved) for (const r of state.helpRequests.values()) if (r.status === 'waiting') out.learners.add(r.learnerId);
  if (out.everyone) {
    // A pacing change moves every learner; rare, so one own view each is fine (the acting learner included, as before).
    for (const learner of state.learners.values()) out.learners.add(learner.id);
  } else if (acting !== null) {
    out.learners.delete(acting);
  }
  return out;
}
