import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateStore } from '../../server/store/migrate-store.ts';
import { openPostgresStore } from '../../server/store/postgres.ts';
import { openSqliteStore } from '../../server/store/sqlite.ts';
import type { Store } from '../../server/store/store.ts';
import type { MeView } from '../../shared/protocol/views.ts';
import { freshDatabase, pgAvailable, type FreshDatabase } from '../support/services.ts';
import { call, openQuiz, openSession, removeDir, setupInstructor, startServer, unwrap, type TestServer } from '../support/server.ts';

const ok = await pgAvailable('migrate-store');
const root = resolve(import.meta.dirname, '../..');

/** `npm run migrate-store -- --from … --to …` as an operator runs it. */
function migrate(from: string, to: string): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(root, 'scripts/migrate-store.mjs'), '--from', from, '--to', to], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => done({ code: code ?? 1, out }));
  });
}
/** The "copied" figure of a table in the summary. */
const copied = (out: string, table: string): number => {
  const m = new RegExp(`^\\s*${table}\\s+(\\d+) dòng · rows\\s+(\\d+) đã chép`, 'm').exec(out);
  if (!m) throw new Error(`no line for ${table} in:\n${out}`);
  return Number(m[2]);
};
const rowsOf = (out: string, table: string): number => Number(new RegExp(`^\\s*${table}\\s+(\\d+) dòng`, 'm').exec(out)![1]);

/** Everything a store answers about its history, to compare two stores. */
async function contents(store: Store) {
  const sessions = await store.listSessions();
  const events = Object.fromEntries(await Promise.all(sessions.map(async (s) => [s.id, await store.loadEvents(s.id)] as const)));
  const people = await store.listPeopleLite();
  const audits = Object.fromEntries(await Promise.all(people.map(async (p) => [p.id, await store.personAudit(p.id)] as const)));
  return {
    users: await store.countUsers(),
    lessons: await store.listLessons({ archived: true }),
    sessions,
    events,
    people: await store.listPeople(),
    audits,
    links: (await store.allLinks()).sort((a, b) => (a.sessionId + a.rowId < b.sessionId + b.rowId ? -1 : 1)),
    settings: await store.getRegisterSettings(),
    evidence: await store.cachedEvidence(
      sessions.map((s) => s.id),
      1,
    ),
  };
}

/** The PostgreSQL database at `url` holds what the SQLite data folder `dataDir` holds. */
async function expectSameContents(dataDir: string, url: string): Promise<void> {
  const sqlite = openSqliteStore(dataDir);
  const pg = await openPostgresStore(url);
  try {
    expect(await contents(pg)).toEqual(await contents(sqlite));
  } finally {
    await sqlite.close();
    await pg.close();
  }
}

