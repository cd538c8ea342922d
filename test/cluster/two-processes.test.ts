import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { single } from '../support/lessons.ts';
import type { ClassView, SessionResults, SessionSummary, StaffView } from '../../shared/protocol/views.ts';
import type { FestivalBoard } from '../../shared/protocol/register.ts';
import { api, token, unwrap } from '../support/server.ts';
import {
  accessLog,
  ask,
  classOnCluster,
  clientSocket,
  closeClients,
  clusterReady,
  getFrom,
  leaseRow,
  startCluster,
  storedEvents,
  upstreamOf,
  waitOn,
  until,
  type Cluster,
} from '../support/cluster.ts';
import { consoleOn, joinTablets } from '../support/cluster-class.ts';

const file = 'test/cluster/two-processes.test.ts';
const ready = await clusterReady(file);
const question = single('q-cluster', 'Trước khi chuyển tiền, cần kiểm tra gì?', ['Màu của mã QR', 'Tên người nhận và số tiền'], 'b');

/** What must be the same whichever process a console asks: the class, not the clock. */
const comparable = (v: StaffView) => ({
  seq: v.seq,
  current: v.current,
  status: v.status,
  roster: v.roster
    .map((r) => ({ id: r.id, name: r.name, step: r.step, done: r.done, connected: r.connected }))
    .sort((a, b) => a.id.localeCompare(b.id)),
  quiz: v.quiz && {
    runId: v.quiz.runId,
    status: v.quiz.status,
    answered: v.quiz.answered,
    total: v.quiz.total,
    histogram: v.quiz.histogram,
  },
  runs: v.runs,
});

