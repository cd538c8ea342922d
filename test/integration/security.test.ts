import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startApp } from '../../server/app.ts';
import { openSqliteStore } from '../../server/store/sqlite.ts';
import { displayCommands, learnerCommands, staffCommands } from '../../shared/protocol/events.ts';
import type { LearnerSnapshot, SessionResults, StaffView } from '../../shared/protocol/views.ts';
import { call, closeSockets, displaySocket, helperSocket, learnerSocket, staffSocket, token, unwrap, waitFor } from '../support/sockets.ts';
import { api, setupInstructor, startSession, useServers } from '../support/server.ts';
import { optionsOf } from '../support/lessons.ts';

const servers = useServers();

type Role = 'instructor' | 'helper' | 'learner' | 'projector' | 'anonymous';

/**
 * The authorization matrix of docs/security.md: for each socket event, the roles allowed to use it.
 * Every other role must get an error ack and change nothing.
 */
const matrix: Record<string, Role[]> = {
  'learner:join': ['anonymous', 'learner'],
  'learner:resume': ['anonymous', 'learner'],
  'learner:done': ['learner'],
  'learner:help': ['learner'],
  'learner:navigate': ['learner'],
  'learner:leave': ['learner'],
  'quiz:answer': ['learner'],
  'task:move': ['learner'],
  'learner:ping': ['learner'],
  'tablet:seat': ['anonymous', 'learner'],
  'staff:watch': ['instructor', 'helper'],
  'step:push': ['instructor'],
  'pacing:set': ['instructor'],
  'session:end': ['instructor'],
  'quiz:open': ['instructor'],
  'quiz:close': ['instructor'],
  'quiz:reveal': ['instructor'],
  'quiz:show-results': ['instructor'],
  'quiz:dismiss': ['instructor'],
  'help:claim': ['instructor', 'helper'],
  'help:release': ['instructor', 'helper'],
  'help:resolve': ['instructor', 'helper'],
  'stuck:dismiss': ['instructor', 'helper'],
  'stuck:configure': ['instructor'],
  'seatmap:set': ['instructor'],
  'seat:place': ['instructor'],
  'seat:label': ['instructor', 'helper'],
  'learner:remove': ['instructor'],
  'task:open': ['instructor'],
  'task:close': ['instructor'],
  'display:watch': ['projector'],
};

