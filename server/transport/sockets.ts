import type { Server, Socket } from 'socket.io';
import type { Logger } from 'pino';
import type { z } from 'zod';
import {
  displayTable,
  learnerTable,
  Namespaces,
  staffTable,
  type CommandTable,
  type DisplayClientEvents,
  type DisplayServerEvents,
  type LearnerClientEvents,
  type LearnerServerEvents,
  type RoomPayloads,
  type Sender,
  type StaffClientEvents,
  type StaffServerEvents,
} from '../../shared/protocol/events.ts';
import { fail, type Ack, type ErrorBody } from '../../shared/protocol/errors.ts';
import { HelperAuth, LearnerAuth } from '../../shared/protocol/commands.ts';
import type { Command, ServerFields } from '../engine/commands.ts';
import type { Actor } from '../engine/state.ts';
import { helperView } from '../engine/views.ts';
import { randomId, sha256 } from '../lib/ids.ts';
import type { Broadcaster } from '../rooms/room.ts';
import type { Rooms } from '../rooms/registry.ts';
import type { Directory } from '../cluster/directory.ts';
import { OwnerUnavailableError, type RoomHandle } from '../cluster/handle.ts';
import type { Auth } from './auth.ts';
import type { AddressOf } from './client-address.ts';
import { badRequest } from './respond.ts';
import { FixedWindow, type LimitKeys, type Limits, type LimitsConfig } from './limits.ts';

// Socket.IO room names: every broadcast is addressed by session or learner, never by local socket.
const classRoom = (sessionId: string) => `class:${sessionId}`;
const learnerRoom = (learnerId: string) => `learner:${learnerId}`;
const staffRoom = (sessionId: string) => `staff:${sessionId}`;
// Helpers have a room of their own: their view carries no answer keys.
const helperRoom = (sessionId: string) => `helpers:${sessionId}`;
const displayRoom = (sessionId: string) => `display:${sessionId}`;

type Refusal = { ok: false; error: ErrorBody };

/**
 * Where a room command goes and who sends it; a learner's own view answers their commands. The room
 * is a handle: this process's room, or the owner's in a cluster (the command and its ack travel there).
 */
interface Target {
  room: RoomHandle;
  actor: Actor;
  learnerId?: string;
}

/** The commands of a table the transport answers itself, and their handlers (given the socket's link). */
type Handlers<T extends CommandTable, L> = {
  [K in keyof T as T[K]['reply'] extends 'handler' ? K : never]: (link: L, payload: z.output<T[K]['schema']>) => Promise<Ack<T[K]['ack']>>;
};

/**
 * How one namespace binds its table, built once for the namespace: its own handlers, and how a room
 * command finds its room and actor. What differs per socket is in its link (`L`), passed to each.
 */
interface Binding<T extends CommandTable, L> {
  table: T;
  handlers: Handlers<T, L>;
  /** Authorise a room command by the table's sender and find its room, or refuse it. */
  target: (link: L, name: keyof T & string, by: Sender, payload: Record<string, unknown>) => Promise<Target | Refusal>;
  /** What a namespace does once a room command succeeded (leaving unbinds the socket). */
  after?: Partial<Record<keyof T, (link: L) => void>>;
}

/**
 * Fields the server adds to a payload to make the engine's command: client-made ids an older
 * client left out, and the secret seed of a question's item order (so it cannot be worked out from the run id).
 */
const serverFields: { [K in keyof ServerFields]: (payload: RoomPayloads[K]) => ServerFields[K] } = {
  'quiz:open': ({ runId }) => ({ runId: runId ?? randomId(9), shuffleSeed: randomId(16) }),
  'task:open': ({ runId }) => ({ runId: runId ?? randomId(9) }),
  'learner:help': ({ requestId }) => ({ requestId: requestId ?? randomId(9) }),
};

