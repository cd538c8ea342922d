import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { displayCommands, learnerCommands, staffCommands } from '../../shared/protocol/events.ts';
import { ErrorCode } from '../../shared/protocol/errors.ts';
import type { LearnerSnapshot, StaffView } from '../../shared/protocol/views.ts';
import {
  call,
  closeSockets,
  displaySocket,
  learnerSocket,
  removeDir,
  setupInstructor,
  staffSocket,
  startServer,
  startSession,
  token,
  unwrap,
  type TestServer,
} from '../support/server.ts';

/** Seeded PRNG (mulberry32): a failure replays with the same FUZZ_SEED. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
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
    return Math.random().toString(36).slice(2, 2 + Math.floor(random() * 12));
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
      for (let i = 0; i < Math.floor(random() * 4); i++) o[pick(['code', 'name', 'token', 'step', 'sessionId', 'runId', 'value', 'kind', 'source', 'pacing', str()])] = value(depth + 1);
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
  return { value, mutate, pick };
}

/** The payload as it arrives: JSON semantics, except binary, which Socket.IO carries as is. */
function onTheWire(payload: unknown): unknown {
  return JSON.parse(
    JSON.stringify(payload, (_k, v: unknown) => (ArrayBuffer.isView(v) ? { binary: true } : v)) ?? 'null',
  );
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
    const random = rng(SEED);
    const { value, mutate } = generator(random);
    const { cookie } = await setupInstructor(server.url);
    const session = await startSession(server.url, cookie);
    const staff = staffSocket(server.url, cookie);
    unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id }));
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
      'stuck:configure': { sessionId: session.id, config: { enabled: true, expectedFactor: 1, medianFactor: 2, minDone: 3, wrongAnswers: 2, paceThreshold: 0.8 } },
      'seatmap:set': { sessionId: session.id, rows: 2, cols: 2 },
      'seat:place': { sessionId: session.id, learnerId: 'lrn-00001', row: 0, col: 0 },
      'seat:label': { sessionId: session.id, learnerId: 'lrn-00001', seat: 'Bàn 1' },
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
    const gets = ['/api/join-qr/', '/api/sessions/'];
    let http = 0;
    while (http < 1_000) {
      const r = random();
      let res: Response;
      if (r < 0.7) {
        const path = routes[Math.floor(random() * routes.length)];
        const body = value();
        const type = random() < 0.8 ? 'application/json' : 'text/plain';
        let text: string;
        try {
          text = random() < 0.9 ? JSON.stringify(body) ?? '' : '{"broken":';
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
        const path = gets[Math.floor(random() * gets.length)] + param;
        res = await fetch(server.url + path, { headers: { cookie } });
        if (res.status < 400) continue;
      }
      expect(res.status, 'never a server error').toBeLessThan(500);
      const json = (await res.json()) as { ok: boolean; error?: { code: string } };
      expect(json.ok).toBe(false);
      expect(codes.has(json.error!.code)).toBe(true);
      http += 1;
    }
    expect(sent + http).toBeGreaterThanOrEqual(5_000);

    // Still alive, and nothing changed.
    const after = unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id }));
    expect(after.seq).toBe(before.seq);
    expect(after.counts.total).toBe(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 180_000);
});
