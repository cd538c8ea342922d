import type { EventOf, SessionEvent } from './events.ts';

type Joined = EventOf<'learner:joined'>;

/**
 * Retention (docs/security.md): the learner of a session's `index`-th join (from 0) is named "#1",
 * "#2"… in the stored events, and the others sharing their tablet "#3.1", "#3.2"; everything else
 * stays. The stores rewrite their stored joins with this.
 */
export function anonymiseJoin<E extends Pick<Joined, 'name' | 'partners'>>(event: E, index: number): E {
  const n = index + 1;
  return {
    ...event,
    name: `#${n}`,
    ...(Array.isArray(event.partners) ? { partners: event.partners.map((_, j) => `#${n}.${j + 1}`) } : {}),
  };
}

/** What some new events change in a session's summary row: the learners they add, and when it ended (null: not). */
export function summaryChange(events: readonly SessionEvent[]): { learnersJoined: number; endedAt: number | null } {
  let learnersJoined = 0;
  let endedAt: number | null = null;
  for (const event of events) {
    if (event.type === 'learner:joined') learnersJoined += 1;
    if (event.type === 'session:ended') endedAt = event.at;
  }
  return { learnersJoined, endedAt };
}
