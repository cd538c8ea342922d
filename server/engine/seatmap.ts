import type { EventOf } from './events.ts';
import { none, type CommandOf, type Decision } from './commands.ts';
import type { Actor, SessionState } from './state.ts';
import { assertNever } from './never.ts';

/** The seat map's commands: the instructor sizes the grid and places tiles. */
export type SeatMapCommand = CommandOf<'seatmap:set' | 'seat:place'>;
export type SeatMapEvent = EventOf<'seatmap:changed' | 'seat:placed'>;

export function decideSeatMap(state: SessionState, command: SeatMapCommand, actor: Actor, now: number): Decision {
  if (actor.role !== 'instructor') return { error: 'forbidden' };
  switch (command.type) {
    case 'seatmap:set':
      if (![command.rows, command.cols].every((n) => Number.isInteger(n) && n >= 1 && n <= 20)) {
        return { error: 'bad_request' };
      }
      if (state.seatMap.rows === command.rows && state.seatMap.cols === command.cols) return none;
      return { events: [{ type: 'seatmap:changed', at: now, rows: command.rows, cols: command.cols }] };
    case 'seat:place': {
      const learner = state.learners.get(command.learnerId);
      if (!learner || learner.left) return { error: 'not_found' };
      const inGrid = (n: number, size: number) => Number.isInteger(n) && n >= 0 && n < size;
      if (!inGrid(command.row, state.seatMap.rows) || !inGrid(command.col, state.seatMap.cols)) {
        return { error: 'seat_out_of_grid' };
      }
      const { learnerId, row, col } = command;
      return { events: [{ type: 'seat:placed', at: now, learnerId, row, col }] };
    }
    default:
      return assertNever(command);
  }
}

export function evolveSeatMap(state: SessionState, event: SeatMapEvent): void {
  switch (event.type) {
    case 'seatmap:changed':
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
    default:
      return assertNever(event);
  }
}