describe('authorization', () => {
  it('the matrix covers every socket event', () => {
    const all = [learnerCommands, staffCommands, displayCommands].flatMap((m) => Object.keys(m)).sort();
    expect(Object.keys(matrix).sort()).toEqual(all);
  });

  it('every forbidden socket call is refused with an error and changes nothing', async () => {
    const { server, session, staff, first } = await servers.startClass();
    const learner = learnerSocket(server.url);
    const me = unwrap(await call<LearnerSnapshot>(learner, 'learner:join', { code: session.code, name: 'Lan', token: token(1) }));
    const other = learnerSocket(server.url);
    unwrap(await call(other, 'learner:join', { code: session.code, name: 'Hoa', token: token(2) }));
    unwrap(await call(staff, 'step:push', { sessionId: session.id, step: 0 }));
    const runId = unwrap(
      await call<{ runId: string }>(staff, 'quiz:open', {
        sessionId: session.id,
        source: {
          question: {
            id: 'q',
            kind: 'poll',
            prompt: 'Bác thấy sao?',
            options: optionsOf('Tốt', 'Khó'),
          },
        },
        timeLimit: null,
      }),
    ).runId;
    unwrap(await call(other, 'learner:help', { active: true }));
    await waitFor<StaffView>(staff, 'staff:view', (v) => v.helpQueue.length === 1);
    const queued = unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id }));
    const requestId = queued.helpQueue[0].id;

    const sockets: Record<Role, ReturnType<typeof learnerSocket> | ReturnType<typeof staffSocket>> = {
      instructor: staff,
      helper: helperSocket(server.url, first.helperCode, 'Chị Ba', token(50)),
      learner,
      projector: displaySocket(server.url),
      anonymous: learnerSocket(server.url),
    };
    unwrap(await call(sockets.projector, 'display:watch', { code: session.code }));
    const payloads: Record<string, unknown> = {
      'learner:join': { code: session.code, name: 'Mới', token: token(3) },
      'learner:resume': { token: token(1) },
      'learner:done': { step: 0, done: true },
      'learner:help': { active: true },
      'learner:navigate': { step: 0 },
      'learner:leave': {},
      'quiz:answer': { runId, answerId: 'matrix-answer-1', value: { kind: 'poll', option: 'a' } },
      'task:move': { runId: 'task-run-none', moveId: 'matrix-move-1', from: 'trang-chu', action: { kind: 'miss' } },
      'task:open': { sessionId: session.id, source: { step: 0, taskId: 'nope' } },
      'task:close': { sessionId: session.id, runId: 'task-run-none' },
      'learner:ping': { rttMs: 12 },
      'tablet:seat': { helperCode: first.helperCode, seat: 'Bàn 9' },
      'staff:watch': { sessionId: session.id },
      'step:push': { sessionId: session.id, step: 1 },
      'pacing:set': { sessionId: session.id, pacing: { mode: 'self', from: 0, to: 2 } },
      'session:end': { sessionId: session.id },
      'quiz:open': { sessionId: session.id, source: { step: 0, questionId: 'nope' }, timeLimit: null },
      'quiz:close': { sessionId: session.id, runId },
      'quiz:reveal': { sessionId: session.id, runId },
      'quiz:show-results': { sessionId: session.id, runId, show: true },
      'quiz:dismiss': { sessionId: session.id, runId },
      'help:claim': { sessionId: session.id, requestId },
      'help:release': { sessionId: session.id, requestId },
      'help:resolve': { sessionId: session.id, requestId },
      'stuck:dismiss': { sessionId: session.id, learnerId: me.me.learnerId },
      'stuck:configure': {
        sessionId: session.id,
        config: { enabled: false, expectedFactor: 1, medianFactor: 2, minDone: 3, wrongAnswers: 2, paceThreshold: 0.8 },
      },
      'seatmap:set': { sessionId: session.id, rows: 2, cols: 2 },
      'seat:place': { sessionId: session.id, learnerId: me.me.learnerId, row: 0, col: 0 },
      'seat:label': { sessionId: session.id, learnerId: me.me.learnerId, seat: 'Bàn 9' },
      'learner:remove': { sessionId: session.id, learnerId: me.me.learnerId, block: true },
      'display:watch': { code: session.code },
    };
    const seqBefore = unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id })).seq;
    let refused = 0;
    for (const [event, allowed] of Object.entries(matrix)) {
      for (const role of Object.keys(sockets) as Role[]) {
        if (allowed.includes(role)) continue;
        const ack = await call(sockets[role], event, payloads[event]);
        expect(ack.ok, `${role} ${event}`).toBe(false);
        expect(['forbidden', 'unauthorized'], `${role} ${event}`).toContain(ack.ok ? 'ok' : ack.error.code);
        refused += 1;
      }
    }
    expect(refused).toBeGreaterThan(80);
    const after = unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id }));
    expect(after.seq).toBe(seqBefore); // no event was stored
    expect(after).toMatchObject({ current: 0, status: 'open', counts: { total: 2, help: 1 } });
  });

  it('HTTP: staff routes need a signed-in instructor; public routes answer everyone', async () => {
    const server = await servers.start();
    const { cookie } = await setupInstructor(server.url);
    const session = await startSession(server.url, cookie);
    const lessonDoc = unwrap(
      (await api<{ lesson: Record<string, unknown> }>(server.url, 'GET', '/api/lessons/thanh-toan-qr', undefined, cookie)).ack,
    ).lesson;
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
    const person = { name: 'Nguyễn Thị Lành', birthYear: 1956, hamlet: 'Thôn Đông', group: 'nguoi-cao-tuoi', consentDate: '2026-11-02' };
    const personId = unwrap((await api<{ id: string }>(server.url, 'POST', '/api/people', person, cookie)).ack).id;
    const peopleBefore = unwrap((await api(server.url, 'GET', `/api/people/${personId}`, undefined, cookie)).ack);
    const standardBefore = unwrap((await api(server.url, 'GET', '/api/register/standard', undefined, cookie)).ack);
    const routes: [string, string, unknown, boolean][] = [
      ['GET', '/api/lessons', undefined, true],
      ['GET', '/api/lessons?archived=1', undefined, true],
      ['GET', '/api/lessons/thanh-toan-qr', undefined, true],
      ['GET', '/api/lessons/thanh-toan-qr/export', undefined, true],
      ['POST', '/api/lessons', { lesson: { ...lessonDoc, id: 'bai-moi' } }, true],
      ['PUT', '/api/lessons/thanh-toan-qr', { lesson: { ...lessonDoc, title: 'Đổi tên' } }, true],
      ['POST', '/api/lessons/thanh-toan-qr/duplicate', {}, true],
      ['POST', '/api/lessons/thanh-toan-qr/archive', { archived: true }, true],
      ['POST', '/api/lessons/import', { kind: 'cunghoc-lesson', version: 1, lesson: { ...lessonDoc, id: 'bai-nhap' }, images: {} }, true],
      ['POST', '/api/media', png, true],
      ['GET', '/api/sessions', undefined, true],
      ['POST', '/api/sessions', { lessonId: 'thanh-toan-qr' }, true],
      ['POST', '/api/users', { username: 'moi-nguoi', displayName: 'Mới', password: 'mat-khau-rat-dai' }, true],
      ['GET', `/api/sessions/${session.id}.json`, undefined, true],
      ['GET', `/api/sessions/${session.id}.csv`, undefined, true],
      // The register of learners (personal data): signed-in instructors only.
      ['GET', '/api/people', undefined, true],
      ['GET', '/api/people?q=lanh', undefined, true],
      ['GET', '/api/people.csv', undefined, true],
      ['GET', '/api/people/hamlets', undefined, true],
      ['GET', `/api/people/cards?ids=${personId}`, undefined, true],
      ['POST', '/api/people', person, true],
      [
        'POST',
        '/api/people/import',
        { csv: 'Họ và tên,Năm sinh,Thôn/Tổ dân phố,Nhóm,Ngày đồng ý lưu thông tin\r\nAi Đó,1950,Thôn Đông,Khác,2026-11-02' },
        true,
      ],
      ['GET', `/api/people/${personId}`, undefined, true],
      ['PUT', `/api/people/${personId}`, { ...person, name: 'Đổi Tên' }, true],
      ['GET', `/api/people/${personId}/export`, undefined, true],
      ['GET', `/api/people/${personId}/card.svg`, undefined, true],
      ['POST', `/api/people/${personId}/erase`, {}, true],
      ['POST', '/api/people/link', { sessionId: session.id, rowId: 'abcdefgh', personId }, true],
      ['POST', '/api/people/unlink', { sessionId: session.id, rowId: 'abcdefgh' }, true],
      ['GET', `/api/people/links/${session.id}`, undefined, true],
      ['GET', '/api/register/standard', undefined, true],
      ['PUT', '/api/register/standard', { required: ['vneid'], targetPct: 50, populations: {} }, true],
      ['GET', '/api/register/progress', undefined, true],
      ['GET', '/api/register/progress.csv', undefined, true],
      ['GET', '/api/festival', undefined, true],
      ['GET', '/api/info', undefined, false],
      ['GET', '/api/auth/me', undefined, false],
      ['GET', `/api/join-qr/${session.code}.svg`, undefined, false],
    ];
    const sessionsBefore = await api<unknown[]>(server.url, 'GET', '/api/sessions', undefined, cookie);
    const lessonsBefore = unwrap((await api<unknown[]>(server.url, 'GET', '/api/lessons?archived=1', undefined, cookie)).ack);
    const lessonBefore = unwrap((await api(server.url, 'GET', '/api/lessons/thanh-toan-qr', undefined, cookie)).ack);
    // Helpers, learners and projectors carry no instructor cookie: anonymous, or a forged cookie.
    for (const [method, path, body, staffOnly] of routes) {
      for (const forged of [undefined, 'ch_sid=gia-mao-0123456789abcdef']) {
        const raw = Buffer.isBuffer(body);
        const res = await fetch(server.url + path, {
          method,
          headers: {
            ...(body ? { 'content-type': raw ? 'image/png' : 'application/json' } : {}),
            ...(forged ? { cookie: forged } : {}),
          },
          body: body ? (raw ? new Uint8Array(body) : JSON.stringify(body)) : undefined,
        });
        expect(res.status, `${method} ${path}`).toBe(staffOnly ? 401 : 200);
      }
    }
    const sessionsAfter = await api<unknown[]>(server.url, 'GET', '/api/sessions', undefined, cookie);
    expect(sessionsAfter.ack.ok && sessionsAfter.ack.data.length).toBe(sessionsBefore.ack.ok && sessionsBefore.ack.data.length);
    expect(unwrap((await api<unknown[]>(server.url, 'GET', '/api/lessons?archived=1', undefined, cookie)).ack)).toEqual(lessonsBefore);
    expect(unwrap((await api(server.url, 'GET', '/api/lessons/thanh-toan-qr', undefined, cookie)).ack)).toEqual(lessonBefore);
    expect(readdirSync(join(server.dataDir, 'media'))).toEqual([]);
    expect(unwrap((await api(server.url, 'GET', `/api/people/${personId}`, undefined, cookie)).ack)).toEqual(peopleBefore);
    expect(unwrap((await api<{ total: number }>(server.url, 'GET', '/api/people', undefined, cookie)).ack).total).toBe(1);
    expect(unwrap((await api(server.url, 'GET', '/api/register/standard', undefined, cookie)).ack)).toEqual(standardBefore);
    // The register's reads with the instructor's cookie work (so the refusals above are about the role).
    for (const [method, path] of routes.filter(([m, p]) => m === 'GET' && /^\/api\/(people|register|festival)/.test(p))) {
      const res = await fetch(server.url + path, { method, headers: { cookie } });
      expect(res.status, `instructor ${method} ${path}`).toBe(200);
    }
    // The lesson editor's routes with the instructor's cookie work (so the refusals above are about the role).
    const editorRoutes = routes.filter(([, path]) => /^\/api\/(lessons|media)/.test(path));
    for (const [method, path, body] of [
      ...editorRoutes.filter(([, p]) => !p.endsWith('/archive')),
      ...editorRoutes.filter(([, p]) => p.endsWith('/archive')),
    ]) {
      const raw = Buffer.isBuffer(body);
      const res = await fetch(server.url + path, {
        method,
        headers: { cookie, ...(body ? { 'content-type': raw ? 'image/png' : 'application/json' } : {}) },
        body: body ? (raw ? new Uint8Array(body) : JSON.stringify(body)) : undefined,
      });
      expect(res.status, `instructor ${method} ${path}`).toBeLessThan(300);
    }
    const login = await api(server.url, 'POST', '/api/auth/login', { username: 'moi-nguoi', password: 'mat-khau-rat-dai' });
    expect(login.ack.ok).toBe(false);
  });
});

