import type { RoomPayloads } from '../../shared/protocol/events.ts';
import type { ErrorCode } from '../../shared/protocol/errors.ts';
import type { SessionEvent } from './events.ts';

/**
 * Fields the server sets on a command before the engine sees it. The client-made ids are filled in
 * only when an older client leaves them out; the shuffle seed is always the server's own secret.
 */
export interface ServerFields {
  'quiz:open': {
    runId: string;
    /** A random secret of the server's that orders ordering items, so the order cannot be worked out from the run id (defaults to it). */
    shuffleSeed?: string;
  };
  'task:open': { runId: string };
  'learner:help': { requestId: string };
}

type Added<K> = K extends keyof ServerFields ? ServerFields[K] : unknown;
type AddedKeys<K> = K extends keyof ServerFields ? keyof ServerFields[K] : never;

/** A command of the protocol table as the engine takes it: its payload without the session id, plus the server's fields. */
type FromTable<K extends keyof RoomPayloads> = { type: K } & Fields<RoomPayloads[K], 'sessionId' | AddedKeys<K>> & Added<K>;
/** A payload's fields but `drop` (an empty payload, typed as a record of nothing, has none). */
type Fields<P, drop extends PropertyKey> = string extends keyof P ? unknown : Omit<P, drop>;

/** A join as the engine decides it: the transport has looked up the class code and cards and hashed the token. */
export interface JoinCommand {
  type: 'learner:join';
  /** Made by the server (or the learner's existing id, for a retried join). */
  learnerId: string;
  name: string;
  partners?: string[];
  seat: string;
  tokenHash: string;
  /** How many learners (not counting those who left) the class takes; none when absent. */
  capacity?: number;
}

/** Commands the engine decides on, after the transport parsed and authenticated them (shared/protocol/events.ts). */
export type Command = JoinCommand | { [K in keyof RoomPayloads]: FromTable<K> }[keyof RoomPayloads];
export type CommandOf<T extends Command['type']> = Extract<Command, { type: T }>;

/** A decision: the events to append (possibly none: an idempotent repeat), or a domain error. */
export type Decision = { events: SessionEvent[] } | { error: ErrorCode };

/** The decision of a repeat: nothing new happens. */
export const none: Decision = { events: [] };