/** The engine command of a room command: the payload without its session id, and the server's fields. */
function toCommand(name: string, payload: Record<string, unknown>): Command {
  const { sessionId: _sessionId, ...fields } = payload;
  const add = (serverFields as unknown as Record<string, ((p: Record<string, unknown>) => object) | undefined>)[name];
  return { type: name, ...fields, ...add?.(fields) } as Command;
}

/** The ack of a room command that succeeded, as the table says. */
async function replyOf(reply: string, target: Target, command: Command): Promise<unknown> {
  if (reply === 'me') return (await target.room.meView(target.learnerId!))!;
  if (reply === 'run') return { runId: (command as Extract<Command, { runId: string }>).runId };
  return null;
}

const everyCommand = new Set([learnerTable, staffTable, displayTable].flatMap((t) => Object.keys(t)));

/**
 * Parse, rate-limit, authorise, dispatch, acknowledge: the same for every command of every namespace.
 * A room command's payload becomes the engine command (toCommand) and goes to its room. Called once
 * per namespace; what it returns binds one socket with one listener, its only closure: with
 * thousands of idle tablets, per-socket closures are much of what the server holds for each.
 */
function binder<T extends CommandTable, L>(binding: Binding<T, L>, log: Logger, rate: FixedWindow): (socket: Socket, link: L) => void {
  const { table } = binding;
  const handlers = binding.handlers as Record<string, ((link: L, payload: unknown) => Promise<Ack<unknown>>) | undefined>;
  const run = async (link: L, name: keyof T & string, data: Record<string, unknown>): Promise<Ack<unknown>> => {
    const entry = table[name];
    const handler = handlers[name];
    if (entry.reply === 'handler' && handler) return handler(link, data);
    const target = await binding.target(link, name, entry.by, data);
    if ('ok' in target) return target;
    const command = toCommand(name, data);
    const result = await target.room.dispatch(command, target.actor);
    if (!result.ok) return result;
    binding.after?.[name]?.(link);
    return { ok: true, data: await replyOf(entry.reply, target, command) };
  };
  const receive = (socket: Socket, link: L, event: string, args: unknown[]): void => {
    const known = Object.hasOwn(table, event);
    // Every command asks for an ack (payload, ack); others are ignored.
    const last = known ? args[1] : args.at(-1);
    if (typeof last !== 'function') return;
    const ack = last as (res: unknown) => void;
    const reply = (res: unknown) => {
      try {
        ack(res);
      } catch (err) {
        log.error({ err, event }, 'ack failed');
      }
    };
    // A command this namespace does not take (a learner sending step:push) is refused, not ignored.
    if (!known) return reply(everyCommand.has(event) ? fail('forbidden') : fail('bad_request', 'Unknown command.'));
    const name = event as keyof T & string;
    const parsed = table[name].schema.safeParse(args[0]);
    if (!parsed.success) return reply(badRequest(parsed.error));
    void (async () => {
      try {
        // Counted before anything else: a flood from one socket is refused, whatever it sends.
        if (!rate.take(socket.id)) return reply(fail('rate_limited'));
        reply(await run(link, name, parsed.data as Record<string, unknown>));
      } catch (err) {
        // The session's owner is out of reach (moving, storage down): nothing was applied, the client retries.
        if (err instanceof OwnerUnavailableError) return reply(fail('owner_unavailable'));
        log.error({ err, event: name }, 'command failed');
        reply(fail('internal'));
      }
    })();
  };
  // Payloads arrive untyped: the schema, not the event map, is what checks them.
  return (socket, link) => socket.onAny((event: string, ...args: unknown[]) => receive(socket, link, event, args));
}

/**
 * Views to Socket.IO rooms. `local`: this process is the only one (no adapter between processes), so
 * an empty room here means nobody watches; in a cluster the watchers may be on another process.
 */
