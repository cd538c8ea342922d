import type { EventOf } from './events.ts';
import { none, type CommandOf, type Decision } from './commands.ts';
import { median } from './median.ts';
import { assertNever } from './never.ts';
import { staffer } from './staffer.ts';
import { learnerStep, type Actor, type LearnerState, type SessionState } from './state.ts';
import { taskDismissKey, taskStuckReason } from './tasks.ts';

/** Stuck detection's commands: staff dismiss a flag, the instructor sets the rules. */
export type StuckCommand = CommandOf<'stuck:dismiss' | 'stuck:configure'>;
export type StuckEvent = EventOf<'stuck:dismissed' | 'stuck:configured'>;

export function decideStuck(state: SessionState, command: StuckCommand, actor: Actor, now: number): Decision {
  switch (command.type) {
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
    default:
      return assertNever(command);
  }
}

export function evolveStuck(state: SessionState, event: StuckEvent): void {
  switch (event.type) {
    case 'stuck:dismissed':
      if (event.task !== undefined) state.taskDismissed.set(event.learnerId, event.task);
      else state.stuckDismissed.set(event.learnerId, event.step);
      return;
    case 'stuck:configured':
      state.stuckConfig = event.config;
      return;
    default:
      return assertNever(event);
  }
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
