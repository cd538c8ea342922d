import type { Server, Socket } from 'socket.io';
import type { Logger } from 'pino';
import type { z } from 'zod';
import {
  displayCommands,
  learnerCommands,
  Namespaces,
  staffCommands,
  type DisplayAcks,
  type DisplayClientEvents,
  type DisplayServerEvents,
  type LearnerAcks,
  type LearnerClientEvents,
  type LearnerServerEvents,
  type StaffAcks,
  type StaffClientEvents,
  type StaffServerEvents,
} from '../../shared/protocol/events.ts';
import { fail, type Ack } from '../../shared/protocol/errors.ts';
import { HelperAuth, LearnerAuth } from '../../shared/protocol/commands.ts';
import type { Command } from '../engine/engine.ts';
import type { Actor } from '../engine/state.ts';
import { randomId, sha256 } from '../lib/ids.ts';
import type { Broadcaster, Room } from '../rooms/room.ts';
import type { Rooms } from '../rooms/registry.ts';
import type { Auth } from './auth.ts';
import { badRequest } from './respond.ts';
import type { LimitKeys, Limits } from './limits.ts';

// Socket.IO room names: every broadcast is addressed by session or learner, never by local socket.
const classRoom = (sessionId: string) => `class:${sessionId}`;
const learnerRoom = (learnerId: string) => `learner:${learnerId}`;
const staffRoom = (sessionId: string) => `staff:${sessionId}`;
const displayRoom = (sessionId: string) => `display:${sessionId}`;

type Handlers<S extends Record<string, z.ZodType>, A extends { [K in keyof S]: unknown }> = {
  [K in keyof S]: (payload: z.output<S[K]>) => Promise<Ack<A[K]>>;
};

/** Parse, run, acknowledge: the same for every command of every namespace. */
function bind<S extends Record<string, z.ZodType>, A extends { [K in keyof S]: unknown }>(
  socket: Socket,
  schemas: S,
  handlers: Handlers<S, A>,
  log: Logger,
): void {
  // Payloads arrive untyped: the schema, not the event map, is what checks them.
  const on = socket.on.bind(socket) as (event: string, listener: (payload: unknown, ack: unknown) => void) => void;
  // A command this namespace does not take (a learner sending step:push) is refused, not ignored.
  const known = new Set(Object.keys(schemas));
  const everyCommand = new Set([learnerCommands, staffCommands, displayCommands].flatMap((m) => Object.keys(m)));
  socket.onAny((event: string, ...args: unknown[]) => {
    const ack = args.at(-1);
    if (known.has(event) || typeof ack !== 'function') return;
    ack(everyCommand.has(event) ? fail('forbidden') : fail('bad_request', 'Unknown command.'));
  });
  for (const name of Object.keys(schemas) as (keyof S & string)[]) {
    on(name, async (payload, ack) => {
      if (typeof ack !== 'function') return; // every command asks for an ack; others are ignored
      const parsed = schemas[name].safeParse(payload);
      if (!parsed.success) return ack(badRequest(parsed.error));
      try {
        ack(await handlers[name](parsed.data));
      } catch (err) {
        log.error({ err, event: name }, 'command failed');
        ack(fail('internal'));
      }
    });
  }
}

export function socketBroadcaster(io: Server): Broadcaster {
  const learners = io.of(Namespaces.learner);
  return {
    toClass: (sessionId, view) => learners.to(classRoom(sessionId)).emit('class', view),
    toLearner: (learnerId, view) => learners.to(learnerRoom(learnerId)).emit('me', view),
    endLearner: (learnerId) => {
      learners.to(learnerRoom(learnerId)).emit('session:ended', { reason: 'left' });
      learners.in(learnerRoom(learnerId)).socketsLeave(learnerRoom(learnerId));
    },
    endClass: (sessionId) => {
      learners.to(classRoom(sessionId)).emit('session:ended', { reason: 'ended' });
      learners.in(classRoom(sessionId)).socketsLeave(classRoom(sessionId));
    },
    toStaff: (sessionId, view) => io.of(Namespaces.staff).to(staffRoom(sessionId)).emit('staff:view', view),
    toDisplay: (sessionId, view) => io.of(Namespaces.display).to(displayRoom(sessionId)).emit('display:view', view),
  };
}

export interface SocketDeps {
  rooms: Rooms;
  auth: Auth;
  log: Logger;
  limits: Limits;
}

export function attachSockets(io: Server, deps: SocketDeps): void {
  attachLearners(io, deps);
  attachStaff(io, deps);
  attachDisplay(io, deps);
}

/** A guessed code (class or helper code) looked up under the guessing limits of `keys`: a miss counts against them. */
async function guessedRoom(limits: Limits, keys: LimitKeys, find: () => Room | undefined): Promise<Room | 'limited' | undefined> {
  if (await limits.blocked(keys)) return 'limited';
  const room = find();
  if (room?.isOpen) return room;
  await limits.failed(keys);
  return undefined;
}