export function socketBroadcaster(io: Server, { local }: { local: boolean }): Broadcaster {
  const learners = io.of(Namespaces.learner);
  const staff = io.of(Namespaces.staff);
  const display = io.of(Namespaces.display);
  const roomOf = { staff: [staff, staffRoom], helpers: [staff, helperRoom], display: [display, displayRoom] } as const;
  return {
    toClass: (sessionId, view) => learners.to(classRoom(sessionId)).emit('class', view),
    toLearner: (learnerId, view) => learners.to(learnerRoom(learnerId)).emit('me', view),
    endLearner: (learnerId, reason = 'left') => {
      learners.to(learnerRoom(learnerId)).emit('session:ended', { reason });
      learners.in(learnerRoom(learnerId)).socketsLeave(learnerRoom(learnerId));
    },
    endClass: (sessionId) => {
      learners.to(classRoom(sessionId)).emit('session:ended', { reason: 'ended' });
      learners.in(classRoom(sessionId)).socketsLeave(classRoom(sessionId));
    },
    toStaff: (sessionId, view) => staff.to(staffRoom(sessionId)).emit('staff:view', view),
    toHelpers: (sessionId, view) => staff.to(helperRoom(sessionId)).emit('staff:view', view),
    toDisplay: (sessionId, view) => display.to(displayRoom(sessionId)).emit('display:view', view),
    watching: (sessionId, audience) => {
      if (!local) return true;
      const [namespace, room] = roomOf[audience];
      return (namespace.adapter.rooms.get(room(sessionId))?.size ?? 0) > 0;
    },
  };
}

export interface SocketDeps {
  rooms: Rooms;
  /** Live sessions wherever they are owned (this process, or another one of the cluster). */
  directory: Directory;
  auth: Auth;
  log: Logger;
  limits: Limits;
  /** Is a client address the server machine itself (not subject to per-address caps)? */
  isLocal: (address: string | undefined) => boolean;
  /** The client's address of a handshake (X-Forwarded-For from a trusted proxy, else the TCP peer). */
  addressOf: AddressOf;
  /** The register, for joins with a learner card. */
  people?: CardRegister;
  /** The server's tablet setup code: labels a tablet before any class is open. */
  tabletCode: () => string;
}

export function attachSockets(io: Server, deps: SocketDeps): void {
  attachLearners(io, deps);
  attachStaff(io, deps);
  attachDisplay(io, deps);
  // Signing out ends every staff socket opened with that sign-in.
  deps.auth.onSignOut((sessionKey) => io.of(Namespaces.staff).in(signInRoom(sessionKey)).disconnectSockets(true));
}

const signInRoom = (sessionKey: string) => `signin:${sessionKey}`;

/**
 * A guessed code (class or helper code) looked up under the guessing limits of `keys`: the attempt is
 * reserved on arrival (so a burst of packets cannot all be checked) and kept when the code is wrong.
 */
async function guessedRoom(
  limits: Limits,
  keys: LimitKeys,
  find: () => Promise<RoomHandle | undefined>,
): Promise<RoomHandle | 'limited' | undefined> {
  const attempt = limits.attempt(keys);
  if (attempt.blocked) return 'limited';
  const room = await find();
  if (!room || !(await room.isOpen())) return undefined;
  attempt.succeeded();
  return room;
}

/**
 * A socket that has not bound itself to anything in time is closed: idle anonymous sockets hold file
 * descriptors. A bound socket holds no timer; one that unbinds gets a new one. The base of the
 * learner's and the projector's links.
 */
class UnboundTimer {
  #timer: NodeJS.Timeout | null = null;
  #bound = false;

  constructor(
    readonly socket: Socket,
    readonly ms: number,
  ) {
    this.#arm();
  }

