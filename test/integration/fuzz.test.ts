import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { displayCommands, learnerCommands, staffCommands } from '../../shared/protocol/events.ts';
import { ErrorCode } from '../../shared/protocol/errors.ts';
import type { LearnerSnapshot, LessonRecord, StaffView } from '../../shared/protocol/views.ts';
import { ArchiveBody, DuplicateBody, LessonBody, LessonFile } from '../../shared/protocol/commands.ts';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { call, closeSockets, displaySocket, learnerSocket, staffSocket, token, unwrap } from '../support/sockets.ts';
import { seeded } from '../support/lossy-proxy.ts';
import { api, openClass, removeDir, startServer, type TestServer } from '../support/server.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261128);

function generator(random: () => number) {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const str = (): string => {
    const kind = random();
    if (kind < 0.2) return '';
    if (kind < 0.35) return 'x'.repeat(Math.floor(random() * 20_000)); // huge
    if (kind < 0.5) return '\ud800' + 'ab' + '\udfff'; // invalid UTF-16
    if (kind < 0.6) return '<script>alert(1)</script>';
    if (kind < 0.7) return '__proto__';
    if (kind < 0.8) return 'Nguyễn Thị Lành'.repeat(Math.floor(random() * 5));
    return Math.random()
      .toString(36)
      .slice(2, 2 + Math.floor(random() * 12));
  };
  const deep = (depth: number): unknown => (depth === 0 ? 1 : { a: deep(depth - 1) });
  const value = (depth = 0): unknown => {
    const k = random();
    if (k < 0.1) return null;
    if (k < 0.15) return undefined;
    if (k < 0.25) return pick([0, -1, 1.5, 1e308, -1e308, NaN, Infinity, 2 ** 53, 999_999]);
    if (k < 0.35) return pick([true, false]);
    if (k < 0.55) return str();
    if (k < 0.62) return deep(Math.floor(random() * 2000));
    if (k < 0.7) return JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}');
    if (k < 0.75) return new Uint8Array(1 + Math.floor(random() * 64)).fill(7); // binary
    if (k < 0.85 && depth < 3) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
    if (depth < 3) {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < Math.floor(random() * 4); i++)
        o[pick(['code', 'name', 'token', 'step', 'sessionId', 'runId', 'value', 'kind', 'source', 'pacing', str()])] = value(depth + 1);
      return o;
    }
    return str();
  };
  /** A near-valid payload: a valid-looking object with one field broken. */
  const mutate = (valid: Record<string, unknown>): unknown => {
    const copy: Record<string, unknown> = { ...valid };
    const keys = Object.keys(copy);
    const k = random();
    if (k < 0.3 && keys.length) copy[pick(keys)] = value(1);
    else if (k < 0.5 && keys.length) delete copy[pick(keys)];
    else if (k < 0.7) copy[pick(['extra', '__proto__', 'constructor', 'learnerId', 'role'])] = value(1);
    else return value();
    return copy;
  };
  /** A near-valid document broken at one random depth: a field replaced, removed or added. */
  const mutateDeep = (valid: unknown): unknown => {
    const copy = structuredClone(valid);
    const containers: Record<string, unknown>[] = [];
    const walk = (v: unknown) => {
      if (v === null || typeof v !== 'object') return;
      containers.push(v as Record<string, unknown>);
      for (const child of Object.values(v)) walk(child);
    };
    walk(copy);
    const target = pick(containers);
    const keys = Object.keys(target);
    const k = random();
    if (k < 0.5 && keys.length) target[pick(keys)] = value(1);
    else if (k < 0.75 && keys.length) delete target[pick(keys)];
    else target[pick(['extra', 'constructor', 'archived', 'src', 'html'])] = value(1);
    return copy;
  };
  return { value, mutate, mutateDeep, pick };
}

/** The payload as it arrives: JSON semantics, except binary, which Socket.IO carries as is. */
function onTheWire(payload: unknown): unknown {
  return JSON.parse(JSON.stringify(payload, (_k, v: unknown) => (ArrayBuffer.isView(v) ? { binary: true } : v)) ?? 'null');
}

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  closeSockets();
  await server.stop();
  removeDir(server.dataDir);
});

