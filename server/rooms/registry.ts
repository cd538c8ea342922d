import type { Lesson } from '../../shared/lesson/schema.ts';
import type { SessionResults, StaffView } from '../../shared/protocol/views.ts';
import { sessionResults } from '../engine/results.ts';
import { fold, startSession } from '../engine/engine.ts';
import { renderSteps } from './markdown.ts';
import { staffView } from '../engine/views.ts';
import { randomClassCode, randomId, randomShortCode } from '../lib/ids.ts';
import { ViewPacer } from './pacer.ts';
import { Room, type RoomDeps } from './room.ts';
import type { SessionStarted } from '../engine/events.ts';
import type { SessionState } from '../engine/state.ts';
import type { Store } from '../store/store.ts';

/** How a cluster takes part (server/cluster/): what a failed write does, how a session is created. */
export interface Ownership {
  /** A write of this room failed (storage down, lease lost): the cluster drops it and rebuilds later. */
  onStoreFailure(room: Room, err: unknown): void;
  /** Store the new session under this process's lease; the store its room writes through (appends carry the lease). */
  create(started: SessionStarted): Promise<Store>;
  /** Is a class code in use by an open session anywhere? */
  codeTaken(code: string): Promise<boolean>;
}

/** The live sessions this process owns, found by id, class code or learner token. */
export class Rooms {
  readonly #byId = new Map<string, Room>();
  readonly #byCode = new Map<string, Room>();
  readonly #deps: RoomDeps;
  readonly #log: RoomDeps['log'];

  readonly #ownership: Ownership | undefined;

  constructor(deps: Omit<RoomDeps, 'onStoreFailure' | 'onEnded' | 'pacer'>, ownership?: Ownership) {
    this.#log = deps.log;
    this.#ownership = ownership;
    this.#deps = {
      ...deps,
      pacer: new ViewPacer(),
      onStoreFailure: (room, err) => {
        if (ownership) return ownership.onStoreFailure(room, err);
        deps.log.error({ err, sessionId: room.id }, 'event append failed; rebuilding the session from storage');
        void this.#rebuild(room);
      },
      onEnded: (room) => this.retire(room),
    };
  }

  async #rebuild(room: Room): Promise<void> {
    try {
      room.resetTo(fold(await this.#deps.store.loadEvents(room.id)));
    } catch (err) {
      // Storage is unreadable too: stop rather than serve a class from state nobody can trust.
      console.error('cannot rebuild session', room.id, err);
      process.exit(1);
    }
  }

  /** Rebuild every open session from its stored events (after a restart). */
  async restore(): Promise<number> {
    const ids = await this.#deps.store.listOpenSessionIds();
    let restored = 0;
    for (const id of ids) {
      try {
        this.#add(new Room(fold(await this.#deps.store.loadEvents(id)), this.#deps));
        restored++;
      } catch (err) {
        // One unreadable session must not keep every other class from starting; its rows stay for inspection.
        this.#log.error({ err, sessionId: id }, 'session cannot be restored from storage; skipped (its events are kept)');
      }
    }
    return restored;
  }

  async start(lesson: Lesson, instructorId: string): Promise<Room> {
    let code = randomClassCode();
    while (this.#byCode.has(code) || (await this.#ownership?.codeTaken(code))) code = randomClassCode();
    const started = startSession({
      sessionId: randomId(9),
      code,
      helperCode: randomShortCode(6),
      instructorId,
      lesson,
      now: this.#deps.now(),
    });
    const store = this.#ownership
      ? await this.#ownership.create(started)
      : (await this.#deps.store.createSession(started), this.#deps.store);
    const room = new Room(fold([started]), { ...this.#deps, store });
    this.#add(room);
    return room;
  }

  /** Hold a session rebuilt from its events, its writes going through `store` (a cluster's leased view). */
  adopt(state: SessionState, store: Store): Room {
    const room = new Room(state, { ...this.#deps, store });
    const before = this.#byId.get(room.id);
    if (before) this.retire(before);
    this.#add(room);
    return room;
  }

  /** Let go of a room this process no longer owns: its timers stop, it is forgotten; the store keeps its events. */
  drop(sessionId: string): Room | undefined {
    const room = this.#byId.get(sessionId);
    if (room) this.retire(room);
    return room;
  }

  /** The injected clock's time (the heartbeat's reply). */
  now(): number {
    return this.#deps.now();
  }

  /** Every open room of this process (the festival board). */
  open(): Room[] {
    return [...this.#byId.values()].filter((room) => room.isOpen);
  }

  get(sessionId: string): Room | undefined {
    return this.#byId.get(sessionId);
  }

  byCode(code: string): Room | undefined {
    return this.#byCode.get(code);
  }

  /** The open room a helper code belongs to. */
  byHelperCode(helperCode: string): Room | undefined {
    for (const room of this.#byId.values()) if (room.isOpen && room.helperCode === helperCode) return room;
    return undefined;
  }

  /** The open room and learner a resume token belongs to. */
  byToken(tokenHash: string): { room: Room; learnerId: string } | undefined {
    for (const room of this.#byId.values()) {
      const learnerId = room.learnerIdForToken(tokenHash);
      if (learnerId !== undefined) return { room, learnerId };
    }
    return undefined;
  }

  /** Forget a room whose session ended; its history stays in the store. */
  retire(room: Room): void {
    room.close();
    if (this.#byId.get(room.id) === room) this.#byId.delete(room.id);
    if (this.#byCode.get(room.code) === room) this.#byCode.delete(room.code);
  }

  /** A staff view of an ended session, rebuilt from the store. */
  async archivedStaffView(sessionId: string): Promise<StaffView | undefined> {
    const events = await this.#deps.store.loadEvents(sessionId);
    if (events.length === 0) return undefined;
    const state = fold(events);
    return staffView(state, renderSteps(state.lesson), () => undefined, this.#deps.joinUrl(state.code), this.#deps.now());
  }

  /** Results of a live or past session. */
  async results(sessionId: string): Promise<SessionResults | undefined> {
    const room = this.#byId.get(sessionId);
    if (room) return room.results();
    const events = await this.#deps.store.loadEvents(sessionId);
    return events.length === 0 ? undefined : sessionResults(fold(events));
  }

  close(): void {
    for (const room of this.#byId.values()) room.close();
    this.#byId.clear();
    this.#byCode.clear();
  }

  #add(room: Room): void {
    this.#byId.set(room.id, room);
    this.#byCode.set(room.code, room);
  }
}
