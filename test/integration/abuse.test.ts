/**
 * Issue 16, "Hold under abuse": each attack of the review, replayed on loopback with small caps
 * (bounded in count and time), must be refused or absorbed while the class goes on.
 */
import Database from 'better-sqlite3';
import { connect as tcp, type Socket as TcpSocket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LearnerSnapshot, StaffView } from '../../shared/protocol/views.ts';
import {
  call,
  displaySocket,
  helperSocket,
  type LearnerSocket,
  learnerSocket,
  staffSocket,
  token,
  unwrap,
  waitFor,
} from '../support/sockets.ts';
import { api, type ServerOptions, setupInstructor, startSession, useServers } from '../support/server.ts';
import { optionsOf } from '../support/lessons.ts';

const servers = useServers();

/** A plain TCP connection to the server; resolves `closed` when the server ends it. */
function rawConnection(port: number): { socket: TcpSocket; closed: Promise<void>; isClosed: () => boolean } {
  const socket = tcp(port, '127.0.0.1');
  let done = false;
  socket.on('error', () => undefined);
  socket.resume(); // read, so that the server's end is seen
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      done = true;
      resolve();
    }),
  );
  return { socket, closed, isClosed: () => done };
}

type Connectable = {
  connected: boolean;
  once(e: 'connect', f: () => void): unknown;
  once(e: 'disconnect', f: (reason: string) => void): unknown;
};
/** Resolves with the reason once a connected (or connecting) socket is disconnected. */
const disconnected = (s: Connectable, ms = 5000) =>
  new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('still connected')), ms);
    s.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
const connected = (s: Connectable) => new Promise<void>((resolve) => (s.connected ? resolve() : s.once('connect', () => resolve())));

const classWithInstructor = (opts?: ServerOptions) => servers.startClass({ server: opts });

describe('1. connections cannot exhaust the server', () => {
  it('connections over the per-address cap are closed at once; the server keeps answering', async () => {
    const server = await servers.start({ remote: true, limits: { maxConnectionsPerAddress: 5 } });
    const conns = Array.from({ length: 12 }, () => rawConnection(server.port));
    await expect.poll(() => conns.filter((c) => c.isClosed()).length, { timeout: 5000 }).toBe(7);
    for (const c of conns) c.socket.destroy();
    await Promise.all(conns.map((c) => c.closed));
    expect((await api(server.url, 'GET', '/api/info')).status).toBe(200);
  });

  it('connections over the total cap are closed at once', async () => {
    const server = await servers.start({ limits: { maxConnections: 4 } });
    const conns = Array.from({ length: 9 }, () => rawConnection(server.port));
    await expect.poll(() => conns.filter((c) => c.isClosed()).length, { timeout: 5000 }).toBe(5);
    for (const c of conns) c.socket.destroy();
    await Promise.all(conns.map((c) => c.closed));
    await expect.poll(async () => (await fetch(`${server.url}/api/info`)).status, { timeout: 5000 }).toBe(200);
  });

  it('a silent TCP connection and a trickled request body are cut', async () => {
    const server = await servers.start({ limits: { idleSocketMs: 400, requestTimeoutMs: 800, headersTimeoutMs: 800 } });
    const silent = rawConnection(server.port);
    const trickle = rawConnection(server.port);
    trickle.socket.write('POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n');
    // One byte every 100 ms: never idle, never finished.
    const drip = setInterval(() => trickle.socket.writable && trickle.socket.write('{'), 100);
    try {
      await expect.poll(() => silent.isClosed() && trickle.isClosed(), { timeout: 8000 }).toBe(true);
    } finally {
      clearInterval(drip);
    }
  });

  it('an anonymous learner or projector socket that never joins is closed', async () => {
    const server = await servers.start({ limits: { unboundSocketMs: 300 } });
    const idle = learnerSocket(server.url);
    const projector = displaySocket(server.url);
    await Promise.all([connected(idle), connected(projector)]);
    await expect(disconnected(idle)).resolves.toBe('io server disconnect');
    await expect(disconnected(projector)).resolves.toBe('io server disconnect');
  });
});

