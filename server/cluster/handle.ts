import type { ErrorBody } from '../../shared/protocol/errors.ts';
import { errorMessages } from '../../shared/protocol/errors.ts';
import type { DisplayView, LearnerSnapshot, MeView, StaffView } from '../../shared/protocol/views.ts';
import type { Command } from '../engine/engine.ts';
import type { Actor } from '../engine/state.ts';
import type { DispatchResult, Room } from '../rooms/room.ts';

/** A session's owner cannot be reached (it is moving to another process, or storage is down): retry soon. */
export class OwnerUnavailableError extends Error {
  readonly code = 'owner_unavailable';
}

export const ownerUnavailable = (): { ok: false; error: ErrorBody } => ({
  ok: false,
  error: { code: 'owner_unavailable', message: errorMessages.owner_unavailable },
});

/**
 * A live session as the transport sees it, wherever it lives: the room itself when this process
 * owns it, or a stub that carries each call to the owner. Every call is async either way.
 */
export interface RoomHandle {
  readonly id: string;
  readonly code: string;
  readonly helperCode: string;
  readonly joinUrl: string;
  /** Owned by this process (false: calls travel to `owner`). */
  readonly local: boolean;
  readonly owner: string;
  isOpen(): Promise<boolean>;
  /** Run a command; resolves once its events are stored by the owner. */
  dispatch(command: Command, actor: Actor): Promise<DispatchResult>;
  learnerIdForToken(tokenHash: string): Promise<string | undefined>;
  learnerSnapshot(learnerId: string): Promise<LearnerSnapshot | undefined>;
  meView(learnerId: string): Promise<MeView | undefined>;
  staffView(): Promise<StaffView>;
  displayView(): Promise<DisplayView>;
  reportRtt(learnerId: string, rttMs: number): Promise<void>;
}

/** The calls a remote handle may make on the owner's room: nothing else is run for a peer. */
export const remoteMethods = [
  'isOpen',
  'dispatch',
  'learnerIdForToken',
  'learnerSnapshot',
  'meView',
  'staffView',
  'displayView',
  'reportRtt',
] as const;
export type RemoteMethod = (typeof remoteMethods)[number];

/** What a peer needs to know of a session before calling it. */
export interface RoomInfo {
  id: string;
  code: string;
  helperCode: string;
  joinUrl: string;
}

export function roomInfo(room: Room): RoomInfo {
  return { id: room.id, code: room.code, helperCode: room.helperCode, joinUrl: room.joinUrl };
}

/** What a handle knows of its room without asking it: the owner, the ids and the codes. */
abstract class KnownRoom {
  readonly owner: string;
  readonly #info: RoomInfo;
  constructor(info: RoomInfo, owner: string) {
    this.#info = info;
    this.owner = owner;
  }
  get id(): string {
    return this.#info.id;
  }
  get code(): string {
    return this.#info.code;
  }
  get helperCode(): string {
    return this.#info.helperCode;
  }
  get joinUrl(): string {
    return this.#info.joinUrl;
  }
}

/** The room of this process behind the handle surface. */
export class LocalHandle extends KnownRoom implements RoomHandle {
  readonly local = true;
  readonly #room: Room;
  readonly #after: (room: Room, result: DispatchResult) => DispatchResult;
  constructor(room: Room, owner: string, after: (room: Room, result: DispatchResult) => DispatchResult) {
    super(room, owner);
    this.#room = room;
    this.#after = after;
  }
  /** The room itself, for what only the owner does (festival board, evidence). */
  get room(): Room {
    return this.#room;
  }
  async isOpen(): Promise<boolean> {
    return this.#room.isOpen;
  }
  async dispatch(command: Command, actor: Actor): Promise<DispatchResult> {
    return this.#after(this.#room, await this.#room.dispatch(command, actor));
  }
  async learnerIdForToken(tokenHash: string): Promise<string | undefined> {
    return this.#room.learnerIdForToken(tokenHash);
  }
  async learnerSnapshot(learnerId: string): Promise<LearnerSnapshot | undefined> {
    return this.#room.learnerSnapshot(learnerId);
  }
  async meView(learnerId: string): Promise<MeView | undefined> {
    return this.#room.meView(learnerId);
  }
  async staffView(): Promise<StaffView> {
    return this.#room.staffView();
  }
  async displayView(): Promise<DisplayView> {
    return this.#room.displayView();
  }
  async reportRtt(learnerId: string, rttMs: number): Promise<void> {
    this.#room.reportRtt(learnerId, rttMs);
  }
}

/** Carries every call to the owner (`call` re-resolves and retries when the owner has moved). */
export class RemoteHandle extends KnownRoom implements RoomHandle {
  readonly local = false;
  readonly #call: (method: RemoteMethod, args: unknown[]) => Promise<unknown>;
  constructor(info: RoomInfo, owner: string, call: (method: RemoteMethod, args: unknown[]) => Promise<unknown>) {
    super(info, owner);
    this.#call = call;
  }
  async isOpen(): Promise<boolean> {
    return (await this.#call('isOpen', [])) as boolean;
  }
  async dispatch(command: Command, actor: Actor): Promise<DispatchResult> {
    return (await this.#call('dispatch', [command, actor])) as DispatchResult;
  }
  async learnerIdForToken(tokenHash: string): Promise<string | undefined> {
    return ((await this.#call('learnerIdForToken', [tokenHash])) as string | null) ?? undefined;
  }
  async learnerSnapshot(learnerId: string): Promise<LearnerSnapshot | undefined> {
    return ((await this.#call('learnerSnapshot', [learnerId])) as LearnerSnapshot | null) ?? undefined;
  }
  async meView(learnerId: string): Promise<MeView | undefined> {
    return ((await this.#call('meView', [learnerId])) as MeView | null) ?? undefined;
  }
  async staffView(): Promise<StaffView> {
    return (await this.#call('staffView', [])) as StaffView;
  }
  async displayView(): Promise<DisplayView> {
    return (await this.#call('displayView', [])) as DisplayView;
  }
  async reportRtt(learnerId: string, rttMs: number): Promise<void> {
    await this.#call('reportRtt', [learnerId, rttMs]);
  }
}
