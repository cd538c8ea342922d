import type pg from 'pg';
import { checkout } from './postgres-pool.ts';

/**
 * PostgreSQL schema migrations, applied in order at start, each in its own transaction, recorded in
 * `schema_migrations`. The same tables as the SQLite store (times are ms since epoch in BIGINT, event
 * data is the JSON text as stored there), plus what several processes need: session leases with
 * their fencing number, resume tokens by hash, uploaded pictures. Keys that are ordered or compared
 * by range are COLLATE "C": the same byte order as SQLite, whatever the database's collation.
 */
export const pgMigrations: { name: string; sql: string }[] = [
  {
    name: 'initial',
    sql: `
    CREATE TABLE users (
      id TEXT PRIMARY KEY,
      username TEXT NOT NULL,
      display_name TEXT NOT NULL,
      password_hash TEXT NOT NULL,
      created_at BIGINT NOT NULL
    );
    CREATE UNIQUE INDEX users_username ON users (lower(username));
    CREATE TABLE auth_sessions (
      token_hash TEXT PRIMARY KEY,
      user_id TEXT NOT NULL REFERENCES users(id),
      expires_at BIGINT NOT NULL
    );
    CREATE TABLE lessons (
      id TEXT PRIMARY KEY,
      title TEXT NOT NULL,
      doc TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL,
      archived BOOLEAN NOT NULL DEFAULT false,
      position INTEGER
    );
    CREATE TABLE sessions (
      id TEXT PRIMARY KEY,
      code TEXT NOT NULL,
      helper_code TEXT NOT NULL DEFAULT '',
      lesson_id TEXT NOT NULL,
      lesson_title TEXT NOT NULL,
      instructor_id TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('open', 'ended')),
      started_at BIGINT NOT NULL,
      ended_at BIGINT,
      learner_count INTEGER NOT NULL DEFAULT 0,
      last_seq INTEGER NOT NULL,
      names_erased BOOLEAN NOT NULL DEFAULT false
    );
    CREATE INDEX sessions_status ON sessions (status, started_at);
    CREATE INDEX sessions_open_code ON sessions (code) WHERE status = 'open';
    CREATE INDEX sessions_open_helper ON sessions (helper_code) WHERE status = 'open';
    CREATE TABLE session_events (
      session_id TEXT NOT NULL REFERENCES sessions(id),
      seq INTEGER NOT NULL,
      type TEXT NOT NULL,
      at BIGINT NOT NULL,
      data TEXT NOT NULL,
      PRIMARY KEY (session_id, seq)
    );
    CREATE INDEX session_events_joined ON session_events (session_id) WHERE type = 'learner:joined';
    CREATE TABLE session_leases (
      session_id TEXT PRIMARY KEY REFERENCES sessions(id),
      owner TEXT NOT NULL,
      fence BIGINT NOT NULL,
      expires_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE session_tokens (
      token_hash TEXT PRIMARY KEY,
      session_id TEXT NOT NULL REFERENCES sessions(id)
    );

    CREATE TABLE people (
      id TEXT PRIMARY KEY,
      card TEXT COLLATE "C" UNIQUE,
      name TEXT,
      name_key TEXT COLLATE "C" NOT NULL DEFAULT '',
      given_key TEXT COLLATE "C" NOT NULL DEFAULT '',
      birth_year INTEGER,
      hamlet TEXT NOT NULL,
      grp TEXT NOT NULL,
      phone TEXT,
      consent_date TEXT,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL,
      erased_at BIGINT
    );
    CREATE INDEX people_hamlet ON people (hamlet);
    CREATE INDEX people_order ON people (given_key, name_key, id);
    CREATE TABLE person_audit (
      id BIGSERIAL PRIMARY KEY,
      person_id TEXT NOT NULL REFERENCES people(id),
      at BIGINT NOT NULL,
      user_id TEXT NOT NULL,
      action TEXT NOT NULL,
      detail TEXT NOT NULL
    );
    CREATE INDEX person_audit_person ON person_audit (person_id, at);
    CREATE TABLE person_links (
      session_id TEXT NOT NULL REFERENCES sessions(id),
      row_id TEXT NOT NULL,
      person_id TEXT NOT NULL REFERENCES people(id),
      at BIGINT NOT NULL,
      PRIMARY KEY (session_id, row_id)
    );
    CREATE INDEX person_links_person ON person_links (person_id);
    CREATE TABLE register_settings (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL
    );
    CREATE TABLE skill_evidence (
      session_id TEXT NOT NULL REFERENCES sessions(id),
      row_id TEXT NOT NULL,
      skill TEXT NOT NULL,
      at BIGINT NOT NULL,
      PRIMARY KEY (session_id, row_id, skill)
    );
    CREATE TABLE evidence_sessions (
      session_id TEXT PRIMARY KEY REFERENCES sessions(id),
      version INTEGER NOT NULL
    );

    CREATE TABLE media (
      name TEXT PRIMARY KEY,
      bytes BYTEA NOT NULL,
      created_at BIGINT NOT NULL
    );
    `,
  },
  {
    // One round trip per group commit: every append of the batch in its own subtransaction (an
    // exception block), in order; the answer says, append by append, 'ok', 'lease_lost', 'stale'
    // (another writer got to this sequence first) or 'error:<sqlstate>:<message>'.
    name: 'append function',
    sql: `
    CREATE OR REPLACE FUNCTION cunghoc_append_batch(batch jsonb) RETURNS text[] LANGUAGE plpgsql AS $fn$
    DECLARE
      item jsonb;
      results text[] := '{}';
      held record;
      n integer;
    BEGIN
      FOR item IN SELECT b.value FROM jsonb_array_elements(batch) WITH ORDINALITY AS b(value, i) ORDER BY b.i LOOP
        BEGIN
          IF item ? 'o' THEN
            SELECT owner, fence INTO held FROM session_leases WHERE session_id = item->>'s' FOR UPDATE;
            IF NOT FOUND OR held.owner <> item->>'o' OR held.fence <> (item->>'f')::bigint THEN
              results := results || 'lease_lost'::text;
              CONTINUE;
            END IF;
          END IF;
          UPDATE sessions SET
            last_seq = (item->>'a')::integer + jsonb_array_length(item->'e'),
            learner_count = learner_count + (item->>'j')::integer,
            status = CASE WHEN item ? 'x' THEN 'ended' ELSE status END,
            ended_at = CASE WHEN item ? 'x' THEN (item->>'x')::bigint ELSE ended_at END
          WHERE id = item->>'s' AND last_seq = (item->>'a')::integer;
          GET DIAGNOSTICS n = ROW_COUNT;
          IF n <> 1 THEN
            results := results || 'stale'::text;
            CONTINUE;
          END IF;
          INSERT INTO session_events (session_id, seq, type, at, data)
            SELECT item->>'s', (item->>'a')::integer + e.i, e.v->>0, (e.v->>1)::bigint, e.v->>2
            FROM jsonb_array_elements(item->'e') WITH ORDINALITY AS e(v, i);
          IF item ? 't' THEN
            INSERT INTO session_tokens (token_hash, session_id)
              SELECT DISTINCT t, item->>'s' FROM jsonb_array_elements_text(item->'t') AS t
            ON CONFLICT (token_hash) DO UPDATE SET session_id = excluded.session_id;
          END IF;
          results := results || 'ok'::text;
        EXCEPTION WHEN OTHERS THEN
          results := results || ('error:' || SQLSTATE || ':' || SQLERRM);
        END;
      END LOOP;
      RETURN results;
    END
    $fn$;
    `,
  },
];

/** The advisory lock every migrating process takes: two processes starting at once migrate one after the other. */
const MIGRATION_LOCK = 0x6368_7067; // "chpg"

/** Apply the migrations not applied yet, each in its own transaction under the advisory lock; returns how many ran. */
export async function migratePostgres(pool: pg.Pool): Promise<number> {
  let ran = 0;
  for (let v = 1; v <= pgMigrations.length; v++) {
    const { client, release } = await checkout(pool);
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
      );
      const done = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [v]);
      if (done.rowCount === 0) {
        await client.query(pgMigrations[v - 1].sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [v, pgMigrations[v - 1].name]);
        ran += 1;
      }
      await client.query('COMMIT');
      release();
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      release(err);
      throw err;
    }
  }
  return ran;
}
