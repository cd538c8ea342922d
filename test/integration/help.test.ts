import { describe, expect, it } from 'vitest';
import type { LearnerSnapshot, MeView, StaffView } from '../../shared/protocol/views.ts';
import { call, closeSockets, helperSocket, learnerSocket, staffSocket, token, unwrap, waitFor } from '../support/sockets.ts';
import { type ServerOptions, startSession, useServers } from '../support/server.ts';

const servers = useServers();
const classroom = (n: number, server?: ServerOptions) => servers.startClass({ server, learners: n, seats: true, push: 0 });

async function helper(url: string, helperCode: string, name: string, n: number) {
  const socket = helperSocket(url, helperCode, name, token(900 + n));
  return socket;
}

describe('help queue and helpers', () => {
  it('two helpers claim the same request at the same moment: exactly one wins', async () => {
    const { server, session, staff, learners, helperCode } = await classroom(2);
    const lan = await helper(server.url, helperCode, 'Chị Lan', 1);
    const minh = await helper(server.url, helperCode, 'Anh Minh', 2);
    // A helper's phone gets its session's view as soon as it connects: that is how it learns the session.
    const pushed = await waitFor<StaffView>(lan, 'staff:view', () => true);
    expect(pushed.sessionId).toBe(session.id);
    const views = await Promise.all(
      [lan, minh].map(async (h) => unwrap(await call<StaffView>(h, 'staff:watch', { sessionId: session.id }))),
    );
    expect(views[0].code).toBe(session.code);

    unwrap(await call<MeView>(learners[0].socket, 'learner:help', { active: true, reason: 'device_problem' }));
    const queued = await waitFor<StaffView>(lan, 'staff:view', (v) => v.helpQueue.length === 1);
    const request = queued.helpQueue[0];
    expect(request).toMatchObject({ name: 'Học viên 0', seat: 'Bàn 1', step: 0, reason: 'device_problem', status: 'waiting' });

    const acks = await Promise.all([lan, minh].map((h) => call(h, 'help:claim', { sessionId: session.id, requestId: request.id })));
    const won = acks.filter((a) => a.ok);
    const lost = acks.filter((a) => !a.ok);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ ok: false, error: { code: 'already_claimed' } });
    const winner = acks[0].ok ? 'Chị Lan' : 'Anh Minh';

    // The learner sees who is coming; the console sees the claim.
    const me = await waitFor<MeView>(learners[0].socket, 'me', (m) => m.helpRequest?.status === 'claimed');
    expect(me.helpRequest).toMatchObject({ status: 'claimed', helperName: winner });
    const claimed = await waitFor<StaffView>(staff, 'staff:view', (v) => v.helpQueue[0]?.status === 'claimed');
    expect(claimed.helpQueue[0].claimedBy).toBe(winner);

    // Solved: off the queue, and the learner is told by whom.
    const solver = acks[0].ok ? lan : minh;
    unwrap(await call(solver, 'help:resolve', { sessionId: session.id, requestId: request.id }));
    const solved = await waitFor<MeView>(learners[0].socket, 'me', (m) => m.helpResolved !== null);
    expect(solved).toMatchObject({ help: false, helpRequest: null, helpResolved: { by: winner } });
    await waitFor<StaffView>(staff, 'staff:view', (v) => v.seq > claimed.seq && v.helpQueue.length === 0 && v.counts.help === 0);
  });

  it('a helper connection cannot push steps, open questions, end the session or watch another class', async () => {
    const { server, cookie, session, staff, helperCode } = await classroom(1);
    const h = await helper(server.url, helperCode, 'Chị Lan', 1);
    unwrap(await call<StaffView>(h, 'staff:watch', { sessionId: session.id }));
    const forbidden = [
      ['step:push', { sessionId: session.id, step: 3 }],
      ['pacing:set', { sessionId: session.id, pacing: { mode: 'self', from: 0, to: 2 } }],
      ['quiz:open', { sessionId: session.id, source: { step: 0, questionId: 'x' }, timeLimit: null }],
      ['session:end', { sessionId: session.id }],
      [
        'stuck:configure',
        {
          sessionId: session.id,
          config: { enabled: false, expectedFactor: 1, medianFactor: 2, minDone: 3, wrongAnswers: 2, paceThreshold: 0.8 },
        },
      ],
      ['seatmap:set', { sessionId: session.id, rows: 2, cols: 2 }],
    ] as const;
    for (const [event, payload] of forbidden) {
      expect(await call(h, event, payload), event).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    const other = await startSession(server.url, cookie, 'cai-dat-vneid');
    expect(await call(h, 'staff:watch', { sessionId: other.id })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const view = unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id }));
    expect(view).toMatchObject({ current: 0, status: 'open', pacing: { mode: 'instructor' } });

    // A wrong helper code is refused at the door.
    const stranger = helperSocket(server.url, 'ZZZZZZ', 'Ai đó', token(999));
    const err = await new Promise<Error>((resolve) => stranger.on('connect_error', resolve));
    expect(err.message).toBe('unknown_code');
  });

  it('the help queue and stuck flags survive a server restart', async () => {
    // The server's clock, moved on by the test: time spent on a step passes without sleeping.
    let ahead = 0;
    const now = () => Date.now() + ahead;
    const { server, cookie, session, staff, learners, helperCode } = await classroom(3, { now });
    const h = await helper(server.url, helperCode, 'Chị Lan', 1);
    unwrap(await call(h, 'staff:watch', { sessionId: session.id }));
    unwrap(await call(learners[0].socket, 'learner:help', { active: true, reason: 'not_understood' }));
    unwrap(await call(learners[1].socket, 'learner:help', { active: true }));
    const queued = await waitFor<StaffView>(staff, 'staff:view', (v) => v.helpQueue.length === 2);
    unwrap(await call(h, 'help:claim', { sessionId: session.id, requestId: queued.helpQueue[0].id }));
    // A tiny expected-time factor: everyone is "probably stuck" within a fraction of a second.
    const config = {
      enabled: true,
      expectedFactor: 0.001,
      medianFactor: 2,
      minDone: 3,
      wrongAnswers: 2,
      taskMisses: 3,
      paceThreshold: 0.8,
    };
    unwrap(await call(staff, 'stuck:configure', { sessionId: session.id, config }));
    ahead += 5_000;
    const flagged = unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id }));
    expect(flagged.roster.map((r) => r.stuck)).toEqual(['slow', 'slow', 'slow']);
    expect(flagged.counts.stuck).toBe(3);
    unwrap(await call(staff, 'stuck:dismiss', { sessionId: session.id, learnerId: learners[2].id }));
    unwrap(await call(staff, 'seatmap:set', { sessionId: session.id, rows: 3, cols: 4 }));
    unwrap(await call(staff, 'seat:place', { sessionId: session.id, learnerId: learners[2].id, row: 2, col: 3 }));
    await waitFor<StaffView>(staff, 'staff:view', (v) => v.roster.some((r) => r.place?.row === 2));
    closeSockets();
    await server.stop();

    const again = await servers.start({ dataDir: server.dataDir, now });
    const staff2 = staffSocket(again.url, cookie);
    const view = unwrap(await call<StaffView>(staff2, 'staff:watch', { sessionId: session.id }));
    expect(view.helpQueue.map((r) => [r.name, r.status, r.claimedBy, r.reason])).toEqual([
      ['Học viên 0', 'claimed', 'Chị Lan', 'not_understood'],
      ['Học viên 1', 'waiting', null, null],
    ]);
    expect(view.seatMap).toEqual({ rows: 3, cols: 4 });
    expect(view.stuckConfig).toEqual(config);
    expect(view.roster.map((r) => [r.name, r.stuck])).toEqual([
      ['Học viên 0', 'slow'],
      ['Học viên 1', 'slow'],
      ['Học viên 2', null],
    ]);
    expect(view.roster.find((r) => r.id === learners[2].id)!.place).toEqual({ row: 2, col: 3 });
    const b = learnerSocket(again.url);
    const snap = unwrap(await call<LearnerSnapshot>(b, 'learner:resume', { token: learners[1].token }));
    expect(snap.me.helpRequest).toMatchObject({ status: 'waiting', position: 1 });
    // The same helper (same token) still owns the claim after the restart.
    const h2 = helperSocket(again.url, helperCode, 'Chị Lan', token(901));
    unwrap(await call(h2, 'staff:watch', { sessionId: session.id }));
    unwrap(await call(h2, 'help:resolve', { sessionId: session.id, requestId: view.helpQueue[0].id }));
    await waitFor<StaffView>(staff2, 'staff:view', (v) => v.helpQueue.length === 1);
  });

  it('withdrawing and leaving take requests off the queue; the projector never shows them', async () => {
    const { session, staff, learners } = await classroom(2);
    unwrap(await call(learners[0].socket, 'learner:help', { active: true }));
    // The learner's own view comes back in the ack (no second copy is pushed).
    const second = unwrap(await call<MeView>(learners[1].socket, 'learner:help', { active: true, reason: 'falling_behind' }));
    expect(second.helpRequest).toMatchObject({ position: 2, reason: 'falling_behind' });
    unwrap(await call(learners[0].socket, 'learner:help', { active: false }));
    await waitFor<MeView>(learners[1].socket, 'me', (m) => m.helpRequest?.position === 1);
    unwrap(await call(learners[1].socket, 'learner:leave', {}));
    const empty = await waitFor<StaffView>(staff, 'staff:view', (v) => v.helpQueue.length === 0 && v.counts.total === 1);
    expect(empty.counts).toMatchObject({ total: 1, help: 0 });
    expect(await call(staff, 'help:claim', { sessionId: session.id, requestId: 'nope-123' })).toMatchObject({
      ok: false,
      error: { code: 'help_not_found' },
    });
  });
});
