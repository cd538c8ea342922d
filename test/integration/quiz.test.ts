import { describe, expect, it } from 'vitest';
import type { Question } from '../../shared/lesson/question.ts';
import type { LearnerSnapshot, MeView, SessionResults, StaffView, ClassView, DisplayView } from '../../shared/protocol/views.ts';
import {
  call,
  closeSockets,
  displaySocket,
  learnerSocket,
  openQuiz,
  staffSocket,
  unwrap,
  waitFor,
  type StaffSocket,
} from '../support/sockets.ts';
import { api, type TestServer, useServers } from '../support/server.ts';
import { poll, single } from '../support/lessons.ts';

const servers = useServers();

const SECRET_EXPLANATION = 'GIAI-THICH-BI-MAT-9731';
const secretQuestions: Question[] = [
  {
    ...single(
      'q-single',
      'Trước khi xác nhận chuyển tiền, cần kiểm tra gì?',
      { a: 'Màu của mã QR', zz: 'Tên người nhận và số tiền' },
      'zz',
    ),
    explanation: SECRET_EXPLANATION,
  },
  {
    id: 'q-text',
    kind: 'text',
    prompt: 'Mã gửi qua tin nhắn để xác nhận gọi là gì?',
    accepted: ['tu-khoa-bi-mat-5521'],
    ignoreDiacritics: true,
    explanation: SECRET_EXPLANATION,
  },
  {
    id: 'q-number',
    kind: 'number',
    prompt: 'Số bí mật?',
    correct: 4242.5,
    tolerance: 0,
    explanation: SECRET_EXPLANATION,
  },
];

// Joined all at once (500 in one test), as "HV i".
const classroom = (n: number) => servers.startClass({ learners: n, together: true, name: (i) => `HV ${i}`, push: 0 });

/** A quick question opened by the console (test/support/sockets.ts). */
const open = (staff: StaffSocket, sessionId: string, question: Question, timeLimit: number | null = null) =>
  openQuiz(staff, sessionId, { question }, timeLimit);

