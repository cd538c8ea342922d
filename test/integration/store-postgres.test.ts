import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../server/store/postgres.ts';
import { LeaseLostError } from '../../server/store/store.ts';
import { LinkProxy } from '../support/link-proxy.ts';
import { freshDatabase, pgAvailable, type FreshDatabase } from '../support/services.ts';
import { joined, pushed, started, storeContract } from '../contract/store.contract.ts';

const ok = await pgAvailable('store-postgres');

/** Each describe block its own database, dropped afterwards. */
function useDatabase() {
  const ref: { db?: FreshDatabase; store?: Awaited<ReturnType<typeof openPostgresStore>> } = {};
  beforeAll(async () => {
    ref.db = await freshDatabase();
    ref.store = await openPostgresStore(ref.db.url);
  });
  afterAll(async () => {
    await ref.store?.close();
    await ref.db?.drop();
  });
  return ref as Required<typeof ref>;
}

storeContract(
  'PostgreSQL',
  async () => {
    const db = await freshDatabase();
    const store = await openPostgresStore(db.url);
    return {
      store,
      uploads: store.media,
      close: async () => {
        await store.close();
        await db.drop();
      },
    };
  },
  { skip: !ok },
);

/** Poll a condition with a deadline. */
async function until(condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met within the deadline');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The database clock decides expiry: wait (with a deadline) until it says a lease has run out. */
async function untilExpired(leaseOf: () => Promise<{ expiresAt: number } | undefined>, now: () => Promise<number>): Promise<void> {
  const deadline = Date.now() + 10_000;
  const lease = await leaseOf();
  while ((await now()) <= (lease?.expiresAt ?? 0)) {
    if (Date.now() > deadline) throw new Error('the lease did not expire within 10 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!ok)('PostgreSQL store: leases and fencing', () => {
  const ref = useDatabase();
  const dbNow = async () =>
    (await ref.store.pool.query<{ ms: number }>('SELECT (extract(epoch FROM now()) * 1000)::float8 AS ms')).rows[0].ms;
  const untilLapsed = (sessionId: string) => untilExpired(() => ref.store.leases.leaseOf(sessionId), dbNow);
  /** A new session leased to proc-a for `ms`, once the database clock says that lease has run out. */
  const expiredLease = async (ms: number) => {
    const s = started();
    await ref.store.leases.createSessionLeased(s, 'proc-a', ms);
    await untilLapsed(s.sessionId);
    return s;
  };

  it('creates a session with its lease at fence 1; another owner cannot take it while it runs; the owner renews', async () => {
    const { store } = ref;
    const s = started();
    expect(await store.leases.createSessionLeased(s, 'proc-a', 30_000)).toBe(1);
    expect(await store.loadEvents(s.sessionId)).toEqual([s]);
    expect(await store.leases.leaseOf(s.sessionId)).toMatchObject({ owner: 'proc-a', fence: 1 });
    expect(await store.leases.acquireLease(s.sessionId, 'proc-b', 30_000)).toBeNull();
    // Already ours: the same fence.
    expect(await store.leases.acquireLease(s.sessionId, 'proc-a', 30_000)).toBe(1);
    const before = (await store.leases.leaseOf(s.sessionId))!.expiresAt;
    expect(await store.leases.renewLease(s.sessionId, 'proc-a', 1, 60_000)).toBe(true);
    expect((await store.leases.leaseOf(s.sessionId))!.expiresAt).toBeGreaterThan(before);
    expect(await store.leases.renewLease(s.sessionId, 'proc-b', 1, 60_000)).toBe(false);
    expect(await store.leases.renewLease(s.sessionId, 'proc-a', 2, 60_000)).toBe(false);
    expect(await store.leases.orphanedSessions()).not.toContain(s.sessionId);
    await store.appendEvents(s.sessionId, 1, [pushed(0)], { owner: 'proc-a', fence: 1 });
    expect(await store.loadEvents(s.sessionId)).toHaveLength(2);
  });

  it('an expired lease is taken over with a higher fence; the old owner can neither renew nor append, and writes nothing', async () => {
    const { store } = ref;
    const s = await expiredLease(150);
    expect(await store.leases.orphanedSessions()).toContain(s.sessionId);
    expect(await store.leases.acquireLease(s.sessionId, 'proc-b', 30_000)).toBe(2);
    expect(await store.leases.orphanedSessions()).not.toContain(s.sessionId);
    expect(await store.leases.renewLease(s.sessionId, 'proc-a', 1, 30_000)).toBe(false);
    await expect(store.appendEvents(s.sessionId, 1, [joined('late'), pushed(3)], { owner: 'proc-a', fence: 1 })).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    await expect(store.appendEvents(s.sessionId, 1, [pushed(3)], { owner: 'proc-a', fence: 1 })).rejects.toMatchObject({
      code: 'lease_lost',
    });
    expect(await store.loadEvents(s.sessionId)).toHaveLength(1);
    expect((await store.getSessionSummary(s.sessionId))?.learnerCount).toBe(0);
    // The new owner goes on from the same sequence.
    await store.appendEvents(s.sessionId, 1, [pushed(1)], { owner: 'proc-b', fence: 2 });
    expect(await store.loadEvents(s.sessionId)).toHaveLength(2);
  });

  it("a stale owner's append in the same commit as good ones fails alone", async () => {
    const { store } = ref;
    const [a, b] = [started(), started()];
    await store.leases.createSessionLeased(a, 'proc-a', 30_000);
    await store.leases.createSessionLeased(b, 'proc-a', 30_000);
    const results = await Promise.allSettled([
      store.appendEvents(a.sessionId, 1, [pushed(0)], { owner: 'proc-a', fence: 1 }),
      store.appendEvents(b.sessionId, 1, [pushed(0)], { owner: 'proc-a', fence: 7 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(LeaseLostError);
    expect(await store.loadEvents(a.sessionId)).toHaveLength(2);
    expect(await store.loadEvents(b.sessionId)).toHaveLength(1);
  });

  it('our own expired lease taken again gets a new fence; a released lease is free at once and the next fence is higher', async () => {
    const { store } = ref;
    const s = await expiredLease(100);
    expect(await store.leases.acquireLease(s.sessionId, 'proc-a', 30_000)).toBe(2);
    await store.leases.releaseLease(s.sessionId, 'proc-b', 2); // not ours: nothing changes
    expect(await store.leases.acquireLease(s.sessionId, 'proc-b', 30_000)).toBeNull();
    await store.leases.releaseLease(s.sessionId, 'proc-a', 2);
    await untilLapsed(s.sessionId);
    expect(await store.leases.orphanedSessions()).toContain(s.sessionId);
    expect(await store.leases.acquireLease(s.sessionId, 'proc-b', 30_000)).toBe(3);
    expect(await store.leases.leaseOf(s.sessionId)).toMatchObject({ owner: 'proc-b', fence: 3 });
  });

  it('open sessions without any lease are orphans; an ended session is not; unknown sessions have no lease', async () => {
    const { store } = ref;
    const [plain, done] = [started(), started()];
    await store.createSession(plain);
    await store.createSession(done);
    await store.appendEvents(done.sessionId, 1, [{ type: 'session:ended', at: done.at + 1 }]);
    const orphans = await store.leases.orphanedSessions();
    expect(orphans).toContain(plain.sessionId);
    expect(orphans).not.toContain(done.sessionId);
    expect(await store.leases.leaseOf(plain.sessionId)).toBeUndefined();
    expect(await store.leases.acquireLease('no-such-session', 'proc-a', 1000)).toBeNull();
    expect(await store.leases.acquireLease(plain.sessionId, 'proc-a', 30_000)).toBe(1);
    // Without a lease row, a leased append is refused.
    const other = started();
    await store.createSession(other);
    await expect(store.appendEvents(other.sessionId, 1, [pushed(0)], { owner: 'proc-a', fence: 1 })).rejects.toBeInstanceOf(LeaseLostError);
  });

  it('only one of two racing processes takes an expired lease', async () => {
    const { store } = ref;
    const s = await expiredLease(50);
    const fences = await Promise.all(['proc-b', 'proc-c', 'proc-d'].map((owner) => store.leases.acquireLease(s.sessionId, owner, 30_000)));
    expect(fences.filter((f) => f !== null)).toEqual([2]);
  });

  it('renews many leases in one round: only those still ours with that fence; tells the owners of many sessions', async () => {
    const { store } = ref;
    const [a, b, c] = [started(), started(), started()];
    await store.leases.createSessionLeased(a, 'proc-a', 30_000);
    await store.leases.createSessionLeased(b, 'proc-a', 30_000);
    await store.leases.createSessionLeased(c, 'proc-b', 30_000);
    const before = (await store.leases.leaseOf(a.sessionId))!.expiresAt;
    const renewed = await store.leases.renewLeases(
      'proc-a',
      [
        { sessionId: a.sessionId, fence: 1 },
        { sessionId: b.sessionId, fence: 2 },
        { sessionId: c.sessionId, fence: 1 },
        { sessionId: 'no-such-session', fence: 1 },
      ],
      60_000,
    );
    expect([...renewed]).toEqual([a.sessionId]);
    expect((await store.leases.leaseOf(a.sessionId))!.expiresAt).toBeGreaterThan(before);
    expect(await store.leases.renewLeases('proc-a', [], 60_000)).toEqual(new Set());
    expect(await store.leases.ownersOf([a.sessionId, c.sessionId, 'no-such-session'])).toEqual(
      new Map([
        [a.sessionId, 'proc-a'],
        [c.sessionId, 'proc-b'],
      ]),
    );
  });

  it('routes a tablet: open session by class code and helper code, session of a resume token', async () => {
    const { store } = ref;
    const s = started();
    await store.leases.createSessionLeased(s, 'proc-a', 30_000);
    const learner = joined('r1');
    await store.appendEvents(s.sessionId, 1, [learner], { owner: 'proc-a', fence: 1 });
    expect(await store.leases.openSessionByCode(s.code)).toBe(s.sessionId);
    expect(await store.leases.openSessionByHelperCode(s.helperCode)).toBe(s.sessionId);
    expect(await store.leases.sessionOfToken((learner as { tokenHash: string }).tokenHash)).toBe(s.sessionId);
    expect(await store.leases.sessionOfToken('nope')).toBeUndefined();
    expect(await store.leases.openSessionByCode('000000x')).toBeUndefined();
    await store.appendEvents(s.sessionId, 2, [{ type: 'session:ended', at: s.at + 5 }], { owner: 'proc-a', fence: 1 });
    expect(await store.leases.openSessionByCode(s.code)).toBeUndefined();
    expect(await store.leases.openSessionByHelperCode(s.helperCode)).toBeUndefined();
  });
});

describe.skipIf(!ok)('PostgreSQL store: what only a server database does', () => {
  const ref = useDatabase();

  it('an event the database refuses in the middle of an append leaves nothing of it (savepoint), the batch commits the rest', async () => {
    const { store } = ref;
    const [a, b] = [started(), started()];
    await store.createSession(a);
    await store.createSession(b);
    // `at` is a BIGINT column: a fraction passes JSON but not the database.
    const results = await Promise.allSettled([
      store.appendEvents(a.sessionId, 1, [joined('x'), { type: 'step:pushed', at: 1.5, step: 0 }, pushed(1)]),
      store.appendEvents(b.sessionId, 1, [pushed(0)]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect(await store.loadEvents(a.sessionId)).toHaveLength(1);
    expect(await store.getSessionSummary(a.sessionId)).toMatchObject({ learnerCount: 0 });
    expect(await store.leases.sessionOfToken('anything')).toBeUndefined();
    expect(await store.loadEvents(b.sessionId)).toHaveLength(2);
  });

  it("one session's appends in one commit go as one item: stored in order, and refused together when the database refuses one of them", async () => {
    const { store } = ref;
    const [a, b] = [started(), started()];
    await store.createSession(a);
    await store.createSession(b);
    const ok = await Promise.allSettled([1, 2, 3, 4].map((i) => store.appendEvents(a.sessionId, i, [pushed(i)])));
    expect(ok.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect((await store.loadEvents(a.sessionId)).map((e) => e.type === 'step:pushed' && e.step)).toEqual([false, 1, 2, 3, 4]);
    const results = await Promise.allSettled([
      store.appendEvents(b.sessionId, 1, [pushed(0)]),
      store.appendEvents(b.sessionId, 2, [{ type: 'step:pushed', at: 1.5, step: 1 }]),
      store.appendEvents(b.sessionId, 3, [pushed(2)]),
      store.appendEvents(a.sessionId, 5, [pushed(5)]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'fulfilled']);
    expect(await store.loadEvents(b.sessionId)).toHaveLength(1);
    expect(await store.loadEvents(a.sessionId)).toHaveLength(6);
    // Nothing of the refused run was kept: the session takes its next append at seq 1.
    await store.appendEvents(b.sessionId, 1, [pushed(0)]);
    expect(await store.loadEvents(b.sessionId)).toHaveLength(2);
  });

  it('two stores on one database (two processes): migrations once, and a second writer at the same sequence is refused', async () => {
    const { store, db } = ref;
    const second = await openPostgresStore(db.url);
    try {
      const versions = await store.pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(versions.rows.map((r) => r.version)).toEqual([1, 2]);
      const s = started();
      await store.createSession(s);
      const results = await Promise.allSettled([
        store.appendEvents(s.sessionId, 1, [pushed(0)]),
        second.appendEvents(s.sessionId, 1, [pushed(9)]),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(await second.loadEvents(s.sessionId)).toHaveLength(2);
    } finally {
      await second.close();
    }
  });

  it("another process's write to links or cached evidence refreshes this process's evidence generation (LISTEN/NOTIFY)", async () => {
    const { store, db } = ref;
    const second = await openPostgresStore(db.url);
    try {
      const s = started();
      await store.createSession(s);
      const person = {
        id: `p-${s.sessionId}`,
        card: null as unknown as string,
        name: 'Vũ Thị Hà',
        birthYear: 1970,
        hamlet: 'Thôn Tây',
        group: 'khac' as const,
        phone: null,
        consentDate: '2026-10-01',
      };
      await store.savePeople([person], [], []);
      // The second store's listener is up once its first (re)connect has counted.
      await until(() => second.evidenceGeneration() > 0);
      const before = second.evidenceGeneration();
      await store.linkLearner(
        { sessionId: s.sessionId, rowId: 'A', personId: person.id, at: 1 },
        { personId: person.id, at: 1, userId: 'u', action: 'linked', detail: '' },
      );
      await until(() => second.evidenceGeneration() > before);
      const mid = second.evidenceGeneration();
      await store.cacheEvidence(s.sessionId, 3, []);
      await until(() => second.evidenceGeneration() > mid);
    } finally {
      await second.close();
    }
  });

  it('migrations started by several processes at once run once', async () => {
    const fresh = await freshDatabase();
    try {
      const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore(fresh.url)));
      const rows = await stores[0].pool.query<{ version: number }>('SELECT version FROM schema_migrations');
      expect(rows.rows.map((r) => r.version).sort()).toEqual([1, 2]);
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await fresh.drop();
    }
  });

  it('the database going away: appends fail with an error (nothing acknowledged is lost), and work again once it is back', async () => {
    const { db } = ref;
    const proxy = new LinkProxy(5432);
    const port = await proxy.listen();
    const url = new URL(db.url);
    url.port = String(port);
    url.hostname = '127.0.0.1';
    const store = await openPostgresStore(url.toString());
    try {
      const s = started();
      await store.createSession(s);
      await store.appendEvents(s.sessionId, 1, [pushed(0)]);
      proxy.refuse = true;
      proxy.cutAll();
      await expect(store.appendEvents(s.sessionId, 2, [pushed(1)])).rejects.toThrow();
      await expect(store.loadEvents(s.sessionId)).rejects.toThrow();
      proxy.refuse = false;
      // Back: the failed append wrote nothing, the same sequence goes on.
      await until(async () => (await store.loadEvents(s.sessionId).catch(() => [])).length === 2);
      await store.appendEvents(s.sessionId, 2, [pushed(1)]);
      expect((await store.loadEvents(s.sessionId)).map((e) => e.type)).toEqual(['session:started', 'step:pushed', 'step:pushed']);
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it('a closed store refuses appends instead of losing them', async () => {
    const fresh = await freshDatabase();
    try {
      const store = await openPostgresStore(fresh.url);
      const s = started();
      await store.createSession(s);
      const last = store.appendEvents(s.sessionId, 1, [pushed(0)]);
      await store.close();
      await last; // accepted before close: durable
      await expect(store.appendEvents(s.sessionId, 2, [pushed(1)])).rejects.toThrow(/closed/);
      const again = await openPostgresStore(fresh.url);
      expect(await again.loadEvents(s.sessionId)).toHaveLength(2);
      await again.close();
    } finally {
      await fresh.drop();
    }
  });
});
