import { moveOutcome, screenOf } from '../../shared/lesson/task-graph.ts';
import type { DisplayTaskView, LearnerTaskView, RosterTask, StaffTaskView, TaskPublicView } from '../../shared/protocol/views.ts';
import type { EventOf, SessionEvent } from './events.ts';
import { assertNever } from './never.ts';
import { none, type CommandOf, type Decision } from './commands.ts';
import type { LearnerState, SessionState, TaskProgress, TaskRun } from './state.ts';
import { median } from './median.ts';

/** Practice-task commands: the instructor opens and closes, a learner moves. */
export type TaskCommand = CommandOf<'task:open' | 'task:close' | 'task:move'>;

/** Visits per screen the class median is taken over. */
const MAX_VISITS = 500;

export const activeTask = (state: SessionState): TaskRun | undefined =>
  state.activeTask === null ? undefined : state.tasks.get(state.activeTask);

/** Close the task on the tablets, if one is there. */
export function putAwayTask(state: SessionState, now: number): SessionEvent[] {
  const run = activeTask(state);
  return run ? [{ type: 'task:closed', at: now, runId: run.runId }] : [];
}

/** Open a task from the lesson. */
export function openTask(state: SessionState, runId: string, source: { step: number; taskId: string }, now: number): SessionEvent | null {
  const task = state.lesson.steps[source.step]?.tasks.find((t) => t.id === source.taskId);
  return task ? { type: 'task:opened', at: now, runId, task, source } : null;
}

/** A step whose task comes with it opens that task when pushed; the run id is derived, so decide stays pure. */
export function tasksWithStep(state: SessionState, step: number, now: number): SessionEvent[] {
  const task = state.lesson.steps[step]?.tasks.find((t) => t.withStep);
  if (!task) return [];
  return [{ type: 'task:opened', at: now, runId: `auto-${state.seq}-${step}`, task, source: { step, taskId: task.id } }];
}

/** A learner's place in a run; one who has not moved yet is on the start screen since the task (or they) arrived. */
export function progressOf(run: TaskRun, learner: Pick<LearnerState, 'id' | 'joinedAt'>): TaskProgress {
  return run.progress.get(learner.id) ?? freshProgress(run, Math.max(run.openedAt, learner.joinedAt));
}

function freshProgress(run: TaskRun, at: number): TaskProgress {
  return {
    screen: run.task.start,
    since: at,
    startedAt: at,
    status: 'working',
    trap: null,
    traps: [],
    misses: 0,
    missStreak: 0,
    hints: 0,
    attempts: 1,
    finishMs: null,
    screenMs: new Map(),
  };
}

export function decideTask(state: SessionState, command: TaskCommand, learner: LearnerState | null, now: number): Decision {
  switch (command.type) {
    case 'task:open': {
      const existing = state.tasks.get(command.runId);
      // A retry (same client-made run id) opens nothing new; the id of another task is refused.
      if (existing) {
        const same = existing.source.step === command.source.step && existing.source.taskId === command.source.taskId;
        return same ? none : { error: 'id_reused' };
      }
      const opened = openTask(state, command.runId, command.source, now);
      if (!opened) return { error: 'task_not_found' };
      return { events: [...putAwayTask(state, now), opened] };
    }
    case 'task:close': {
      const run = state.tasks.get(command.runId);
      if (!run) return { error: 'task_not_found' };
      return run.status === 'open' ? { events: [{ type: 'task:closed', at: now, runId: run.runId }] } : none;
    }
    case 'task:move': {
      if (!learner) return { error: 'forbidden' };
      const run = state.tasks.get(command.runId);
      if (!run) return { error: 'task_not_found' };
      // A resend of a move already taken is acknowledged again, never counted twice.
      if (run.moveIds.has(command.moveId)) return none;
      if (run.status !== 'open' || state.activeTask !== run.runId) return { error: 'task_closed' };
      const p = progressOf(run, learner);
      const { action } = command;
      if (action.kind !== 'retry') {
        // Only a move from the screen the learner is on, while still working, is a move of this task.
        if (p.status !== 'working' || command.from !== p.screen) return { error: 'invalid_move' };
      }
      const judged = moveOutcome(run.task, p.screen, action);
      if (!judged) return { error: 'invalid_move' };
      const element = 'element' in action ? action.element : null;
      const events: SessionEvent[] = [
        {
          type: 'task:moved',
          at: now,
          runId: run.runId,
          learnerId: learner.id,
          moveId: command.moveId,
          from: command.from,
          element,
          ...(action.kind === 'scan' ? { code: action.code } : {}),
          matched: judged.matched ?? null,
          outcome: judged.outcome,
        },
      ];
      if (judged.outcome.kind === 'goal') {
        events.push({
          type: 'task:finished',
          at: now,
          runId: run.runId,
          taskId: run.task.id,
          learnerId: learner.id,
          skills: run.task.skills,
        });
      }
      return { events };
    }
    default:
      return assertNever(command);
  }
}

