/**
 * The register's benchmark (issue 14): `npx tsx bench/register.ts [--people 20000] [--sessions 2000]
 * [--per-class 25] [--rounds 30]`. Seeds a fresh data folder through the store (people, ended sessions
 * with joins and answers, links from learners to people), starts the real app, and times over HTTP:
 * the dashboard ("Tiến độ phong trào": first call, which derives and caches every session's skill
 * evidence, then warm calls, then after a restart) and the register's search. Budgets: dashboard
 * ≤ 500 ms, search ≤ 100 ms (p95 of the warm calls).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { startApp } from '../server/app.ts';
import type { SessionEvent } from '../server/engine/events.ts';
import { startSession } from '../server/engine/engine.ts';
import { openSqliteStore } from '../server/store/sqlite.ts';
import { Lesson } from '../shared/lesson/schema.ts';
import { personGroups } from '../shared/protocol/register.ts';

const { values: args } = parseArgs({
  options: {
    people: { type: 'string', default: '20000' },
    sessions: { type: 'string', default: '2000' },
    'per-class': { type: 'string', default: '25' },
    rounds: { type: 'string', default: '30' },
    /** Reuse (or keep) a seeded data folder between runs. */
    data: { type: 'string' },
  },
});
const PEOPLE = Number(args.people);
const SESSIONS = Number(args.sessions);
const PER_CLASS = Number(args['per-class']);
const ROUNDS = Number(args.rounds);
const root = resolve(import.meta.dirname, '..');
const lessons = [
  'thanh-toan-qr',
  'cai-dat-vneid',
  'lam-quen-dien-thoai',
  'bao-ve-thong-tin-ca-nhan',
  'mua-ban-truc-tuyen',
  'dich-vu-cong-truc-tuyen',
].map((id) => Lesson.parse(JSON.parse(readFileSync(join(root, 'lessons', `${id}.json`), 'utf8'))));
const given = ['Lành', 'Hoà', 'Tín', 'Mai', 'Nam', 'Bình', 'Ngọc', 'Dũng', 'Hạnh', 'Thu', 'Sơn', 'Lan', 'Hùng', 'Yến', 'Phúc'];
const family = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Vũ', 'Đặng', 'Bùi', 'Đỗ'];
const middle = ['Thị', 'Văn', 'Minh', 'Thu', 'Đức'];
let seed = 42;
const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);

const keep = args.data !== undefined;
const seeded = keep && existsSync(join(args.data!, 'cunghoc.sqlite'));
const dataDir = keep ? args.data! : mkdtempSync(join(tmpdir(), 'cunghoc-bench-register-'));
const ms = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function seedData(): Promise<void> {
  const store = openSqliteStore(dataDir);
  const t0 = performance.now();
  const at = Date.UTC(2026, 0, 5);
  const hamlets = Array.from({ length: 12 }, (_, i) => `Thôn ${i + 1}`);
  const ids: string[] = [];
  const people = Array.from({ length: PEOPLE }, (_, i) => {
    const id = `person${String(i).padStart(6, '0')}`;
    ids.push(id);
    return {
      id,
      card: String(22222222 + i * 7)
        .replace(/[01]/g, '9')
        .padStart(9, '2')
        .slice(0, 9),
      name: `${family[rand(family.length)]} ${middle[rand(middle.length)]} ${given[rand(given.length)]}`,
      birthYear: 1940 + rand(70),
      hamlet: hamlets[rand(hamlets.length)],
      group: personGroups[rand(personGroups.length)],
      phone: null,
      consentDate: '2026-01-05',
    };
  });
  // Card codes must be unique: derive them from the index in base 8 (digits 2–9).
  for (const [i, p] of people.entries())
    p.card = i
      .toString(8)
      .padStart(9, '0')
      .replace(/[0-7]/g, (d) => String(Number(d) + 2));
  await store.savePeople(
    people,
    [],
    people.map((p) => ({ personId: p.id, at, userId: 'bench', action: 'created' as const, detail: '' })),
  );
  console.log(`seeded ${PEOPLE} people in ${ms(t0)} ms`);

  const t1 = performance.now();
  const links: [string, string, string, number][] = [];
  for (let s = 0; s < SESSIONS; s++) {
    const lesson = lessons[s % lessons.length];
    const when = at + s * 3 * 3600_000;
    const started = startSession({
      sessionId: `sess${String(s).padStart(6, '0')}`,
      code: String(100000 + (s % 900000)),
      helperCode: 'ABCDEF',
      instructorId: 'bench',
      lesson,
      now: when,
    });
    await store.createSession(started);
    const events: SessionEvent[] = [];
    const learners = Array.from({ length: PER_CLASS }, (_, i) => `l${s}x${i}`);
    for (const [i, learnerId] of learners.entries())
      events.push({ type: 'learner:joined', at: when + i, learnerId, name: `Học viên ${i}`, seat: '', tokenHash: `${learnerId}h` });
    const scored = lesson.steps
      .flatMap((step, index) => step.questions.filter((q) => q.kind !== 'poll').map((q) => ({ index, q })))
      .slice(0, 5);
    for (const [r, { index, q }] of scored.entries()) {
      const runId = `run${s}x${r}`;
      events.push({
        type: 'quiz:opened',
        at: when + 1000 * r,
        runId,
        question: q,
        source: { step: index, questionId: q.id },
        deadline: null,
      });
      for (const learnerId of learners) {
        events.push({
          type: 'quiz:answered',
          at: when + 1000 * r + 10,
          runId,
          learnerId,
          answerId: `${runId}${learnerId}`,
          value: { kind: 'truefalse', value: true },
          score: rand(3) === 0 ? 0 : 1,
        });
      }
      events.push({ type: 'quiz:closed', at: when + 1000 * r + 500, runId });
    }
    events.push({ type: 'session:ended', at: when + 3600_000 });
    await store.appendEvents(started.sessionId, 1, events);
    for (const learnerId of learners) links.push([started.sessionId, learnerId, ids[rand(ids.length)], when]);
  }
  await store.close();
  // Links in one transaction (through the store each would be its own fsync'd commit: minutes for 50,000).
  const db = new Database(join(dataDir, 'cunghoc.sqlite'));
  const insert = db.prepare('INSERT INTO person_links (session_id, row_id, person_id, at) VALUES (?, ?, ?, ?)');
  db.transaction(() => links.forEach((l) => insert.run(...l)))();
  db.close();
  console.log(`seeded ${SESSIONS} sessions × ${PER_CLASS} learners (answers, links) in ${ms(t1)} ms`);
}

