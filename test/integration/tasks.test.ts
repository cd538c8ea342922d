import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import type { LearnerSnapshot, MeView, SessionResults, StaffView } from '../../shared/protocol/views.ts';
import type { TaskMove } from '../../shared/protocol/commands.ts';
import { call, closeSockets, learnerSocket, staffSocket, unwrap, waitFor } from '../support/sockets.ts';
import { api, openClass, useServers, type TestServer } from '../support/server.ts';

// A text a learner types into a field: it must be in no stored event, view, log line or export.
const TYPED = 'SO-BI-MAT-80417';
const TYPED_PIN = '918273';

const servers = useServers();

/** A real server whose every log line (at trace level) is kept, so a test can search them. */
async function start(dataDir?: string): Promise<TestServer & { logs: string[] }> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  return { ...(await servers.start({ dataDir, log: pino({ level: 'trace' }, sink) })), logs };
}

const TASK_STEP = 4; // "Xác nhận bằng mã PIN hoặc OTP": the QR payment task comes with it

async function classInTask(n: number) {
  const { server, cookie, session, staff, learners } = await openClass(await start(), { learners: n, push: TASK_STEP });
  const cls = await waitFor<{ task: { runId: string } | null }>(learners[0].socket, 'class', (v) => v.task !== null);
  return { server, cookie, session, staff, learners, runId: cls.task!.runId };
}

let n = 0;
const moveOf = (runId: string, from: string, action: TaskMove['action'], moveId = `mv-${String(++n).padStart(6, '0')}`): TaskMove => ({
  runId,
  moveId,
  from,
  action,
});

