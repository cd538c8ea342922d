import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { MediaDir } from './media.ts';
import { openPostgresStore } from './postgres.ts';
import { openSqliteStore } from './sqlite.ts';

export { redactUrl } from './open.ts';

/**
 * Moving a commune's history from its SQLite data folder to PostgreSQL (`npm run migrate-store`).
 * Every table is copied by upsert in key order, in chunks: a row already there and equal is left
 * alone, a row that differs is replaced, so a second run copies nothing and a run after more classes
 * copies only what is new. Then every table is checked: the target holds each source row (count)
 * with the same content (SHA-256 over the rows, chunk by chunk). Rows the target has beyond the
 * source (another commune moved in before) are left alone and not counted.
 */
export interface TableReport {
  table: string;
  /** Rows in the source. */
  rows: number;
  /** Rows written this run (new or changed). */
  copied: number;
  /** Source rows found in the target afterwards. */
  found: number;
  sourceHash: string;
  targetHash: string;
  ok: boolean;
}

type Value = string | number | boolean | null | Buffer;
type PgType = 'text' | 'bigint' | 'int' | 'boolean';

interface TableSpec {
  table: string;
  /** SELECT of the SQLite rows with the PostgreSQL column names, keyset-paged: `{after}` is replaced by a WHERE on the key. */
  select: string;
  key: string[];
  columns: [name: string, type: PgType][];
  /** SQLite value → PostgreSQL value, column by column (0/1 → boolean). */
  convert?: Partial<Record<string, (v: Value) => Value>>;
}

const bool = (v: Value) => v === 1 || v === true;

const tables: TableSpec[] = [
  {
    table: 'users',
    select: 'SELECT id, username, display_name, password_hash, created_at FROM users {after} ORDER BY id',
    key: ['id'],
    columns: [
      ['id', 'text'],
      ['username', 'text'],
      ['display_name', 'text'],
      ['password_hash', 'text'],
      ['created_at', 'bigint'],
    ],
  },
  {
    table: 'auth_sessions',
    select: 'SELECT token_hash, user_id, expires_at FROM auth_sessions {after} ORDER BY token_hash',
    key: ['token_hash'],
    columns: [
      ['token_hash', 'text'],
      ['user_id', 'text'],
      ['expires_at', 'bigint'],
    ],
  },
  {
    table: 'lessons',
    select: 'SELECT id, title, doc, created_at, updated_at, archived, position FROM lessons {after} ORDER BY id',
    key: ['id'],
    columns: [
      ['id', 'text'],
      ['title', 'text'],
      ['doc', 'text'],
      ['created_at', 'bigint'],
      ['updated_at', 'bigint'],
      ['archived', 'boolean'],
      ['position', 'int'],
    ],
    convert: { archived: bool },
  },
  {
    table: 'sessions',
    // The helper code lives in the first event only: PostgreSQL keeps it in a column to route helpers.
    select: `SELECT id, code, coalesce((SELECT json_extract(e.data, '$.helperCode') FROM session_events e WHERE e.session_id = s.id AND e.seq = 1), '') AS helper_code,
             lesson_id, lesson_title, instructor_id, status, started_at, ended_at, learner_count, last_seq, names_erased FROM sessions s {after} ORDER BY id`,
    key: ['id'],
    columns: [
      ['id', 'text'],
      ['code', 'text'],
      ['helper_code', 'text'],
      ['lesson_id', 'text'],
      ['lesson_title', 'text'],
      ['instructor_id', 'text'],
      ['status', 'text'],
      ['started_at', 'bigint'],
      ['ended_at', 'bigint'],
      ['learner_count', 'int'],
      ['last_seq', 'int'],
      ['names_erased', 'boolean'],
    ],
    convert: { names_erased: bool },
  },
  {
    table: 'session_events',
    select: 'SELECT session_id, seq, type, at, data FROM session_events {after} ORDER BY session_id, seq',
    key: ['session_id', 'seq'],
    columns: [
      ['session_id', 'text'],
      ['seq', 'int'],
      ['type', 'text'],
      ['at', 'bigint'],
      ['data', 'text'],
    ],
  },
  {
    table: 'people',
    select: `SELECT id, card, name, name_key, given_key, birth_year, hamlet, grp, phone, consent_date, created_at, updated_at, erased_at FROM people {after} ORDER BY id`,
    key: ['id'],
    columns: [
      ['id', 'text'],
      ['card', 'text'],
      ['name', 'text'],
      ['name_key', 'text'],
      ['given_key', 'text'],
      ['birth_year', 'int'],
      ['hamlet', 'text'],
      ['grp', 'text'],
      ['phone', 'text'],
      ['consent_date', 'text'],
      ['created_at', 'bigint'],
      ['updated_at', 'bigint'],
      ['erased_at', 'bigint'],
    ],
  },
  {
    table: 'person_links',
    select: 'SELECT session_id, row_id, person_id, at FROM person_links {after} ORDER BY session_id, row_id',
    key: ['session_id', 'row_id'],
    columns: [
      ['session_id', 'text'],
      ['row_id', 'text'],
      ['person_id', 'text'],
      ['at', 'bigint'],
    ],
  },
  {
    table: 'register_settings',
    select: 'SELECT key, value FROM register_settings {after} ORDER BY key',
    key: ['key'],
    columns: [
      ['key', 'text'],
      ['value', 'text'],
    ],
  },
  {
    table: 'evidence_sessions',
    select: 'SELECT session_id, version FROM evidence_sessions {after} ORDER BY session_id',
    key: ['session_id'],
    columns: [
      ['session_id', 'text'],
      ['version', 'int'],
    ],
  },
  {
    table: 'skill_evidence',
    select: 'SELECT session_id, row_id, skill, at FROM skill_evidence {after} ORDER BY session_id, row_id, skill',
    key: ['session_id', 'row_id', 'skill'],
    columns: [
      ['session_id', 'text'],
      ['row_id', 'text'],
      ['skill', 'text'],
      ['at', 'bigint'],
    ],
  },
];

