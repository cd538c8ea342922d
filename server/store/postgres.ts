import { anonymiseJoin, summaryChange } from '../engine/retention.ts';
import pg from 'pg';
import type { Logger } from 'pino';
import { Lesson } from '../../shared/lesson/schema.ts';
import type { LessonRecord } from '../../shared/protocol/views.ts';
import { lessonSummaries, toSummary, toUser, type SessionRow } from './rows.ts';
import { SessionEvent, type SessionStarted } from '../engine/events.ts';
import type { MediaUploads } from './media.ts';
import { migratePostgres } from './postgres-migrations.ts';
import { inTransaction, pgPool, types } from './postgres-pool.ts';
import { EVIDENCE_CHANNEL, pgRegisterStore } from './postgres-register.ts';
import { LeaseLostError, type Lease, type LeaseStore, type Store } from './store.ts';

const SESSION_COLUMNS = 'id, code, lesson_id, lesson_title, status, started_at, ended_at, learner_count';

type Pending = { sessionId: string; afterSeq: number; item: AppendItem | null; done: (err?: unknown) => void };
/**
 * One append as cunghoc_append_batch takes it (postgres-migrations.ts): session, after-seq, lease
 * owner and fence, events as [type, at, JSON text], learners joined, end time, resume token hashes.
 * Serialized before anything is sent, so an event that cannot be fails its append alone.
 */
type AppendItem = { s: string; a: number; o?: string; f?: number; e: [string, number, string][]; j: number; x?: number; t?: string[] };

const toItem = (sessionId: string, afterSeq: number, events: readonly SessionEvent[], lease?: Lease): AppendItem => {
  const item: AppendItem = { s: sessionId, a: afterSeq, e: [], j: 0 };
  if (lease) {
    item.o = lease.owner;
    item.f = lease.fence;
  }
  for (const event of events) {
    item.e.push([event.type, event.at, JSON.stringify(event)]);
    if (event.type === 'learner:joined') (item.t ??= []).push(event.tokenHash);
  }
  // The summary row's rule is the engine's, as in the SQLite store.
  const { learnersJoined, endedAt } = summaryChange(events);
  item.j = learnersJoined;
  if (endedAt !== null) item.x = endedAt;
  return item;
};

/**
 * A batch's appends with each run of one session's consecutive appends (each after the one before,
 * under the same lease) made one item: one lease check, one row update and one savepoint for a
 * class's burst of answers instead of one each. The run shares its result: had one of them failed,
 * the ones after it would have been refused as stale anyway.
 */
function chained(work: readonly Pending[]): { item: AppendItem; members: Pending[] }[] {
  const groups: { item: AppendItem; members: Pending[] }[] = [];
  for (const p of work) {
    const it = p.item!;
    const last = groups.at(-1);
    const prev = last?.item;
    if (last && prev && prev.s === it.s && prev.o === it.o && prev.f === it.f && prev.x === undefined && it.a === prev.a + prev.e.length) {
      prev.e.push(...it.e);
      prev.j += it.j;
      if (it.t) (prev.t ??= []).push(...it.t);
      if (it.x !== undefined) prev.x = it.x;
      last.members.push(p);
    } else {
      // A copy: the pending item stays as it was.
      groups.push({ item: { ...it, e: [...it.e], ...(it.t ? { t: [...it.t] } : {}) }, members: [p] });
    }
  }
  return groups;
}

export interface PostgresStoreOptions {
  log?: Logger;
  /** Connections in this process's pool (default 10). */
  poolSize?: number;
}

/**
 * The store in PostgreSQL, for several processes on one database: the same semantics as the SQLite
 * store (server/store/sqlite.ts), plus session leases with fencing. Appends go through one writer
 * queue per process with group commit: the appends waiting while a commit is in flight share the
 * next transaction, each in its own savepoint.
 */
