import type { Pacing } from '../protocol/commands.ts';

/**
 * The step a learner is on: the pushed one while the instructor leads; within a self-paced range,
 * their own step (or the pushed one, or the range's first), held inside the range. The engine's
 * rule (server/engine/state.ts); the tablet applies it to its two views, which may arrive out of
 * step (a class push before the learner's own view).
 */
export function effectiveStep(pacing: Pacing, current: number | null, own: number | null | undefined): number | null {
  if (pacing.mode !== 'self') return current;
  return Math.min(pacing.to, Math.max(pacing.from, own ?? current ?? pacing.from));
}