/** Rows per copy and check round trip. */
const CHUNK = 2_000;

/** A row's canonical line for the content hash (Buffers as hex). */
const line = (values: Value[]): string => JSON.stringify(values.map((v) => (Buffer.isBuffer(v) ? v.toString('hex') : v)));
/** Chunk hashes fold into one: the same chunks on both sides, rows sorted within each. */
const digestChunk = (hash: ReturnType<typeof createHash>, lines: string[]) => hash.update(lines.sort().join('\n') + '\n\u0000');

async function copyTable(sqlite: Database.Database, pool: pg.Pool, spec: TableSpec, chunk: number): Promise<TableReport> {
  const names = spec.columns.map(([n]) => n);
  const keyIdx = spec.key.map((k) => names.indexOf(k));
  const cols = names.join(', ');
  const upsert = `INSERT INTO ${spec.table} AS t (${cols}) SELECT * FROM unnest(${spec.columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})
    ON CONFLICT (${spec.key.join(', ')}) DO UPDATE SET ${
      names
        .filter((n) => !spec.key.includes(n))
        .map((n) => `${n} = excluded.${n}`)
        .join(', ') || `${spec.key[0]} = excluded.${spec.key[0]}`
    }
    WHERE (${names.map((n) => `t.${n}`).join(', ')}) IS DISTINCT FROM (${names.map((n) => `excluded.${n}`).join(', ')})`;
  const keyTypes = spec.key.map((k) => spec.columns.find(([n]) => n === k)![1]);
  const fetchTarget = `SELECT ${names.map((n) => `t.${n}`).join(', ')} FROM ${spec.table} t JOIN unnest(${keyTypes.map((type, i) => `$${i + 1}::${type}[]`).join(', ')})
    AS k(${spec.key.join(', ')}) ON ${spec.key.map((k) => `t.${k} = k.${k}`).join(' AND ')}`;
  const after =
    spec.key.length === 1 ? `WHERE ${spec.key[0]} > ?` : `WHERE (${spec.key.join(', ')}) > (${spec.key.map(() => '?').join(', ')})`;
  const first = sqlite.prepare(spec.select.replace('{after}', ''));
  const next = sqlite.prepare(spec.select.replace('{after}', after));
  const page = (last: Value[] | null): Value[][] =>
    (last ? next.raw().iterate(...(last as (string | number)[])) : first.raw().iterate()) as unknown as Value[][];

  const report: TableReport = { table: spec.table, rows: 0, copied: 0, found: 0, sourceHash: '', targetHash: '', ok: false };
  const sourceHash = createHash('sha256');
  const targetHash = createHash('sha256');
  let last: Value[] | null = null;
  for (;;) {
    const rows: Value[][] = [];
    for (const raw of page(last)) {
      rows.push(raw.map((v, i) => spec.convert?.[names[i]]?.(v) ?? v));
      if (rows.length === chunk) break;
    }
    if (rows.length === 0) break;
    last = keyIdx.map((i): Value => rows[rows.length - 1][i]);
    // Copy: only rows that are new or differ are written.
    const arrays = names.map((_, i) => rows.map((r) => r[i]));
    report.copied += (await pool.query(upsert, arrays)).rowCount ?? 0;
    // Check: read the same keys back.
    const back = await pool.query({ text: fetchTarget, values: keyIdx.map((i) => rows.map((r) => r[i])), rowMode: 'array' });
    report.rows += rows.length;
    report.found += back.rows.length;
    digestChunk(sourceHash, rows.map(line));
    digestChunk(targetHash, (back.rows as Value[][]).map(line));
    if (rows.length < chunk) break;
  }
  report.sourceHash = sourceHash.digest('hex');
  report.targetHash = targetHash.digest('hex');
  report.ok = report.rows === report.found && report.sourceHash === report.targetHash;
  return report;
}

