import { describe, expect, it } from 'vitest';
import type { LearnerSnapshot, MeView, SessionResults, StaffView } from '../../shared/protocol/views.ts';
import { call, helperSocket, learnerSocket, openQuiz, token, unwrap, waitFor } from '../support/sockets.ts';
import { api, useServers } from '../support/server.ts';

const servers = useServers();
const classroom = () => servers.startClass();

describe('shared tablets', () => {
  it("staff label a learner's tablet: its own view carries the seat, again on resume; a learner cannot label anyone", async () => {
    const { server, session, staff, helperCode } = await classroom();
    const lan = learnerSocket(server.url);
    const lanJoined = unwrap(
      await call<LearnerSnapshot>(lan, 'learner:join', { code: session.code, name: 'Lan', seat: 'Bàn 1', token: token(1) }),
    );
    const hoa = learnerSocket(server.url);
    const hoaJoined = unwrap(await call<LearnerSnapshot>(hoa, 'learner:join', { code: session.code, name: 'Hoà', token: token(2) }));
    expect(hoaJoined.me.seat).toBe('');

    // The instructor names Hoà's tablet: Hoà's own stream says so at once.
    const pushed = waitFor<MeView>(hoa, 'me', (v) => v.seat === 'Bàn 3 – Máy 2');
    unwrap(await call(staff, 'seat:label', { sessionId: session.id, learnerId: hoaJoined.me.learnerId, seat: 'Bàn 3 – Máy 2' }));
    expect((await pushed).learnerId).toBe(hoaJoined.me.learnerId);
    const roster = () => call<StaffView>(staff, 'staff:watch', { sessionId: session.id }).then((a) => unwrap(a).roster);
    expect((await roster()).map((r) => [r.name, r.seat])).toEqual([
      ['Lan', 'Bàn 1'],
      ['Hoà', 'Bàn 3 – Máy 2'],
    ]);
    // A helper walking the room may do the same.
    const phone = helperSocket(server.url, helperCode, 'Chị Ba', token(50));
    unwrap(await call(phone, 'seat:label', { sessionId: session.id, learnerId: lanJoined.me.learnerId, seat: 'Bàn 2' }));
    // A reconnecting tablet finds its label in the snapshot.
    const again = learnerSocket(server.url);
    expect(unwrap(await call<LearnerSnapshot>(again, 'learner:resume', { token: token(2) })).me.seat).toBe('Bàn 3 – Máy 2');

    // Learners cannot label: not their command, not through "Máy này" without a staff code.
    const refused = await call(lan, 'seat:label', { sessionId: session.id, learnerId: hoaJoined.me.learnerId, seat: 'Của Lan' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await call(lan, 'tablet:seat', { helperCode: session.code.slice(0, 6), seat: 'Của Lan' })).toMatchObject({
      ok: false,
      error: { code: 'unknown_code' },
    });
    // "Máy này" with the right code only confirms the label for that tablet's browser: no one's seat in class changes.
    expect(await call(lan, 'tablet:seat', { helperCode, seat: 'Bàn 7' })).toEqual({ ok: true, data: { seat: 'Bàn 7' } });
    expect((await roster()).map((r) => r.seat)).toEqual(['Bàn 2', 'Bàn 3 – Máy 2']);
  });

  it('pair mode: one tablet, two names; the console shows "An & Bình"; results and CSV give each a row, marked as a pair', async () => {
    const { server, cookie, session, staff } = await classroom();
    const pair = learnerSocket(server.url);
    const joined = unwrap(
      await call<LearnerSnapshot>(pair, 'learner:join', {
        code: session.code,
        name: 'An',
        partners: [' Bình '],
        seat: 'Bàn 4',
        token: token(1),
      }),
    );
    expect(joined.me.name).toBe('An & Bình');
    const alone = learnerSocket(server.url);
    unwrap(await call(alone, 'learner:join', { code: session.code, name: 'Lành', token: token(2) }));
    const tooMany = await call(learnerSocket(server.url), 'learner:join', {
      code: session.code,
      name: 'Chi',
      partners: ['Dũng', 'Giang', 'Hà'],
      token: token(3),
    });
    expect(tooMany).toMatchObject({ ok: false, error: { code: 'bad_request' } });

    unwrap(await call(staff, 'step:push', { sessionId: session.id, step: 3 }));
    const runId = await openQuiz(staff, session.id, { step: 3, questionId: 'kiem-tra-gi' });
    unwrap(await call(pair, 'quiz:answer', { runId, answerId: 'pair-answer-1', value: { kind: 'single', option: 'b' } }));
    unwrap(await call(alone, 'quiz:answer', { runId, answerId: 'alone-answer-1', value: { kind: 'single', option: 'a' } }));
    unwrap(await call(pair, 'learner:done', { step: 3, done: true }));
    const view = unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id }));
    expect(view.roster.map((r) => r.name)).toEqual(['Lành', 'An & Bình']);
    expect(view.quiz!.answered).toBe(3); // people: the pair's one answer counts for both (server/engine/people.ts)

    const results = await api<SessionResults>(server.url, 'GET', `/api/sessions/${session.id}.json`, undefined, cookie);
    const data = unwrap(results.ack);
    expect(data.learners.map(({ name, partners, seat, answered, correct }) => ({ name, partners, seat, answered, correct }))).toEqual([
      { name: 'An', partners: ['Bình'], seat: 'Bàn 4', answered: 1, correct: 1 },
      { name: 'Bình', partners: ['An'], seat: 'Bàn 4', answered: 1, correct: 1 },
      { name: 'Lành', partners: [], seat: '', answered: 1, correct: 0 },
    ]);
    expect(data.participation.learners).toBe(3);

    const csv = await fetch(`${server.url}/api/sessions/${session.id}.csv?table=learners`, { headers: { cookie } }).then((r) => r.text());
    const rows = csv
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(rows[0]).toMatch(/^"Tên","Chỗ ngồi","Học cùng","Số câu đã trả lời","Số câu đúng",/);
    expect(rows.slice(1).map((r) => r.split(',').slice(0, 5).join(','))).toEqual([
      '"An","Bàn 4","Bình",1,1',
      '"Bình","Bàn 4","An",1,1',
      '"Lành","",,1,0',
    ]);
    // Anonymised for sharing: the pair is still marked, by numbers.
    const anon = await fetch(`${server.url}/api/sessions/${session.id}.csv?table=learners&anonymous`, { headers: { cookie } }).then((r) =>
      r.text(),
    );
    expect(anon).not.toMatch(/An|Bình|Lành/);
    expect(anon).toContain('"#1","Bàn 4","#2",1,1');
  });

  it("a tablet's snapshot lists every picture of the lesson, once; pushes do not repeat it", async () => {
    const { server, session, staff } = await classroom();
    const tablet = learnerSocket(server.url);
    const snap = unwrap(await call<LearnerSnapshot>(tablet, 'learner:join', { code: session.code, name: 'Lan', token: token(1) }));
    expect([...snap.images].sort()).toEqual(
      ['khien-khoa.svg', 'qr-bien-lai.svg', 'qr-kiem-tra.svg', 'qr-ma-gia.svg', 'qr-quet-ma.svg'].map((f) => `/media/${f}`),
    );
    for (const url of snap.images) expect((await fetch(server.url + url)).status).toBe(200);
    const pushed = waitFor<Record<string, unknown>>(tablet, 'class', () => true);
    unwrap(await call(staff, 'step:push', { sessionId: session.id, step: 0 }));
    expect(await pushed).not.toHaveProperty('images');
    expect(unwrap(await call<LearnerSnapshot>(learnerSocket(server.url), 'learner:resume', { token: token(1) })).images).toEqual(
      snap.images,
    );
  });

  it('a learner who switches while offline (no leave reaches the server) stays in the roster, shown disconnected', async () => {
    const { server, session, staff } = await classroom();
    const tablet = learnerSocket(server.url);
    unwrap(await call(tablet, 'learner:join', { code: session.code, name: 'Lan', token: token(1) }));
    tablet.disconnect();
    // Wait for the server to have seen the disconnect, however busy the machine.
    const watch = async () => unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id }));
    await expect.poll(async () => (await watch()).counts.disconnected, { timeout: 10_000 }).toBe(1);
    const view = await watch();
    expect(view.roster.map((r) => [r.name, r.connected])).toEqual([['Lan', false]]);
    expect(view.counts).toMatchObject({ total: 1, disconnected: 1 });
  });
});
