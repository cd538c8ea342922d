import type { z } from 'zod';
import {
  DisplayWatch,
  HelpClaim,
  SeatMapSet,
  SeatPlace,
  SeatLabelSet,
  TabletSeat,
  StuckConfigure,
  StuckDismiss,
  LearnerDone,
  LearnerHelp,
  LearnerJoin,
  LearnerLeave,
  LearnerNavigate,
  LearnerPing,
  LearnerRemove,
  LearnerResume,
  PacingSet,
  QuizAnswer,
  QuizOpen,
  QuizRunRef,
  QuizShowResults,
  SessionEnd,
  StaffWatch,
  StepPush,
  TaskMove,
  TaskOpen,
  TaskRunRef,
} from './commands.ts';
import type { Ack } from './errors.ts';
import type { ClassView, DisplayView, LearnerSnapshot, MeView, StaffView } from './views.ts';

export { Namespaces } from './namespaces.ts';

/**
 * Who may send a command: `anyone` on the learner namespace (joining, resuming, labelling a
 * tablet), a `learner` bound to a class, `staff` (an instructor, or a helper of that session),
 * the `instructor` only, or a projector on the `display` namespace.
 */
export type Sender = 'anyone' | 'learner' | 'staff' | 'instructor' | 'display';

/**
 * How the transport answers a command it hands to the room: `me` the learner's own view after it,
 * `none` null, `run` the run the command made (`{ runId }`); `handler` a command the transport
 * answers itself (binding a socket, watching a session, the heartbeat).
 */
export interface RoomReplies {
  me: MeView;
  none: null;
  run: { runId: string };
}
export type Reply = keyof RoomReplies | 'handler';

/** One command: its payload schema, who may send it, how it is answered; `ack` only carries the ack data's type. */
export interface CommandEntry<S extends z.ZodType = z.ZodType, B extends Sender = Sender, R extends Reply = Reply, A = unknown> {
  schema: S;
  by: B;
  reply: R;
  ack: A;
}

/** A command the room decides on: the transport maps its payload to the engine command. */
const room = <S extends z.ZodType, B extends Sender, R extends keyof RoomReplies>(
  schema: S,
  by: B,
  reply: R,
): CommandEntry<S, B, R, RoomReplies[R]> => ({ schema, by, reply, ack: undefined as unknown as RoomReplies[R] });
/** A command the transport answers itself, with ack data `A`. */
const handled =
  <A>() =>
  <S extends z.ZodType, B extends Sender>(schema: S, by: B): CommandEntry<S, B, 'handler', A> => ({
    schema,
    by,
    reply: 'handler',
    ack: undefined as unknown as A,
  });

/**
 * Every command, one entry each, by namespace. The one source of the typed event maps, of the
 * transport's binding (server/transport/sockets.ts) and of the engine's command union.
 */
