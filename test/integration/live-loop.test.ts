import { describe, expect, it } from 'vitest';
import type { ClassView, LearnerSnapshot, MeView, StaffView } from '../../shared/protocol/views.ts';
import { call, closeSockets, displaySocket, learnerSocket, staffSocket, token, unwrap, waitFor } from '../support/sockets.ts';
import { api, useServers } from '../support/server.ts';

const servers = useServers();

describe('the live lesson loop', () => {
  it('30 learners join and every pushed step reaches every learner, in order', async () => {
    const { session, staff, learners } = await servers.startClass({ learners: 30 });
    expect(new Set(learners.map((l) => l.snap.me.learnerId)).size).toBe(30);
    expect(learners[0].snap.class.current).toBeNull();

    const received = learners.map(() => [] as number[]);
    learners.forEach((l, i) => l.socket.on('class', (v: ClassView) => received[i].push(v.current!)));
    const allGot = (step: number) => Promise.all(learners.map((l) => waitFor<ClassView>(l.socket, 'class', (v) => v.current === step)));

    for (const step of [0, 1, 2, 3, 4]) {
      const arrived = allGot(step);
      unwrap(await call(staff, 'step:push', { sessionId: session.id, step }));
      const views = await arrived;
      expect(views.every((v) => v.steps.length === 1 && v.steps[0].index === step)).toBe(true);
    }
    for (const r of received) expect(r).toEqual([0, 1, 2, 3, 4]);

    const roster = await waitFor<StaffView>(staff, 'staff:view', (v) => v.counts.total === 30 && v.current === 4);
    expect(roster.roster).toHaveLength(30);
    expect(roster.roster.every((r) => r.step === 4 && r.connected)).toBe(true);
  });

  it('done and help show on the instructor roster, and help can be withdrawn', async () => {
    const {
      staff,
      learners: [a, b],
    } = await servers.startClass({ learners: 2, push: 0 });

    const me = unwrap(await call<MeView>(a.socket, 'learner:done', { step: 0, done: true }));
    expect(me.done).toEqual([0]);
    unwrap(await call<MeView>(b.socket, 'learner:help', { active: true }));
    const view = await waitFor<StaffView>(staff, 'staff:view', (v) => v.counts.done === 1 && v.counts.help === 1);
    const rowA = view.roster.find((r) => r.id === a.snap.me.learnerId)!;
    const rowB = view.roster.find((r) => r.id === b.snap.me.learnerId)!;
    expect(rowA).toMatchObject({ done: true, helpSince: null });
    expect(rowB.done).toBe(false);
    expect(rowB.helpSince).toBeTypeOf('number');

    unwrap(await call<MeView>(b.socket, 'learner:help', { active: false }));
    await waitFor<StaffView>(staff, 'staff:view', (v) => v.counts.help === 0);
  });

  it('a learner socket sending staff commands gets an error ack and nothing changes', async () => {
    const {
      server,
      session,
      staff,
      learners: [a],
    } = await servers.startClass({ learners: 1 });
    const before = unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id }));

    for (const [event, payload] of [
      ['step:push', { sessionId: session.id, step: 2 }],
      ['pacing:set', { sessionId: session.id, pacing: { mode: 'self', from: 0, to: 3 } }],
      ['session:end', { sessionId: session.id }],
      ['staff:watch', { sessionId: session.id }],
    ] as const) {
      const ack = await call(a.socket, event, payload);
      expect(ack, event).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    const unknown = await call(a.socket, 'not:a-command', {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const bad = await call(a.socket, 'learner:done', { step: 'one', done: true });
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad_request' } });

    // Without an instructor cookie the staff namespace refuses the connection outright.
    const intruder = staffSocket(server.url, 'ch_sid=forged');
    const err = await new Promise<Error>((resolve) => intruder.on('connect_error', resolve));
    expect(err.message).toBe('unauthorized');

    const after = unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id }));
    // Everything but the clock-driven fields is the same.
    const still = (v: StaffView) => ({ ...v, now: 0, roster: v.roster.map((r) => ({ ...r, lastSeen: 0, onStepMs: 0 })) });
    expect(still(after)).toEqual(still(before));
    expect(after.status).toBe('open');
    expect(after.current).toBeNull();
  });

  it('a learner who reconnects with the resume token is the same learner on the same step', async () => {
    const {
      server,
      session,
      staff,
      learners: [a],
    } = await servers.startClass({ learners: 1, push: 2 });
    unwrap(await call(a.socket, 'learner:done', { step: 2, done: true }));
    a.socket.disconnect();
    await waitFor<StaffView>(staff, 'staff:view', (v) => v.counts.disconnected === 1);

    const again = learnerSocket(server.url);
    const snap = unwrap(await call<LearnerSnapshot>(again, 'learner:resume', { token: a.token }));
    expect(snap.me.learnerId).toBe(a.snap.me.learnerId);
    expect(snap.me.name).toBe('Học viên 0');
    expect(snap.me.done).toEqual([2]);
    expect(snap.class.current).toBe(2);
    expect(snap.class.steps[0].index).toBe(2);
    const view = await waitFor<StaffView>(staff, 'staff:view', (v) => v.counts.connected === 1);
    expect(view.counts.total).toBe(1);

    // A retried join with the same token is the same learner too, not a second one.
    const retry = unwrap(
      await call<LearnerSnapshot>(learnerSocket(server.url), 'learner:join', {
        code: session.code,
        name: 'Học viên 0',
        token: a.token,
      }),
    );
    expect(retry.me.learnerId).toBe(a.snap.me.learnerId);
    expect(unknownTokenAck(await call(learnerSocket(server.url), 'learner:resume', { token: token(999) }))).toBe(true);
  });

  it('a server restarted on the same data folder serves the same session to reconnecting clients', async () => {
    const {
      server,
      cookie,
      session,
      learners: [a, b],
    } = await servers.startClass({ learners: 2, push: 3 });
    unwrap(await call(a.socket, 'learner:done', { step: 3, done: true }));
    unwrap(await call(b.socket, 'learner:help', { active: true }));
    closeSockets();
    await server.stop();

    const again = await servers.start({ dataDir: server.dataDir });
    const snapA = unwrap(await call<LearnerSnapshot>(learnerSocket(again.url), 'learner:resume', { token: a.token }));
    expect(snapA.class.current).toBe(3);
    expect(snapA.me).toMatchObject({ learnerId: a.snap.me.learnerId, done: [3], help: false });
    const snapB = unwrap(await call<LearnerSnapshot>(learnerSocket(again.url), 'learner:resume', { token: b.token }));
    expect(snapB.me.help).toBe(true);

    // The sign-in survives too, and so does the class code.
    const staff2 = staffSocket(again.url, cookie);
    const view = unwrap(await call<StaffView>(staff2, 'staff:watch', { sessionId: session.id }));
    expect(view).toMatchObject({ code: session.code, current: 3, counts: { total: 2, done: 1, help: 1 } });
    const display = displaySocket(again.url);
    const dv = unwrap(await call<{ current: number; joined: number }>(display, 'display:watch', { code: session.code }));
    expect(dv).toMatchObject({ current: 3, joined: 2 });
  });

  it('ending the session sends every learner back and closes the code', async () => {
    const { server, cookie, session, staff, learners } = await servers.startClass({ learners: 3 });
    const ended = Promise.all(learners.map((l) => new Promise<{ reason: string }>((r) => l.socket.once('session:ended', r))));
    unwrap(await call(staff, 'session:end', { sessionId: session.id }));
    expect((await ended).map((e) => e.reason)).toEqual(['ended', 'ended', 'ended']);
    const late = await call(learnerSocket(server.url), 'learner:join', {
      code: session.code,
      name: 'Muộn',
      token: token(500),
    });
    expect(late).toMatchObject({ ok: false, error: { code: 'unknown_code' } });
    expect(unknownTokenAck(await call(learners[0].socket, 'learner:resume', { token: learners[0].token }))).toBe(true);
    const list = await api<{ id: string; status: string; learnerCount: number }[]>(server.url, 'GET', '/api/sessions', undefined, cookie);
    expect(list.ack.ok && list.ack.data.find((s) => s.id === session.id)).toMatchObject({
      status: 'ended',
      learnerCount: 3,
    });
  });

  it('self-paced range: learners move on their own within it, and are called back', async () => {
    const {
      session,
      staff,
      learners: [a, b],
    } = await servers.startClass({ learners: 2, push: 1 });
    const moved = waitFor<MeView>(a.socket, 'me', (m) => m.step === 1);
    unwrap(await call(staff, 'pacing:set', { sessionId: session.id, pacing: { mode: 'self', from: 1, to: 3 } }));
    await moved;
    expect(unwrap(await call<MeView>(a.socket, 'learner:navigate', { step: 3 })).step).toBe(3);
    expect(await call(a.socket, 'learner:navigate', { step: 4 })).toMatchObject({
      ok: false,
      error: { code: 'step_out_of_range' },
    });
    const view = await waitFor<StaffView>(staff, 'staff:view', (v) => v.roster.some((r) => r.id === a.snap.me.learnerId && r.step === 3));
    expect(view.roster.find((r) => r.id === b.snap.me.learnerId)!.step).toBe(1);

    const back = waitFor<ClassView>(b.socket, 'class', (c) => c.pacing.mode === 'instructor' && c.current === 2);
    unwrap(await call(staff, 'step:push', { sessionId: session.id, step: 2 }));
    await back;
    expect(await call(a.socket, 'learner:navigate', { step: 3 })).toMatchObject({
      ok: false,
      error: { code: 'not_self_paced' },
    });
  });
});

function unknownTokenAck(ack: unknown): boolean {
  return (ack as { ok: boolean; error?: { code: string } }).error?.code === 'unknown_token';
}
