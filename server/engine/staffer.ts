import type { Actor } from './state.ts';

/** Who is working the room: a helper, or the instructor (null for anyone else). */
export function staffer(actor: Actor): { id: string; name: string } | null {
  if (actor.role === 'helper') return { id: `helper:${actor.helperId}`, name: actor.name };
  if (actor.role === 'instructor') return { id: `instructor:${actor.userId}`, name: actor.name ?? '' };
  return null;
}
