/**
 * Server-side timing of a push, measured inside the server process without touching its code: when
 * the push command arrived (a listener prepended on the instructor's socket) and when the broadcast
 * of the resulting view to the class room started and returned (a wrapper around the namespace
 * adapter's broadcast, through which every `to(room).emit` goes). Socket.IO writes the pre-encoded
 * frame to each socket inside that call, so its end is when the last frame was handed to the kernel.
 * This is the server's share of the fan-out, free of the load generator's receive cost.
 */
import type { Namespace, Server } from 'socket.io';
import { now } from './clock.ts';
import { recordPush, recordCommand } from './probe.ts';

export function instrumentSocketIo(
  io: Server,
  opts: {
    /** The instructor's namespace and push event. */
    staff: string;
    pushEvent: string;
    /** The class a push command is for. */
    classOfCommand: (payload: unknown) => string | undefined;
    learners: string;
    /** The class a room name belongs to, for class-wide broadcasts; undefined for others. */
    classOfRoom: (room: string) => string | undefined;
    /** Only broadcasts of this event are pushes. */
    viewEvent: string;
  },
): void {
  io.of(opts.staff).on('connection', (socket) => {
    socket.prependAny((event: string, payload: unknown) => {
      if (event !== opts.pushEvent) return;
      const key = opts.classOfCommand(payload);
      if (key !== undefined) recordCommand(key, now());
    });
  });
  const nsp: Namespace = io.of(opts.learners);
  const adapter = nsp.adapter as unknown as {
    broadcast(packet: { data?: unknown[] }, o: { rooms: Set<string> }): void;
  };
  const original = adapter.broadcast.bind(adapter);
  adapter.broadcast = (packet, o) => {
    const start = now();
    original(packet, o);
    const end = now();
    if (!Array.isArray(packet.data) || packet.data[0] !== opts.viewEvent) return;
    for (const room of o.rooms) {
      const key = opts.classOfRoom(room);
      if (key !== undefined) recordPush(key, start, end);
    }
  };
}
