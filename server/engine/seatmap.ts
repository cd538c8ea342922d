import type { RosterEntry, StaffView, TileState } from '../../shared/protocol/views.ts';
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

/** A seat tile's state, most urgent first; "waiting" until the class's first step reaches them. */
export function tileState(r: Pick<RosterEntry, 'helpStatus' | 'connected' | 'stuck' | 'done' | 'step'>): TileState {
  if (r.helpStatus) return 'help';
  if (!r.connected) return 'offline';
  if (r.stuck) return 'stuck';
  if (r.step === null) return 'waiting';
  return r.done ? 'done' : 'working';
}

/**
 * The seat map laid out: tiles placed by hand sit where they were put (the first of two on one
 * place keeps it); the others fill the free places in roster order (seat label, then name); who
 * finds no free place overflows.
 */
export function seatLayout(
  roster: readonly Pick<RosterEntry, 'id' | 'place'>[],
  grid: { rows: number; cols: number },
): StaffView['seatLayout'] {
  const cells: (string | null)[] = Array.from({ length: grid.rows * grid.cols }, () => null);
  const rest: string[] = [];
  for (const learner of roster) {
    const p = learner.place;
    const i = p && p.row < grid.rows && p.col < grid.cols ? p.row * grid.cols + p.col : -1;
    if (i >= 0 && !cells[i]) cells[i] = learner.id;
    else rest.push(learner.id);
  }
  let free = 0;
  const overflow: string[] = [];
  for (const id of rest) {
    while (free < cells.length && cells[free]) free++;
    if (free < cells.length) cells[free++] = id;
    else overflow.push(id);
  }
  return { cells, overflow };
}