type TaskEvent = EventOf<'task:opened' | 'task:moved' | 'task:finished' | 'task:closed'>;

export function evolveTask(state: SessionState, event: TaskEvent): void {
  switch (event.type) {
    case 'task:opened':
      state.tasks.set(event.runId, {
        runId: event.runId,
        task: event.task,
        source: event.source,
        openedAt: event.at,
        status: 'open',
        progress: new Map(),
        moveIds: new Set(),
        visits: new Map(),
      });
      state.activeTask = event.runId;
      return;
    case 'task:moved': {
      const run = state.tasks.get(event.runId);
      const learner = state.learners.get(event.learnerId);
      if (!run || !learner) throw new Error(`task move for unknown run or learner ${event.runId}/${event.learnerId}`);
      run.moveIds.add(event.moveId);
      const p = progressOf(run, learner);
      run.progress.set(learner.id, p);
      const leave = (countVisit: boolean) => {
        const spent = Math.max(0, event.at - p.since);
        p.screenMs.set(p.screen, (p.screenMs.get(p.screen) ?? 0) + spent);
        if (countVisit) {
          const visits = run.visits.get(p.screen);
          if (!visits) run.visits.set(p.screen, [spent]);
          else {
            visits.push(spent);
            // The median of the latest visits: bounded, so a festival's hour of moves keeps views cheap.
            if (visits.length > MAX_VISITS) visits.splice(0, visits.length - MAX_VISITS);
          }
        }
      };
      const o = event.outcome;
      switch (o.kind) {
        case 'screen':
          leave(true);
          p.screen = o.screen;
          p.since = event.at;
          p.missStreak = 0;
          return;
        case 'goal':
          leave(true);
          p.status = 'finished';
          p.finishMs ??= Math.max(0, event.at - p.startedAt);
          p.missStreak = 0;
          return;
        case 'trap':
          leave(true);
          p.status = 'trapped';
          p.trap = o.trap;
          p.traps.push(o.trap);
          p.missStreak = 0;
          return;
        case 'miss':
          p.misses += 1;
          p.missStreak += 1;
          return;
        case 'hint':
          p.hints += 1;
          return;
        case 'retry':
          if (p.status === 'working') leave(false);
          p.screen = run.task.start;
          p.since = event.at;
          p.status = 'working';
          p.trap = null;
          p.missStreak = 0;
          p.attempts += 1;
          return;
        default:
          return assertNever(o);
      }
    }
    case 'task:finished':
      return; // progress moved with task:moved; this event is for readers of finished tasks (the register)
    case 'task:closed': {
      const run = state.tasks.get(event.runId);
      if (run) run.status = 'closed';
      if (state.activeTask === event.runId) state.activeTask = null;
      return;
    }
    default:
      return assertNever(event);
  }
}

export type TaskStuckReason = 'task_slow' | 'task_misses';

/**
 * Stuck detection learns from the task: several taps in a row that hit nothing, far longer on a
 * screen than the class's median visit of it, or longer on the task than it is expected to take.
 * `medians` caches the median per screen. Null when the learner is not working on an open task.
 */
