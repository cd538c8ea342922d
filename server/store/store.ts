import type { Lesson } from '../../shared/lesson/schema.ts';
import type { LessonRecord, LessonSummary, SessionSummary } from '../../shared/protocol/views.ts';
import type { SessionEvent, SessionStarted } from '../engine/events.ts';
import type { RegisterStore } from './register-port.ts';

export interface UserRecord {
  id: string;
  username: string;
  displayName: string;
  passwordHash: string;
  createdAt: number;
}

/**
 * The storage port. Async so that a PostgreSQL implementation can fill it in; the SQLite one
 * answers synchronously underneath. Events are durable once `appendEvents` resolves.
 */
export interface Store extends RegisterStore {
  countUsers(): Promise<number>;
  createUser(user: UserRecord): Promise<void>;
  findUserByUsername(username: string): Promise<UserRecord | undefined>;
  findUserById(id: string): Promise<UserRecord | undefined>;

  createAuthSession(tokenHash: string, userId: string, expiresAt: number): Promise<void>;
  findAuthSession(tokenHash: string, now: number): Promise<{ userId: string } | undefined>;
  deleteAuthSession(tokenHash: string): Promise<void>;

  /**
   * A starter lesson: insert it unless one with its id exists (true when inserted). `position` is its
   * place in the curriculum; an existing starter lesson takes the new position, its text stays.
   */
  seedLesson(lesson: Lesson, now: number, position: number): Promise<boolean>;
  /** Starter lessons first (by position), then the others by title (Vietnamese collation). */
  listLessons(opts?: { archived?: boolean }): Promise<LessonSummary[]>;
  getLesson(id: string): Promise<Lesson | undefined>;
  getLessonRecord(id: string): Promise<LessonRecord | undefined>;
  /** Insert a new lesson; false (nothing changes) when its id is taken. */
  createLesson(lesson: Lesson, now: number): Promise<boolean>;
  /** Replace a lesson's document; false when there is none with its id. Sessions keep their frozen copy. */
  updateLesson(lesson: Lesson, now: number): Promise<boolean>;
  /** Archive or restore; false when there is no such lesson. */
  setLessonArchived(id: string, archived: boolean, now: number): Promise<boolean>;

  /** Create a session with its first event. */
  createSession(started: SessionStarted): Promise<void>;
  /**
   * Append events after `afterSeq`; fails if another writer got there first. Resolves once durable.
   * Calls are applied in call order; an empty append resolves once every earlier append is durable.
   */
  appendEvents(sessionId: string, afterSeq: number, events: readonly SessionEvent[]): Promise<void>;
  loadEvents(sessionId: string): Promise<SessionEvent[]>;
  listOpenSessionIds(): Promise<string[]>;
  listSessions(): Promise<SessionSummary[]>;
  getSessionSummary(id: string): Promise<SessionSummary | undefined>;

  /** Privacy retention: erase learner names from sessions that ended before `cutoff`; returns how many. */
  eraseLearnerNames(cutoff: number): Promise<number>;

  close(): Promise<void>;
}
