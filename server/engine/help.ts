import type { HelpReason, StuckConfig } from '../../shared/protocol/commands.ts';
import type { SessionEvent } from './events.ts';
import { learnerStep, type Actor, type HelpRequest, type LearnerState, type SessionState } from './state.ts';
import type { Decision } from './engine.ts';
import { taskDismissKey, taskStuckReason } from './tasks.ts';

/** Help-queue, stuck-detection and seat-map commands (staff side). */
export type HelpCommand =
  | { type: 'help:claim'; requestId: string }
  | { type: 'help:release'; requestId: string }
  | { type: 'help:resolve'; requestId: string }
  | { type: 'stuck:dismiss'; learnerId: string }
  | { type: 'stuck:configure'; config: StuckConfig }
  | { type: 'seatmap:set'; rows: number; cols: number }
  | { type: 'seat:place'; learnerId: string; row: number; col: number };

const none: Decision = { events: [] };

/** Who is working the queue: a helper, or the instructor. */
function staffer(actor: Actor): { id: string; name: string } | null {
  if (actor.role === 'helper') return { id: `helper:${actor.helperId}`, name: actor.name };
  if (actor.role === 'instructor') return { id: `instructor:${actor.userId}`, name: actor.name ?? '' };
  return null;
}

export function decideHelp(state: SessionState, command: HelpCommand, actor: Actor, now: number): Decision {
  switch (command.type) {
    case 'help:claim':
    case 'help:release':
    case 'help:resolve': {
      const me = staffer(actor);
      if (!me) return { error: 'forbidden' };
      const request = state.helpRequests.get(command.requestId);
      if (!request) return { error: 'help_not_found' };
      if (request.status === 'resolved' || request.status === 'withdrawn') {
        return command.type === 'help:resolve' && request.status === 'resolved' ? none : { error: 'help_closed' };
      }
      const requestId = request.id;
      if (command.type === 'help:claim') {
        if (request.status === 'claimed') return request.claimedBy?.id === me.id ? none : { error: 'already_claimed' };
        return { events: [{ type: 'help:claimed', at: now, requestId, by: me }] };
      }
      if (command.type === 'help:release') {
        if (request.status !== 'claimed') return none;
        // A helper releases only their own claim; the instructor may release anyone's.
        if (request.claimedBy?.id !== me.id && actor.role !== 'instructor') return { error: 'already_claimed' };
        return { events: [{ type: 'help:released', at: now, requestId }] };
      }
      return { events: [{ type: 'help:resolved', at: now, requestId, by: request.claimedBy ?? me }] };
    }
    case 'stuck:dismiss': {
      if (!staffer(actor)) return { error: 'forbidden' };
      const learner = state.learners.get(command.learnerId);
      if (!learner || learner.left) return { error: 'not_found' };
      const step = learnerStep(state, learner);
      if (step === null) return none;
      const task = taskDismissKey(state, learner);
      if (task !== null) {
        if (state.taskDismissed.get(learner.id) === task) return none;
        return { events: [{ type: 'stuck:dismissed', at: now, learnerId: learner.id, step, task }] };
      }
      if (state.stuckDismissed.get(learner.id) === step) return none;
      return { events: [{ type: 'stuck:dismissed', at: now, learnerId: learner.id, step }] };
    }
    case 'stuck:configure':
      if (actor.role !== 'instructor') return { error: 'forbidden' };
      return { events: [{ type: 'stuck:configured', at: now, config: command.config }] };
    case 'seatmap:set':
      if (actor.role !== 'instructor') return { error: 'forbidden' };
      if (![command.rows, command.cols].every((n) => Number.isInteger(n) && n >= 1 && n <= 20)) {
        return { error: 'bad_request' };
      }
      if (state.seatMap.rows === command.rows && state.seatMap.cols === command.cols) return none;
      return { events: [{ type: 'seatmap:set', at: now, rows: command.rows, cols: command.cols }] };
    case 'seat:place': {
      if (actor.role !== 'instructor') return { error: 'forbidden' };
      const learner = state.learners.get(command.learnerId);
      if (!learner || learner.left) return { error: 'not_found' };
      const inGrid = (n: number, size: number) => Number.isInteger(n) && n >= 0 && n < size;
      if (!inGrid(command.row, state.seatMap.rows) || !inGrid(command.col, state.seatMap.cols)) {
        return { error: 'step_out_of_range' };
      }
      const { learnerId, row, col } = command;
      return { events: [{ type: 'seat:placed', at: now, learnerId, row, col }] };
    }
  }
}