export function taskStuckReason(
  state: SessionState,
  learner: LearnerState,
  now: number,
  medians: Map<string, number | null>,
): TaskStuckReason | null | undefined {
  const run = activeTask(state);
  if (!run || run.status !== 'open') return undefined;
  const p = progressOf(run, learner);
  if (p.status !== 'working') return undefined;
  const cfg = state.stuckConfig;
  if (state.taskDismissed.get(learner.id) === `${run.runId}:${p.screen}:${p.attempts}`) return null;
  if (cfg.taskMisses > 0 && p.missStreak >= cfg.taskMisses) return 'task_misses';
  const onScreen = now - p.since;
  const expected = run.task.expectedMinutes;
  if (cfg.expectedFactor > 0 && expected !== undefined && now - p.startedAt > expected * 60_000 * cfg.expectedFactor) return 'task_slow';
  if (cfg.medianFactor > 0) {
    if (!medians.has(p.screen)) {
      const visits = run.visits.get(p.screen) ?? [];
      medians.set(p.screen, visits.length >= cfg.minDone ? median(visits) : null);
    }
    const m = medians.get(p.screen);
    if (m !== null && m !== undefined && onScreen > Math.max(m * cfg.medianFactor, 10_000)) return 'task_slow';
  }
  return null;
}

/** What a stuck flag dismissed on a task is tied to: the run, the screen and the attempt. */
export function taskDismissKey(state: SessionState, learner: LearnerState): string | null {
  const run = activeTask(state);
  if (!run || run.status !== 'open') return null;
  const p = progressOf(run, learner);
  return p.status === 'working' ? `${run.runId}:${p.screen}:${p.attempts}` : null;
}

// ---- views ----

export function publicTask(run: TaskRun): TaskPublicView {
  return { runId: run.runId, status: run.status, task: run.task };
}

export function learnerTask(run: TaskRun | undefined, learner: LearnerState): LearnerTaskView | null {
  if (!run) return null;
  const p = progressOf(run, learner);
  return { runId: run.runId, screen: p.screen, status: p.status, trap: p.trap, attempts: p.attempts, finishedOnce: p.finishMs !== null };
}

export function rosterTask(run: TaskRun | undefined, learner: LearnerState, now: number): RosterTask | null {
  if (!run) return null;
  const p = progressOf(run, learner);
  return {
    screen: p.screen,
    screenName: screenOf(run.task, p.screen)?.name ?? p.screen,
    status: p.status,
    trap: p.trap === null ? null : (run.task.traps.find((t) => t.id === p.trap)?.title ?? p.trap),
    onScreenMs: Math.max(0, now - p.since),
    misses: p.misses,
    missStreak: p.missStreak,
  };
}

/** Counts over the class: how many on each screen, finished, fallen into a trap; the most common trap. No names. */
function taskCounts(state: SessionState, run: TaskRun) {
  const onScreen = new Map<string, number>(run.task.screens.map((s) => [s.id, 0]));
  const trapCount = new Map<string, number>();
  let finished = 0;
  let trapped = 0;
  let working = 0;
  let total = 0;
  for (const learner of state.learners.values()) {
    if (learner.left) continue;
    total += 1;
    const p = progressOf(run, learner);
    if (p.status === 'finished') finished += 1;
    else if (p.status === 'trapped') trapped += 1;
    else {
      working += 1;
      onScreen.set(p.screen, (onScreen.get(p.screen) ?? 0) + 1);
    }
    for (const trap of new Set(p.traps)) trapCount.set(trap, (trapCount.get(trap) ?? 0) + 1);
  }
  let common: { id: string; count: number } | null = null;
  for (const [id, count] of trapCount) if (!common || count > common.count) common = { id, count };
  return {
    screens: run.task.screens.map((s) => ({ id: s.id, name: s.name, count: onScreen.get(s.id) ?? 0 })),
    finished,
    trapped,
    working,
    total,
    commonTrap: common && { title: run.task.traps.find((t) => t.id === common.id)?.title ?? common.id, count: common.count },
  };
}

export function staffTask(state: SessionState, run: TaskRun): StaffTaskView {
  return { runId: run.runId, title: run.task.title, source: run.source, status: run.status, ...taskCounts(state, run) };
}

export function displayTask(state: SessionState, run: TaskRun): DisplayTaskView {
  return { title: run.task.title, instruction: run.task.instruction, ...taskCounts(state, run) };
}
