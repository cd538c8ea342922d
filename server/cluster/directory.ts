import type { Lesson } from '../../shared/lesson/schema.ts';
import { fold } from '../engine/engine.ts';
import type { SessionEvent, SessionStarted } from '../engine/events.ts';
import { Rooms } from '../rooms/registry.ts';
import type { RoomDeps } from '../rooms/room.ts';
import type { DispatchResult, Room } from '../rooms/room.ts';
import type { Store } from '../store/store.ts';
import type { FestivalClass } from '../../shared/protocol/register.ts';
import { BusError, type Bus, type BusRequest } from './bus.ts';
import {
  LocalHandle,
  OwnerUnavailableError,
  ownerUnavailable,
  RemoteHandle,
  remoteMethods,
  roomInfo,
  type RemoteMethod,
  type RoomHandle,
  type RoomInfo,
} from './handle.ts';
import { LeaseLostError, type Lease, type LeaseStore } from '../store/store.ts';

type Log = {
  info: (obj: object, msg: string) => void;
  warn: (obj: object, msg: string) => void;
  error: (obj: object, msg: string) => void;
};

export interface ClusterOptions {
  /** This process's name in leases and on the bus (default: hostname + pid). */
  nodeId: string;
  /** How long a lease lasts without renewal; renewed every third of it. */
  leaseMs: number;
  leases: LeaseStore;
  bus: Bus;
  /** How long a call carried to the owner may take. */
  callTimeoutMs?: number;
}

/**
 * Where the transport finds live sessions. One process: the rooms of this process. In a cluster:
 * the session's owner by its lease in the shared store — this process's room, or a handle that
 * carries each call to the owner — plus the lease keeper, the orphan scan and learners' presence.
 */
export class Directory {
  readonly #rooms: Rooms;
  readonly #store: Store;
  readonly #log: Log;
  readonly #c: ClusterOptions | undefined;
  /** Sessions this process owns, with the lease its appends carry. */
  readonly #owned = new Map<string, { lease: Lease; renewedAt: number }>();
  #renewing = false;
  readonly #remote = new Map<string, RemoteHandle>();
  readonly #taking = new Map<string, Promise<Room | undefined>>();
  /** Learner sockets bound on this process, per session and learner (re-announced to a new owner). */
  readonly #bound = new Map<string, Map<string, number>>();
  /** At the owner: how many sockets each node holds per learner, per session. */
  readonly #presence = new Map<string, Map<string, Map<string, number>>>();
  readonly #timers: NodeJS.Timeout[] = [];
  #closed = false;

  /** The rooms of this process and the directory over them, tied together (a cluster's rooms write under leases). */
  static create(
    deps: Omit<RoomDeps, 'onStoreFailure' | 'onEnded' | 'pacer' | 'log'> & { log: Log },
    cluster?: ClusterOptions,
  ): { rooms: Rooms; directory: Directory } {
    const rooms = new Rooms(
      deps,
      cluster && {
        onStoreFailure: (room, err) => directory.onStoreFailure(room, err),
        create: (started) => directory.create(started),
        codeTaken: (code) => directory.codeTaken(code),
      },
    );
    // The rooms' hooks above are called only later, once the directory exists.
    const directory: Directory = new Directory(rooms, deps.store, deps.log, cluster);
    return { rooms, directory };
  }