describe('2 and 9. sign-in limits', () => {
  it('a burst of wrong passwords is limited before the hash: the right one last in the burst is refused', async () => {
    let local = true;
    const server = await servers.start({ isLocal: () => local });
    await setupInstructor(server.url);
    local = false;
    const login = (password: string) => api(server.url, 'POST', '/api/auth/login', { username: 'giangvien', password });
    const burst = await Promise.all([...Array.from({ length: 30 }, (_, i) => login(`sai-mat-khau-${i}`)), login('mat-khau-du-dai')]);
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBe(8);
    expect(statuses.filter((s) => s === 429).length).toBe(23);
    expect(statuses.at(-1)).toBe(429);
  });

  it('a lockout from the hall never keeps the instructor out on the server machine', async () => {
    let local = true;
    const server = await servers.start({ isLocal: () => local });
    await setupInstructor(server.url);
    local = false;
    for (let i = 0; i < 10; i++) await api(server.url, 'POST', '/api/auth/login', { username: 'giangvien', password: `sai-${i}-mat-khau` });
    const lan = await api(server.url, 'POST', '/api/auth/login', { username: 'giangvien', password: 'mat-khau-du-dai' });
    expect(lan.status).toBe(429);
    local = true;
    const own = await api(server.url, 'POST', '/api/auth/login', { username: 'giangvien', password: 'mat-khau-du-dai' });
    expect(own.status).toBe(200);
  });
});

describe('3. ordering questions do not give their key away', () => {
  /** The order the old server showed: a hash of the run id alone, which every tablet receives. */
  function computable<T>(items: readonly T[], seed: string): T[] {
    let h = 2166136261;
    for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619) >>> 0;
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
      const j = h % (i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    if (out.length > 1 && out.every((item, i) => item === items[i])) out.push(out.shift()!);
    return out;
  }

  it('the order cannot be computed from the run id, and two items show either order', async () => {
    const { server, session, staff } = await classWithInstructor();
    const learner = learnerSocket(server.url);
    unwrap(await call(learner, 'learner:join', { code: session.code, name: 'Lan', token: token(1) }));
    const ordering = (n: number) => ({
      id: 'o',
      kind: 'ordering',
      prompt: 'Xếp theo thứ tự',
      items: Array.from({ length: n }, (_, i) => ({ id: `i${i}`, text: `Bước ${i + 1}` })),
    });
    const shown = async (n: number) => {
      const { runId } = unwrap(
        await call<{ runId: string }>(staff, 'quiz:open', { sessionId: session.id, source: { question: ordering(n) }, timeLimit: null }),
      );
      const snap = unwrap(await call<LearnerSnapshot>(learner, 'learner:resume', { token: token(1) }));
      expect(snap.class.quiz?.runId).toBe(runId);
      expect(JSON.stringify(snap)).not.toContain('shuffleSeed');
      return { runId, ids: snap.class.quiz!.choices.map((c) => c.id) };
    };
    let guessed = 0;
    for (let i = 0; i < 12; i++) {
      const { runId, ids } = await shown(4);
      if (computable(['i0', 'i1', 'i2', 'i3'], runId).join() === ids.join()) guessed++;
    }
    expect(guessed).toBeLessThan(6);
    const twoItems = new Set<string>();
    for (let i = 0; i < 16; i++) twoItems.add((await shown(2)).ids.join());
    expect([...twoItems].sort()).toEqual(['i0,i1', 'i1,i0']);
  });
});

