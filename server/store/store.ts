import type { Lesson } from '../../shared/lesson/schema.ts';
import type { LessonRecord, LessonSummary, SessionSummary } from '../../shared/protocol/views.ts';
import type { SessionEvent, SessionStarted } from '../engine/events.ts';
import type { MediaUploads } from './media.ts';
import type { RegisterStore } from './register-port.ts';

export interface UserRecord {
  id: string;
  username: string;
  displayName: string;
  passwordHash: string;
  createdAt: number;
}

/** An append refused because this process no longer holds the session's lease with this fence: nothing was written. */
export class LeaseLostError extends Error {
  readonly code = 'lease_lost';
  constructor(sessionId: string) {
    super(`session ${sessionId}: the lease is no longer ours with this fence`);
    this.name = 'LeaseLostError';
  }
}

/** Who owns a live session, and the fencing number its appends carry (it grows at every change of owner). */
export interface Lease {
  owner: string;
  fence: number;
}

/** Session ownership between processes (PostgreSQL only: one SQLite process owns everything). Expiry uses the database clock. */
export interface LeaseStore {
  /** Create the session with its first event and its lease (fence 1) held by `owner`, in one transaction. */
  createSessionLeased(started: SessionStarted, owner: string, ttlMs: number): Promise<number>;
  /** Take the lease if free, expired, or already ours; a change of owner (or an expired lease) increments the fence. Returns the fence, or null when another owner holds an unexpired lease. */
  acquireLease(sessionId: string, owner: string, ttlMs: number): Promise<number | null>;
  /** Extend our lease; false when it is no longer ours with this fence (someone took it). */
  renewLease(sessionId: string, owner: string, fence: number, ttlMs: number): Promise<boolean>;
  /** Let the lease go (it expires now; the next owner's fence is higher). */
  /** Extend many of our leases in one round trip; the ids renewed (the others are no longer ours with that fence). */
  renewLeases(owner: string, held: readonly { sessionId: string; fence: number }[], ttlMs: number): Promise<Set<string>>;
  releaseLease(sessionId: string, owner: string, fence: number): Promise<void>;
  /** The owner of each of these sessions' leases, expired or not (sessions without a lease are missing). */
  ownersOf(sessionIds: readonly string[]): Promise<Map<string, string>>;
  leaseOf(sessionId: string): Promise<(Lease & { expiresAt: number }) | undefined>;
  /** Open sessions whose lease is missing or expired (for takeover). */
  orphanedSessions(): Promise<string[]>;
  /** Lookups a non-owner needs to route a tablet: open session by class code / helper code, and the session of a resume token hash. */
  openSessionByCode(code: string): Promise<string | undefined>;
  openSessionByHelperCode(helperCode: string): Promise<string | undefined>;
  sessionOfToken(tokenHash: string): Promise<string | undefined>;
}

/**
 * The storage port. Async so that a PostgreSQL implementation can fill it in; the SQLite one
 * answers synchronously underneath. Events are durable once `appendEvents` resolves.
 */
export interface Store extends RegisterStore {
  /** Which engine: the console's backup is a SQLite feature (PostgreSQL has pg_dump). */
  readonly kind: 'sqlite' | 'postgres';
  /** Session leases and fencing, where several processes share the store (PostgreSQL). */
  readonly leases?: LeaseStore;
  /** Uploaded pictures kept in the database, so every process serves the same ones; absent: files in DATA_DIR/media. */
  readonly media?: MediaUploads;

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
   * With `lease`, the append first checks that owner and fence still hold the session's lease, else
   * rejects with LeaseLostError and writes nothing (a store without leases ignores it).
   */
  appendEvents(sessionId: string, afterSeq: number, events: readonly SessionEvent[], lease?: Lease): Promise<void>;
  loadEvents(sessionId: string): Promise<SessionEvent[]>;
  listOpenSessionIds(): Promise<string[]>;
  listSessions(): Promise<SessionSummary[]>;
  getSessionSummary(id: string): Promise<SessionSummary | undefined>;

  /** Privacy retention: erase learner names from sessions that ended before `cutoff`; returns how many. */
  eraseLearnerNames(cutoff: number): Promise<number>;

  close(): Promise<void>;
}
