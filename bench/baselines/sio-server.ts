/**
 * Baseline: a bare Socket.IO server with the same options as ours that only relays a push to a room.
 * Learners connect to /learner and `join` a room; the instructor (on /staff) sends `push`
 * { room, view } and the server emits `class` with the view to the room. No validation, no storage.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { instrumentSocketIo } from '../lib/instrument.ts';
import { startProbe } from '../lib/probe.ts';

// `GET /` answers the same learner page as ours (the built index.html) when there is one: the idle
// scenario's HTTP probe compares the two. Read once; a bare server does nothing else for it.
const indexFile = join(import.meta.dirname, '../../dist/client/index.html');
const page = existsSync(indexFile) ? readFileSync(indexFile) : Buffer.from('<!doctype html><title>bare</title>');
const http = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': page.length });
  res.end(page);
});
const io = new Server(http, { maxHttpBufferSize: 64 * 1024, pingInterval: 10_000, pingTimeout: 10_000 });
// The festival's several-process run: the same Redis streams adapter as ours (server/cluster/redis.ts).
if (process.env.REDIS_URL) {
  const prefix = process.env.REDIS_PREFIX ?? 'bench-sio';
  const client = new Redis(process.env.REDIS_URL, { retryStrategy: (n) => Math.min(n * 200, 2000) });
  io.adapter(createAdapter(client, { streamName: `${prefix}:sio`, channelPrefix: `${prefix}:sio`, maxLen: 10_000 }));
}
const learners = io.of('/learner');

learners.on('connection', (socket) => {
  socket.on('join', async (room: string, ack: (ok: boolean) => void) => {
    await socket.join(room);
    ack(true);
  });
  // The practice-task scenario's baseline: a move acknowledged at once, nothing checked or kept.
  socket.on('task:move', (_move: unknown, ack: (res: { ok: true }) => void) => ack({ ok: true }));
  // The festival scenario's baseline: an answer acknowledged at once.
  socket.on('quiz:answer', (_answer: unknown, ack: (res: { ok: true }) => void) => ack({ ok: true }));
});
io.of('/staff').on('connection', (socket) => {
  socket.on('push', ({ room, view }: { room: string; view: unknown }, ack: (ok: boolean) => void) => {
    learners.to(room).emit('class', view);
    ack(true);
  });
});

instrumentSocketIo(io, {
  staff: '/staff',
  pushEvent: 'push',
  classOfCommand: (p) => (p as { room?: string } | undefined)?.room,
  learners: '/learner',
  classOfRoom: (room) => room,
  viewEvent: 'class',
});

await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
startProbe(() => new Promise<void>((resolve) => void io.close(() => resolve())));
process.send?.({ type: 'ready', port: (http.address() as AddressInfo).port });