describe('practice tasks over the wire', () => {
  it('a trap is recorded; an impossible transition is refused and changes nothing', async () => {
    const { staff, session, learners, runId } = await classInTask(2);
    const [a] = learners;
    const ok = (m: TaskMove) => call<MeView>(a.socket, 'task:move', m).then(unwrap);
    await ok(moveOf(runId, 'trang-chu', { kind: 'tap', element: 'quet' }));
    // Straight from the camera to the receipt's goal button: not a transition of the task.
    const refused = await call<MeView>(a.socket, 'task:move', moveOf(runId, 'camera', { kind: 'tap', element: 'xong' }));
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_move' } });
    const fromElsewhere = await call<MeView>(a.socket, 'task:move', moveOf(runId, 'bien-lai', { kind: 'tap', element: 'xong' }));
    expect(fromElsewhere).toMatchObject({ ok: false, error: { code: 'invalid_move' } });
    const malformed = await call<MeView>(a.socket, 'task:move', { runId, moveId: 'x', from: 'camera', action: { kind: 'fly' } });
    expect(malformed).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const me = await ok(moveOf(runId, 'camera', { kind: 'scan', element: 'may-quet', code: 'ma-dan-de' }));
    expect(me.task).toMatchObject({ screen: 'xac-nhan-la', status: 'working' });
    const trapped = await ok(moveOf(runId, 'xac-nhan-la', { kind: 'tap', element: 'chuyen-la' }));
    expect(trapped.task).toMatchObject({ status: 'trapped', trap: 'sai-nguoi-nhan' });
    const view = await waitFor<StaffView>(staff, 'staff:view', (v) => v.task?.trapped === 1);
    expect(view.roster.find((r) => r.id === a.id)?.task).toMatchObject({ status: 'trapped', trap: 'Trả tiền cho người nhận lạ' });
    expect(view.task?.commonTrap).toEqual({ title: 'Trả tiền cho người nhận lạ', count: 1 });
    // A staff command from a learner socket is refused.
    expect(await call(a.socket, 'task:close', { sessionId: session.id, runId })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('moves made while the link was down are sent again after the reconnect and count once', async () => {
    const { server, staff, learners, runId } = await classInTask(1);
    const [a] = learners;
    // Two misses acknowledged, then the link drops before the third's ack could be seen.
    const m1 = moveOf(runId, 'trang-chu', { kind: 'miss' });
    const m2 = moveOf(runId, 'trang-chu', { kind: 'miss' });
    const m3 = moveOf(runId, 'trang-chu', { kind: 'tap', element: 'quet' });
    unwrap(await call(a.socket, 'task:move', m1));
    unwrap(await call(a.socket, 'task:move', m2));
    a.socket.emit('task:move', m3, () => undefined);
    a.socket.disconnect();
    // The tablet comes back and sends its whole queue again, in order, with the same ids.
    const again = learnerSocket(server.url);
    unwrap(await call<LearnerSnapshot>(again, 'learner:resume', { token: a.token }));
    for (const m of [m1, m2]) unwrap(await call(again, 'task:move', m));
    const third = await call<MeView>(again, 'task:move', m3);
    const me = unwrap(third);
    expect(me.task).toMatchObject({ screen: 'camera' });
    const view = await waitFor<StaffView>(staff, 'staff:view', (v) => v.roster[0]?.task?.screen === 'camera');
    expect(view.roster[0].task).toMatchObject({ misses: 2, screenName: 'Quét mã QR' });
  });

  it('a restart in the middle of the task keeps every acknowledged move', async () => {
    const { server, learners, runId, cookie, session } = await classInTask(2);
    const [a, b] = learners;
    const path: [string, TaskMove['action']][] = [
      ['trang-chu', { kind: 'tap', element: 'quet' }],
      ['camera', { kind: 'scan', element: 'may-quet', code: 'ma-quay' }],
      ['xac-nhan', { kind: 'enter', element: 'so-tien', entry: '50.000' }],
    ];
    for (const [from, action] of path) unwrap(await call(a.socket, 'task:move', moveOf(runId, from, action)));
    unwrap(await call(b.socket, 'task:move', moveOf(runId, 'trang-chu', { kind: 'miss' })));
    closeSockets();
    await server.stop();
    const again = await start(server.dataDir);
    const a2 = learnerSocket(again.url);
    const snap = unwrap(await call<LearnerSnapshot>(a2, 'learner:resume', { token: a.token }));
    expect(snap.class.task?.runId).toBe(runId);
    expect(snap.me.task).toMatchObject({ screen: 'nhap-pin', status: 'working' });
    const login = await api(again.url, 'POST', '/api/auth/login', { username: 'giangvien', password: 'mat-khau-du-dai' });
    const staff = staffSocket(again.url, login.cookie ?? cookie);
    const view = unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id }));
    expect(view.roster.find((r) => r.id === b.id)?.task).toMatchObject({ screen: 'trang-chu', misses: 1 });
    // And the task goes on from there.
    const pin = unwrap(await call<MeView>(a2, 'task:move', moveOf(runId, 'nhap-pin', { kind: 'enter', element: 'pin', entry: '123456' })));
    expect(pin.task?.screen).toBe('bien-lai');
  });

  it('what a learner types is in no stored event, view, log line or export', async () => {
    const { server, cookie, session, staff, learners, runId } = await classInTask(1);
    const [a] = learners;
    const send = (from: string, action: TaskMove['action']) => call<MeView>(a.socket, 'task:move', moveOf(runId, from, action));
    unwrap(await send('trang-chu', { kind: 'tap', element: 'quet' }));
    unwrap(await send('camera', { kind: 'scan', element: 'may-quet', code: 'ma-quay' }));
    const wrong = unwrap(await send('xac-nhan', { kind: 'enter', element: 'so-tien', entry: TYPED }));
    expect(wrong.task?.screen).toBe('xac-nhan'); // did not match: stays
    unwrap(await send('xac-nhan', { kind: 'enter', element: 'so-tien', entry: '50000' }));
    unwrap(await send('nhap-pin', { kind: 'enter', element: 'pin', entry: TYPED_PIN }));
    const done = unwrap(await send('bien-lai', { kind: 'tap', element: 'xong' }));
    expect(done.task?.status).toBe('finished');
    const staffView = await waitFor<StaffView>(staff, 'staff:view', (v) => v.task?.finished === 1);
    const results = unwrap((await api<SessionResults>(server.url, 'GET', `/api/sessions/${session.id}.json`, undefined, cookie)).ack);
    expect(results.tasks[0]).toMatchObject({ finished: 1, finishedPct: 100 });
    const csvs = await Promise.all(
      ['learners', 'tasks', 'steps', 'questions'].map((table) =>
        fetch(`${server.url}/api/sessions/${session.id}.csv?table=${table}`, { headers: { cookie } }).then((r) => r.text()),
      ),
    );
    expect(csvs[1]).toContain('Trả tiền bằng mã QR');
    unwrap(await call(staff, 'session:end', { sessionId: session.id }));
    await server.stop();
    const db = new Database(join(server.dataDir, 'cunghoc.sqlite'), { readonly: true });
    const stored = (db.prepare('SELECT data FROM session_events').all() as { data: string }[]).map((r) => r.data).join('\n');
    db.close();
    expect(stored).toContain('"matched":false');
    expect(stored).toContain('"matched":true');
    const files = readdirSync(server.dataDir).map((f) => {
      try {
        return readFileSync(join(server.dataDir, f)).toString('latin1');
      } catch {
        return '';
      }
    });
    const everything = [stored, ...files, JSON.stringify(staffView), JSON.stringify(results), ...csvs, ...server.logs].join('\n');
    expect(server.logs.length).toBeGreaterThan(0);
    for (const secret of [TYPED, TYPED_PIN]) expect(everything).not.toContain(secret);
  });
});