/** The learner's own "Cần giúp": raise with an optional reason, or withdraw. */
export function decideLearnerHelp(
  state: SessionState,
  learner: LearnerState,
  command: { active: boolean; requestId: string; reason?: HelpReason },
  now: number,
): Decision {
  if ((learner.help !== null) === command.active) return none;
  // Request ids are never reused: history and queue order depend on them.
  if (command.active && state.helpRequests.has(command.requestId)) return { error: 'bad_request' };
  if (!command.active) return { events: [{ type: 'help:withdrawn', at: now, learnerId: learner.id }] };
  return {
    events: [
      {
        type: 'help:requested',
        at: now,
        learnerId: learner.id,
        requestId: command.requestId,
        step: learnerStep(state, learner),
        reason: command.reason ?? null,
      },
    ],
  };
}

type HelpEvent = Extract<
  SessionEvent,
  {
    type:
      | 'help:requested'
      | 'help:withdrawn'
      | 'help:claimed'
      | 'help:released'
      | 'help:resolved'
      | 'stuck:dismissed'
      | 'stuck:configured'
      | 'seatmap:set'
      | 'seat:placed';
  }
>;

export function evolveHelp(state: SessionState, event: HelpEvent): void {
  switch (event.type) {
    case 'help:requested': {
      const request: HelpRequest = {
        id: event.requestId,
        learnerId: event.learnerId,
        step: event.step,
        reason: event.reason,
        at: event.at,
        status: 'waiting',
        claimedBy: null,
        claimedAt: null,
        closedAt: null,
      };
      state.helpRequests.set(request.id, request);
      const learner = state.learners.get(event.learnerId)!;
      learner.help = { id: request.id, since: event.at, step: event.step };
      learner.lastHelp = null;
      return;
    }
    case 'help:withdrawn':
      closeOpenRequest(state, event.learnerId, 'withdrawn', event.at);
      return;
    case 'help:claimed': {
      const r = state.helpRequests.get(event.requestId)!;
      r.status = 'claimed';
      r.claimedBy = event.by;
      r.claimedAt ??= event.at;
      return;
    }
    case 'help:released': {
      const r = state.helpRequests.get(event.requestId)!;
      r.status = 'waiting';
      r.claimedBy = null;
      return;
    }
    case 'help:resolved': {
      const r = state.helpRequests.get(event.requestId)!;
      r.claimedBy ??= event.by;
      closeOpenRequest(state, r.learnerId, 'resolved', event.at);
      state.learners.get(r.learnerId)!.lastHelp = { by: event.by.name, at: event.at };
      return;
    }
    case 'stuck:dismissed':
      if (event.task !== undefined) state.taskDismissed.set(event.learnerId, event.task);
      else state.stuckDismissed.set(event.learnerId, event.step);
      return;
    case 'stuck:configured':
      state.stuckConfig = event.config;
      return;
    case 'seatmap:set':
      state.seatMap = { rows: event.rows, cols: event.cols };
      for (const l of state.learners.values()) {
        if (l.place && (l.place.row >= event.rows || l.place.col >= event.cols)) l.place = null;
      }
      return;
    case 'seat:placed': {
      // One tile per place: whoever sat there moves back to automatic placement.
      for (const l of state.learners.values()) {
        if (l.place?.row === event.row && l.place.col === event.col) l.place = null;
      }
      state.learners.get(event.learnerId)!.place = { row: event.row, col: event.col };
      return;
    }
  }
}

