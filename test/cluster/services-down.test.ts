import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { single } from '../support/lessons.ts';
import type { Ack } from '../../shared/protocol/errors.ts';
import type { ClassView, LearnerSnapshot, StaffView } from '../../shared/protocol/views.ts';
import { token, unwrap } from '../support/server.ts';
import { LinkProxy } from '../support/link-proxy.ts';
import { PG_TEST_URL, REDIS_TEST_URL } from '../support/services.ts';
import {
  ask,
  classOnCluster,
  clientSocket,
  clusterReady,
  endTest,
  startCluster,
  storedEvents,
  until,
  waitOn,
  type Cluster,
} from '../support/cluster.ts';

const file = 'test/cluster/services-down.test.ts';
const ready = await clusterReady(file);
const question = single('q-down', 'Có nên bấm vào đường link lạ không?', { yes: 'Có', no: 'Không' }, 'no');

const viaPort = (url: string, port: number) => {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
};

/**
 * PostgreSQL and Redis are the machine's own services, used by others too: they are never stopped.
 * A TCP proxy between the server processes and each service is cut instead (connections reset,
 * new ones refused), which is what the processes would see of a service going away.
 */
describe.skipIf(!ready)('PostgreSQL or Redis going away and coming back', () => {
  let cluster: Cluster | undefined;
  const proxies: LinkProxy[] = [];
  afterEach(async (ctx) => {
    await endTest(ctx, cluster);
    cluster = undefined;
    for (const p of proxies.splice(0)) await p.close();
  });

  async function classVia(leaseMs: number) {
    const pgProxy = new LinkProxy(Number(new URL(PG_TEST_URL).port || 5432));
    const redisProxy = new LinkProxy(Number(new URL(REDIS_TEST_URL).port || 6379));
    proxies.push(pgProxy, redisProxy);
    const pgPort = await pgProxy.listen();
    const redisPort = await redisProxy.listen();
    cluster = await startCluster({
      count: 2,
      leaseMs,
      via: { databaseUrl: (url) => viaPort(url, pgPort), redisUrl: viaPort(REDIS_TEST_URL, redisPort) },
    });
    const { nginx, spread, cookie, session, owner, other } = await classOnCluster(cluster, 3);
    const [ownerPort, otherPort] = [owner.port, other.port];
    const staffOnOwner = clientSocket(nginx.url, '/staff', { localAddress: spread.get(ownerPort)![2], cookie });
    const staffOnOther = clientSocket(nginx.url, '/staff', { localAddress: spread.get(otherPort)![2], cookie });
    for (const s of [staffOnOwner, staffOnOther]) unwrap(await ask<StaffView>(s, 'staff:watch', { sessionId: session.id }));
    const tablets: { socket: Socket; i: number; onOwner: boolean }[] = [];
    let i = 0;
    for (const [port, addresses] of spread) {
      for (const address of addresses.slice(0, 2)) {
        const n = i++;
        const socket = clientSocket(nginx.url, '/learner', { localAddress: address, auth: { token: token(n) } });
        unwrap(await ask<LearnerSnapshot>(socket, 'learner:join', { code: session.code, name: `HV ${n}`, token: token(n) }));
        tablets.push({ socket, i: n, onOwner: port === ownerPort });
      }
    }
    unwrap(await ask(staffOnOther, 'step:push', { sessionId: session.id, step: 0 }));
    const { runId } = unwrap(
      await ask<{ runId: string }>(staffOnOther, 'quiz:open', { sessionId: session.id, source: { question }, timeLimit: null }),
    );
    await Promise.all(tablets.map((t) => waitOn<ClassView>(t.socket, 'class', (c) => c.quiz?.runId === runId)));
    return { cluster, nginx, session, runId, staffOnOwner, staffOnOther, tablets, pgProxy, redisProxy };
  }

  /** A command retried until the class has recovered (the tablets' own behaviour), with every refusal a clear code. */
  async function untilServed<T>(what: string, send: () => Promise<Ack<T>>, refusals: string[]): Promise<T> {
    const ack = await until(
      what,
      async () => {
        const res = await send();
        if (!res.ok) refusals.push(res.error.code);
        return res.ok && res;
      },
      60_000,
      250,
    );
    return ack.data;
  }

  it('PostgreSQL unreachable: commands fail with owner_unavailable (nothing half-applied, no crash); the class comes back by itself with every acknowledged answer', async () => {
    const { cluster, session, runId, staffOnOther, tablets, pgProxy } = await classVia(2000);
    const acknowledged: string[] = [];
    const answer = (t: (typeof tablets)[number], answerId: string) =>
      ask(t.socket, 'quiz:answer', { runId, answerId, value: { kind: 'single', option: 'no' } });
    unwrap(await answer(tablets[0], `up-${tablets[0].i}-0000`));
    acknowledged.push(`up-${tablets[0].i}-0000`);

    pgProxy.refuse = true;
    pgProxy.cutAll();
    // Through either process: a clear refusal, never an acknowledged answer that storage did not keep.
    const refusals: string[] = [];
    for (const t of tablets.slice(1)) {
      const res = await answer(t, `down-${t.i}-0000`);
      if (res.ok) acknowledged.push(`down-${t.i}-0000`);
      else refusals.push(res.error.code);
    }
    const push = await ask(staffOnOther, 'quiz:show-results', { sessionId: session.id, runId, show: true });
    if (!push.ok) refusals.push(push.error.code);
    expect(refusals.length).toBeGreaterThan(0);
    expect(new Set(refusals)).toEqual(new Set(['owner_unavailable']));
    for (const node of cluster.nodes) expect(node.alive()).toBe(true);

    pgProxy.refuse = false;
    // The tablets' retries (same answer ids) go through once the class is rebuilt from storage.
    const later: string[] = [];
    for (const t of tablets.slice(1)) {
      const id = `down-${t.i}-0000`;
      await untilServed('the class to take answers again', () => answer(t, id), later);
      if (!acknowledged.includes(id)) acknowledged.push(id);
    }
    expect(new Set(later.filter((c) => c !== 'owner_unavailable'))).toEqual(new Set());
    for (const node of cluster.nodes) expect(node.alive()).toBe(true);
    const events = await storedEvents(cluster.db.url, session.id);
    const stored = events
      .filter((e) => e.type === 'quiz:answered')
      .map((e) => (JSON.parse(String(e.body)) as { answerId: string }).answerId);
    expect(stored.sort()).toEqual([...acknowledged].sort());
    expect(events.map((e) => e.seq)).toEqual(events.map((_, k) => events[0].seq + k));
    const view = unwrap(await ask<StaffView>(staffOnOther, 'staff:watch', { sessionId: session.id }));
    expect(view.quiz).toMatchObject({ runId, answered: tablets.length });
  }, 120_000);

  it('Redis unreachable: the owner goes on, a command through the other process fails with owner_unavailable; once Redis is back, every tablet on both processes gets the next step', async () => {
    const { cluster, session, runId, staffOnOwner, staffOnOther, tablets, redisProxy } = await classVia(3000);
    redisProxy.refuse = true;
    redisProxy.cutAll();

    // The owner still stores and acknowledges its own tablets' answers.
    const acknowledged: string[] = [];
    for (const t of tablets.filter((x) => x.onOwner)) {
      unwrap(await ask(t.socket, 'quiz:answer', { runId, answerId: `own-${t.i}-0000`, value: { kind: 'single', option: 'no' } }));
      acknowledged.push(`own-${t.i}-0000`);
    }
    // The other process cannot reach the owner: a clear refusal, nothing applied.
    const remote = tablets.find((x) => !x.onOwner)!;
    const refused = await ask(remote.socket, 'quiz:answer', {
      runId,
      answerId: `far-${remote.i}-0000`,
      value: { kind: 'single', option: 'no' },
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'owner_unavailable' } });
    for (const node of cluster.nodes) expect(node.alive()).toBe(true);

    redisProxy.refuse = false;
    const refusals: string[] = [];
    for (const t of tablets.filter((x) => !x.onOwner)) {
      await untilServed(
        'answers through the other process again',
        () => ask(t.socket, 'quiz:answer', { runId, answerId: `far-${t.i}-0000`, value: { kind: 'single', option: 'no' } }),
        refusals,
      );
      acknowledged.push(`far-${t.i}-0000`);
    }
    expect(new Set(refusals.filter((c) => c !== 'owner_unavailable'))).toEqual(new Set());
    // Broadcasts cross again: a step pushed from the console on the other process reaches every tablet.
    await untilServed(
      'a push through the other process',
      () => ask(staffOnOther, 'step:push', { sessionId: session.id, step: 1 }),
      refusals,
    );
    await Promise.all(tablets.map((t) => waitOn<ClassView>(t.socket, 'class', (c) => c.current === 1, 30_000)));
    await waitOn<StaffView>(staffOnOwner, 'staff:view', (v) => v.current === 1);
    const events = await storedEvents(cluster.db.url, session.id);
    const stored = events
      .filter((e) => e.type === 'quiz:answered')
      .map((e) => (JSON.parse(String(e.body)) as { answerId: string }).answerId);
    expect(stored.sort()).toEqual([...acknowledged].sort());
    for (const node of cluster.nodes) expect(node.alive()).toBe(true);
  }, 120_000);
});
