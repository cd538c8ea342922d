import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Lesson } from '../../shared/lesson/schema.ts';
import type { LessonRecord } from '../../shared/protocol/views.ts';
import { lessonSummaries, toSummary, toUser, type LessonRow, type SessionRow } from './rows.ts';
import { SessionEvent, type SessionStarted } from '../engine/events.ts';
import { anonymiseJoin, summaryChange } from '../engine/retention.ts';
import type { Store } from './store.ts';
import { registerMigration, registerStore } from './register-sqlite.ts';

/** Schema migrations, applied in order; PRAGMA user_version records how many ran. */
const migrations: string[] = [
  `
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE auth_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    expires_at INTEGER NOT NULL
  );
  CREATE TABLE lessons (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    doc TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    lesson_id TEXT NOT NULL,
    lesson_title TEXT NOT NULL,
    instructor_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'ended')),
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    learner_count INTEGER NOT NULL DEFAULT 0,
    last_seq INTEGER NOT NULL
  );
  CREATE INDEX sessions_status ON sessions(status);
  CREATE TABLE session_events (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    at INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
  ) WITHOUT ROWID;
  `,
  `
  ALTER TABLE sessions ADD COLUMN names_erased INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX session_events_type ON session_events(type);
  `,
  // Curriculum order of the starter lessons (their file order); NULL for lessons made here. Before
  // the editor every stored lesson was a starter lesson: seeding gives them their real position.
  `
  ALTER TABLE lessons ADD COLUMN position INTEGER;
  UPDATE lessons SET position = 0;
  `,
  // The register of learners (docs/register.md): people, every change to them, links from session
  // learners, the standard's settings, and a cache of skill evidence derived from ended sessions.
  registerMigration,
];