  /** Bound (or not) now. */
  settle(bound: boolean): void {
    this.#bound = bound;
    if (bound && this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    } else if (!bound && !this.#timer && this.socket.connected) this.#arm();
  }

  /** The socket is gone: no timer is left behind. */
  disconnected(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #arm(): void {
    // The timer's argument, not a closure: one Timeout is all an unbound socket holds.
    this.#timer = setTimeout(UnboundTimer.#fire, this.ms, this).unref();
  }

  static #fire(self: UnboundTimer): void {
    self.#timer = null;
    if (!self.#bound) self.socket.disconnect(true);
  }
}

/** The register as the learner socket sees it: find a card's holder, tie a session learner to them. */
export interface CardRegister {
  byCard(card: string): Promise<{ id: string; name: string } | undefined>;
  link(sessionId: string, rowId: string, personId: string): Promise<void>;
}

/** Card codes looked up under the guessing limits (reserved on arrival, like class codes): any unknown card refuses the join. */
async function cardHolders(
  limits: Limits,
  keys: LimitKeys,
  people: CardRegister | undefined,
  cards: string[],
): Promise<{ id: string; name: string }[] | 'rate_limited' | 'unknown_card'> {
  if (cards.length === 0) return [];
  const attempt = limits.attempt(keys);
  if (attempt.blocked) return 'rate_limited';
  const found: { id: string; name: string }[] = [];
  for (const card of cards) {
    const person = await people?.byCard(card);
    if (!person) return 'unknown_card';
    found.push(person);
  }
  attempt.succeeded();
  return found;
}

/** The client's address of a socket: `handshake.address` is the TCP peer (a proxy's, behind one). */
const addressOfSocket = (socket: Socket, addressOf: AddressOf): string => addressOf(socket.handshake.address, socket.handshake.headers);

/** Guessing limits per address and per connection. */
const codeKeys = (socket: Socket, address: string): LimitKeys => ({ codeAddr: address, codeConn: socket.id });

/** One learner socket's state: what it is bound to (by session id, so a session that changes owner is followed). */
class LearnerLink extends UnboundTimer {
  bound: { sessionId: string; learnerId: string } | null = null;
  /** The handshake's resume, while it is looked up: commands wait for it. */
  binding: Promise<void> | null = null;