/** The audit trail has no key of its own that survives a move (ids are per database): rows are matched by content, as many times as they occur. */
async function copyAudit(sqlite: Database.Database, pool: pg.Pool): Promise<TableReport> {
  const source = sqlite.prepare('SELECT person_id, at, user_id, action, detail FROM person_audit ORDER BY id').raw().all() as Value[][];
  const people = [...new Set(source.map((r) => r[0] as string))];
  const target = async () =>
    (
      await pool.query({
        text: 'SELECT person_id, at, user_id, action, detail FROM person_audit WHERE person_id = ANY($1::text[]) ORDER BY id',
        values: [people],
        rowMode: 'array',
      })
    ).rows as Value[][];
  const have = new Map<string, number>();
  for (const r of await target()) have.set(line(r), (have.get(line(r)) ?? 0) + 1);
  const missing = source.filter((r) => {
    const n = have.get(line(r)) ?? 0;
    if (n > 0) have.set(line(r), n - 1);
    return n === 0;
  });
  for (let i = 0; i < missing.length; i += CHUNK) {
    const chunk = missing.slice(i, i + CHUNK);
    await pool.query(
      'INSERT INTO person_audit (person_id, at, user_id, action, detail) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[])',
      [0, 1, 2, 3, 4].map((c) => chunk.map((r) => r[c])),
    );
  }
  // Check: each source row is there as often as in the source (the target may hold more for the same people: a merge).
  const count = new Map<string, number>();
  for (const r of await target()) count.set(line(r), (count.get(line(r)) ?? 0) + 1);
  let found = 0;
  const matched: string[] = [];
  for (const r of source) {
    const n = count.get(line(r)) ?? 0;
    if (n > 0) {
      found += 1;
      matched.push(line(r));
      count.set(line(r), n - 1);
    }
  }
  const hash = (lines: string[]) => digestChunk(createHash('sha256'), lines).digest('hex');
  const sourceHash = hash(source.map(line));
  const targetHash = hash(matched);
  return {
    table: 'person_audit',
    rows: source.length,
    copied: missing.length,
    found,
    sourceHash,
    targetHash,
    ok: found === source.length && sourceHash === targetHash,
  };
}