/** The embedded default store: one SQLite file in the data folder, WAL, fsync on every commit. */
export function openSqliteStore(dataDir: string): Store {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'cunghoc.sqlite'));
  db.pragma('journal_mode = WAL');
  // FULL: a commit survives a power cut, so an acknowledged action is never lost.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);

  const q = {
    countUsers: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM users'),
    insertUser: db.prepare('INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)'),
    userByName: db.prepare<[string], Record<string, never>>('SELECT * FROM users WHERE username = ?'),
    userById: db.prepare<[string], Record<string, never>>('SELECT * FROM users WHERE id = ?'),
    insertAuth: db.prepare('INSERT INTO auth_sessions (token_hash, user_id, expires_at) VALUES (?, ?, ?)'),
    findAuth: db.prepare<[string, number], { user_id: string }>(
      'SELECT user_id FROM auth_sessions WHERE token_hash = ? AND expires_at > ?',
    ),
    deleteAuth: db.prepare('DELETE FROM auth_sessions WHERE token_hash = ?'),
    seedLesson: db.prepare('INSERT OR IGNORE INTO lessons (id, title, doc, created_at, updated_at, position) VALUES (?, ?, ?, ?, ?, ?)'),
    reposition: db.prepare('UPDATE lessons SET position = ? WHERE id = ? AND position IS NOT NULL'),
    insertLesson: db.prepare('INSERT OR IGNORE INTO lessons (id, title, doc, created_at, updated_at) VALUES (?, ?, ?, ?, ?)'),
    updateLesson: db.prepare('UPDATE lessons SET title = ?, doc = ?, updated_at = ? WHERE id = ?'),
    archiveLesson: db.prepare('UPDATE lessons SET archived = ?, updated_at = ? WHERE id = ?'),
    listLessons: db.prepare<[number], LessonRow>(
      'SELECT doc, archived, updated_at, position FROM lessons WHERE archived <= ? ORDER BY position IS NULL, position',
    ),
    getLesson: db.prepare<[string], LessonRow>('SELECT doc, archived, updated_at, position FROM lessons WHERE id = ?'),
    insertSession: db.prepare(
      `INSERT INTO sessions (id, code, lesson_id, lesson_title, instructor_id, status, started_at, last_seq)
       VALUES (?, ?, ?, ?, ?, 'open', ?, 1)`,
    ),
    insertEvent: db.prepare('INSERT INTO session_events (session_id, seq, type, at, data) VALUES (?, ?, ?, ?, ?)'),
    advanceSession: db.prepare('UPDATE sessions SET last_seq = ?, learner_count = learner_count + ? WHERE id = ? AND last_seq = ?'),
    endSession: db.prepare("UPDATE sessions SET status = 'ended', ended_at = ? WHERE id = ?"),
    loadEvents: db.prepare<[string], { data: string }>('SELECT data FROM session_events WHERE session_id = ? ORDER BY seq'),
    openSessions: db.prepare<[], { id: string }>("SELECT id FROM sessions WHERE status = 'open' ORDER BY started_at"),
    listSessions: db.prepare<[], SessionRow>('SELECT * FROM sessions ORDER BY started_at DESC LIMIT 500'),
    getSession: db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?'),
    toErase: db.prepare<[number], { id: string }>("SELECT id FROM sessions WHERE status = 'ended' AND ended_at < ? AND names_erased = 0"),
    joinEvents: db.prepare<[string], { seq: number; data: string }>(
      "SELECT seq, data FROM session_events WHERE session_id = ? AND type = 'learner:joined' ORDER BY seq",
    ),
    rewriteEvent: db.prepare('UPDATE session_events SET data = ? WHERE session_id = ? AND seq = ?'),
    markErased: db.prepare('UPDATE sessions SET names_erased = 1 WHERE id = ?'),
  };

  const createSession = db.transaction((started: SessionStarted) => {
    q.insertSession.run(started.sessionId, started.code, started.lesson.id, started.lesson.title, started.instructorId, started.at);
    q.insertEvent.run(started.sessionId, 1, started.type, started.at, JSON.stringify(started));
  });

  const appendOne = db.transaction((sessionId: string, afterSeq: number, events: readonly SessionEvent[]) => {
    let seq = afterSeq;
    for (const event of events) {
      seq += 1;
      q.insertEvent.run(sessionId, seq, event.type, event.at, JSON.stringify(event));
    }
    const summary = summaryChange(events);
    if (summary.endedAt !== null) q.endSession.run(summary.endedAt, sessionId);
    const { changes } = q.advanceSession.run(seq, summary.learnersJoined, sessionId, afterSeq);
    if (changes !== 1) throw new Error(`session ${sessionId} is not at seq ${afterSeq}: another writer?`);
  });

  // Group commit: every append made in one turn of the event loop shares one transaction and one
  // fsync. Each append is its own savepoint, so one bad append fails alone.
  type Pending = { sessionId: string; afterSeq: number; events: readonly SessionEvent[]; done: (err?: unknown) => void };
  let pending: Pending[] = [];
  const flush = db.transaction((batch: Pending[]) => {
    const failures = new Map<Pending, unknown>();
    for (const item of batch) {
      if (item.events.length === 0) continue;
      try {
        appendOne(item.sessionId, item.afterSeq, item.events);
      } catch (err) {
        failures.set(item, err);
      }
    }
    return failures;
  });
  const flushPending = () => {
    const batch = pending;
    pending = [];
    let failures: Map<Pending, unknown>;
    try {
      failures = flush(batch);
    } catch (err) {
      for (const item of batch) item.done(err);
      return;
    }
    for (const item of batch) item.done(failures.get(item));
  };

  // Retention: learner names become "#1", "#2"… in the stored events (the engine's rule); everything else stays.
  const eraseNames = db.transaction((cutoff: number) => {
    const ids = q.toErase.all(cutoff).map((r) => r.id);
    for (const id of ids) {
      q.joinEvents.all(id).forEach(({ seq, data }, i) => {
        const event = anonymiseJoin(JSON.parse(data) as { name: string; partners?: string[] }, i);
        q.rewriteEvent.run(JSON.stringify(event), id, seq);
      });
      q.markErased.run(id);
    }
    return ids.length;
  });

  const lessonRecord = (id: string): LessonRecord | undefined => {
    const row = q.getLesson.get(id);
    return row && { lesson: Lesson.parse(JSON.parse(row.doc)), archived: row.archived === 1, updatedAt: row.updated_at };
  };

  return {
    ...registerStore(db),
    kind: 'sqlite',
    eraseLearnerNames: async (cutoff) => eraseNames(cutoff),
    countUsers: async () => q.countUsers.get()!.n,
    createUser: async (u) => {
      q.insertUser.run(u.id, u.username, u.displayName, u.passwordHash, u.createdAt);
    },
    findUserByUsername: async (username) => toUser(q.userByName.get(username)),
    findUserById: async (id) => toUser(q.userById.get(id)),
    createAuthSession: async (tokenHash, userId, expiresAt) => {
      q.insertAuth.run(tokenHash, userId, expiresAt);
    },
    findAuthSession: async (tokenHash, now) => {
      const row = q.findAuth.get(tokenHash, now);
      return row && { userId: row.user_id };
    },
    deleteAuthSession: async (tokenHash) => {
      q.deleteAuth.run(tokenHash);
    },
    seedLesson: async (lesson, now, position) => {
      if (q.seedLesson.run(lesson.id, lesson.title, JSON.stringify(lesson), now, now, position).changes === 1) return true;
      q.reposition.run(position, lesson.id);
      return false;
    },
    listLessons: async (opts = {}) => {
      const rows = q.listLessons.all(opts.archived ? 1 : 0);
      return lessonSummaries(rows);
    },
    getLesson: async (id) => lessonRecord(id)?.lesson,
    getLessonRecord: async (id) => lessonRecord(id),
    createLesson: async (lesson, now) => q.insertLesson.run(lesson.id, lesson.title, JSON.stringify(lesson), now, now).changes === 1,
    updateLesson: async (lesson, now) => q.updateLesson.run(lesson.title, JSON.stringify(lesson), now, lesson.id).changes === 1,
    setLessonArchived: async (id, archived, now) => q.archiveLesson.run(archived ? 1 : 0, now, id).changes === 1,
    createSession: async (started) => {
      createSession(started);
    },
    appendEvents: (sessionId, afterSeq, events) =>
      new Promise<void>((resolve, reject) => {
        if (pending.length === 0) setImmediate(flushPending);
        pending.push({
          sessionId,
          afterSeq,
          events,
          done: (err) => (err === undefined ? resolve() : reject(err instanceof Error ? err : new Error('append failed', { cause: err }))),
        });
      }),
    loadEvents: async (sessionId) => q.loadEvents.all(sessionId).map(({ data }) => SessionEvent.parse(JSON.parse(data))),
    listOpenSessionIds: async () => q.openSessions.all().map((r) => r.id),
    listSessions: async () => q.listSessions.all().map(toSummary),
    getSessionSummary: async (id) => {
      const row = q.getSession.get(id);
      return row && toSummary(row);
    },
    close: async () => {
      if (pending.length > 0) flushPending();
      if (db.open) db.close();
    },
  };
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