describe.skipIf(!ready)('two server processes behind nginx', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ count: 2, leaseMs: 3000 });
  }, 120_000);
  afterAll(async () => {
    await cluster?.teardown();
  });
  afterEach(() => closeClients());

  it('a step from a console on one process reaches every tablet; answers through both are counted once; both consoles see the same class', async () => {
    const [p1, p2] = cluster.nodes.map((n) => n.port);
    // Five client addresses per process: four tablets and one console each.
    const cls = await classOnCluster(cluster, 5);
    const { nginx, spread, cookie, session, owner: ownerNode, other } = cls;
    const [owner, ownerPort, otherPort] = [ownerNode.id, ownerNode.port, other.port];

    // The console on the process that does NOT own the session drives the class; another watches from the owner's.
    const driver = await consoleOn(cls, otherPort, 4);
    const watcher = await consoleOn(cls, ownerPort, 4);

    const tablets = await joinTablets(cls, 4, (url, address) => ({ socket: clientSocket(url, '/learner', { localAddress: address }) }));
    expect(tablets.filter((t) => t.port === p1)).toHaveLength(4);
    expect(tablets.filter((t) => t.port === p2)).toHaveLength(4);
    // Presence reaches the owner from both processes.
    for (const s of [driver, watcher])
      await waitOn<StaffView>(s, 'staff:view', (v) => v.roster.length === 8 && v.roster.every((r) => r.connected));

    unwrap(await ask(driver, 'step:push', { sessionId: session.id, step: 1 }));
    await Promise.all(tablets.map((t) => waitOn<ClassView>(t.socket, 'class', (c) => c.current === 1)));

    const { runId } = unwrap(
      await ask<{ runId: string }>(driver, 'quiz:open', { sessionId: session.id, source: { question }, timeLimit: null }),
    );
    await Promise.all(tablets.map((t) => waitOn<ClassView>(t.socket, 'class', (c) => c.quiz?.runId === runId)));
    const acks = await Promise.all(
      tablets.map((t) =>
        ask(t.socket, 'quiz:answer', { runId, answerId: `ans-${t.n}-0001`, value: { kind: 'single', option: t.n % 2 ? 'a' : 'b' } }),
      ),
    );
    for (const ack of acks) expect(ack.ok).toBe(true);
    // A retry of one answer (same id) after a reconnect to the other process is not a second answer.
    const again = clientSocket(nginx.url, '/learner', { localAddress: spread.get(tablets[0].port === p1 ? p2 : p1)![0] });
    unwrap(await ask(again, 'learner:resume', { token: token(tablets[0].n) }));
    unwrap(await ask(again, 'quiz:answer', { runId, answerId: `ans-${tablets[0].n}-0001`, value: { kind: 'single', option: 'b' } }));

    for (const s of [driver, watcher]) await waitOn<StaffView>(s, 'staff:view', (v) => v.quiz?.answered === 8);
    const a = unwrap(await ask<StaffView>(driver, 'staff:watch', { sessionId: session.id }));
    const b = unwrap(await ask<StaffView>(watcher, 'staff:watch', { sessionId: session.id }));
    expect(comparable(a)).toEqual(comparable(b));
    expect(a.quiz).toMatchObject({ answered: 8, total: 8 });

    const results = await api<SessionResults>(nginx.url, 'GET', `/api/sessions/${session.id}.json`, undefined, cookie);
    const r = unwrap(results.ack);
    expect(r.questions).toHaveLength(1);
    expect(r.questions[0]).toMatchObject({ runId, answered: 8, correctPct: 50 });
    const answered = (await storedEvents(cluster.db.url, session.id)).filter((e) => e.type === 'quiz:answered');
    expect(answered).toHaveLength(8);
    // Every append was the owner's: the sequence has no hole.
    const seqs = (await storedEvents(cluster.db.url, session.id)).map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i));

    // A long-polling tablet (many HTTP requests for one connection) stays on one process: its commands work.
    const polling = clientSocket(nginx.url, '/learner', { polling: true });
    unwrap(await ask(polling, 'learner:resume', { token: token(tablets[1].n) }));
    for (let step = 0; step < 3; step++) unwrap(await ask(polling, 'learner:done', { step: 1, done: step % 2 === 0 }));
    expect(polling.io.engine.transport.name).toBe('polling');

    // The festival board of either process lists every open class, whichever process owns it.
    const second = unwrap(
      (
        await api<SessionSummary>(
          cluster.nodes.find((x) => x.port === otherPort)!.url,
          'POST',
          '/api/sessions',
          { lessonId: 'thanh-toan-qr' },
          cookie,
        )
      ).ack,
    );
    expect((await leaseRow(cluster.db.url, second.id))!.owner).not.toBe(owner);
    for (const node of cluster.nodes) {
      const board = unwrap((await api<FestivalBoard>(node.url, 'GET', '/api/festival', undefined, cookie)).ack);
      expect(board.classes.map((c) => c.code).sort()).toEqual([session.code, second.code].sort());
    }

    // nginx's own log: each tablet's WebSocket went to the process its address hashes to, and both had some.
    closeClients();
    const seen = await until('nginx to log every tablet WebSocket', () => {
      const ws = accessLog(nginx).filter((l) => l.uri.includes('/socket.io/') && l.uri.includes('transport=websocket'));
      return (
        tablets.every((t) => ws.some((l) => l.address === spread.get(t.port)![tablets.filter((x) => x.port === t.port).indexOf(t)])) && ws
      );
    });
    for (const t of tablets) {
      const address = spread.get(t.port)![tablets.filter((x) => x.port === t.port).indexOf(t)];
      expect(new Set(seen.filter((l) => l.address === address).map((l) => l.upstream))).toEqual(new Set([t.port]));
    }
  }, 90_000);

  it('behind nginx, a limit is per tablet: two tablets on one process have a class-code budget each', async () => {
    const nginx = cluster.nginx!;
    // Two tablet addresses that nginx sends to the same process (the limits are that process's).
    const byPort = new Map<number, string[]>();
    let pair: string[] | undefined;
    for (let i = 2; i < 250 && !pair; i++) {
      const address = `127.0.1.${i}`;
      const port = await upstreamOf(nginx, address);
      const list = byPort.get(port) ?? [];
      list.push(address);
      byPort.set(port, list);
      if (list.length === 2) pair = list;
    }
    const [guesser, neighbour] = pair!;
    // The join QR of a code no class can have: 404 while guessing is allowed, 429 once the address used its 20.
    const guess = async (from: string) => (await getFrom(`${nginx.url}/api/join-qr/xxxxxx.svg`, from)).status;
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push(await guess(guesser));
    expect(statuses).toEqual([...Array<number>(20).fill(404), 429]);
    expect(await guess(neighbour)).toBe(404);
  }, 30_000);
});