/** Uploaded pictures: files in the data folder's media/ into the media table, checked by their bytes. */
async function copyMedia(dataDir: string, pool: pg.Pool): Promise<TableReport> {
  const dir = join(dataDir, 'media');
  const files = existsSync(dir) ? new MediaDir(dir) : null;
  const names = files ? await files.names() : [];
  const sourceHash = createHash('sha256');
  const targetHash = createHash('sha256');
  let copied = 0;
  let found = 0;
  for (const name of names) {
    const bytes = (await files!.get(name))!;
    const res = await pool.query(
      'INSERT INTO media (name, bytes, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET bytes = excluded.bytes WHERE media.bytes <> excluded.bytes',
      [name, bytes, Date.now()],
    );
    copied += res.rowCount ?? 0;
    const back = await pool.query<{ bytes: Buffer }>('SELECT bytes FROM media WHERE name = $1', [name]);
    sourceHash.update(`${name}:${createHash('sha256').update(bytes).digest('hex')}\n`);
    if (back.rows[0]) {
      found += 1;
      targetHash.update(`${name}:${createHash('sha256').update(back.rows[0].bytes).digest('hex')}\n`);
    }
  }
  const report = {
    table: 'media',
    rows: names.length,
    copied,
    found,
    sourceHash: sourceHash.digest('hex'),
    targetHash: targetHash.digest('hex'),
  };
  return { ...report, ok: report.rows === report.found && report.sourceHash === report.targetHash };
}

export class MigrateError extends Error {
  readonly code: 'no_source' | 'source_busy';
  constructor(code: MigrateError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Copy everything from the SQLite data folder `from` into the PostgreSQL database `to` (made ready
 * by the store's own migrations), then check it. Run with the server stopped (the source must not
 * change meanwhile). `progress` hears each table's report as it is done.
 */
export async function migrateStore(
  from: string,
  to: string,
  progress: (r: TableReport) => void = () => undefined,
  opts: { chunk?: number } = {},
): Promise<{ tables: TableReport[]; ok: boolean }> {
  if (!existsSync(join(from, 'cunghoc.sqlite'))) {
    throw new MigrateError('no_source', `Không có dữ liệu Cùng Học trong ${from} · There is no Cùng Học data in ${from}`);
  }
  // Bring the source's schema up to date, as the server would at its next start.
  await openSqliteStore(from).close();
  const sqlite = new Database(join(from, 'cunghoc.sqlite'), { readonly: true, fileMustExist: true });
  const target = await openPostgresStore(to);
  const reports: TableReport[] = [];
  const done = (r: TableReport) => {
    reports.push(r);
    progress(r);
  };
  try {
    // One read transaction over the source: a consistent snapshot, in foreign-key order.
    sqlite.prepare('BEGIN').run();
    for (const spec of tables) {
      done(await copyTable(sqlite, target.pool, spec, opts.chunk ?? CHUNK));
      if (spec.table === 'people') done(await copyAudit(sqlite, target.pool));
    }
    sqlite.prepare('COMMIT').run();
    // Derived: resume tokens of the copied sessions (for routing a tablet to its class).
    await target.pool.query(
      `INSERT INTO session_tokens (token_hash, session_id)
       SELECT DISTINCT ON (data::jsonb ->> 'tokenHash') data::jsonb ->> 'tokenHash', session_id FROM session_events
       WHERE type = 'learner:joined' ORDER BY data::jsonb ->> 'tokenHash', at DESC
       ON CONFLICT (token_hash) DO NOTHING`,
    );
    done(await copyMedia(from, target.pool));
  } finally {
    if (sqlite.inTransaction) sqlite.prepare('ROLLBACK').run();
    sqlite.close();
    await target.close();
  }
  return { tables: reports, ok: reports.every((r) => r.ok) };
}
