// The meaning of a practice task's graph, without zod: the engine judges moves with it, the tablet
// runs the task with it offline, and the editor finds problems with it. Types only from task.ts.
import type { Task, TaskElement, TaskExpect, TaskScreen, TaskTarget } from './task.ts';

/** What a learner did on a screen. `entry` (a field's text) is checked and then forgotten. */
export type TaskAction =
  | { kind: 'tap'; element: string }
  | { kind: 'scan'; element: string; code: string }
  | { kind: 'enter'; element: string; entry: string }
  /** A tap that hit nothing (the screen's background, a plain text). */
  | { kind: 'miss' }
  | { kind: 'hint' }
  | { kind: 'retry' };

/** Where a move ends: another screen, the goal, a trap; or nowhere (a miss, an entry that did not match). */
export type MoveOutcome =
  | { kind: 'screen'; screen: string }
  | { kind: 'goal' }
  | { kind: 'trap'; trap: string }
  | { kind: 'miss' }
  | { kind: 'hint' }
  | { kind: 'retry' };

/** Lowercase, no diacritics (đ → d), single spaces: how typed text is compared. */
export function foldText(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** Does an entry match what the field expects? Only this answer ever leaves the tablet's screen. */
export function entryMatches(expect: TaskExpect, entry: string): boolean {
  const text = entry.trim();
  switch (expect.kind) {
    case 'any':
      return text.length > 0;
    case 'digits':
      return new RegExp(`^\\d{${expect.length}}$`).test(text.replace(/\s+/g, ''));
    case 'number': {
      const digits = text.replace(/[\s.,]|đ|vnd|vnđ/gi, '');
      return /^-?\d+$/.test(digits) && Number(digits) === expect.value;
    }
    case 'text':
      return expect.accepted.some((a) => foldText(a) === foldText(text));
  }
}

export function screenOf(task: Pick<Task, 'screens'>, id: string): TaskScreen | undefined {
  return task.screens.find((s) => s.id === id);
}

export function elementOf(screen: TaskScreen, id: string): TaskElement | undefined {
  return screen.elements.find((e) => e.id === id);
}

const toOutcome = (t: TaskTarget | undefined): MoveOutcome | null =>
  t === undefined
    ? null
    : t.to === 'screen'
      ? { kind: 'screen', screen: t.screen }
      : t.to === 'goal'
        ? { kind: 'goal' }
        : { kind: 'trap', trap: t.trap };

/**
 * Where an action on `screenId` leads, by the task's graph; null when the action is not one the
 * screen offers (an unknown element, a tap on a field, a code the camera does not show).
 * `matched` says whether an entry fit what its field expects.
 */
export function moveOutcome(
  task: Pick<Task, 'screens'>,
  screenId: string,
  action: TaskAction,
): { outcome: MoveOutcome; matched?: boolean } | null {
  if (action.kind === 'miss' || action.kind === 'hint' || action.kind === 'retry') return { outcome: { kind: action.kind } };
  const screen = screenOf(task, screenId);
  const element = screen && elementOf(screen, action.element);
  if (!element) return null;
  switch (action.kind) {
    case 'tap': {
      if (element.kind !== 'button' && element.kind !== 'item' && element.kind !== 'toggle' && element.kind !== 'sms') return null;
      const outcome = toOutcome(element.on);
      return outcome && { outcome };
    }
    case 'scan': {
      if (element.kind !== 'qr') return null;
      const outcome = toOutcome(element.codes.find((c) => c.id === action.code)?.on);
      return outcome && { outcome };
    }
    case 'enter': {
      if (element.kind !== 'field' && element.kind !== 'pin') return null;
      const matched = entryMatches(element.expect, action.entry);
      const outcome = matched ? toOutcome(element.on) : { kind: 'miss' as const };
      return outcome && { outcome, matched };
    }
  }
}

/** Every target a screen's elements lead to, with the path of each (relative to the task). */
export function targetsOf(task: Pick<Task, 'screens'>): { from: string; target: TaskTarget; path: (string | number)[] }[] {
  const out: { from: string; target: TaskTarget; path: (string | number)[] }[] = [];
  task.screens.forEach((screen, i) => {
    screen.elements.forEach((el, j) => {
      const at = ['screens', i, 'elements', j];
      if (el.kind === 'qr') {
        el.codes.forEach((c, k) => {
          if (c.on) out.push({ from: screen.id, target: c.on, path: [...at, 'codes', k, 'on'] });
        });
      } else if ('on' in el && el.on) out.push({ from: screen.id, target: el.on, path: [...at, 'on'] });
    });
  });
  return out;
}

export type TaskProblemCode =
  | 'duplicate_id'
  | 'unknown_start'
  | 'unknown_screen'
  | 'unknown_trap'
  | 'leads_nowhere'
  | 'unreachable_screen'
  | 'no_goal'
  | 'trap_no_explanation';

export interface TaskProblem {
  code: TaskProblemCode;
  /** Relative to the task. */
  path: (string | number)[];
  message: string;
}

/** What makes a task unusable: the schema refuses it, and the editor shows each at its field. */
export function taskProblems(task: Pick<Task, 'start' | 'screens'> & { traps?: Task['traps'] }): TaskProblem[] {
  const problems: TaskProblem[] = [];
  const add = (code: TaskProblemCode, path: (string | number)[], message: string) => problems.push({ code, path, message });
  const screenIds = new Set<string>();
  task.screens.forEach((s, i) => {
    if (screenIds.has(s.id)) add('duplicate_id', ['screens', i, 'id'], `duplicate screen id "${s.id}"`);
    screenIds.add(s.id);
    const elementIds = new Set<string>();
    s.elements.forEach((el, j) => {
      if (elementIds.has(el.id)) add('duplicate_id', ['screens', i, 'elements', j, 'id'], `duplicate element id "${el.id}"`);
      elementIds.add(el.id);
      const tappable = el.kind === 'button' || el.kind === 'item' || el.kind === 'toggle' || el.kind === 'field' || el.kind === 'pin';
      if (tappable && !el.on) add('leads_nowhere', ['screens', i, 'elements', j, 'on'], `"${el.id}" leads nowhere`);
      if (el.kind === 'qr') {
        el.codes.forEach((c, k) => {
          if (!c.on) add('leads_nowhere', ['screens', i, 'elements', j, 'codes', k, 'on'], `code "${c.id}" leads nowhere`);
        });
      }
    });
  });
  const trapIds = new Set<string>();
  (task.traps ?? []).forEach((t, i) => {
    if (trapIds.has(t.id)) add('duplicate_id', ['traps', i, 'id'], `duplicate trap id "${t.id}"`);
    trapIds.add(t.id);
    if (!t.explanation.trim()) add('trap_no_explanation', ['traps', i, 'explanation'], `trap "${t.id}" has no explanation`);
  });
  if (!screenIds.has(task.start)) add('unknown_start', ['start'], `no screen "${task.start}"`);
  const targets = targetsOf(task);
  for (const { target, path } of targets) {
    if (target.to === 'screen' && !screenIds.has(target.screen)) add('unknown_screen', [...path, 'screen'], `no screen "${target.screen}"`);
    if (target.to === 'trap' && !trapIds.has(target.trap)) add('unknown_trap', [...path, 'trap'], `no trap "${target.trap}"`);
  }
  // Reachability from the start screen: every screen reached by some path, and a goal among them.
  const reached = new Set<string>(screenIds.has(task.start) ? [task.start] : []);
  const queue = [...reached];
  let goal = false;
  while (queue.length) {
    const at = queue.shift()!;
    for (const { from, target } of targets) {
      if (from !== at) continue;
      if (target.to === 'goal') goal = true;
      if (target.to === 'screen' && screenIds.has(target.screen) && !reached.has(target.screen)) {
        reached.add(target.screen);
        queue.push(target.screen);
      }
    }
  }
  task.screens.forEach((s, i) => {
    if (!reached.has(s.id) && s.id !== task.start) add('unreachable_screen', ['screens', i], `no path reaches screen "${s.id}"`);
  });
  if (!goal) add('no_goal', ['screens'], 'no path reaches the goal');
  return problems;
}