describe('4. a class cannot be flooded', () => {
  it('caps learners per address and per class; the instructor removes a learner and blocks the name', async () => {
    let local = true;
    const { server, session, staff } = await classWithInstructor({
      isLocal: () => local,
      limits: { learnersPerAddress: 4, learnersPerClass: 6 },
    });
    local = false; // the flood comes from a machine of the hall
    const flood = learnerSocket(server.url);
    const fromHall: string[] = [];
    for (let i = 0; i < 8; i++) {
      const ack = await call(flood, 'learner:join', { code: session.code, name: `Giả ${i}`, token: token(100 + i) });
      fromHall.push(ack.ok ? 'ok' : ack.error.code);
    }
    expect(fromHall).toEqual([...Array<string>(4).fill('ok'), ...Array<string>(4).fill('class_full')]);
    // A retried join with a known token is the same learner, not a new one.
    expect((await call(flood, 'learner:join', { code: session.code, name: 'Giả 0', token: token(100) })).ok).toBe(true);

    local = true; // the per-class cap holds for every address
    const more: string[] = [];
    for (let i = 0; i < 4; i++) {
      const ack = await call(learnerSocket(server.url), 'learner:join', { code: session.code, name: `Thật ${i}`, token: token(200 + i) });
      more.push(ack.ok ? 'ok' : ack.error.code);
    }
    expect(more).toEqual(['ok', 'ok', 'class_full', 'class_full']);

    const victim = learnerSocket(server.url);
    const joined = await call<LearnerSnapshot>(victim, 'learner:join', { code: session.code, name: 'Giả 0', token: token(100) });
    const learnerId = unwrap(joined).me.learnerId;
    const ended = waitFor<{ reason: string }>(victim, 'session:ended', () => true);
    unwrap(await call(staff, 'learner:remove', { sessionId: session.id, learnerId, block: true }));
    expect((await ended).reason).toBe('removed');
    // The name cannot come back with a new token (any case); a place in the class is free again.
    const again = await call(learnerSocket(server.url), 'learner:join', { code: session.code, name: 'GIẢ 0', token: token(300) });
    expect(again).toMatchObject({ ok: false, error: { code: 'name_blocked' } });
    const other = await call(learnerSocket(server.url), 'learner:join', { code: session.code, name: 'Hoà', token: token(301) });
    expect(other.ok).toBe(true);
    const view = await waitFor<StaffView>(staff, 'staff:view', (v) => v.roster.some((r) => r.name === 'Hoà'));
    expect(view.roster.find((r) => r.id === learnerId)).toBeUndefined();
  });
});

describe('4b. the per-address cap holds under concurrency', () => {
  it('joins sent at once from several sockets of one address add exactly the cap', async () => {
    let local = true;
    const { server, session } = await classWithInstructor({ isLocal: () => local, limits: { learnersPerAddress: 4 } });
    local = false;
    const sockets = [learnerSocket(server.url), learnerSocket(server.url), learnerSocket(server.url)];
    const acks = await Promise.all(
      sockets.flatMap((s, j) =>
        Array.from({ length: 6 }, (_, i) =>
          call(s, 'learner:join', { code: session.code, name: `Giả ${j}-${i}`, token: token(10 * j + i) }),
        ),
      ),
    );
    expect(acks.filter((a) => a.ok).length).toBe(4);
    expect(acks.filter((a) => !a.ok && a.error.code === 'class_full').length).toBe(14);
  });
});

describe('5. learner commands are rate-limited', () => {
  it('toggling help from a script stores a bounded number of events; a real pace is never refused', async () => {
    const { server, session, staff } = await classWithInstructor({
      limits: { learnerPerMinute: { help: 10, done: 60, navigate: 120, answer: 60, ping: 20, move: 180 } },
    });
    const learner = learnerSocket(server.url);
    unwrap(await call(learner, 'learner:join', { code: session.code, name: 'Lan', token: token(1) }));
    const before = unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id })).seq;
    const acks = await Promise.all(Array.from({ length: 200 }, (_, i) => call(learner, 'learner:help', { active: i % 2 === 0 })));
    const ok = acks.filter((a) => a.ok).length;
    expect(ok).toBe(10);
    expect(acks.filter((a) => !a.ok && a.error.code === 'rate_limited').length).toBe(190);
    const after = unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id })).seq;
    expect(after - before).toBeLessThanOrEqual(10);
  });

  it('changing an answer from a script is held to the per-learner answer rate', async () => {
    const { server, session, staff } = await classWithInstructor({
      limits: { learnerPerMinute: { help: 20, done: 60, navigate: 120, answer: 15, ping: 20, move: 180 } },
    });
    const learner = learnerSocket(server.url);
    unwrap(await call(learner, 'learner:join', { code: session.code, name: 'Lan', token: token(1) }));
    const poll = {
      id: 'p',
      kind: 'poll',
      prompt: 'Bác thấy sao?',
      options: optionsOf('Tốt', 'Khó'),
    };
    const { runId } = unwrap(
      await call<{ runId: string }>(staff, 'quiz:open', { sessionId: session.id, source: { question: poll }, timeLimit: null }),
    );
    const acks = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        call(learner, 'quiz:answer', {
          runId,
          answerId: `answer-${String(i).padStart(4, '0')}`,
          value: { kind: 'poll', option: i % 2 ? 'a' : 'b' },
        }),
      ),
    );
    expect(acks.filter((a) => a.ok).length).toBe(15);
    expect(acks.filter((a) => !a.ok && a.error.code === 'rate_limited').length).toBe(85);
  });

  it('one socket flooding any command is refused past its per-second rate', async () => {
    const { server, session } = await classWithInstructor({ limits: { commandsPerSocketPerSecond: 10 } });
    const learner = learnerSocket(server.url);
    const acks = await Promise.all(Array.from({ length: 40 }, () => call(learner, 'learner:resume', { token: token(9) })));
    expect(acks.filter((a) => !a.ok && a.error.code === 'rate_limited').length).toBeGreaterThanOrEqual(30);
    expect(session.code).toMatch(/^\d{6}$/);
  });
});

