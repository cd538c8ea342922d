import type { SessionState } from '../../server/engine/state.ts';

/** A deep, comparable copy of a session state: Maps and Sets serialised in their iteration order. */
export function snapshot(state: SessionState): unknown {
  return JSON.parse(
    JSON.stringify(state, (_key, value: unknown) => {
      if (value instanceof Map) return { map: [...value.entries()] };
      if (value instanceof Set) return { set: [...value] };
      return value;
    }),
  );
}
