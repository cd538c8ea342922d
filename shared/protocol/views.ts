import type { Pacing } from './commands.ts';

/** A step as every screen shows it: markdown already rendered (raw HTML disabled) on the server. */
export interface StepView {
  index: number;
  id: string;
  title: string;
  html: string;
  image: { url: string; alt: string } | null;
}

export type SessionStatus = 'open' | 'ended';

/** What every learner of a class sees alike; sent once to the class room, never per learner. */
export interface ClassView {
  /** Session event sequence number this view reflects. */
  seq: number;
  sessionId: string;
  lessonTitle: string;
  stepCount: number;
  /** The step the instructor pushed last; null before the first push. */
  current: number | null;
  pacing: Pacing;
  /** The steps a learner may show now: the current one, or the whole self-paced range. */
  steps: StepView[];
  status: SessionStatus;
}

/** One learner's own status: sent only to that learner's sockets. */
export interface MeView {
  seq: number;
  learnerId: string;
  name: string;
  seat: string;
  /** The step this learner is on (the current step unless self-paced). */
  step: number | null;
  /** Indices of the steps this learner marked done. */
  done: number[];
  help: boolean;
}

export interface LearnerSnapshot {
  class: ClassView;
  me: MeView;
}

export interface RosterEntry {
  id: string;
  name: string;
  seat: string;
  step: number | null;
  /** Done with the step they are on. */
  done: boolean;
  doneCount: number;
  /** Help requested since (ms epoch), or null. */
  helpSince: number | null;
  connected: boolean;
  /** Last connect or disconnect (ms epoch). */
  lastSeen: number;
}

export interface ClassCounts {
  /** Learners in the class (not left). */
  total: number;
  done: number;
  help: number;
  connected: number;
  disconnected: number;
}

/** The instructor's (and helpers') view of one session. */
export interface StaffView {
  seq: number;
  sessionId: string;
  code: string;
  helperCode: string;
  joinUrl: string;
  lessonTitle: string;
  outline: { index: number; id: string; title: string }[];
  current: number | null;
  pacing: Pacing;
  status: SessionStatus;
  startedAt: number;
  endedAt: number | null;
  roster: RosterEntry[];
  counts: ClassCounts;
  /** The current step's content, for the console's preview. */
  step: StepView | null;
}

/** The projector: class code, current step and aggregates only — no personal data. */
export interface DisplayView {
  seq: number;
  code: string;
  joinUrl: string;
  lessonTitle: string;
  status: SessionStatus;
  current: number | null;
  stepCount: number;
  step: StepView | null;
  joined: number;
  done: number;
}

/** Lists and summaries served over HTTP. */
export interface LessonSummary {
  id: string;
  title: string;
  summary: string;
  stepCount: number;
}

export interface SessionSummary {
  id: string;
  code: string;
  lessonId: string;
  lessonTitle: string;
  status: SessionStatus;
  startedAt: number;
  endedAt: number | null;
  learnerCount: number;
}

export interface Me {
  id: string;
  username: string;
  displayName: string;
}

export interface ServerInfo {
  /** Base URLs the tablets can reach (LAN first), e.g. http://192.168.1.10:3000 */
  lanUrls: string[];
  setupNeeded: boolean;
  /** True when this request came from the server machine itself. */
  local: boolean;
}