describe('live practice quizzes', () => {
  it('answer keys and explanations never reach a learner or the projector before the reveal', async () => {
    const { server, session, staff, learners } = await classroom(2);
    const display = displaySocket(server.url);
    const packets: { when: 'before' | 'after'; data: string }[] = [];
    let phase: 'before' | 'after' = 'before';
    for (const s of [learners[0].socket, learners[1].socket, display]) {
      s.onAny((event, ...args) => packets.push({ when: phase, data: JSON.stringify([event, args]) }));
    }
    unwrap(await call(display, 'display:watch', { code: session.code }));
    /** Every recorder (both learners and the projector) has seen this run in this status: nothing of it is still on its way. */
    const everyoneSees = (runId: string, status: 'closed' | 'revealed') =>
      Promise.all([
        ...learners.map((l) => waitFor<ClassView>(l.socket, 'class', (c) => c.quiz?.runId === runId && c.quiz.status === status)),
        waitFor<DisplayView>(display, 'display:view', (d) => d.quiz?.runId === runId && d.quiz.status === status),
      ]);

    for (const q of secretQuestions) {
      const runId = await open(staff, session.id, q);
      const value =
        q.kind === 'single'
          ? { kind: 'single', option: 'a' }
          : q.kind === 'text'
            ? { kind: 'text', text: 'sai' }
            : { kind: 'number', value: 1 };
      const ack = await call<MeView>(learners[0].socket, 'quiz:answer', { runId, answerId: `ans-${q.id}-1`, value });
      packets.push({ when: 'before', data: JSON.stringify(ack) });
      unwrap(await call(staff, 'quiz:show-results', { sessionId: session.id, runId, show: true }));
      unwrap(await call(staff, 'quiz:close', { sessionId: session.id, runId }));
      await everyoneSees(runId, 'closed'); // the coalesced projector view of the closed question included
      phase = 'after';
      unwrap(await call(staff, 'quiz:reveal', { sessionId: session.id, runId }));
      await everyoneSees(runId, 'revealed');
      phase = 'before';
    }
    const before = packets.filter((p) => p.when === 'before').map((p) => p.data);
    expect(before.length).toBeGreaterThan(10);
    for (const data of before) {
      expect(data).not.toContain(SECRET_EXPLANATION);
      expect(data).not.toContain('tu-khoa-bi-mat-5521');
      expect(data).not.toContain('4242.5');
      expect(data).not.toMatch(/"correct":"zz"|"accepted"|"options":\["zz"\]/);
    }
    // The test can see a leak: after the reveal the same recorder does find the keys.
    const after = packets
      .filter((p) => p.when === 'after')
      .map((p) => p.data)
      .join('\n');
    expect(after).toContain(SECRET_EXPLANATION);
    expect(after).toContain('tu-khoa-bi-mat-5521');
    expect(after).toContain('4242.5');
  });

  it('an answer resent after a reconnect is counted once; late answers and answers for others are refused', async () => {
    const { server, session, staff, learners } = await classroom(2);
    const [a, b] = learners;
    const runId = await open(staff, session.id, secretQuestions[0]);
    const answer = { runId, answerId: 'answer-0001', value: { kind: 'single', option: 'zz' } };
    unwrap(await call<MeView>(a.socket, 'quiz:answer', answer));
    a.socket.disconnect();
    const again = learnerSocket(server.url);
    unwrap(await call(again, 'learner:resume', { token: a.token }));
    const resent = unwrap(await call<MeView>(again, 'quiz:answer', answer));
    expect(resent.answer).toMatchObject({ runId, value: { kind: 'single', option: 'zz' } });
    const view = await waitFor<StaffView>(staff, 'staff:view', (v) => v.quiz?.answered === 1);
    expect(view.quiz!.histogram.find((h) => h.key === 'zz')!.count).toBe(1);

    // Nobody can answer for another learner: there is no field to say who, and extra fields are refused.
    const forOther = await call(b.socket, 'quiz:answer', { ...answer, answerId: 'answer-0002', learnerId: a.id });
    expect(forOther).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    // A value that does not fit the question is refused.
    const misfit = await call(b.socket, 'quiz:answer', { runId, answerId: 'answer-0003', value: { kind: 'single', option: 'nope' } });
    expect(misfit).toMatchObject({ ok: false, error: { code: 'invalid_answer' } });

    unwrap(await call(staff, 'quiz:close', { sessionId: session.id, runId }));
    const late = await call(b.socket, 'quiz:answer', { ...answer, answerId: 'answer-0004' });
    expect(late).toMatchObject({ ok: false, error: { code: 'quiz_closed' } });
    const results = await api<SessionResults>(server.url, 'GET', `/api/sessions/${session.id}.json`, undefined, await cookieOf(server));
    expect(results.ack.ok && results.ack.data.questions[0]).toMatchObject({ answered: 1, correctPct: 100 });
  });

  it('coalesces the aggregate: 500 answers in a burst are a few dozen staff updates, the last with all 500', async () => {
    const { session, staff, learners } = await classroom(500);
    const runId = await open(staff, session.id, poll('poll', 'Bác đã từng thanh toán bằng mã QR chưa?', { co: 'Rồi', chua: 'Chưa' }));
    // Count from the view of the open question on.
    await waitFor<StaffView>(staff, 'staff:view', (v) => v.quiz?.runId === runId);
    const updates: StaffView[] = [];
    staff.on('staff:view', (v) => updates.push(v));
    const acks = await Promise.all(
      learners.map((l, i) =>
        call<MeView>(l.socket, 'quiz:answer', {
          runId,
          answerId: `burst-${String(i).padStart(4, '0')}`,
          value: { kind: 'poll', option: i % 3 === 0 ? 'chua' : 'co' },
        }),
      ),
    );
    expect(acks.every((a) => a.ok)).toBe(true);
    await waitFor<StaffView>(staff, 'staff:view', (v) => v.quiz?.answered === 500, 5000);
    const last = updates.at(-1)!;
    expect(last.quiz!.answered).toBe(500);
    expect(last.quiz!.histogram.map((h) => h.count)).toEqual([333, 167]);
    expect(updates.length).toBeLessThanOrEqual(40);
  });

  it('a restart while a question is open keeps its answers and its deadline; the server closes it on time', async () => {
    const { server, cookie, session, staff, learners } = await classroom(2);
    const runId = await open(staff, session.id, secretQuestions[0], 10);
    const before = unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id })).quiz!;
    unwrap(await call(learners[0].socket, 'quiz:answer', { runId, answerId: 'keep-0001', value: { kind: 'single', option: 'zz' } }));
    closeSockets();
    await server.stop();

    const again = await servers.start({ dataDir: server.dataDir });
    const staff2 = staffSocket(again.url, cookie);
    const view = unwrap(await call<StaffView>(staff2, 'staff:watch', { sessionId: session.id }));
    expect(view.quiz).toMatchObject({ runId, status: 'open', deadline: before.deadline, answered: 1 });
    const b = learnerSocket(again.url);
    const snap = unwrap(await call<LearnerSnapshot>(b, 'learner:resume', { token: learners[1].token }));
    expect(snap.class.quiz).toMatchObject({ runId, status: 'open', deadline: before.deadline });
    const closed = waitFor<ClassView>(b, 'class', (c) => c.quiz?.status === 'closed', 15_000);
    await closed;
    expect(Date.now()).toBeGreaterThanOrEqual(before.deadline! - 5);
    const late = await call(b, 'quiz:answer', { runId, answerId: 'late-0001', value: { kind: 'single', option: 'zz' } });
    expect(late).toMatchObject({ ok: false, error: { code: 'quiz_closed' } });

    // Revealed state survives a restart too.
    unwrap(await call(staff2, 'quiz:reveal', { sessionId: session.id, runId }));
    closeSockets();
    await again.stop();
    const third = await servers.start({ dataDir: server.dataDir });
    const c = learnerSocket(third.url);
    const snapA = unwrap(await call<LearnerSnapshot>(c, 'learner:resume', { token: learners[0].token }));
    expect(snapA.class.quiz).toMatchObject({ status: 'revealed', reveal: { correct: { kind: 'options', options: ['zz'] } } });
    expect(snapA.me.answer).toMatchObject({ runId, score: 1 });
  }, 30_000);

  it('the projector gets the count, and the histogram only once the instructor shows it', async () => {
    const { server, session, staff, learners } = await classroom(3);
    const display = displaySocket(server.url);
    unwrap(await call(display, 'display:watch', { code: session.code }));
    const runId = await open(staff, session.id, secretQuestions[0]);
    for (const [i, option] of ['a', 'zz', 'zz'].entries()) {
      unwrap(await call(learners[i].socket, 'quiz:answer', { runId, answerId: `disp-000${i}`, value: { kind: 'single', option } }));
    }
    const counted = await waitFor<DisplayView>(display, 'display:view', (v) => v.quiz?.answered === 3);
    expect(counted.quiz!.histogram).toBeNull();
    unwrap(await call(staff, 'quiz:show-results', { sessionId: session.id, runId, show: true }));
    const shown = await waitFor<DisplayView>(display, 'display:view', (v) => v.quiz?.histogram !== null);
    expect(shown.quiz!.histogram!.map((h) => [h.key, h.count, h.correct])).toEqual([
      ['a', 1, null],
      ['zz', 2, null],
    ]);
    expect(JSON.stringify(shown)).not.toContain('HV ');
  });

  it('results: CSV with BOM, escaped formulas, and numbers matching the answers', async () => {
    const { server, cookie, session, staff, learners } = await classroom(3);
    const runId = await open(staff, session.id, secretQuestions[0]);
    for (const [i, option] of ['a', 'zz', 'zz'].entries()) {
      unwrap(await call(learners[i].socket, 'quiz:answer', { runId, answerId: `csv-000${i}`, value: { kind: 'single', option } }));
    }
    const text: Question = { id: 'q-t', kind: 'text', prompt: '=1+1 là gì?', accepted: ['hai'], ignoreDiacritics: false };
    const run2 = await open(staff, session.id, text);
    unwrap(
      await call(learners[0].socket, 'quiz:answer', {
        runId: run2,
        answerId: 'csv-0100',
        value: { kind: 'text', text: '=HYPERLINK("x")' },
      }),
    );
    unwrap(await call(staff, 'session:end', { sessionId: session.id }));

    const res = await fetch(`${server.url}/api/sessions/${session.id}.csv?table=questions`, { headers: { cookie } });
    expect(res.headers.get('content-type')).toContain('text/csv');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const body = new TextDecoder().decode(bytes);
    expect(body).toContain('"Trước khi xác nhận chuyển tiền, cần kiểm tra gì?"');
    expect(body).toContain(`1,"Trước khi xác nhận chuyển tiền, cần kiểm tra gì?","single",3,3,66.7,"Màu của mã QR",1`);
    expect(body).toContain(`"'=1+1 là gì?"`);
    const people = await (await fetch(`${server.url}/api/sessions/${session.id}.csv`, { headers: { cookie } })).text();
    expect(people).toContain(`"'=HYPERLINK(""x"")"`);
    expect(people.split('\r\n').filter(Boolean)).toHaveLength(4);
    expect((await fetch(`${server.url}/api/sessions/${session.id}.csv`)).status).toBe(401);
  });

  it('quiz:open retried with its client-made runId opens one run; the id for another question is refused', async () => {
    const { server, cookie, session, staff, learners } = await classroom(1);
    const command = { sessionId: session.id, runId: 'run-client-0001', source: { question: secretQuestions[0] }, timeLimit: 60 };
    const first = await call<{ runId: string }>(staff, 'quiz:open', command);
    expect(first).toEqual({ ok: true, data: { runId: 'run-client-0001' } });
    unwrap(
      await call(learners[0].socket, 'quiz:answer', {
        runId: 'run-client-0001',
        answerId: 'ans-retry-01',
        value: { kind: 'single', option: 'zz' },
      }),
    );
    // The retry (a lost ack, a double tap) is acknowledged as the first was, and opens nothing.
    expect(await call<{ runId: string }>(staff, 'quiz:open', command)).toEqual(first);
    const other = await call(staff, 'quiz:open', { ...command, source: { question: secretQuestions[1] } });
    expect(other.ok || other.error.code).toBe('id_reused');
    unwrap(await call(staff, 'session:end', { sessionId: session.id }));
    const results = unwrap((await api<SessionResults>(server.url, 'GET', `/api/sessions/${session.id}.json`, undefined, cookie)).ack);
    expect(results.questions).toHaveLength(1);
    expect(results.questions[0]).toMatchObject({ answered: 1 });
  });
});

async function cookieOf(server: TestServer): Promise<string> {
  const r = await api(server.url, 'POST', '/api/auth/login', { username: 'giangvien', password: 'mat-khau-du-dai' });
  return r.cookie!;
}