export async function openPostgresStore(
  connectionString: string,
  opts: PostgresStoreOptions = {},
): Promise<Store & { leases: LeaseStore; media: MediaUploads; pool: pg.Pool }> {
  const pool = pgPool(connectionString, { max: opts.poolSize, log: opts.log });
  try {
    await migratePostgres(pool);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  const q = async <R extends pg.QueryResultRow = Record<string, never>>(text: string, values: unknown[] = []) =>
    (await pool.query<R>(text, values)).rows;
  const one = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => (await q<R>(text, values))[0] as R | undefined;
  const changed = async (text: string, values: unknown[] = []) => (await pool.query(text, values)).rowCount ?? 0;
  // Leases keep their own two connections: a renewal must never queue behind a burst of appends or
  // register queries on a busy festival day, or the lease runs out while its owner is healthy.
  const leasePool = pgPool(connectionString, { max: 2, log: opts.log });
  const leaseQ = async <R extends pg.QueryResultRow = Record<string, never>>(text: string, values: unknown[] = []) =>
    (await leasePool.query<R>(text, values)).rows;
  const leaseChanged = async (text: string, values: unknown[] = []) => (await leasePool.query(text, values)).rowCount ?? 0;

  const insertSession = async (client: pg.PoolClient, started: SessionStarted) => {
    await client.query(
      `INSERT INTO sessions (id, code, helper_code, lesson_id, lesson_title, instructor_id, status, started_at, last_seq)
       VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, 1)`,
      [started.sessionId, started.code, started.helperCode, started.lesson.id, started.lesson.title, started.instructorId, started.at],
    );
    await client.query('INSERT INTO session_events (session_id, seq, type, at, data) VALUES ($1, 1, $2, $3, $4)', [
      started.sessionId,
      started.type,
      started.at,
      JSON.stringify(started),
    ]);
  };

  // Group commit: one batch in flight at a time; what arrives meanwhile waits for the next one.
  // Call order is kept within a session; across sessions the batch goes in session order, so two
  // processes' batches take row locks in the same order and never deadlock.
  let pending: Pending[] = [];
  let flushing: Promise<void> | null = null;
  const flushBatch = async (batch: Pending[]): Promise<void> => {
    const work = batch
      .map((p, i) => ({ p, i }))
      .filter(({ p }) => p.item !== null && p.item.e.length > 0)
      .sort((x, y) => (x.p.sessionId < y.p.sessionId ? -1 : x.p.sessionId > y.p.sessionId ? 1 : x.i - y.i))
      .map(({ p }) => p);
    const failures = new Map<Pending, unknown>();
    if (work.length > 0) {
      const groups = chained(work);
      let results: string[];
      try {
        // One statement, one transaction, one round trip: durable when it answers.
        const res = await pool.query<{ r: string[] }>('SELECT cunghoc_append_batch($1::jsonb) AS r', [
          JSON.stringify(groups.map((g) => g.item)),
        ]);
        results = res.rows[0].r;
      } catch (err) {
        for (const p of batch) p.done(err);
        return;
      }
      groups.forEach(({ members }, i) => {
        const r = results[i];
        if (r === 'ok') return;
        for (const p of members) {
          if (r === 'lease_lost') failures.set(p, new LeaseLostError(p.sessionId));
          else if (r === 'stale') failures.set(p, new Error(`session ${p.sessionId} is not at seq ${p.afterSeq}: another writer?`));
          else failures.set(p, new Error(`session ${p.sessionId}: the append was refused (${r?.replace(/^error:/, '') ?? 'no answer'})`));
        }
      });
    }
    for (const p of batch) p.done(failures.get(p));
  };
  const startFlush = () => {
    if (flushing || pending.length === 0) return;
    const batch = pending;
    pending = [];
    flushing = flushBatch(batch).finally(() => {
      flushing = null;
      startFlush();
    });
  };

  const lessonRecord = async (id: string): Promise<LessonRecord | undefined> => {
    const row = await one<{ doc: string; archived: boolean; updated_at: number }>(
      'SELECT doc, archived, updated_at FROM lessons WHERE id = $1',
      [id],
    );
    return row && { lesson: Lesson.parse(JSON.parse(row.doc)), archived: row.archived, updatedAt: row.updated_at };
  };

  const { register, changed: evidenceChanged } = pgRegisterStore(pool);
  const listener = listen(connectionString, EVIDENCE_CHANNEL, evidenceChanged, opts.log);
  const ttl = (ms: number) => Math.max(1, Math.round(ms));

  const leases: LeaseStore = {
    createSessionLeased: (started, owner, ttlMs) =>
      inTransaction(pool, async (client) => {
        await insertSession(client, started);
        await client.query(
          `INSERT INTO session_leases (session_id, owner, fence, expires_at) VALUES ($1, $2, 1, now() + $3 * interval '1 millisecond')`,
          [started.sessionId, owner, ttl(ttlMs)],
        );
        return 1;
      }),
    acquireLease: async (sessionId, owner, ttlMs) => {
      const [row] = await leaseQ<{ fence: number }>(
        `INSERT INTO session_leases AS l (session_id, owner, fence, expires_at)
         SELECT id, $2, 1, now() + $3 * interval '1 millisecond' FROM sessions WHERE id = $1
         ON CONFLICT (session_id) DO UPDATE SET
           fence = CASE WHEN l.owner = excluded.owner AND l.expires_at > now() THEN l.fence ELSE l.fence + 1 END,
           owner = excluded.owner, expires_at = excluded.expires_at
         WHERE l.owner = excluded.owner OR l.expires_at <= now()
         RETURNING fence`,
        [sessionId, owner, ttl(ttlMs)],
      );
      return row ? row.fence : null;
    },
    renewLease: async (sessionId, owner, fence, ttlMs) =>
      (await leaseChanged(
        `UPDATE session_leases SET expires_at = now() + $4 * interval '1 millisecond' WHERE session_id = $1 AND owner = $2 AND fence = $3`,
        [sessionId, owner, fence, ttl(ttlMs)],
      )) === 1,
    renewLeases: async (owner, held, ttlMs) => {
      if (held.length === 0) return new Set();
      const rows = await leaseQ<{ session_id: string }>(
        `UPDATE session_leases l SET expires_at = now() + $2 * interval '1 millisecond'
         FROM unnest($3::text[], $4::bigint[]) AS t(session_id, fence)
         WHERE l.session_id = t.session_id AND l.owner = $1 AND l.fence = t.fence
         RETURNING l.session_id`,
        [owner, ttl(ttlMs), held.map((h) => h.sessionId), held.map((h) => h.fence)],
      );
      return new Set(rows.map((r) => r.session_id));
    },
    ownersOf: async (sessionIds) =>
      new Map(
        (
          await leaseQ<{ session_id: string; owner: string }>(
            'SELECT session_id, owner FROM session_leases WHERE session_id = ANY($1::text[])',
            [[...sessionIds]],
          )
        ).map((r) => [r.session_id, r.owner]),
      ),
    releaseLease: async (sessionId, owner, fence) => {
      // Expired, not deleted: the fence must keep growing, so the next owner's is higher.
      await leaseChanged('UPDATE session_leases SET expires_at = now() WHERE session_id = $1 AND owner = $2 AND fence = $3', [
        sessionId,
        owner,
        fence,
      ]);
    },
    leaseOf: async (sessionId) => {
      const [row] = await leaseQ<{ owner: string; fence: number; expires_ms: number }>(
        'SELECT owner, fence, (extract(epoch FROM expires_at) * 1000)::float8 AS expires_ms FROM session_leases WHERE session_id = $1',
        [sessionId],
      );
      return row && { owner: row.owner, fence: row.fence, expiresAt: Math.round(row.expires_ms) };
    },
    orphanedSessions: async () =>
      (
        await q<{ id: string }>(
          `SELECT s.id FROM sessions s LEFT JOIN session_leases l ON l.session_id = s.id
           WHERE s.status = 'open' AND (l.session_id IS NULL OR l.expires_at <= now()) ORDER BY s.started_at, s.id`,
        )
      ).map((r) => r.id),
    openSessionByCode: async (code) =>
      (await one<{ id: string }>("SELECT id FROM sessions WHERE code = $1 AND status = 'open' ORDER BY started_at DESC LIMIT 1", [code]))
        ?.id,
    openSessionByHelperCode: async (helperCode) =>
      (
        await one<{ id: string }>("SELECT id FROM sessions WHERE helper_code = $1 AND status = 'open' ORDER BY started_at DESC LIMIT 1", [
          helperCode,
        ])
      )?.id,
    sessionOfToken: async (tokenHash) =>
      (await one<{ session_id: string }>('SELECT session_id FROM session_tokens WHERE token_hash = $1', [tokenHash]))?.session_id,
  };

  const media: MediaUploads = {
    put: async (name, bytes) => {
      await changed('INSERT INTO media (name, bytes, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [
        name,
        bytes,
        Date.now(),
      ]);
    },
    has: async (name) => (await one('SELECT 1 FROM media WHERE name = $1', [name])) !== undefined,
    get: async (name) => (await one<{ bytes: Buffer }>('SELECT bytes FROM media WHERE name = $1', [name]))?.bytes,
    names: async () => (await q<{ name: string }>('SELECT name FROM media ORDER BY name COLLATE "C"')).map((r) => r.name),
  };

  let closed = false;
  return {
    ...register,
    kind: 'postgres',
    pool,
    leases,
    media,
    eraseLearnerNames: (cutoff) =>
      inTransaction(pool, async (client) => {
        // Retention: learner names become "#1", "#2"… in the stored events; everything else stays.
        const ids = (
          await client.query<{ id: string }>(
            "SELECT id FROM sessions WHERE status = 'ended' AND ended_at < $1 AND NOT names_erased ORDER BY id FOR UPDATE",
            [cutoff],
          )
        ).rows.map((r) => r.id);
        for (const id of ids) {
          const joins = await client.query<{ seq: number; data: string }>(
            "SELECT seq, data FROM session_events WHERE session_id = $1 AND type = 'learner:joined' ORDER BY seq",
            [id],
          );
          const seqs: number[] = [];
          const data: string[] = [];
          joins.rows.forEach(({ seq, data: text }, i) => {
            const event = anonymiseJoin(JSON.parse(text) as { name: string; partners?: string[] }, i);
            seqs.push(seq);
            data.push(JSON.stringify(event));
          });
          if (seqs.length > 0) {
            await client.query(
              'UPDATE session_events e SET data = u.d FROM unnest($2::int[], $3::text[]) AS u(s, d) WHERE e.session_id = $1 AND e.seq = u.s',
              [id, seqs, data],
            );
          }
          await client.query('UPDATE sessions SET names_erased = true WHERE id = $1', [id]);
        }
        return ids.length;
      }),
    countUsers: async () => (await one<{ n: number }>('SELECT count(*) AS n FROM users'))!.n,
    createUser: async (u) => {
      await changed('INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)', [
        u.id,
        u.username,
        u.displayName,
        u.passwordHash,
        u.createdAt,
      ]);
    },
    findUserByUsername: async (username) => toUser(await one('SELECT * FROM users WHERE lower(username) = lower($1)', [username])),
    findUserById: async (id) => toUser(await one('SELECT * FROM users WHERE id = $1', [id])),
    createAuthSession: async (tokenHash, userId, expiresAt) => {
      await changed('INSERT INTO auth_sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)', [tokenHash, userId, expiresAt]);
    },
    findAuthSession: async (tokenHash, now) => {
      const row = await one<{ user_id: string }>('SELECT user_id FROM auth_sessions WHERE token_hash = $1 AND expires_at > $2', [
        tokenHash,
        now,
      ]);
      return row && { userId: row.user_id };
    },
    deleteAuthSession: async (tokenHash) => {
      await changed('DELETE FROM auth_sessions WHERE token_hash = $1', [tokenHash]);
    },
    seedLesson: async (lesson, now, position) => {
      const inserted = await changed(
        'INSERT INTO lessons (id, title, doc, created_at, updated_at, position) VALUES ($1, $2, $3, $4, $4, $5) ON CONFLICT (id) DO NOTHING',
        [lesson.id, lesson.title, JSON.stringify(lesson), now, position],
      );
      if (inserted === 1) return true;
      await changed('UPDATE lessons SET position = $1 WHERE id = $2 AND position IS NOT NULL', [position, lesson.id]);
      return false;
    },
    listLessons: async (opts = {}) => {
      const rows = await q<{ doc: string; archived: boolean; updated_at: number; position: number | null }>(
        'SELECT doc, archived, updated_at, position FROM lessons WHERE archived <= $1 ORDER BY position IS NULL, position',
        [opts.archived === true],
      );
      return lessonSummaries(rows);
    },
    getLesson: async (id) => (await lessonRecord(id))?.lesson,
    getLessonRecord: lessonRecord,
    createLesson: async (lesson, now) =>
      (await changed(
        'INSERT INTO lessons (id, title, doc, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) ON CONFLICT (id) DO NOTHING',
        [lesson.id, lesson.title, JSON.stringify(lesson), now],
      )) === 1,
    updateLesson: async (lesson, now) =>
      (await changed('UPDATE lessons SET title = $1, doc = $2, updated_at = $3 WHERE id = $4', [
        lesson.title,
        JSON.stringify(lesson),
        now,
        lesson.id,
      ])) === 1,
    setLessonArchived: async (id, archived, now) =>
      (await changed('UPDATE lessons SET archived = $1, updated_at = $2 WHERE id = $3', [archived, now, id])) === 1,
    createSession: async (started) => {
      await inTransaction(pool, (client) => insertSession(client, started));
    },
    appendEvents: (sessionId, afterSeq, events, lease) =>
      new Promise<void>((resolve, reject) => {
        if (closed) return reject(new Error('the store is closed'));
        let item: AppendItem;
        try {
          item = toItem(sessionId, afterSeq, events, lease);
        } catch (err) {
          // An event that cannot be serialized fails its own append alone, in call order with the others.
          pending.push({
            sessionId,
            afterSeq,
            item: null,
            done: () => reject(err instanceof Error ? err : new Error('event not serializable', { cause: err })),
          });
          queueMicrotask(startFlush);
          return;
        }
        pending.push({
          sessionId,
          afterSeq,
          item,
          done: (err) => (err === undefined ? resolve() : reject(err instanceof Error ? err : new Error('append failed', { cause: err }))),
        });
        queueMicrotask(startFlush);
      }),
    loadEvents: async (sessionId) =>
      (await q<{ data: string }>('SELECT data FROM session_events WHERE session_id = $1 ORDER BY seq', [sessionId])).map(({ data }) =>
        SessionEvent.parse(JSON.parse(data)),
      ),
    listOpenSessionIds: async () =>
      (await q<{ id: string }>("SELECT id FROM sessions WHERE status = 'open' ORDER BY started_at, id")).map((r) => r.id),
    listSessions: async () =>
      (await q<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM sessions ORDER BY started_at DESC LIMIT 500`)).map(toSummary),
    getSessionSummary: async (id) => {
      const row = await one<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = $1`, [id]);
      return row && toSummary(row);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      while (flushing || pending.length > 0) {
        startFlush();
        await flushing;
      }
      await listener.close();
      await Promise.all([pool.end(), leasePool.end()]);
    },
  };
}