async function serve() {
  const app = await startApp({
    store: openSqliteStore(dataDir),
    log: pino({ level: 'silent' }),
    config: { clientDir: join(root, 'dist/client'), lessonsDir: join(root, 'lessons'), mediaDir: join(dataDir, 'media'), coalesceMs: 100 },
  });
  const { port } = await app.listen(0, '127.0.0.1');
  return { app, url: `http://127.0.0.1:${port}` };
}

async function timed(url: string, path: string, cookie: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url + path, { headers: { cookie } });
  const body = (await res.json()) as { ok: boolean };
  if (!body.ok) throw new Error(`${path}: ${JSON.stringify(body).slice(0, 200)}`);
  return ms(t0);
}

async function main(): Promise<void> {
  if (!seeded) await seedData();
  let { app, url } = await serve();
  const login = JSON.stringify({ username: 'bench', displayName: 'Bench', password: 'bench-password-1' });
  const setup = await fetch(`${url}/api/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: login });
  const signIn = setup.ok
    ? setup
    : await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'bench', password: 'bench-password-1' }),
      });
  const cookie = signIn.headers.get('set-cookie')!.split(';')[0];
  const first = await timed(url, '/api/register/progress', cookie);
  const warm: number[] = [];
  for (let i = 0; i < ROUNDS; i++) warm.push(await timed(url, '/api/register/progress', cookie));
  await app.close();
  ({ app, url } = await serve());
  const afterRestart = await timed(url, '/api/register/progress', cookie);
  await new Promise((r) => setTimeout(r, 1500)); // the server warms its memo a second after it starts
  const afterWarmUp = await timed(url, '/api/register/progress', cookie);
  const queries = ['lanh', 'nguyen thi', 'Hoà', 'Trần Văn Bình', '2345', 'xyz-nobody', 'ngoc'];
  const search: number[] = [];
  for (let i = 0; i < ROUNDS; i++) for (const q of queries) search.push(await timed(url, `/api/people?q=${encodeURIComponent(q)}`, cookie));
  const filtered: number[] = [];
  for (let i = 0; i < ROUNDS; i++)
    filtered.push(await timed(url, `/api/people?hamlet=${encodeURIComponent('Thôn 3')}&group=nong-dan&q=thi`, cookie));
  await app.close();
  if (!keep) rmSync(dataDir, { recursive: true, force: true });

  const dash95 = pct(warm, 95);
  const search95 = pct([...search, ...filtered], 95);
  console.log(`\nregister bench: ${PEOPLE} people, ${SESSIONS} sessions × ${PER_CLASS} learners`);
  console.log(
    `dashboard: first call ${first} ms (derives and caches every session's evidence); warm p50 ${pct(warm, 50)} ms, p95 ${dash95} ms; right after a restart ${afterRestart} ms, once warmed up ${afterWarmUp} ms`,
  );
  console.log(`search: p50 ${pct(search, 50)} ms, p95 ${search95} ms (${search.length + filtered.length} queries)`);
  const met = dash95 <= 500 && afterWarmUp <= 500 && search95 <= 100;
  console.log(`budgets (dashboard ≤ 500 ms warm and after a restart's warm-up, search ≤ 100 ms): ${met ? 'met' : 'NOT met'}`);
  process.exitCode = met ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  if (!keep) rmSync(dataDir, { recursive: true, force: true });
  process.exit(2);
});
