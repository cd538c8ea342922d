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

/** Each namespace's commands: name → [payload schema, ack data]. The one source of the typed maps. */
export const learnerCommands = {
  'learner:join': LearnerJoin,
  'learner:resume': LearnerResume,
  'learner:done': LearnerDone,
  'learner:help': LearnerHelp,
  'learner:navigate': LearnerNavigate,
  'learner:leave': LearnerLeave,
  'quiz:answer': QuizAnswer,
  'task:move': TaskMove,
  'learner:ping': LearnerPing,
  'tablet:seat': TabletSeat,
} as const;
export const staffCommands = {
  'staff:watch': StaffWatch,
  'step:push': StepPush,
  'pacing:set': PacingSet,
  'session:end': SessionEnd,
  'quiz:open': QuizOpen,
  'quiz:close': QuizRunRef,
  'quiz:reveal': QuizRunRef,
  'quiz:show-results': QuizShowResults,
  'quiz:dismiss': QuizRunRef,
  'help:claim': HelpClaim,
  'help:release': HelpClaim,
  'help:resolve': HelpClaim,
  'stuck:dismiss': StuckDismiss,
  'stuck:configure': StuckConfigure,
  'seatmap:set': SeatMapSet,
  'seat:place': SeatPlace,
  'seat:label': SeatLabelSet,
  'learner:remove': LearnerRemove,
  'task:open': TaskOpen,
  'task:close': TaskRunRef,
} as const;
export const displayCommands = {
  'display:watch': DisplayWatch,
} as const;

/** What each command's ack carries on success. */
export interface LearnerAcks {
  'learner:join': LearnerSnapshot;
  'learner:resume': LearnerSnapshot;
  'learner:done': MeView;
  'learner:help': MeView;
  'learner:navigate': MeView;
  'learner:leave': null;
  'quiz:answer': MeView;
  /** The learner's progress after the move (or after the move it repeats). */
  'task:move': MeView;
  'learner:ping': { now: number };
  'tablet:seat': { seat: string };
}
export interface StaffAcks {
  'staff:watch': StaffView;
  'step:push': null;
  'pacing:set': null;
  'session:end': null;
  'quiz:open': { runId: string };
  'quiz:close': null;
  'quiz:reveal': null;
  'quiz:show-results': null;
  'quiz:dismiss': null;
  'help:claim': null;
  'help:release': null;
  'help:resolve': null;
  'stuck:dismiss': null;
  'stuck:configure': null;
  'seatmap:set': null;
  'seat:place': null;
  'seat:label': null;
  'learner:remove': null;
  'task:open': { runId: string };
  'task:close': null;
}
export interface DisplayAcks {
  'display:watch': DisplayView;
}

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