/**
 * LISTEN on a channel with a connection of its own: `heard` on every notification, and also when
 * the connection breaks (notifications may have been missed meanwhile); it reconnects, 1 to 10 s apart.
 */
function listen(connectionString: string, channel: string, heard: () => void, log?: Logger): { close(): Promise<void> } {
  let client: pg.Client | null = null;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let delay = 1_000;
  const connect = async () => {
    const c = new pg.Client({
      connectionString,
      types,
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
      application_name: 'cunghoc-listen',
    });
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (client === c) client = null;
      c.removeAllListeners('notification');
      heard();
      void c.end().catch(() => undefined);
      if (!closed) {
        if (err) log?.warn({ err }, 'postgres: notification connection lost; reconnecting');
        timer = setTimeout(() => void connect(), delay);
        timer.unref();
        delay = Math.min(delay * 2, 10_000);
      }
    };
    c.on('error', onLost);
    c.on('end', () => onLost());
    c.on('notification', (n) => n.channel === channel && heard());
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
      if (closed) return void (await c.end().catch(() => undefined));
      client = c;
      delay = 1_000;
      // Reconnected: what was written while we were away is not announced again.
      heard();
    } catch (err) {
      onLost(err as Error);
    }
  };
  void connect();
  return {
    close: async () => {
      closed = true;
      clearTimeout(timer);
      const c = client;
      client = null;
      await c?.end().catch(() => undefined);
    },
  };
}