export const learnerTable = {
  'learner:join': handled<LearnerSnapshot>()(LearnerJoin, 'anyone'),
  'learner:resume': handled<LearnerSnapshot>()(LearnerResume, 'anyone'),
  'learner:done': room(LearnerDone, 'learner', 'me'),
  'learner:help': room(LearnerHelp, 'learner', 'me'),
  'learner:navigate': room(LearnerNavigate, 'learner', 'me'),
  'learner:leave': room(LearnerLeave, 'learner', 'none'),
  'quiz:answer': room(QuizAnswer, 'learner', 'me'),
  /** The learner's progress after the move (or after the move it repeats). */
  'task:move': room(TaskMove, 'learner', 'me'),
  'learner:ping': handled<{ now: number }>()(LearnerPing, 'learner'),
  'tablet:seat': handled<{ seat: string }>()(TabletSeat, 'anyone'),
} as const;
export const staffTable = {
  'staff:watch': handled<StaffView>()(StaffWatch, 'staff'),
  'step:push': room(StepPush, 'instructor', 'none'),
  'pacing:set': room(PacingSet, 'instructor', 'none'),
  'session:end': room(SessionEnd, 'instructor', 'none'),
  'quiz:open': room(QuizOpen, 'instructor', 'run'),
  'quiz:close': room(QuizRunRef, 'instructor', 'none'),
  'quiz:reveal': room(QuizRunRef, 'instructor', 'none'),
  'quiz:show-results': room(QuizShowResults, 'instructor', 'none'),
  'quiz:dismiss': room(QuizRunRef, 'instructor', 'none'),
  'help:claim': room(HelpClaim, 'staff', 'none'),
  'help:release': room(HelpClaim, 'staff', 'none'),
  'help:resolve': room(HelpClaim, 'staff', 'none'),
  'stuck:dismiss': room(StuckDismiss, 'staff', 'none'),
  'stuck:configure': room(StuckConfigure, 'instructor', 'none'),
  'seatmap:set': room(SeatMapSet, 'instructor', 'none'),
  'seat:place': room(SeatPlace, 'instructor', 'none'),
  'seat:label': room(SeatLabelSet, 'staff', 'none'),
  'learner:remove': room(LearnerRemove, 'instructor', 'none'),
  'task:open': room(TaskOpen, 'instructor', 'run'),
  'task:close': room(TaskRunRef, 'instructor', 'none'),
} as const;
export const displayTable = {
  'display:watch': handled<DisplayView>()(DisplayWatch, 'display'),
} as const;

export type CommandTable = Record<string, CommandEntry>;
type SchemasOf<T extends CommandTable> = { [K in keyof T]: T[K]['schema'] };
type AcksOf<T extends CommandTable> = { [K in keyof T]: T[K]['ack'] };
const schemasOf = <T extends CommandTable>(table: T): SchemasOf<T> =>
  Object.fromEntries(Object.entries(table).map(([name, entry]) => [name, entry.schema])) as SchemasOf<T>;

/** Each namespace's commands: name → payload schema (derived from the tables). */
export const learnerCommands = schemasOf(learnerTable);
export const staffCommands = schemasOf(staffTable);
export const displayCommands = schemasOf(displayTable);

/** What each command's ack carries on success. */
export type LearnerAcks = AcksOf<typeof learnerTable>;
export type StaffAcks = AcksOf<typeof staffTable>;
export type DisplayAcks = AcksOf<typeof displayTable>;

/** The commands the room decides on (everything but those the transport answers itself), with their payloads. */
type RoomEntries<T extends CommandTable> = { [K in keyof T as T[K]['reply'] extends 'handler' ? never : K]: z.output<T[K]['schema']> };
export type RoomPayloads = RoomEntries<typeof learnerTable> & RoomEntries<typeof staffTable>;

type CommandMap<S extends Record<string, z.ZodType>, A extends { [K in keyof S]: unknown }> = {
  [K in keyof S & string]: (payload: z.input<S[K]>, ack: (res: Ack<A[K]>) => void) => void;
};

export type LearnerClientEvents = CommandMap<typeof learnerCommands, LearnerAcks>;
export type StaffClientEvents = CommandMap<typeof staffCommands, StaffAcks>;
export type DisplayClientEvents = CommandMap<typeof displayCommands, DisplayAcks>;

export interface LearnerServerEvents {
  /** The class-wide view changed (step pushed, pacing changed). */
  class: (view: ClassView) => void;
  /** This learner's own status changed. */
  me: (view: MeView) => void;
  /** The session ended, or this learner left: go back to the join screen and forget the learner. */
  'session:ended': (info: { reason: 'ended' | 'left' | 'removed' }) => void;
  /** Another tablet resumed this learner: this one forgets the learner and goes back to the join screen. */
  'learner:taken-over': (info: Record<string, never>) => void;
}
export interface StaffServerEvents {
  'staff:view': (view: StaffView) => void;
}
export interface DisplayServerEvents {
  'display:view': (view: DisplayView) => void;
}
