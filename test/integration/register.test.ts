import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Lesson } from '../../shared/lesson/schema.ts';
import type { Person, PersonJourney, PersonPage, Progress, Standard } from '../../shared/protocol/register.ts';
import type { LearnerSnapshot, SessionResults } from '../../shared/protocol/views.ts';
import { call, learnerSocket, type StaffSocket, token, unwrap } from '../support/sockets.ts';
import { api, setupInstructor, startSession, useServers } from '../support/server.ts';

const servers = useServers();
const qr = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../lessons/thanh-toan-qr.json'), 'utf8')) as Lesson;

const lanh = {
  name: 'Nguyễn Thị Lành',
  birthYear: 1956,
  hamlet: 'Thôn Đông',
  group: 'nguoi-cao-tuoi',
  phone: '0912 345 678',
  consentDate: '2026-11-02',
};
const hoa = { name: 'Trần Văn Hoà', birthYear: 1970, hamlet: 'Thôn Tây', group: 'nong-dan', consentDate: '2026-11-03' };

async function addPerson(url: string, cookie: string, input: object): Promise<Person> {
  const r = await api<Person>(url, 'POST', '/api/people', input, cookie);
  expect(r.status).toBe(201);
  return unwrap(r.ack);
}

/** Open the step's first scored question, answer it right from `learner`, close it. */
async function answerRight(staff: StaffSocket, sessionId: string, learner: ReturnType<typeof learnerSocket>, stepIndex: number) {
  const step = qr.steps[stepIndex];
  const question = step.questions.find((q) => q.kind === 'single' || q.kind === 'truefalse')!;
  const { runId } = unwrap(
    await call<{ runId: string }>(staff, 'quiz:open', { sessionId, source: { step: stepIndex, questionId: question.id }, timeLimit: null }),
  );
  const value =
    question.kind === 'single'
      ? { kind: 'single', option: question.correct }
      : { kind: 'truefalse', value: (question as { correct: boolean }).correct };
  unwrap(await call(learner, 'quiz:answer', { runId, answerId: `ans-${runId}`, value }));
  unwrap(await call(staff, 'quiz:close', { sessionId, runId }));
}