  constructor(rooms: Rooms, store: Store, log: Log, cluster?: ClusterOptions) {
    this.#rooms = rooms;
    this.#store = store;
    this.#log = log;
    this.#c = cluster;
    if (!cluster) return;
    cluster.bus.serve((request) => this.#serve(request));
    cluster.bus.onNotice((notice) => {
      if (notice.type === 'owner') this.#ownerChanged(notice.sessionId, notice.owner);
    });
  }

  get nodeId(): string | undefined {
    return this.#c?.nodeId;
  }

  /** Start the lease keeper and the orphan scan (a cluster), taking the sessions nobody holds now. */
  async startKeeping(): Promise<void> {
    const c = this.#c;
    if (!c) return;
    const every = Math.max(50, Math.floor(c.leaseMs / 3));
    const renew = setInterval(() => {
      void this.#renewAll().catch((err: unknown) => this.#log.error({ err }, 'lease renewal round failed'));
      void this.#forgetGoneNodes().catch((err: unknown) => this.#log.warn({ err: String(err) }, 'presence check failed'));
    }, every);
    const scan = setInterval(
      () => void this.scanOrphans().catch((err: unknown) => this.#log.warn({ err: String(err) }, 'orphan scan failed')),
      every,
    );
    renew.unref();
    scan.unref();
    this.#timers.push(renew, scan);
    await this.scanOrphans().catch((err: unknown) => this.#log.warn({ err: String(err) }, 'orphan scan failed'));
  }

  // ---- lookups -------------------------------------------------------------------------------

  /** The live session with this id, wherever it is owned; undefined when it is not open. */
  async get(sessionId: string): Promise<RoomHandle | undefined> {
    const room = this.#rooms.get(sessionId);
    if (room) return room.isOpen ? this.#local(room) : undefined;
    if (!this.#c) return undefined;
    return this.#resolve(sessionId);
  }

  async byCode(code: string): Promise<RoomHandle | undefined> {
    return this.#byKey(this.#rooms.byCode(code), (leases) => leases.openSessionByCode(code));
  }

  async byHelperCode(helperCode: string): Promise<RoomHandle | undefined> {
    return this.#byKey(this.#rooms.byHelperCode(helperCode), (leases) => leases.openSessionByHelperCode(helperCode));
  }

  /** An open room found by one of its codes: here when this process has it, else through the shared leases. */
  async #byKey(room: Room | undefined, find: (leases: LeaseStore) => Promise<string | undefined>): Promise<RoomHandle | undefined> {
    if (room?.isOpen) return this.#local(room);
    const c = this.#c;
    if (!c) return undefined;
    const id = await this.#lookup(() => find(c.leases));
    return id === undefined ? undefined : this.get(id);
  }

  /** The open session and learner of a resume token. */
  async byToken(tokenHash: string): Promise<{ room: RoomHandle; learnerId: string } | undefined> {
    const found = this.#rooms.byToken(tokenHash);
    if (found) return { room: this.#local(found.room), learnerId: found.learnerId };
    if (!this.#c) return undefined;
    const id = await this.#lookup(() => this.#c!.leases.sessionOfToken(tokenHash));
    if (id === undefined) return undefined;
    const room = await this.get(id);
    const learnerId = await room?.learnerIdForToken(tokenHash);
    return room && learnerId !== undefined ? { room, learnerId } : undefined;
  }

  /** A store lookup that fails as "owner unavailable" (retry) rather than as a bug when storage is down. */
  async #lookup<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      this.#log.warn({ err: String(err) }, 'session lookup failed');
      throw new OwnerUnavailableError('storage unreachable');
    }
  }

  /** Every open class on the festival board: this process's, and in a cluster each owner's (asked once per owner). */
  async festival(): Promise<FestivalClass[]> {
    const local = this.#rooms.open().map((room) => room.festivalView());
    const c = this.#c;
    if (!c) return local;
    const byOwner = new Map<string, string[]>();
    const ids = (await this.#lookup(() => this.#store.listOpenSessionIds())).filter((id) => !this.#rooms.get(id));
    const unknown = ids.filter((id) => !this.#remote.has(id));
    const owners = unknown.length > 0 ? await c.leases.ownersOf(unknown).catch(() => new Map<string, string>()) : new Map<string, string>();
    for (const id of ids) {
      const owner = this.#remote.get(id)?.owner ?? owners.get(id);
      if (owner && owner !== c.nodeId) byOwner.set(owner, [...(byOwner.get(owner) ?? []), id]);
    }
    // A class whose owner does not answer (being taken over) is missing from this refresh, not an error.
    const remote = await Promise.all(
      [...byOwner].map(([owner, list]) =>
        c.bus.request(owner, { sessionId: '', method: 'festival', args: [list] }, this.#timeout()).then(
          (v) => v as FestivalClass[],
          () => [],
        ),
      ),
    );
    return [...local, ...remote.flat()];
  }

  /** A new session, owned by this process. */
  start(lesson: Lesson, instructorId: string): Promise<Room> {
    return this.#rooms.start(lesson, instructorId);
  }

  // ---- presence --------------------------------------------------------------------------------

  /** A learner socket bound on this process; the owner learns it (best effort: re-announced on a change of owner). */
  connect(sessionId: string, learnerId: string): void {
    this.#count(sessionId, learnerId, +1);
  }

  disconnect(sessionId: string, learnerId: string): void {
    this.#count(sessionId, learnerId, -1);
  }

  #count(sessionId: string, learnerId: string, delta: number): void {
    const learners = this.#bound.get(sessionId) ?? new Map<string, number>();
    const n = Math.max(0, (learners.get(learnerId) ?? 0) + delta);
    if (n === 0) learners.delete(learnerId);
    else learners.set(learnerId, n);
    if (learners.size === 0) this.#bound.delete(sessionId);
    else this.#bound.set(sessionId, learners);
    if (!this.#c) {
      const room = this.#rooms.get(sessionId);
      if (room) {
        if (delta > 0) room.connect(learnerId);
        else room.disconnect(learnerId);
      }
      return;
    }
    void this.#announce(sessionId, { [learnerId]: n });
  }

  /** Tell the owner how many sockets this process holds for these learners (a set, not a delta: repeats are harmless). */
  async #announce(sessionId: string, counts: Record<string, number>): Promise<void> {
    const c = this.#c!;
    try {
      if (this.#owned.has(sessionId)) return this.#applyPresence(sessionId, c.nodeId, counts);
      const handle = await this.#resolve(sessionId);
      if (!handle) return;
      if (handle.local) return this.#applyPresence(sessionId, c.nodeId, counts);
      await c.bus.request(handle.owner, { sessionId, method: 'presence', args: [c.nodeId, counts] }, this.#timeout());
    } catch (err) {
      this.#log.warn({ err: String(err), sessionId }, 'presence not delivered to the owner');
    }
  }

  /** At the owner: set a node's socket counts and move the room's presence by the difference. */
  #applyPresence(sessionId: string, node: string, counts: Record<string, number>): void {
    const room = this.#rooms.get(sessionId);
    if (!room) return;
    const table = this.#presence.get(sessionId) ?? new Map<string, Map<string, number>>();
    this.#presence.set(sessionId, table);
    for (const [learnerId, count] of Object.entries(counts)) {
      const perNode = table.get(learnerId) ?? new Map<string, number>();
      table.set(learnerId, perNode);
      const before = perNode.get(node) ?? 0;
      if (count > 0) perNode.set(node, count);
      else perNode.delete(node);
      for (let i = before; i < count; i++) room.connect(learnerId);
      for (let i = count; i < before; i++) room.disconnect(learnerId);
    }
  }

  #ownerChanged(sessionId: string, owner: string): void {
    const cached = this.#remote.get(sessionId);
    if (cached && cached.owner !== owner) this.#remote.delete(sessionId);
    const held = this.#owned.get(sessionId);
    if (owner !== this.#c?.nodeId && held) {
      // Someone says it took the session: check with the store (a renewal) rather than take the word of a message.
      const c = this.#c!;
      c.leases.renewLease(sessionId, c.nodeId, held.lease.fence, c.leaseMs).then(
        (ok) => {
          if (ok) held.renewedAt = Date.now();
          else if (this.#owned.get(sessionId) === held) this.#lose(sessionId, 'another process took the session');
        },
        () => undefined, // storage unreachable: the keeper decides at the next round
      );
    }
    const learners = this.#bound.get(sessionId);
    if (learners && learners.size > 0) void this.#announce(sessionId, Object.fromEntries(learners));
  }

  // ---- ownership -------------------------------------------------------------------------------

  /** The owner's handle: ours, a cached remote one, or found from the lease (taking the session when nobody holds it). */
  async #resolve(sessionId: string): Promise<RoomHandle | undefined> {
    const c = this.#c!;
    const room = this.#rooms.get(sessionId);
    if (room) return room.isOpen ? this.#local(room) : undefined;
    const cached = this.#remote.get(sessionId);
    if (cached) return cached;
    const lease = await this.#lookup(() => c.leases.leaseOf(sessionId));
    if (lease && lease.owner !== c.nodeId && lease.expiresAt > Date.now()) {
      const info = await this.#info(lease.owner, sessionId);
      if (info === 'gone') return undefined;
      if (info) {
        const handle: RemoteHandle = new RemoteHandle(info, lease.owner, (method, args): Promise<unknown> =>
          this.#callOwner(handle, method, args),
        );
        this.#remote.set(sessionId, handle);
        return handle;
      }
      // Its owner is gone (or has let the room go) but the lease still runs: taken once it runs out.
      throw new OwnerUnavailableError(`owner ${lease.owner} does not hold the session; its lease runs until ${lease.expiresAt}`);
    }
    // Nobody holds it (or it is ours without a room, after a failed write): take it, if it is open.
    const taken = await this.#lookup(() => this.#take(sessionId));
    if (taken) return this.#local(taken);
    const now = await this.#lookup(() => c.leases.leaseOf(sessionId));
    // Another process was quicker: ask again next time.
    if (now && now.owner !== c.nodeId && now.expiresAt > Date.now())
      throw new OwnerUnavailableError('the session is being taken by another process');
    return undefined;
  }

  async #info(owner: string, sessionId: string): Promise<RoomInfo | 'gone' | undefined> {
    try {
      const info = (await this.#c!.bus.request(owner, { sessionId, method: 'info', args: [] }, this.#timeout())) as RoomInfo | null;
      return info ?? 'gone';
    } catch (err) {
      if (err instanceof BusError && (err.reason === 'undelivered' || err.message === 'not_owner')) return undefined;
      throw new OwnerUnavailableError(`owner ${owner} unreachable: ${(err as Error).message}`);
    }
  }

  /** A call for the owner. Not delivered (owner gone, or not owner any more): re-resolve once and retry; a timeout is not retried (it may have run). */
  async #callOwner(handle: RemoteHandle, method: RemoteMethod, args: unknown[]): Promise<unknown> {
    const c = this.#c!;
    try {
      return await c.bus.request(handle.owner, { sessionId: handle.id, method, args }, this.#timeout());
    } catch (err) {
      if (this.#remote.get(handle.id) === handle) this.#remote.delete(handle.id);
      const undelivered = err instanceof BusError && (err.reason === 'undelivered' || err.message === 'not_owner');
      if (!undelivered) {
        if (method === 'dispatch') return ownerUnavailable();
        throw new OwnerUnavailableError(`call to ${handle.owner} failed: ${(err as Error).message}`);
      }
      const next = await this.#resolve(handle.id);
      if (!next) return method === 'dispatch' ? ownerUnavailable() : null;
      if (next instanceof RemoteHandle && next.owner === handle.owner) {
        if (method === 'dispatch') return ownerUnavailable();
        throw new OwnerUnavailableError(`owner ${handle.owner} does not answer`);
      }
      // eslint-disable-next-line @typescript-eslint/unbound-method -- applied to its own object on the next line
      const m = next[method] as (...a: unknown[]) => Promise<unknown>;
      return m.apply(next, args);
    }
  }

  /** At the owner: a call from a peer, run on the room if this process still owns it. */
  async #serve(request: BusRequest): Promise<unknown> {
    if (request.method === 'festival') {
      const ids = Array.isArray(request.args[0]) ? (request.args[0] as unknown[]) : [];
      return ids.flatMap((id) => {
        const room = typeof id === 'string' && this.#owned.has(id) ? this.#rooms.get(id) : undefined;
        return room?.isOpen ? [room.festivalView()] : [];
      });
    }
    const room = this.#rooms.get(request.sessionId);
    if (request.method === 'info') {
      if (!room) throw new Error('not_owner');
      return room.isOpen ? roomInfo(room) : null;
    }
    if (!room || !this.#owned.has(request.sessionId)) throw new Error('not_owner');
    if (request.method === 'presence') {
      const [node, counts] = request.args as [string, Record<string, number>];
      this.#applyPresence(request.sessionId, node, counts);
      return null;
    }
    if (!(remoteMethods as readonly string[]).includes(request.method)) throw new Error('bad_request');
    const handle = this.#local(room);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- applied to its own object on the next line
    const m = handle[request.method as RemoteMethod] as (...a: unknown[]) => Promise<unknown>;
    return (await m.apply(handle, request.args)) ?? null;
  }

  async #take(sessionId: string): Promise<Room | undefined> {
    const pending = this.#taking.get(sessionId);
    if (pending) return pending;
    const taking = this.#takeNow(sessionId).finally(() => this.#taking.delete(sessionId));
    this.#taking.set(sessionId, taking);
    return taking;
  }

  async #takeNow(sessionId: string): Promise<Room | undefined> {
    const c = this.#c!;
    if (this.#closed) return undefined;
    const fence = await c.leases.acquireLease(sessionId, c.nodeId, c.leaseMs);
    if (fence === null) return undefined;
    const lease = { owner: c.nodeId, fence };
    let events: SessionEvent[];
    try {
      events = await this.#store.loadEvents(sessionId);
    } catch (err) {
      await c.leases.releaseLease(sessionId, c.nodeId, fence).catch(() => undefined);
      throw err;
    }
    const state = events.length > 0 ? fold(events) : undefined;
    if (!state || state.status !== 'open') {
      await c.leases.releaseLease(sessionId, c.nodeId, fence);
      return undefined;
    }
    this.#remote.delete(sessionId);
    this.#presence.delete(sessionId);
    this.#owned.set(sessionId, { lease, renewedAt: Date.now() });
    const room = this.#rooms.adopt(state, this.leasedStore(lease));
    this.#log.info({ sessionId, fence, seq: state.seq }, 'session taken over: rebuilt from its events');
    c.bus.notify({ type: 'owner', sessionId, owner: c.nodeId });
    // Our own sockets of this session are counted at once (the notice re-announces the others').
    const learners = this.#bound.get(sessionId);
    if (learners) this.#applyPresence(sessionId, c.nodeId, Object.fromEntries(learners));
    return room;
  }

  /** The store as a room of this process writes to it: every append carries the room's lease. */
  leasedStore(lease: Lease): Store {
    const store = this.#store;
    const append = (sessionId: string, afterSeq: number, events: readonly SessionEvent[]) =>
      store.appendEvents(sessionId, afterSeq, events, lease);
    return new Proxy(store, {
      get: (target, prop) => {
        if (prop === 'appendEvents') return append;
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /** A write of a room failed (storage down, lease lost): drop it; whoever owns the session next rebuilds it from storage. */
  onStoreFailure(room: Room, err: unknown): void {
    const lost = err instanceof LeaseLostError || (err as { code?: unknown }).code === 'lease_lost';
    this.#log.error(
      { err: String(err), sessionId: room.id },
      lost
        ? 'lease lost: this process gives the session up'
        : 'event append failed: the session is dropped and will be rebuilt from storage',
    );
    this.#lose(room.id, lost ? 'lease lost' : 'store failure');
    // Storage hiccup with the lease still ours: rebuild from what is stored as soon as it answers again.
    if (!lost) this.#retake(room.id, 1);
  }

  #retake(sessionId: string, attempt: number): void {
    const c = this.#c!;
    const timer = setTimeout(() => {
      if (this.#closed || this.#rooms.get(sessionId)) return;
      this.#take(sessionId).then(
        (room) => room || this.#log.warn({ sessionId }, 'session not retaken (ended, or another process has it)'),
        () => {
          // Still down: try again, less often; past the lease the orphan scan of any process takes it.
          if (attempt * 250 < c.leaseMs) this.#retake(sessionId, attempt + 1);
        },
      );
    }, 250);
    timer.unref();
  }

  /** Store a new session under this process's lease; its room writes through the leased view. */
  async create(started: SessionStarted): Promise<Store> {
    const c = this.#c!;
    const fence = await c.leases.createSessionLeased(started, c.nodeId, c.leaseMs);
    const lease = { owner: c.nodeId, fence };
    this.#owned.set(started.sessionId, { lease, renewedAt: Date.now() });
    return this.leasedStore(lease);
  }

  async codeTaken(code: string): Promise<boolean> {
    return (await this.#c!.leases.openSessionByCode(code)) !== undefined;
  }

  #lose(sessionId: string, why: string): void {
    this.#owned.delete(sessionId);
    this.#presence.delete(sessionId);
    if (this.#rooms.drop(sessionId)) this.#log.warn({ sessionId, why }, 'room dropped');
  }

  /** One renewal round, one round trip for every lease this process holds; a round still waiting is not doubled by the next tick. */
  async #renewAll(): Promise<void> {
    if (this.#renewing) return;
    const c = this.#c!;
    const held = [...this.#owned];
    this.#renewing = true;
    try {
      const renewed = await c.leases.renewLeases(
        c.nodeId,
        held.map(([sessionId, h]) => ({ sessionId, fence: h.lease.fence })),
        c.leaseMs,
      );
      const at = Date.now();
      for (const [sessionId, h] of held) {
        // Given up (or retaken under a new fence) while the round was out: not this round's to judge.
        if (this.#owned.get(sessionId) !== h) continue;
        if (renewed.has(sessionId)) h.renewedAt = at;
        else this.#lose(sessionId, 'lease renewal refused');
      }
    } catch (err) {
      // Storage unreachable: past the lease's time we can no longer be sure we hold it.
      for (const [sessionId, h] of held)
        if (this.#owned.get(sessionId) === h && Date.now() - h.renewedAt > c.leaseMs * 0.9)
          this.#lose(sessionId, `lease not renewed in time: ${String(err)}`);
    } finally {
      this.#renewing = false;
    }
  }

  /** At the owner: forget the sockets of processes that are gone (killed without a word), so they are not shown connected. */
  async #forgetGoneNodes(): Promise<void> {
    const c = this.#c!;
    const nodes = new Set<string>();
    for (const table of this.#presence.values())
      for (const perNode of table.values()) for (const node of perNode.keys()) if (node !== c.nodeId) nodes.add(node);
    for (const node of nodes) {
      if (await c.bus.alive(node).catch(() => true)) continue;
      this.#log.warn({ node }, 'a process holding learner sockets is gone: its sockets no longer count as connected');
      for (const [sessionId, table] of this.#presence) {
        const counts: Record<string, number> = {};
        for (const [learnerId, perNode] of table) if (perNode.has(node)) counts[learnerId] = 0;
        if (Object.keys(counts).length > 0) this.#applyPresence(sessionId, node, counts);
      }
    }
  }

  /** Take every open session whose lease is missing or has run out. */
  async scanOrphans(): Promise<number> {
    const c = this.#c;
    if (!c || this.#closed) return 0;
    let taken = 0;
    for (const sessionId of await c.leases.orphanedSessions()) {
      if (this.#owned.has(sessionId)) continue;
      try {
        if (await this.#take(sessionId)) taken++;
      } catch (err) {
        this.#log.warn({ err: String(err), sessionId }, 'orphan not taken');
      }
    }
    return taken;
  }

  /** Does this process own the session (holds its room and a lease believed current)? */
  owns(sessionId: string): boolean {
    return this.#c ? this.#owned.has(sessionId) && this.#rooms.get(sessionId) !== undefined : this.#rooms.get(sessionId) !== undefined;
  }

  /** Sessions this process owns now. */
  ownedIds(): string[] {
    return [...this.#owned.keys()];
  }

  #local(room: Room): LocalHandle {
    return new LocalHandle(room, this.#c?.nodeId ?? 'local', (r, result) => this.#afterDispatch(r, result));
  }

  /** After a local command: an ended session is retired (its lease released); a write lost with the room is "owner unavailable". */
  #afterDispatch(room: Room, result: DispatchResult): DispatchResult {
    if (!result.ok) return result.error.code === 'internal' && this.#c && !this.owns(room.id) ? ownerUnavailable() : result;
    if (!room.isOpen) {
      this.#rooms.retire(room);
      const held = this.#owned.get(room.id);
      if (held && this.#c) {
        this.#owned.delete(room.id);
        const c = this.#c;
        void c.leases
          .releaseLease(room.id, c.nodeId, held.lease.fence)
          .catch((err: unknown) => this.#log.warn({ err: String(err) }, 'lease not released'));
      }
    }
    return result;
  }

  #timeout(): number {
    return this.#c?.callTimeoutMs ?? 5000;
  }

  /** Stop keeping leases; release those held so that another process takes them at once. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    const c = this.#c;
    if (!c) return;
    await Promise.all(
      [...this.#owned].map(([sessionId, held]) => c.leases.releaseLease(sessionId, c.nodeId, held.lease.fence).catch(() => undefined)),
    );
    this.#owned.clear();
    await c.bus.close();
  }
}