describe('origin', () => {
  it('Socket.IO refuses a handshake from another site', async () => {
    const server = await servers.start();
    const { io } = await import('socket.io-client');
    const evil = io(`${server.url}/display`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      extraHeaders: { origin: 'http://evil.example' },
    });
    const err = await new Promise<Error>((resolve) => evil.on('connect_error', resolve));
    evil.close();
    expect(err.message).toMatch(/websocket error|xhr poll error|forbidden/i);
    const ours = io(`${server.url}/display`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      extraHeaders: { origin: server.url },
    });
    await new Promise<void>((resolve, reject) => {
      ours.on('connect', resolve);
      ours.on('connect_error', reject);
    });
    ours.close();
  });
});

describe('guessing limits', () => {
  it('wrong class codes are limited per connection and per address; sign-ins per user', async () => {
    // Set up from the server machine, then guess from the hall: the server machine itself is never limited.
    let local = true;
    const server = await servers.start({ isLocal: () => local });
    const { cookie } = await setupInstructor(server.url);
    local = false;
    const session = await startSession(server.url, cookie);
    const guesser = learnerSocket(server.url);
    const codes: string[] = [];
    for (let i = 0; i < 12; i++) {
      const code = String((Number(session.code) + 1 + i) % 1_000_000).padStart(6, '0');
      const ack = await call(guesser, 'learner:join', { code, name: 'Đoán', token: token(100 + i) });
      codes.push(ack.ok ? 'ok' : ack.error.code);
    }
    expect(codes.slice(0, 8)).toEqual(Array(8).fill('unknown_code'));
    expect(codes.slice(8)).toEqual(Array(4).fill('rate_limited'));
    // Even the right code is refused to that connection now.
    const right = await call(guesser, 'learner:join', { code: session.code, name: 'Đoán', token: token(200) });
    expect(right).toMatchObject({ ok: false, error: { code: 'rate_limited' } });

    // New connections from the same address share its 20 failures a minute (8 already used).
    const wrong = '000000' === session.code ? '000001' : '000000';
    const results: string[] = [];
    for (let c = 0; c < 3; c++) {
      const projector = displaySocket(server.url);
      for (let i = 0; i < 4; i++) {
        const ack = await call(projector, 'display:watch', { code: wrong });
        results.push(ack.ok ? 'ok' : ack.error.code);
      }
    }
    expect(results).toEqual(Array(12).fill('unknown_code'));
    const next = await call(displaySocket(server.url), 'display:watch', { code: session.code });
    expect(next).toMatchObject({ ok: false, error: { code: 'rate_limited' } });

    const attempts: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await api(server.url, 'POST', '/api/auth/login', { username: 'giangvien', password: `sai-${i}-mat-khau` });
      attempts.push(r.status);
    }
    expect(attempts.slice(0, 8)).toEqual(Array(8).fill(401));
    expect(attempts.slice(8)).toEqual([429, 429]);
    const right2 = await api(server.url, 'POST', '/api/auth/login', { username: 'giangvien', password: 'mat-khau-du-dai' });
    expect(right2.status).toBe(429);
  });

  it('wrong staff codes on a tablet\'s "Máy này" count against the same limits', async () => {
    const { server, session, helperCode } = await servers.startClass();
    const tablet = learnerSocket(server.url);
    const right = await call(tablet, 'tablet:seat', { helperCode, seat: ' Bàn 3 –  Máy 2 ' });
    expect(right).toEqual({ ok: true, data: { seat: 'Bàn 3 – Máy 2' } });
    const wrong = helperCode === 'ZZZZZZ' ? 'YYYYYY' : 'ZZZZZZ';
    const codes: string[] = [];
    for (let i = 0; i < 10; i++) {
      const ack = await call(tablet, 'tablet:seat', { helperCode: wrong, seat: 'Bàn 1' });
      codes.push(ack.ok ? 'ok' : ack.error.code);
    }
    expect(codes).toEqual([...Array<string>(8).fill('unknown_code'), 'rate_limited', 'rate_limited']);
    // Even the right code is refused to that connection now, and class codes too: the same limiter.
    expect(await call(tablet, 'tablet:seat', { helperCode, seat: 'Bàn 1' })).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    expect(await call(tablet, 'learner:join', { code: session.code, name: 'Lan', token: token(1) })).toMatchObject({
      ok: false,
      error: { code: 'rate_limited' },
    });
    // A malformed label is a bad request, not a guess.
    expect(await call(learnerSocket(server.url), 'tablet:seat', { helperCode, seat: '<b>' })).toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
  });
});