/** Guessing limits per address and per connection. */
const codeKeys = (socket: Socket): LimitKeys => ({ codeAddr: socket.handshake.address, codeConn: socket.id });

function attachLearners(io: Server, { rooms, log, limits }: SocketDeps): void {
  io.of(Namespaces.learner).on('connection', (raw) => {
    const socket = raw as Socket<LearnerClientEvents, LearnerServerEvents>;
    let bound: { room: Room; learnerId: string } | null = null;

    const bindTo = async (room: Room, learnerId: string) => {
      if (bound?.room === room && bound.learnerId === learnerId) return; // bound at the handshake already
      if (bound) unbind();
      bound = { room, learnerId };
      await socket.join([classRoom(room.id), learnerRoom(learnerId)]);
      room.connect(learnerId);
    };
    const unbind = () => {
      if (!bound) return;
      void socket.leave(classRoom(bound.room.id));
      void socket.leave(learnerRoom(bound.learnerId));
      bound.room.disconnect(bound.learnerId);
      bound = null;
    };
    socket.on('disconnect', unbind);
    // The resume token in the handshake binds the socket before any command it buffered is read.
    const handshake = LearnerAuth.safeParse(socket.handshake.auth);
    const resumed = handshake.success && handshake.data.token ? rooms.byToken(sha256(handshake.data.token)) : undefined;
    if (resumed) bindTo(resumed.room, resumed.learnerId).catch((err: unknown) => log.error({ err }, 'handshake resume failed'));

    const asLearner = async <T>(
      command: Command,
      done: (room: Room, learnerId: string) => T,
    ): Promise<Ack<T>> => {
      if (!bound) return fail('unauthorized', 'Join a class first.');
      const { room, learnerId } = bound;
      const result = await room.dispatch(command, { role: 'learner', learnerId });
      return result.ok ? { ok: true, data: done(room, learnerId) } : result;
    };
    const me = (room: Room, learnerId: string) => room.meView(learnerId)!;

    bind<typeof learnerCommands, LearnerAcks>(
      socket,
      learnerCommands,
      {
        'learner:join': async ({ code, name, partners, seat, token }) => {
          const room = await guessedRoom(limits, codeKeys(socket), () => rooms.byCode(code));
          if (room === 'limited') return fail('rate_limited');
          if (!room) return fail('unknown_code');
          const tokenHash = sha256(token);
          const learnerId = room.learnerIdForToken(tokenHash) ?? randomId(8);
          const result = await room.dispatch(
            { type: 'learner:join', learnerId, name, partners, seat: seat ?? '', tokenHash },
            { role: 'guest' },
          );
          if (!result.ok) return result;
          const id = room.learnerIdForToken(tokenHash)!;
          await bindTo(room, id);
          return { ok: true, data: room.learnerSnapshot(id)! };
        },
        'learner:resume': async ({ token }) => {
          const found = rooms.byToken(sha256(token));
          if (!found) return fail('unknown_token');
          await bindTo(found.room, found.learnerId);
          return { ok: true, data: found.room.learnerSnapshot(found.learnerId)! };
        },
        'learner:done': ({ step, done }) => asLearner({ type: 'learner:done', step, done }, me),
        'learner:help': ({ active, reason }) =>
          asLearner({ type: 'learner:help', active, reason, requestId: randomId(9) }, me),
        'learner:navigate': ({ step }) => asLearner({ type: 'learner:navigate', step }, me),
        'quiz:answer': ({ runId, answerId, value }) => asLearner({ type: 'quiz:answer', runId, answerId, value }, me),
        'learner:ping': async ({ rttMs }) => {
          if (!bound) return fail('unauthorized', 'Join a class first.');
          if (rttMs !== null) bound.room.reportRtt(bound.learnerId, rttMs);
          return { ok: true, data: { now: Date.now() } };
        },
        // The label is the tablet's own (kept in its browser): the server only checks the staff code.
        'tablet:seat': async ({ helperCode, seat }) => {
          const room = await guessedRoom(limits, codeKeys(socket), () => rooms.byHelperCode(helperCode));
          if (room === 'limited') return fail('rate_limited');
          if (!room) return fail('unknown_code');
          return { ok: true, data: { seat } };
        },
        'learner:leave': async () => {
          const result = await asLearner({ type: 'learner:leave' }, () => null);
          if (result.ok) unbind();
          return result;
        },
      },
      log,
    );
  });
}

