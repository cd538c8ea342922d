import type { RosterEntry } from '../../shared/protocol/views.ts';
import { check, hand, hourglass, pencil, warn, wifiOff } from '../lib/icons/paths.ts';

/** A seat tile's state, most urgent first; "waiting" until the class's first step reaches them. */
export type TileState = 'help' | 'offline' | 'stuck' | 'done' | 'working' | 'waiting';

export function tileState(r: Pick<RosterEntry, 'helpStatus' | 'connected' | 'stuck' | 'done' | 'step'>): TileState {
  if (r.helpStatus) return 'help';
  if (!r.connected) return 'offline';
  if (r.stuck) return 'stuck';
  if (r.step === null) return 'waiting';
  return r.done ? 'done' : 'working';
}

/** The served icon beside each state's word (never colour alone). */
export const tileIcon: Record<TileState, string> = {
  help: hand,
  offline: wifiOff,
  stuck: warn,
  done: check,
  working: pencil,
  waiting: hourglass,
};