describe('privacy', () => {
  it('retention erases learner names from old sessions and keeps the aggregates; exports can be anonymised', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cunghoc-retention-'));
    const { server, cookie, session, staff } = await servers.startClass({ server: { dataDir } });
    for (const [i, name] of ['Nguyễn Thị Lành', 'Trần Văn Hoà'].entries()) {
      const s = learnerSocket(server.url);
      // Hoà shares the tablet with his grandson (pair mode): the partner's name must go too.
      const partners = i === 1 ? { partners: ['Bé Tín'] } : {};
      unwrap(await call(s, 'learner:join', { code: session.code, name, ...partners, token: token(i) }));
    }
    const anon = await api<SessionResults>(server.url, 'GET', `/api/sessions/${session.id}.json?anonymous`, undefined, cookie);
    // Sorted by name: Bé Tín (#1, with Hoà), Lành (#2), Hoà (#3, with Tín).
    expect(anon.ack.ok && anon.ack.data.learners.map((l) => [l.name, l.partners])).toEqual([
      ['#1', ['#3']],
      ['#2', []],
      ['#3', ['#1']],
    ]);
    unwrap(await call(staff, 'session:end', { sessionId: session.id }));
    closeSockets();
    await server.stop();

    // 91 days later, the server starts again with the default 90-day retention.
    const later = Date.now() + 91 * 86_400_000;
    const app = await startApp({
      store: openSqliteStore(dataDir),
      log: pino({ level: 'silent' }),
      now: () => later,
      config: {
        clientDir: resolve(import.meta.dirname, '../../dist/client'),
        lessonsDir: resolve(import.meta.dirname, '../../lessons'),
        mediaDir: join(dataDir, 'media'),
        coalesceMs: 20,
        retentionDays: 90,
      },
    });
    const { port } = await app.listen(0, '127.0.0.1');
    servers.track({ app, url: `http://127.0.0.1:${port}`, port, dataDir, stop: () => app.close() });
    const login = await api(`http://127.0.0.1:${port}`, 'POST', '/api/auth/login', {
      username: 'giangvien',
      password: 'mat-khau-du-dai',
    });
    const results = await api<SessionResults>(
      `http://127.0.0.1:${port}`,
      'GET',
      `/api/sessions/${session.id}.json`,
      undefined,
      login.cookie,
    );
    expect(results.ack.ok && results.ack.data.learners.map((l) => [l.name, l.partners]).sort()).toEqual([
      ['#1', []],
      ['#2', ['#2.1']],
      ['#2.1', ['#2']],
    ]);
    expect(results.ack.ok && results.ack.data.participation.learners).toBe(3);
    const csv = await (
      await fetch(`http://127.0.0.1:${port}/api/sessions/${session.id}.csv`, { headers: { cookie: login.cookie! } })
    ).text();
    expect(csv).not.toContain('Lành');
    expect(csv).not.toContain('Hoà');
    expect(csv).not.toContain('Tín');
  });
});