describe('the register of learners', () => {
  it('adds, finds, edits and audits people; card codes avoid look-alikes', async () => {
    const server = await servers.start();
    const { cookie, me } = await setupInstructor(server.url);
    const p = await addPerson(server.url, cookie, lanh);
    expect(p.card).toMatch(/^[2-9]{9}$/);
    expect(p.phone).toBe('0912345678');
    await addPerson(server.url, cookie, hoa);
    // Bad input: a clear error, nothing added (no consent date, no record).
    const bad = await api(server.url, 'POST', '/api/people', { ...hoa, consentDate: undefined }, cookie);
    expect(bad.status).toBe(400);
    const bad2 = await api(server.url, 'POST', '/api/people', { ...hoa, group: 'ai-do' }, cookie);
    expect(bad2.status).toBe(400);

    // Search ignores diacritics and case; by card code too.
    const byName = unwrap((await api<PersonPage>(server.url, 'GET', '/api/people?q=lanh', undefined, cookie)).ack);
    expect(byName.people.map((x) => x.name)).toEqual(['Nguyễn Thị Lành']);
    const byCard = unwrap((await api<PersonPage>(server.url, 'GET', `/api/people?q=${p.card!.slice(0, 5)}`, undefined, cookie)).ack);
    expect(byCard.people.map((x) => x.id)).toContain(p.id);
    const all = unwrap((await api<PersonPage>(server.url, 'GET', '/api/people', undefined, cookie)).ack);
    // Sorted by given name, the Vietnamese way: Hoà before Lành.
    expect(all.people.map((x) => x.name)).toEqual(['Trần Văn Hoà', 'Nguyễn Thị Lành']);
    const westOnly = unwrap(
      (await api<PersonPage>(server.url, 'GET', `/api/people?hamlet=${encodeURIComponent('Thôn Tây')}`, undefined, cookie)).ack,
    );
    expect(westOnly.total).toBe(1);

    const edited = unwrap((await api<Person>(server.url, 'PUT', `/api/people/${p.id}`, { ...lanh, hamlet: 'Thôn Bắc' }, cookie)).ack);
    expect(edited.hamlet).toBe('Thôn Bắc');
    expect(edited.card).toBe(p.card);
    const journey = unwrap((await api<PersonJourney>(server.url, 'GET', `/api/people/${p.id}`, undefined, cookie)).ack);
    expect(journey.audit.map((a) => [a.action, a.userName, a.detail])).toEqual([
      ['created', me.displayName, ''],
      ['updated', me.displayName, 'hamlet'],
    ]);
    expect(journey.audit.every((a) => a.at > 0)).toBe(true);
  });

  it('two sessions, one card: one person whose skills add up, greeted by name; a wrong card is refused and limited', async () => {
    const { server, cookie, staff, session: s1 } = await servers.startClass();
    const person = await addPerson(server.url, cookie, lanh);
    const tablet1 = learnerSocket(server.url);
    const snap = unwrap(
      await call<LearnerSnapshot>(tablet1, 'learner:join', { code: s1.code, card: formatted(person.card!), token: token(1) }),
    );
    expect(snap.me.name).toBe('Nguyễn Thị Lành');
    await answerRight(staff, s1.id, tablet1, 0); // thanh-toan-qr
    unwrap(await call(staff, 'session:end', { sessionId: s1.id }));

    const s2 = await startSession(server.url, cookie);
    unwrap(await call(staff, 'staff:watch', { sessionId: s2.id }));
    const tablet2 = learnerSocket(server.url);
    unwrap(await call(tablet2, 'learner:join', { code: s2.code, card: person.card, token: token(2) }));
    await answerRight(staff, s2.id, tablet2, 7); // an-toan-thong-tin, phong-chong-lua-dao
    // A wrong answer shows nothing: step 3's question answered wrong.
    const q3 = qr.steps[3].questions.find((q) => q.kind === 'single')!;
    const { runId } = unwrap(
      await call<{ runId: string }>(staff, 'quiz:open', { sessionId: s2.id, source: { step: 3, questionId: q3.id }, timeLimit: null }),
    );
    const wrong = (q3 as { options: { id: string }[]; correct: string }).options.find(
      (o) => o.id !== (q3 as { correct: string }).correct,
    )!.id;
    unwrap(await call(tablet2, 'quiz:answer', { runId, answerId: `wrong-${runId}`, value: { kind: 'single', option: wrong } }));

    const journey = unwrap((await api<PersonJourney>(server.url, 'GET', `/api/people/${person.id}`, undefined, cookie)).ack);
    expect(journey.classes.map((c) => c.sessionId)).toEqual([s1.id, s2.id]);
    expect(journey.skills.map((s) => [s.id, s.sessionId]).sort()).toEqual(
      [
        ['an-toan-thong-tin', s2.id],
        ['phong-chong-lua-dao', s2.id],
        ['thanh-toan-qr', s1.id],
      ].sort(),
    );
    expect(journey.reached).toBe(false);
    expect(journey.missing.find((m) => m.id === 'vneid')?.lesson?.id).toBe('cai-dat-vneid');

    // Only these three skills required: the standard is reached.
    const standard = unwrap((await api<Standard>(server.url, 'GET', '/api/register/standard', undefined, cookie)).ack);
    expect(standard.skills.find((s) => s.id === 'thanh-toan-qr')).toMatchObject({
      name: 'Thanh toán bằng mã QR',
      domain: 'giao-tiep',
      required: true,
    });
    unwrap(
      (
        await api(
          server.url,
          'PUT',
          '/api/register/standard',
          { required: ['thanh-toan-qr', 'an-toan-thong-tin', 'phong-chong-lua-dao'], targetPct: 80, populations: { 'Thôn Đông': 2 } },
          cookie,
        )
      ).ack,
    );
    const reached = unwrap((await api<PersonJourney>(server.url, 'GET', `/api/people/${person.id}`, undefined, cookie)).ack);
    expect(reached.reached).toBe(true);
    const progress = unwrap((await api<Progress>(server.url, 'GET', '/api/register/progress', undefined, cookie)).ack);
    expect(progress.totals).toEqual({ registered: 1, attended: 1, reached: 1 });
    expect(progress.hamlets.find((h) => h.key === 'Thôn Đông')).toMatchObject({ population: 2, sharePct: 50, met: false, targetPct: 80 });

    // A mistyped card: a clear error, and it counts like a wrong class code (8 per connection a minute).
    const guesser = learnerSocket(server.url);
    const first = await call(guesser, 'learner:join', { code: s2.code, card: '222222222', token: token(3) });
    expect(!first.ok && first.error.code).toBe('unknown_card');
    for (let i = 0; i < 7; i++) await call(guesser, 'learner:join', { code: s2.code, card: `22222223${i + 2}`, token: token(3) });
    const limited = await call(guesser, 'learner:join', { code: s2.code, card: person.card, token: token(3) });
    expect(!limited.ok && limited.error.code).toBe('rate_limited');
    const s2results = (await api<SessionResults>(server.url, 'GET', `/api/sessions/${s2.id}.json`, undefined, cookie)).ack;
    expect(s2results.ok && s2results.data.learners.length).toBe(1);

    // Figures are derived from stored events and the register: the same after a restart.
    await server.stop();
    const again = await servers.start({ dataDir: server.dataDir });
    const login = await api(again.url, 'POST', '/api/auth/login', { username: 'giangvien', password: 'mat-khau-du-dai' });
    const after = unwrap((await api<Progress>(again.url, 'GET', '/api/register/progress', undefined, login.cookie)).ack);
    expect({ ...after, at: 0 }).toEqual({ ...progress, at: 0 });
  });

  it('links learners after class from the results, pairs person by person, or adds them to the register', async () => {
    const { server, cookie, staff, session: s } = await servers.startClass();
    const lanhP = await addPerson(server.url, cookie, lanh);
    const tablet = learnerSocket(server.url);
    // Pair mode: Bà Lành and her grandson Tín on one tablet, no cards.
    unwrap(await call(tablet, 'learner:join', { code: s.code, name: 'Lành', partners: ['Tín'], token: token(1) }));
    await answerRight(staff, s.id, tablet, 0);
    unwrap(await call(staff, 'session:end', { sessionId: s.id }));
    const results = unwrap((await api<SessionResults>(server.url, 'GET', `/api/sessions/${s.id}.json`, undefined, cookie)).ack);
    const rowOf = (name: string) => results.learners.find((l) => l.name === name)!.id;

    const link = await api<{ personId: string }>(
      server.url,
      'POST',
      '/api/people/link',
      { sessionId: s.id, rowId: rowOf('Lành'), personId: lanhP.id },
      cookie,
    );
    expect(unwrap(link.ack).personId).toBe(lanhP.id);
    const added = unwrap(
      (
        await api<{ personId: string }>(
          server.url,
          'POST',
          '/api/people/link',
          {
            sessionId: s.id,
            rowId: rowOf('Tín'),
            person: { name: 'Trần Văn Tín', birthYear: 2014, hamlet: 'Thôn Đông', group: 'hoc-sinh', consentDate: '2026-11-20' },
          },
          cookie,
        )
      ).ack,
    );
    const links = unwrap(
      (await api<{ rowId: string; name: string }[]>(server.url, 'GET', `/api/people/links/${s.id}`, undefined, cookie)).ack,
    );
    expect(links.map((l) => l.name).sort()).toEqual(['Nguyễn Thị Lành', 'Trần Văn Tín']);
    for (const id of [lanhP.id, added.personId]) {
      const j = unwrap((await api<PersonJourney>(server.url, 'GET', `/api/people/${id}`, undefined, cookie)).ack);
      expect(j.skills.map((x) => x.id)).toEqual(['thanh-toan-qr']);
      expect(j.classes).toHaveLength(1);
    }
    // A row that is not in the session: not found, nothing linked.
    const none = await api(server.url, 'POST', '/api/people/link', { sessionId: s.id, rowId: 'khong-co-ai', personId: lanhP.id }, cookie);
    expect(none.status).toBe(404);
    // Unlinking takes the class (and its skills) away again.
    unwrap((await api(server.url, 'POST', '/api/people/unlink', { sessionId: s.id, rowId: rowOf('Lành') }, cookie)).ack);
    const j = unwrap((await api<PersonJourney>(server.url, 'GET', `/api/people/${lanhP.id}`, undefined, cookie)).ack);
    expect(j.skills).toEqual([]);
    expect(j.audit.map((a) => a.action)).toEqual(['created', 'linked', 'unlinked']);
  });

  it('CSV import: a file with bad rows changes nothing and lists every row; a good one adds and updates; export round-trips', async () => {
    const server = await servers.start();
    const { cookie } = await setupInstructor(server.url);
    const existing = await addPerson(server.url, cookie, hoa);
    const head = 'Họ và tên,Năm sinh,Thôn/Tổ dân phố,Nhóm,Số điện thoại,Ngày đồng ý lưu thông tin,Mã thẻ';
    const badCsv = [
      head,
      'Lê Thị Mai,1960,Thôn Đông,Người cao tuổi,0987654321,02/11/2026,',
      ',1961,Thôn Đông,Nông dân,,02/11/2026,',
      'Phạm Văn Nam,19xx,Thôn Đông,Không biết,,,',
      `Trần Văn Hoà,1970,Thôn Nam,Nông dân,,2026-11-03,${existing.card}`,
      'Đỗ Văn Bình,1980,Thôn Đông,Tiểu thương,,2026-11-03,999999999',
    ].join('\r\n');
    const before = unwrap((await api<PersonPage>(server.url, 'GET', '/api/people', undefined, cookie)).ack);
    const r = await api(server.url, 'POST', '/api/people/import', { csv: '\uFEFF' + badCsv }, cookie);
    expect(r.status).toBe(422);
    expect(!r.ack.ok && r.ack.error.code).toBe('invalid_csv');
    const rows = !r.ack.ok ? r.ack.error.rows! : [];
    expect(rows.map((x) => [x.row, x.column])).toEqual([
      [3, 'Họ và tên'],
      [4, 'Năm sinh'],
      [4, 'Nhóm'],
      [4, 'Ngày đồng ý lưu thông tin'],
    ]);
    expect(unwrap((await api<PersonPage>(server.url, 'GET', '/api/people', undefined, cookie)).ack)).toEqual(before);
    // Only the unknown card is wrong now: still nothing imported (the update of row 5 neither).
    const cardOnly = [
      head,
      'Lê Thị Mai,1960,Thôn Đông,Người cao tuổi,0987654321,02/11/2026,',
      `Trần Văn Hoà,1970,Thôn Nam,Nông dân,,2026-11-03,${existing.card}`,
      'Đỗ Văn Bình,1980,Thôn Đông,Tiểu thương,,2026-11-03,999 999 999',
    ].join('\r\n');
    const r2 = await api(server.url, 'POST', '/api/people/import', { csv: cardOnly }, cookie);
    expect(!r2.ack.ok && r2.ack.error.rows!.map((x) => x.row)).toEqual([4]);
    expect(unwrap((await api<PersonPage>(server.url, 'GET', '/api/people', undefined, cookie)).ack)).toEqual(before);

    const good = cardOnly.split('\r\n').slice(0, 3).join('\r\n');
    const ok = unwrap(
      (await api<{ created: number; updated: number }>(server.url, 'POST', '/api/people/import', { csv: good }, cookie)).ack,
    );
    expect(ok).toEqual({ created: 1, updated: 1 });
    const after = unwrap((await api<PersonPage>(server.url, 'GET', '/api/people', undefined, cookie)).ack);
    expect(after.people.map((p) => [p.name, p.hamlet, p.consentDate])).toEqual([
      ['Trần Văn Hoà', 'Thôn Nam', '2026-11-03'],
      ['Lê Thị Mai', 'Thôn Đông', '2026-11-02'],
    ]);

    // Export: Excel-safe (BOM, CRLF, quoted), phone kept as text; importing it back changes nobody's data.
    const res = await fetch(`${server.url}/api/people.csv`, { headers: { cookie } });
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csv = bytes.toString('utf8');
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="?so-hoc-vien-/);
    expect(csv.startsWith('\uFEFF"Họ và tên"')).toBe(true);
    expect(csv).toContain('\r\n');
    expect(csv).toContain('"0987 654 321"');
    expect(csv).toContain('"Người cao tuổi"');
    const back = unwrap((await api<{ created: number; updated: number }>(server.url, 'POST', '/api/people/import', { csv }, cookie)).ack);
    expect(back).toEqual({ created: 0, updated: 2 });
    const same = unwrap((await api<PersonPage>(server.url, 'GET', '/api/people', undefined, cookie)).ack);
    expect(same.people.map(({ updatedAt: _u, ...p }) => p)).toEqual(after.people.map(({ updatedAt: _u, ...p }) => p));
  });

  it('a person can be exported as JSON and erased: name, birth year, phone and card gone, aggregates kept', async () => {
    const { server, cookie, staff, session: s } = await servers.startClass();
    const person = await addPerson(server.url, cookie, lanh);
    const tablet = learnerSocket(server.url);
    unwrap(await call(tablet, 'learner:join', { code: s.code, card: person.card, token: token(1) }));
    await answerRight(staff, s.id, tablet, 0);
    unwrap(await call(staff, 'session:end', { sessionId: s.id }));
    unwrap(
      (await api(server.url, 'PUT', '/api/register/standard', { required: ['thanh-toan-qr'], targetPct: 80, populations: {} }, cookie)).ack,
    );

    const exported = await fetch(`${server.url}/api/people/${person.id}/export`, { headers: { cookie } });
    expect(exported.headers.get('content-disposition')).toContain('attachment');
    const data = ((await exported.json()) as { data: PersonJourney & { kind: string } }).data;
    expect(data.kind).toBe('cunghoc-person');
    expect(data.person).toMatchObject({ name: 'Nguyễn Thị Lành', birthYear: 1956, phone: '0912345678', card: person.card });
    expect(data.skills.map((x) => x.id)).toEqual(['thanh-toan-qr']);

    const progressBefore = unwrap((await api<Progress>(server.url, 'GET', '/api/register/progress', undefined, cookie)).ack);
    const erased = unwrap((await api<Person>(server.url, 'POST', `/api/people/${person.id}/erase`, {}, cookie)).ack);
    expect(erased).toMatchObject({ name: null, birthYear: null, phone: null, card: null, hamlet: 'Thôn Đông', group: 'nguoi-cao-tuoi' });
    expect(erased.erasedAt).not.toBeNull();
    // Gone from the class's results too, and the card no longer opens anything.
    const results = await (await fetch(`${server.url}/api/sessions/${s.id}.csv`, { headers: { cookie } })).text();
    expect(results).not.toContain('Lành');
    const s2 = await startSession(server.url, cookie);
    const refused = await call(learnerSocket(server.url), 'learner:join', { code: s2.code, card: person.card, token: token(2) });
    expect(!refused.ok && refused.error.code).toBe('unknown_card');
    expect(unwrap((await api<PersonPage>(server.url, 'GET', '/api/people', undefined, cookie)).ack).total).toBe(0);
    // The movement's figures keep counting them.
    const progressAfter = unwrap((await api<Progress>(server.url, 'GET', '/api/register/progress', undefined, cookie)).ack);
    expect(progressAfter.totals).toEqual(progressBefore.totals);
    expect(progressAfter.totals.reached).toBe(1);
    // Erased people cannot be edited; the audit says who erased them and when.
    expect((await api(server.url, 'PUT', `/api/people/${person.id}`, lanh, cookie)).status).toBe(409);
    const audit = unwrap((await api<PersonJourney>(server.url, 'GET', `/api/people/${person.id}`, undefined, cookie)).ack).audit;
    expect(audit.map((a) => a.action)).toEqual(['created', 'linked', 'exported', 'erased']);
    expect(JSON.stringify(audit)).not.toContain('Lành');
  });
});

const formatted = (card: string) => card.replace(/^(\d{3})(\d{3})(\d{3})$/, '$1 $2 $3');
