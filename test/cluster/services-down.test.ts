import { afterEach, describe, expect, it } from 'vitest';
import { single } from '../support/lessons.ts';
import type { Ack } from '../../shared/protocol/errors.ts';
import type { ClassView, StaffView } from '../../shared/protocol/views.ts';
import { token, unwrap } from '../support/server.ts';
import { LinkProxy } from '../support/link-proxy.ts';
import { PG_TEST_URL, REDIS_TEST_URL } from '../support/services.ts';
import { ask, classOnCluster, clientSocket, clusterReady, storedEvents, until, waitOn } from '../support/cluster.ts';
import { answerIdsOf, consoleOn, joinTablets, useCluster } from '../support/cluster-class.ts';

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
  const proxies: LinkProxy[] = [];
  afterEach(async () => {
    for (const p of proxies.splice(0)) await p.close();
  });
  // Registered after the proxies' hook, so it runs first (after-hooks run in reverse order): the cluster goes down before its links.
  const startCluster = useCluster();

  async function classVia(leaseMs: number) {
    const pgProxy = new LinkProxy(Number(new URL(PG_TEST_URL).port || 5432));
    const redisProxy = new LinkProxy(Number(new URL(REDIS_TEST_URL).port || 6379));
    proxies.push(pgProxy, redisProxy);
    const pgPort = await pgProxy.listen();
    const redisPort = await redisProxy.listen();
    const cluster = await startCluster({
      count: 2,
      leaseMs,
      via: { databaseUrl: (url) => viaPort(url, pgPort), redisUrl: viaPort(REDIS_TEST_URL, redisPort) },
    });
    const cls = await classOnCluster(cluster, 3);
    const { nginx, session, owner, other } = cls;
    const staffOnOwner = await consoleOn(cls, owner.port, 2);
    const staffOnOther = await consoleOn(cls, other.port, 2);
    const tablets = (
      await joinTablets(cls, 2, (url, address, n) => ({
        socket: clientSocket(url, '/learner', { localAddress: address, auth: { token: token(n) } }),
      }))
    ).map((t) => ({ ...t, onOwner: t.port === owner.port }));
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
    unwrap(await answer(tablets[0], `up-${tablets[0].n}-0000`));
    acknowledged.push(`up-${tablets[0].n}-0000`);

    pgProxy.refuse = true;
    pgProxy.cutAll();
    // Through either process: a clear refusal, never an acknowledged answer that storage did not keep.
    const refusals: string[] = [];
    for (const t of tablets.slice(1)) {
      const res = await answer(t, `down-${t.n}-0000`);
      if (res.ok) acknowledged.push(`down-${t.n}-0000`);
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
      const id = `down-${t.n}-0000`;
      await untilServed('the class to take answers again', () => answer(t, id), later);
      if (!acknowledged.includes(id)) acknowledged.push(id);
    }
    expect(new Set(later.filter((c) => c !== 'owner_unavailable'))).toEqual(new Set());
    for (const node of cluster.nodes) expect(node.alive()).toBe(true);
    const events = await storedEvents(cluster.db.url, session.id);
    expect(answerIdsOf(events).sort()).toEqual([...acknowledged].sort());
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
      unwrap(await ask(t.socket, 'quiz:answer', { runId, answerId: `own-${t.n}-0000`, value: { kind: 'single', option: 'no' } }));
      acknowledged.push(`own-${t.n}-0000`);
    }
    // The other process cannot reach the owner: a clear refusal, nothing applied.
    const remote = tablets.find((x) => !x.onOwner)!;
    const refused = await ask(remote.socket, 'quiz:answer', {
      runId,
      answerId: `far-${remote.n}-0000`,
      value: { kind: 'single', option: 'no' },
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'owner_unavailable' } });
    for (const node of cluster.nodes) expect(node.alive()).toBe(true);

    redisProxy.refuse = false;
    const refusals: string[] = [];
    for (const t of tablets.filter((x) => !x.onOwner)) {
      await untilServed(
        'answers through the other process again',
        () => ask(t.socket, 'quiz:answer', { runId, answerId: `far-${t.n}-0000`, value: { kind: 'single', option: 'no' } }),
        refusals,
      );
      acknowledged.push(`far-${t.n}-0000`);
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
    expect(answerIdsOf(events).sort()).toEqual([...acknowledged].sort());
    for (const node of cluster.nodes) expect(node.alive()).toBe(true);
  }, 120_000);
});
