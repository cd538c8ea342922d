import type { TileState } from '../../shared/protocol/views.ts';
import { check, hand, hourglass, pencil, warn, wifiOff } from '../lib/icons/paths.ts';

/** A tile's state comes with the roster (RosterEntry.tile, server/engine/seatmap.ts). */
/** The served icon beside each state's word (never colour alone). */
export const tileIcon: Record<TileState, string> = {
  help: hand,
  offline: wifiOff,
  stuck: warn,
  done: check,
  working: pencil,
  waiting: hourglass,
};