/** Engine.IO long-polling by hand: many Socket.IO packets in one HTTP request body. */
async function pollingBurst(url: string, packets: string[]): Promise<unknown[][]> {
  const base = `${url}/socket.io/?EIO=4&transport=polling`;
  const open = await (await fetch(base)).text();
  const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
  const post = (body: string) => fetch(`${base}&sid=${sid}`, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
  const acks: unknown[][] = [];
  const read = async () => {
    const text = await (await fetch(`${base}&sid=${sid}`)).text();
    for (const p of text.split('\x1e')) {
      const m = /^43\/learner,(\d+)(.*)$/s.exec(p);
      if (m) acks[Number(m[1])] = JSON.parse(m[2]) as unknown[];
    }
  };
  await post('40/learner,');
  await read(); // the namespace's CONNECT
  await post(packets.map((p, i) => `42/learner,${i}${p}`).join('\x1e'));
  for (let tries = 0; acks.filter(Boolean).length < packets.length && tries < 50; tries++) await read();
  return acks;
}

describe('6. guessing limits hold per packet', () => {
  it('many class codes in one long-polling request: 8 are checked, the right one after them is refused', async () => {
    const { server, session } = await classWithInstructor();
    const wrong = (i: number) => String((Number(session.code) + 1 + i) % 1_000_000).padStart(6, '0');
    const packets = [
      ...Array.from({ length: 30 }, (_, i) => JSON.stringify(['learner:join', { code: wrong(i), name: 'Đoán', token: token(i) }])),
      JSON.stringify(['learner:join', { code: session.code, name: 'Đoán', token: token(99) }]),
    ];
    const acks = await pollingBurst(server.url, packets);
    const codes = acks.map((a) => (a[0] as { ok: boolean; error?: { code: string } }).error?.code ?? 'ok');
    expect(codes.filter((c) => c === 'unknown_code').length).toBe(8);
    expect(codes.at(-1)).toBe('rate_limited');
  });

  it('a WebSocket burst of wrong codes is held to the per-connection limit', async () => {
    const { server, session } = await classWithInstructor();
    const guesser = learnerSocket(server.url);
    const wrong = (i: number) => String((Number(session.code) + 1 + i) % 1_000_000).padStart(6, '0');
    const acks = await Promise.all(
      Array.from({ length: 18 }, (_, i) => call(guesser, 'learner:join', { code: wrong(i), name: 'Đoán', token: token(i) })),
    );
    expect(acks.filter((a) => !a.ok && a.error.code === 'unknown_code').length).toBe(8);
  });
});

describe('7. signing out cuts the staff sockets of that sign-in', () => {
  it('an open console socket is disconnected at sign-out and its commands stop', async () => {
    const { server, cookie, staff } = await classWithInstructor();
    const other = await api(server.url, 'POST', '/api/auth/login', { username: 'giangvien', password: 'mat-khau-du-dai' });
    const otherSocket = staffSocket(server.url, other.cookie!);
    await connected(otherSocket);
    const cut = disconnected(staff);
    expect((await api(server.url, 'POST', '/api/auth/logout', {}, cookie)).status).toBe(200);
    expect(await cut).toBe('io server disconnect');
    // Another sign-in of the same instructor is untouched.
    expect(otherSocket.connected).toBe(true);
  });
});

describe('8. error pages show no stack or server path', () => {
  it('/media with ..%2f, a missing file and a broken escape answer a short plain error', async () => {
    const server = await servers.start();
    for (const path of ['/media/..%2f..%2fpackage.json', '/media/nope.png', '/media/%E0%A4%A', '/media/..%2F..%2F..%2Fetc%2Fpasswd']) {
      const res = await fetch(server.url + path);
      const body = await res.text();
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      expect(body, path).not.toMatch(/\bat \S+ \(|node_modules|\/work\/|\/tmp\/|Error:/);
      expect(body.length, path).toBeLessThan(100);
    }
  });
});

describe('10. an unreadable session does not stop the server', () => {
  it('is skipped and kept; every other class starts', async () => {
    const first = await classWithInstructor();
    const broken = first.session;
    const good = await startSession(first.server.url, first.cookie);
    unwrap(await call(learnerSocket(first.server.url), 'learner:join', { code: broken.code, name: 'Lan', token: token(1) }));
    await first.server.stop();
    const db = new Database(join(first.server.dataDir, 'cunghoc.sqlite'));
    db.prepare('UPDATE session_events SET data = \'{"type":"learner:joined","name":42}\' WHERE session_id = ? AND seq = 2').run(broken.id);
    db.close();

    const again = await servers.start({ dataDir: first.server.dataDir });
    expect((await call(displaySocket(again.url), 'display:watch', { code: good.code })).ok).toBe(true);
    expect(await call(displaySocket(again.url), 'display:watch', { code: broken.code })).toMatchObject({ ok: false });
    const db2 = new Database(join(first.server.dataDir, 'cunghoc.sqlite'), { readonly: true });
    const kept = db2.prepare('SELECT COUNT(*) AS n FROM session_events WHERE session_id = ?').get(broken.id) as { n: number };
    db2.close();
    expect(kept.n).toBe(2);
  });
});

describe('11. first-run setup is atomic', () => {
  it('six setups at once create exactly one account', async () => {
    const server = await servers.start();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        api(server.url, 'POST', '/api/setup', { username: `gv${i}`, displayName: `Cô ${i}`, password: 'mat-khau-du-dai' }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    const signIns = await Promise.all(
      Array.from({ length: 6 }, (_, i) => api(server.url, 'POST', '/api/auth/login', { username: `gv${i}`, password: 'mat-khau-du-dai' })),
    );
    expect(signIns.filter((r) => r.status === 200).length).toBe(1);
  });
});

describe('13. a second tablet with the same token takes over', () => {
  it('the first tablet is told and disconnected; the second acts alone', async () => {
    const { server, session, staff } = await classWithInstructor();
    const first = learnerSocket(server.url);
    unwrap(await call(first, 'learner:join', { code: session.code, name: 'Lan', token: token(1) }));
    const told = waitFor(first, 'learner:taken-over', () => true);
    const cut = disconnected(first);
    const second: LearnerSocket = learnerSocket(server.url);
    unwrap(await call(second, 'learner:resume', { token: token(1) }));
    await told;
    expect(await cut).toBe('io server disconnect');
    unwrap(await call(second, 'learner:help', { active: true }));
    const view = await waitFor<StaffView>(staff, 'staff:view', (v) => v.helpQueue.length === 1);
    expect(view.roster.find((r) => r.name === 'Lan')?.connected).toBe(true);
  });
});

describe('14. helper phones get no answer keys', () => {
  it("a helper's staff view holds neither the open question nor the steps' questions", async () => {
    const { server, session, staff, first: view } = await classWithInstructor();
    unwrap(await call(staff, 'step:push', { sessionId: session.id, step: 0 }));
    const step = view.stepQuestions[0];
    unwrap(
      await call(staff, 'quiz:open', {
        sessionId: session.id,
        source: { step: step.step, questionId: step.questions[0].id },
        timeLimit: null,
      }),
    );
    const helper = helperSocket(server.url, view.helperCode, 'Chị Ba', token(50));
    const first = await waitFor<StaffView>(helper, 'staff:view', () => true);
    const watched = unwrap(await call<StaffView>(helper, 'staff:watch', { sessionId: session.id }));
    // A learner acting makes a coalesced push: the helper's copy of it has no keys either.
    unwrap(await call(learnerSocket(server.url), 'learner:join', { code: session.code, name: 'Lan', token: token(1) }));
    const pushed = await waitFor<StaffView>(helper, 'staff:view', (v) => v.roster.length === 1);
    for (const v of [first, watched, pushed]) {
      expect(v.quiz).toBeNull();
      expect(v.stepQuestions).toEqual([]);
      expect(JSON.stringify(v)).not.toContain('"correct"');
    }
    const instructorView = await waitFor<StaffView>(staff, 'staff:view', (v) => v.roster.length === 1);
    expect(instructorView.quiz?.question).toBeDefined();
  });
});