/** Unclaimed withdrawn requests kept in full per learner; older ones are only counted. */
export const KEPT_WITHDRAWN = 5;

/** Close a learner's open request (withdrawn by them, resolved by staff, or because they left). */
export function closeOpenRequest(state: SessionState, learnerId: string, status: 'withdrawn' | 'resolved', at: number) {
  const learner = state.learners.get(learnerId);
  if (!learner?.help) return;
  const r = state.helpRequests.get(learner.help.id);
  if (r) {
    r.status = status;
    r.closedAt = at;
    // Nobody came for it: past a few, the oldest such record goes and only its count stays (bounded memory).
    if (status === 'withdrawn' && r.claimedAt === null) {
      learner.withdrawn.push(r.id);
      if (learner.withdrawn.length > KEPT_WITHDRAWN) {
        const old = state.helpRequests.get(learner.withdrawn.shift()!);
        if (old) {
          state.helpRequests.delete(old.id);
          state.withdrawnHelp.set(old.step, (state.withdrawnHelp.get(old.step) ?? 0) + 1);
        }
      }
    }
  }
  learner.help = null;
}

/** The open requests, oldest first. */
export function helpQueue(state: SessionState): HelpRequest[] {
  const out: HelpRequest[] = [];
  for (const r of state.helpRequests.values()) if (r.status === 'waiting' || r.status === 'claimed') out.push(r);
  return out;
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Median time-to-done on one step, over the learners who marked it done. */
export function medianTimeToDone(state: SessionState, step: number): { median: number | null; count: number } {
  const values: number[] = [];
  for (const l of state.learners.values()) {
    const t = l.doneIn.get(step);
    if (t !== undefined) values.push(t);
  }
  return { median: median(values), count: values.length };
}

/** `slow`: past the step's expected time; `behind_class`: far past the class's median; `wrong_answers`; `task_slow` / `task_misses`: a practice task's rules. */
export type StuckReason = 'slow' | 'behind_class' | 'wrong_answers' | 'task_slow' | 'task_misses';

/**
 * "Có thể đang gặp khó": on their step, not done, and either longer than the step's expected time,
 * longer than twice the class's median time-to-done, or after two wrong answers to the step's
 * questions. Staff can dismiss the flag for that step. `medians` caches the median per step.
 */
export function stuckReason(
  state: SessionState,
  learner: LearnerState,
  now: number,
  medians: Map<number, number | null>,
  screenMedians: Map<string, number | null> = new Map(),
): StuckReason | null {
  const cfg = state.stuckConfig;
  const step = learnerStep(state, learner);
  if (!cfg.enabled || learner.left || step === null || learner.done.has(step) || state.status !== 'open') return null;
  // Working on a practice task: the task's own rules replace the step's clock.
  const onTask = taskStuckReason(state, learner, now, screenMedians);
  if (onTask !== undefined) return onTask;
  if (state.stuckDismissed.get(learner.id) === step) return null;
  if (cfg.wrongAnswers > 0 && (learner.wrong.get(step) ?? 0) >= cfg.wrongAnswers) return 'wrong_answers';
  const spent = now - learner.since;
  const expected = state.lesson.steps[step]?.expectedMinutes;
  if (cfg.expectedFactor > 0 && expected !== undefined && spent > expected * 60_000 * cfg.expectedFactor) return 'slow';
  if (cfg.medianFactor > 0) {
    if (!medians.has(step)) {
      const m = medianTimeToDone(state, step);
      medians.set(step, m.count >= cfg.minDone ? m.median : null);
    }
    const m = medians.get(step);
    if (m !== null && m !== undefined && spent > m * cfg.medianFactor) return 'behind_class';
  }
  return null;
}