describe(`fuzz (seed ${SEED})`, () => {
  it('5,000+ random and malformed payloads: no crash, no state change, always an error code', async () => {
    const random = seeded(SEED); // a failure replays with the same FUZZ_SEED
    const { value, mutate, mutateDeep, pick } = generator(random);
    const { cookie, session, staff } = await openClass(server);
    const learner = learnerSocket(server.url);
    unwrap(await call<LearnerSnapshot>(learner, 'learner:join', { code: session.code, name: 'Lan', token: token(1) }));
    unwrap(await call(staff, 'step:push', { sessionId: session.id, step: 0 }));
    const display = displaySocket(server.url);
    const before = unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id }));

    const valid: Record<string, Record<string, unknown>> = {
      'learner:join': { code: session.code, name: 'Hoa', token: token(2) },
      'learner:resume': { token: token(1) },
      'learner:done': { step: 0, done: true },
      'learner:help': { active: true },
      'learner:navigate': { step: 0 },
      'learner:leave': {},
      'learner:ping': { rttMs: 10 },
      'tablet:seat': { helperCode: 'ABC123', seat: 'Bàn 1' },
      'quiz:answer': { runId: 'run-00000001', answerId: 'answer-0001', value: { kind: 'poll', option: 'a' } },
      'staff:watch': { sessionId: session.id },
      'step:push': { sessionId: session.id, step: 1 },
      'pacing:set': { sessionId: session.id, pacing: { mode: 'instructor' } },
      'session:end': { sessionId: session.id },
      'quiz:open': { sessionId: session.id, source: { step: 0, questionId: 'x' }, timeLimit: null },
      'quiz:close': { sessionId: session.id, runId: 'run-00000001' },
      'quiz:reveal': { sessionId: session.id, runId: 'run-00000001' },
      'quiz:show-results': { sessionId: session.id, runId: 'run-00000001', show: true },
      'quiz:dismiss': { sessionId: session.id, runId: 'run-00000001' },
      'help:claim': { sessionId: session.id, requestId: 'req-000001' },
      'help:release': { sessionId: session.id, requestId: 'req-000001' },
      'help:resolve': { sessionId: session.id, requestId: 'req-000001' },
      'stuck:dismiss': { sessionId: session.id, learnerId: 'lrn-00001' },
      'stuck:configure': {
        sessionId: session.id,
        config: { enabled: true, expectedFactor: 1, medianFactor: 2, minDone: 3, wrongAnswers: 2, paceThreshold: 0.8 },
      },
      'seatmap:set': { sessionId: session.id, rows: 2, cols: 2 },
      'seat:place': { sessionId: session.id, learnerId: 'lrn-00001', row: 0, col: 0 },
      'seat:label': { sessionId: session.id, learnerId: 'lrn-00001', seat: 'Bàn 1' },
      'learner:remove': { sessionId: session.id, learnerId: 'lrn-00001', block: false },
      'display:watch': { code: session.code },
    };
    const targets: [typeof learner | typeof staff | typeof display, Record<string, z.ZodType>][] = [
      [learner, learnerCommands],
      [staff, staffCommands],
      [display, displayCommands],
    ];
    const codes = new Set(Object.keys(ErrorCode));
    let sent = 0;
    const seen = new Map<string, number>();
    while (sent < 4_200) {
      const [socket, schemas] = targets[Math.floor(random() * targets.length)];
      const names = Object.keys(schemas);
      const event = names[Math.floor(random() * names.length)];
      const payload = random() < 0.6 ? mutate(valid[event]) : value();
      // Only invalid input here: a payload that happens to be valid is not what this test is about.
      // Judge it as the server will see it: JSON drops undefined fields on the way.
      if (schemas[event].safeParse(onTheWire(payload)).success) continue;
      const ack = await call(socket, event, payload);
      expect(ack.ok, `${event} ${JSON.stringify(payload)?.slice(0, 200)}`).toBe(false);
      if (!ack.ok) {
        expect(codes.has(ack.error.code)).toBe(true);
        seen.set(ack.error.code, (seen.get(ack.error.code) ?? 0) + 1);
      }
      sent += 1;
    }
    expect(seen.get('bad_request')).toBeGreaterThan(4_000);

    // HTTP: every route with random bodies, content types and parameters.
    const routes = ['/api/setup', '/api/auth/login', '/api/auth/logout', '/api/users', '/api/sessions'];
    const gets = ['/api/join-qr/', '/api/sessions/', '/api/lessons/'];
    // The lesson editor's routes: near-valid documents broken somewhere deep, or anything at all.
    // A second sign-in for them: the fuzzed logout route ends the first one's cookie.
    const editorCookie = (await api(server.url, 'POST', '/api/auth/login', { username: 'giangvien', password: 'mat-khau-du-dai' })).cookie!;
    const starter = unwrap((await api<LessonRecord>(server.url, 'GET', '/api/lessons/thanh-toan-qr', undefined, editorCookie)).ack).lesson;
    const lessonsBefore = unwrap((await api<unknown[]>(server.url, 'GET', '/api/lessons?archived=1', undefined, editorCookie)).ack);
    const editor: { method: string; path: string; schema: z.ZodType; valid: unknown }[] = [
      { method: 'POST', path: '/api/lessons', schema: LessonBody, valid: { lesson: { ...starter, id: 'bai-moi' } } },
      { method: 'PUT', path: '/api/lessons/thanh-toan-qr', schema: LessonBody, valid: { lesson: starter } },
      { method: 'POST', path: '/api/lessons/thanh-toan-qr/duplicate', schema: DuplicateBody, valid: {} },
      { method: 'POST', path: '/api/lessons/thanh-toan-qr/archive', schema: ArchiveBody, valid: { archived: true } },
      {
        method: 'POST',
        path: '/api/lessons/import',
        schema: LessonFile,
        valid: { kind: 'cunghoc-lesson', version: 1, lesson: { ...starter, id: 'bai-nhap' }, images: {} },
      },
    ];
    let http = 0;
    const editorSeen = new Map<string, number>();
    while (http < 1_600) {
      const r = random();
      let res: Response;
      if (r < 0.35) {
        const route = pick(editor);
        const body = random() < 0.7 ? mutateDeep(route.valid) : value();
        // Only invalid input: a body that validates would be a real edit.
        if (route.schema.safeParse(onTheWire(body)).success) continue;
        res = await fetch(server.url + route.path, {
          method: route.method,
          headers: { 'content-type': random() < 0.9 ? 'application/json' : 'text/plain', cookie: editorCookie },
          body: JSON.stringify(body) ?? 'null',
        });
      } else if (r < 0.45) {
        // Picture uploads: random bytes, sometimes behind a real magic number, under any image type.
        const bytes = Buffer.alloc(Math.floor(random() * 4096));
        for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
        const magic = pick([
          [],
          [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
          [0xff, 0xd8, 0xff],
          [0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50],
        ]);
        Buffer.from(magic).copy(bytes);
        res = await fetch(`${server.url}/api/media`, {
          method: 'POST',
          headers: {
            'content-type': pick(['image/png', 'image/jpeg', 'image/webp', 'image/svg+xml', 'application/json', 'text/plain']),
            cookie: editorCookie,
          },
          body: new Uint8Array(bytes),
        });
      } else if (r < 0.8) {
        const path = routes[Math.floor(random() * routes.length)];
        const body = value();
        const type = random() < 0.8 ? 'application/json' : 'text/plain';
        let text: string;
        try {
          text = random() < 0.9 ? (JSON.stringify(body) ?? '') : '{"broken":';
        } catch {
          text = '{';
        }
        res = await fetch(server.url + path, { method: 'POST', headers: { 'content-type': type, cookie }, body: text });
        // A body that validates would be a real command (e.g. a new account): skip counting it as fuzz.
        if (res.status < 400) continue;
      } else {
        let param: string;
        try {
          param = encodeURIComponent(String(value())).slice(0, 300);
        } catch {
          param = '%ED%A0%80%'; // a lone surrogate, and a broken escape
        }
        const path = gets[Math.floor(random() * gets.length)] + param + (random() < 0.2 ? '/export' : '');
        res = await fetch(server.url + path, { headers: { cookie } });
        if (res.status < 400) continue;
      }
      expect(res.status, 'never a server error').toBeLessThan(500);
      const json = (await res.json()) as { ok: boolean; error?: { code: string } };
      expect(json.ok).toBe(false);
      expect(codes.has(json.error!.code)).toBe(true);
      if (r < 0.45) editorSeen.set(json.error!.code, (editorSeen.get(json.error!.code) ?? 0) + 1);
      http += 1;
    }
    expect(sent + http).toBeGreaterThanOrEqual(5_000);
    // The editor's bodies reached its validation (not just the sign-in or the parser).
    const aCount: unknown = expect.any(Number);
    expect(Object.fromEntries(editorSeen)).toMatchObject({
      invalid_lesson: aCount,
      image_type: aCount,
      import_format: aCount,
      bad_request: aCount,
    });
    expect(editorSeen.get('unauthorized')).toBeUndefined();

    // Still alive, and nothing changed. (The fuzzed logout signed the first cookie out, which cuts its
    // staff socket: the check goes through the second sign-in.)
    const after = unwrap(await call<StaffView>(staffSocket(server.url, editorCookie), 'staff:watch', { sessionId: session.id }));
    expect(after.seq).toBe(before.seq);
    expect(after.counts.total).toBe(1);
    expect(unwrap((await api<unknown[]>(server.url, 'GET', '/api/lessons?archived=1', undefined, editorCookie)).ack)).toEqual(
      lessonsBefore,
    );
    expect(unwrap((await api<LessonRecord>(server.url, 'GET', '/api/lessons/thanh-toan-qr', undefined, editorCookie)).ack).lesson).toEqual(
      starter,
    );
    expect(readdirSync(join(server.dataDir, 'media'))).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 180_000);
});