describe.skipIf(!ok)('npm run migrate-store: a commune’s SQLite history into PostgreSQL', () => {
  let server: TestServer;
  let db: FreshDatabase;
  let picture = '';
  beforeAll(async () => {
    db = await freshDatabase();
    server = await startServer();
    const { cookie } = await setupInstructor(server.url);
    const up = await fetch(`${server.url}/api/media`, {
      method: 'POST',
      headers: { 'content-type': 'image/png', cookie },
      body: new Uint8Array(
        await sharp({ create: { width: 16, height: 9, channels: 3, background: '#aa3300' } })
          .png()
          .toBuffer(),
      ),
    });
    picture = ((await up.json()) as { data: { src: string } }).data.src;
    // Two classes: one ended with answers, one still open.
    for (const open of [false, true]) {
      // Learners "Học viên 0" to "Học viên 2" in each; the open class's with tokens of their own.
      const { session, staff, learners } = await openSession(server, cookie, {
        learners: 3,
        offset: open ? 10 : 0,
        name: (i) => `Học viên ${i % 10}`,
        push: 0,
      });
      const question = { id: 'q-mv', kind: 'truefalse', prompt: 'Đúng không?', correct: true } as const;
      const runId = await openQuiz(staff, session.id, { question });
      for (const [i, { socket }] of learners.entries())
        unwrap(
          await call<MeView>(socket, 'quiz:answer', {
            runId,
            answerId: `answer-${open ? 1 : 0}-${i}`,
            value: { kind: 'truefalse', value: i % 2 === 0 },
          }),
        );
      if (!open) unwrap(await call(staff, 'session:end', { sessionId: session.id }));
      for (const s of [...learners.map((l) => l.socket), staff]) s.close();
    }
    await server.stop();
    // The register, with its audit trail, links and cached evidence.
    const store = openSqliteStore(server.dataDir);
    const sessions = await store.listSessions();
    const person = {
      id: 'p-mv-1',
      card: '123456789012',
      name: 'Đặng Thị Mơ',
      birthYear: 1958,
      hamlet: 'Thôn Đông',
      group: 'nong-dan' as const,
      phone: null,
      consentDate: '2026-09-01',
    };
    await store.savePeople([person], [], [{ personId: person.id, at: 1, userId: 'x', action: 'created', detail: '' }]);
    await store.linkLearner(
      { sessionId: sessions[0].id, rowId: 'L1', personId: person.id, at: 2 },
      { personId: person.id, at: 2, userId: 'x', action: 'linked', detail: '' },
    );
    // Twice the same audit line: both must arrive.
    await store.addAudit({ personId: person.id, at: 3, userId: 'x', action: 'exported', detail: 'csv' });
    await store.addAudit({ personId: person.id, at: 3, userId: 'x', action: 'exported', detail: 'csv' });
    await store.cacheEvidence(sessions[1].id, 1, [{ rowId: 'L1', skill: 'thanh-toan-qr', at: 5 }]);
    await store.setRegisterSettings({ required: ['thanh-toan-qr'], targetPct: 75, populations: { 'Thôn Đông': 300 } });
    await store.close();
  });
  afterAll(async () => {
    await db?.drop();
    if (server) removeDir(server.dataDir);
  });

  it('copies everything, checks counts and hashes per table, and a second run copies nothing and still checks', async () => {
    const first = await migrate(server.dataDir, db.url);
    expect(first.out).toContain('Done: every table matches');
    expect(first.code).toBe(0);
    expect(rowsOf(first.out, 'sessions')).toBe(2);
    expect(copied(first.out, 'sessions')).toBe(2);
    expect(copied(first.out, 'session_events')).toBeGreaterThan(10);
    expect(copied(first.out, 'person_audit')).toBe(4);
    expect(copied(first.out, 'media')).toBe(1);
    expect(first.out).not.toMatch(/MISMATCH/);

    const sqlite = openSqliteStore(server.dataDir);
    const pg = await openPostgresStore(db.url);
    try {
      expect(await contents(pg)).toEqual(await contents(sqlite));
      expect((await pg.media.get(picture))?.equals(readFileSync(join(server.dataDir, 'media', picture)))).toBe(true);
      expect(await pg.media.names()).toEqual(readdirSync(join(server.dataDir, 'media')));
      // The open class is routable from any process: its code, helper code and learners' tokens.
      const open = (await sqlite.listSessions()).find((s) => s.status === 'open')!;
      expect(await pg.leases.openSessionByCode(open.code)).toBe(open.id);
      const started = (await sqlite.loadEvents(open.id))[0] as { helperCode: string };
      expect(await pg.leases.openSessionByHelperCode(started.helperCode)).toBe(open.id);
      const joined = (await sqlite.loadEvents(open.id)).find((e) => e.type === 'learner:joined') as { tokenHash: string };
      expect(await pg.leases.sessionOfToken(joined.tokenHash)).toBe(open.id);
      expect(await pg.findUserByUsername('giangvien')).toEqual(await sqlite.findUserByUsername('giangvien'));
    } finally {
      await sqlite.close();
      await pg.close();
    }

    const second = await migrate(server.dataDir, db.url);
    expect(second.code).toBe(0);
    expect(second.out).toContain('Done: every table matches');
    for (const table of [
      'users',
      'auth_sessions',
      'lessons',
      'sessions',
      'session_events',
      'people',
      'person_audit',
      'person_links',
      'register_settings',
      'evidence_sessions',
      'skill_evidence',
      'media',
    ]) {
      expect(copied(second.out, table)).toBe(0);
    }
  });

  it('a target row that differs from the source is found and put right by the next run', async () => {
    const pg = await openPostgresStore(db.url);
    try {
      await pg.pool.query("UPDATE session_events SET data = replace(data, 'Học viên 1', 'Someone else') WHERE type = 'learner:joined'");
      await pg.pool.query("DELETE FROM person_audit WHERE id = (SELECT max(id) FROM person_audit WHERE action = 'exported')");
    } finally {
      await pg.close();
    }
    const run = await migrate(server.dataDir, db.url);
    expect(run.code).toBe(0);
    expect(copied(run.out, 'session_events')).toBe(2);
    expect(copied(run.out, 'person_audit')).toBe(1);
    expect(copied(run.out, 'sessions')).toBe(0);
    await expectSameContents(server.dataDir, db.url);
  });

  it('pages through tables in chunks (a chunk of 3 rows here) to the same result', async () => {
    const other = await freshDatabase();
    try {
      const seen: string[] = [];
      const { ok: allMatch, tables } = await migrateStore(server.dataDir, other.url, (r) => seen.push(r.table), { chunk: 3 });
      expect(allMatch).toBe(true);
      expect(seen).toEqual(tables.map((t) => t.table));
      const events = tables.find((t) => t.table === 'session_events')!;
      expect(events.rows).toBeGreaterThan(6);
      expect(events.copied).toBe(events.rows);
      await expectSameContents(server.dataDir, other.url);
    } finally {
      await other.drop();
    }
  });

  it('says what is wrong with a folder that holds no data, and changes nothing', async () => {
    const run = await migrate(join(server.dataDir, 'nothing-here'), db.url);
    expect(run.code).toBe(1);
    expect(run.out).toContain('There is no Cùng Học data in');
    const usage = await migrate(server.dataDir, 'mysql://x');
    expect(usage.code).toBe(2);
    expect(usage.out).toContain('Usage');
  });
});