  constructor(
    socket: Socket,
    ms: number,
    readonly address: string,
  ) {
    super(socket, ms);
  }
}

function attachLearners(io: Server, { rooms, directory, log, limits, isLocal, addressOf, people, tabletCode }: SocketDeps): void {
  const learners = io.of(Namespaces.learner);
  const c = limits.config;
  const perSocket = new FixedWindow(c.commandsPerSocketPerSecond, 1_000);
  // A real learner never comes near these; a script toggling help or answers does at once.
  const perMinute = (kind: keyof LimitsConfig['learnerPerMinute']) => new FixedWindow(c.learnerPerMinute[kind], 60_000);
  const ping = perMinute('ping');
  const perLearner: Partial<Record<keyof typeof learnerTable, FixedWindow>> = {
    'learner:help': perMinute('help'),
    'learner:done': perMinute('done'),
    'learner:navigate': perMinute('navigate'),
    'quiz:answer': perMinute('answer'),
    'task:move': perMinute('move'),
  };
  // New learners each address has added to each class (the server machine is not counted).
  const addedBy = new Map<string, number>();

  const bindTo = async (link: LearnerLink, room: RoomHandle, learnerId: string) => {
    const { socket } = link;
    if (link.bound?.sessionId === room.id && link.bound.learnerId === learnerId) return; // bound at the handshake already
    if (link.bound) unbind(link);
    // Another tablet with this learner's token: it is told, and sent back to its join screen.
    const others = learners.in(learnerRoom(learnerId)).except(socket.id);
    others.emit('learner:taken-over', {});
    others.disconnectSockets(true);
    link.bound = { sessionId: room.id, learnerId };
    link.settle(true);
    await socket.join([classRoom(room.id), learnerRoom(learnerId)]);
    directory.connect(room.id, learnerId);
  };
  const unbind = (link: LearnerLink) => {
    const { bound, socket } = link;
    if (!bound) return;
    void socket.leave(classRoom(bound.sessionId));
    void socket.leave(learnerRoom(bound.learnerId));
    directory.disconnect(bound.sessionId, bound.learnerId);
    link.bound = null;
    link.settle(false);
  };
  /** The room a bound learner's command goes to, wherever it is owned now. */
  const boundRoom = async (link: LearnerLink): Promise<{ room: RoomHandle; learnerId: string } | Refusal> => {
    if (link.binding) await link.binding;
    if (!link.bound) return fail('unauthorized', 'Join a class first.');
    const { sessionId, learnerId } = link.bound;
    const room = await directory.get(sessionId);
    return room ? { room, learnerId } : fail('session_ended');
  };

  const bindLearner = binder<typeof learnerTable, LearnerLink>(
    {
      table: learnerTable,
      // Every room command of a learner is the bound learner's own.
      target: async (link, name) => {
        const found = await boundRoom(link);
        if ('ok' in found) return found;
        const { room, learnerId } = found;
        const rate = perLearner[name];
        if (rate && !rate.take(learnerId)) return fail('rate_limited');
        return { room, actor: { role: 'learner', learnerId }, learnerId };
      },
      after: { 'learner:leave': unbind },
      handlers: {
        'learner:join': async (link, { code, name, card, partners, partnerCards, seat, token }) => {
          const { socket, address } = link;
          const room = await guessedRoom(limits, codeKeys(socket, address), () => directory.byCode(code));
          if (room === 'limited') return fail('rate_limited');
          if (!room) return fail('unknown_code');
          // Cards are guessed like class codes: a wrong one counts against the same limits.
          const cards = await cardHolders(limits, codeKeys(socket, address), people, [...(card ? [card] : []), ...(partnerCards ?? [])]);
          if (!Array.isArray(cards)) return fail(cards);
          const holder = card ? cards[0] : undefined;
          const partnerPeople = card ? cards.slice(1) : cards;
          const tokenHash = sha256(token);
          const known = await room.learnerIdForToken(tokenHash);
          const addrKey = `${room.id}|${address}`;
          const counted = known === undefined && !isLocal(address);
          if (counted) {
            const added = addedBy.get(addrKey) ?? 0;
            if (added >= c.learnersPerAddress) {
              log.warn({ sessionId: room.id, address }, 'learners per address reached');
              return fail('class_full');
            }
            addedBy.set(addrKey, added + 1); // reserved before the write, so a burst of joins cannot all pass
          }
          const learnerId = known ?? randomId(8);
          const allPartners = [...(partners ?? []), ...partnerPeople.map((p) => p.name)];
          const result = await room.dispatch(
            {
              type: 'learner:join',
              learnerId,
              name: holder?.name ?? name!,
              partners: allPartners.length ? allPartners : undefined,
              seat: seat ?? '',
              tokenHash,
              capacity: c.learnersPerClass,
            },
            { role: 'guest' },
          );
          if (counted && (!result.ok || result.events.length === 0)) addedBy.set(addrKey, (addedBy.get(addrKey) ?? 1) - 1);
          if (!result.ok) {
            if (result.error.code === 'class_full') log.warn({ sessionId: room.id }, 'class is full');
            return result;
          }
          const id = (await room.learnerIdForToken(tokenHash))!;
          // The joined event is durable: tie each card's person to their row of this session (an upsert, so a retried join repairs a lost link).
          if (people) {
            const firstCardSlot = partners?.length ?? 0;
            if (holder) await people.link(room.id, id, holder.id);
            for (const [i, p] of partnerPeople.entries()) await people.link(room.id, `${id}.${firstCardSlot + i + 1}`, p.id);
          }
          await bindTo(link, room, id);
          return { ok: true, data: (await room.learnerSnapshot(id))! };
        },
        'learner:resume': async (link, { token }) => {
          if (link.binding) await link.binding;
          const found = await directory.byToken(sha256(token));
          if (!found) return fail('unknown_token');
          await bindTo(link, found.room, found.learnerId);
          const snapshot = await found.room.learnerSnapshot(found.learnerId);
          return snapshot ? { ok: true, data: snapshot } : fail('unknown_token');
        },
        'learner:ping': async (link, { rttMs }) => {
          const found = await boundRoom(link);
          if ('ok' in found) return found;
          if (!ping.take(found.learnerId)) return fail('rate_limited');
          if (rttMs !== null) await found.room.reportRtt(found.learnerId, rttMs);
          return { ok: true, data: { now: rooms.now() } };
        },
        // The label is the tablet's own (kept in its browser): the server only checks the staff code,
        // the tablet setup code (before class) or the helper code of a class in progress.
        'tablet:seat': async (link, { helperCode, seat }) => {
          // Reserved on arrival like every guessed code, whichever of the two codes it turns out to be.
          const attempt = limits.attempt(codeKeys(link.socket, link.address));
          if (attempt.blocked) return fail('rate_limited');
          if (helperCode !== tabletCode() && !(await (await directory.byHelperCode(helperCode))?.isOpen())) return fail('unknown_code');
          attempt.succeeded();
          return { ok: true, data: { seat } };
        },
      },
    },
    log,
    perSocket,
  );

  learners.on('connection', (raw) => {
    const socket = raw as Socket<LearnerClientEvents, LearnerServerEvents>;
    const link = new LearnerLink(socket, c.unboundSocketMs, addressOfSocket(socket, addressOf));
    socket.on('disconnect', () => {
      link.disconnected();
      unbind(link);
    });
    // The resume token in the handshake binds the socket before any command it buffered is run:
    // the lookup may travel to the store, so commands wait for it.
    const handshake = LearnerAuth.safeParse(socket.handshake.auth);
    if (handshake.success && handshake.data.token) {
      const hash = sha256(handshake.data.token);
      link.binding = directory
        .byToken(hash)
        .then((resumed) => (resumed && socket.connected ? bindTo(link, resumed.room, resumed.learnerId) : undefined))
        .catch((err: unknown) => log.warn({ err: String(err) }, 'handshake resume failed'))
        .finally(() => (link.binding = null));
    }
    bindLearner(socket, link);
  });
}

/** What the staff namespace's sign-in step leaves on a socket for its commands. */
interface StaffSocketData {
  actor?: Extract<Actor, { role: 'instructor' | 'helper' }>;
  /** A helper's one session. */
  sessionId?: string;
  /** The instructor's sign-in, so signing out can end the socket. */
  signIn?: string;
}

function attachStaff(io: Server, { rooms, directory, auth, log, limits, addressOf }: SocketDeps): void {
  const staff = io.of(Namespaces.staff);
  const perSocket = new FixedWindow(limits.config.commandsPerSocketPerSecond, 1_000);
  // Instructors by their sign-in cookie; helpers by the session's helper code (and only that session).
  staff.use((socket, next) => {
    const helper = HelperAuth.safeParse(socket.handshake.auth);
    if (helper.success) {
      void (async () => {
        const room = await guessedRoom(limits, { codeAddr: addressOfSocket(socket, addressOf) }, () =>
          directory.byHelperCode(helper.data.helperCode),
        );
        if (room === 'limited') return next(new Error('rate_limited'));
        if (!room) return next(new Error('unknown_code'));
        const data = socket.data as StaffSocketData;
        data.actor = { role: 'helper', helperId: sha256(helper.data.token).slice(0, 16), name: helper.data.name };
        data.sessionId = room.id;
        next();
      })().catch((err: unknown) => {
        log.error({ err }, 'helper sign-in failed');
        next(new Error('internal'));
      });
      return;
    }
    auth.user(socket.request).then(
      (user) => {
        if (!user) return next(new Error('unauthorized'));
        const data = socket.data as StaffSocketData;
        data.actor = { role: 'instructor', userId: user.id, name: user.displayName };
        data.signIn = auth.sessionKey(socket.request);
        next();
      },
      (err: unknown) => next(err instanceof Error ? err : new Error('internal')),
    );
  });
  /** A staff socket's sign-in: who acts, and a helper's one session. */
  interface StaffLink {
    socket: Socket;
    actor: Extract<Actor, { role: 'instructor' | 'helper' }>;
    only: string | undefined;
  }
  const mayAccess = (link: StaffLink, sessionId: string) => link.only === undefined || link.only === sessionId;
  const bindStaff = binder<typeof staffTable, StaffLink>(
    {
      table: staffTable,
      // A helper acts only in their own session, and only where the table says staff (not the instructor only).
      target: async (link, _name, by, { sessionId }) => {
        if (typeof sessionId !== 'string' || !mayAccess(link, sessionId)) return fail('forbidden');
        const room = await directory.get(sessionId);
        if (!room) return fail('not_found');
        if (by === 'instructor' && link.actor.role !== 'instructor') return fail('forbidden');
        return { room, actor: link.actor };
      },
      handlers: {
        'staff:watch': async (link, { sessionId }) => {
          const { socket } = link;
          if (!mayAccess(link, sessionId)) return fail('forbidden');
          const room = await directory.get(sessionId);
          const view = room ? await room.staffView() : await rooms.archivedStaffView(sessionId);
          if (!view) return fail('not_found');
          for (const joined of socket.rooms) if (joined.startsWith('staff:') || joined.startsWith('helpers:')) await socket.leave(joined);
          if (link.only !== undefined) {
            await socket.join(helperRoom(sessionId));
            return { ok: true, data: helperView(view) };
          }
          await socket.join(staffRoom(sessionId));
          return { ok: true, data: view };
        },
      },
    },
    log,
    perSocket,
  );
  staff.on('connection', (raw) => {
    const socket = raw as Socket<StaffClientEvents, StaffServerEvents>;
    const data = socket.data as StaffSocketData;
    const only = data.sessionId;
    const signIn = data.signIn;
    if (signIn) void socket.join(signInRoom(signIn));
    // A helper's phone knows only the helper code: it is put in its session's staff room at once.
    if (only !== undefined) {
      void socket.join(helperRoom(only));
      directory
        .get(only)
        .then(async (room) => room && socket.emit('staff:view', helperView(await room.staffView())))
        .catch((err: unknown) => log.warn({ err: String(err) }, 'helper view not sent'));
    }
    bindStaff(socket, { socket, actor: data.actor!, only });
  });
}

function attachDisplay(io: Server, { directory, log, limits, addressOf }: SocketDeps): void {
  const perSocket = new FixedWindow(limits.config.commandsPerSocketPerSecond, 1_000);
  /** A projector's socket: watching a class or not (an unbound one is closed in time). */
  class DisplayLink extends UnboundTimer {
    constructor(
      socket: Socket,
      readonly address: string,
    ) {
      super(socket, limits.config.unboundSocketMs);
    }
  }
  const bindDisplay = binder<typeof displayTable, DisplayLink>(
    {
      table: displayTable,
      // The projector has no room commands: it only watches.
      target: async () => fail('forbidden'),
      handlers: {
        'display:watch': async (link, { code }) => {
          const { socket } = link;
          const room = await guessedRoom(limits, codeKeys(socket, link.address), () => directory.byCode(code));
          if (room === 'limited') return fail('rate_limited');
          if (!room) return fail('unknown_code');
          for (const joined of socket.rooms) if (joined !== socket.id) await socket.leave(joined);
          await socket.join(displayRoom(room.id));
          link.settle(true);
          return { ok: true, data: await room.displayView() };
        },
      },
    },
    log,
    perSocket,
  );
  io.of(Namespaces.display).on('connection', (raw) => {
    const socket = raw as Socket<DisplayClientEvents, DisplayServerEvents>;
    const link = new DisplayLink(socket, addressOfSocket(socket, addressOf));
    socket.on('disconnect', () => link.disconnected());
    bindDisplay(socket, link);
  });
}