function attachStaff(io: Server, { rooms, auth, log, limits }: SocketDeps): void {
  const staff = io.of(Namespaces.staff);
  // Instructors by their sign-in cookie; helpers by the session's helper code (and only that session).
  staff.use((socket, next) => {
    const helper = HelperAuth.safeParse(socket.handshake.auth);
    if (helper.success) {
      void (async () => {
        const room = await guessedRoom(limits, { codeAddr: socket.handshake.address }, () => rooms.byHelperCode(helper.data.helperCode));
        if (room === 'limited') return next(new Error('rate_limited'));
        if (!room) return next(new Error('unknown_code'));
        socket.data.actor = { role: 'helper', helperId: sha256(helper.data.token).slice(0, 16), name: helper.data.name };
        socket.data.sessionId = room.id;
        next();
      })();
      return;
    }
    auth.user(socket.request).then(
      (user) => {
        if (!user) return next(new Error('unauthorized'));
        socket.data.actor = { role: 'instructor', userId: user.id, name: user.displayName };
        next();
      },
      (err: unknown) => next(err instanceof Error ? err : new Error('internal')),
    );
  });
  staff.on('connection', (raw) => {
    const socket = raw as Socket<StaffClientEvents, StaffServerEvents>;
    const actor = socket.data.actor as Extract<Actor, { role: 'instructor' | 'helper' }>;
    const only = socket.data.sessionId as string | undefined;
    const mayAccess = (sessionId: string) => only === undefined || only === sessionId;
    // A helper's phone knows only the helper code: it is put in its session's staff room at once.
    if (only !== undefined) {
      const room = rooms.get(only);
      if (room) {
        void socket.join(staffRoom(only));
        socket.emit('staff:view', room.staffView());
      }
    }

    const control = async (sessionId: string, command: Command): Promise<Ack<null>> => {
      if (!mayAccess(sessionId)) return fail('forbidden');
      const room = rooms.get(sessionId);
      if (!room) return fail('not_found');
      const result = await room.dispatch(command, actor);
      if (!result.ok) return result;
      if (!room.isOpen) rooms.retire(room);
      return { ok: true, data: null };
    };

    bind<typeof staffCommands, StaffAcks>(
      socket,
      staffCommands,
      {
        'staff:watch': async ({ sessionId }) => {
          if (!mayAccess(sessionId)) return fail('forbidden');
          const room = rooms.get(sessionId);
          const view = room ? room.staffView() : await rooms.archivedStaffView(sessionId);
          if (!view) return fail('not_found');
          for (const joined of socket.rooms) if (joined !== socket.id) await socket.leave(joined);
          await socket.join(staffRoom(sessionId));
          return { ok: true, data: view };
        },
        'step:push': ({ sessionId, step }) => control(sessionId, { type: 'step:push', step }),
        'pacing:set': ({ sessionId, pacing }) => control(sessionId, { type: 'pacing:set', pacing }),
        'session:end': ({ sessionId }) => control(sessionId, { type: 'session:end' }),
        'quiz:open': async ({ sessionId, source, timeLimit }) => {
          const runId = randomId(9);
          const ack = await control(sessionId, { type: 'quiz:open', runId, source, timeLimit });
          return ack.ok ? { ok: true, data: { runId } } : ack;
        },
        'quiz:close': ({ sessionId, runId }) => control(sessionId, { type: 'quiz:close', runId }),
        'quiz:reveal': ({ sessionId, runId }) => control(sessionId, { type: 'quiz:reveal', runId }),
        'quiz:show-results': ({ sessionId, runId, show }) =>
          control(sessionId, { type: 'quiz:show-results', runId, show }),
        'quiz:dismiss': ({ sessionId, runId }) => control(sessionId, { type: 'quiz:dismiss', runId }),
        'help:claim': ({ sessionId, requestId }) => control(sessionId, { type: 'help:claim', requestId }),
        'help:release': ({ sessionId, requestId }) => control(sessionId, { type: 'help:release', requestId }),
        'help:resolve': ({ sessionId, requestId }) => control(sessionId, { type: 'help:resolve', requestId }),
        'stuck:dismiss': ({ sessionId, learnerId }) => control(sessionId, { type: 'stuck:dismiss', learnerId }),
        'stuck:configure': ({ sessionId, config }) => control(sessionId, { type: 'stuck:configure', config }),
        'seatmap:set': ({ sessionId, rows, cols }) => control(sessionId, { type: 'seatmap:set', rows, cols }),
        'seat:place': ({ sessionId, learnerId, row, col }) =>
          control(sessionId, { type: 'seat:place', learnerId, row, col }),
        'seat:label': ({ sessionId, learnerId, seat }) => control(sessionId, { type: 'seat:label', learnerId, seat }),
      },
      log,
    );
  });
}

function attachDisplay(io: Server, { rooms, log, limits }: SocketDeps): void {
  io.of(Namespaces.display).on('connection', (raw) => {
    const socket = raw as Socket<DisplayClientEvents, DisplayServerEvents>;
    bind<typeof displayCommands, DisplayAcks>(
      socket,
      displayCommands,
      {
        'display:watch': async ({ code }) => {
          const room = await guessedRoom(limits, codeKeys(socket), () => rooms.byCode(code));
          if (room === 'limited') return fail('rate_limited');
          if (!room) return fail('unknown_code');
          for (const joined of socket.rooms) if (joined !== socket.id) await socket.leave(joined);
          await socket.join(displayRoom(room.id));
          return { ok: true, data: room.displayView() };
        },
      },
      log,
    );
  });
}
