/**
 * Baseline: a bare `ws` server. Learners connect to /?room=<room>; the instructor connects to
 * /?role=instructor and sends JSON { room, view }; the server encodes the view once into one
 * WebSocket frame and writes that same pre-encoded buffer to every learner of the room (what
 * Socket.IO does for a broadcast, minus everything else). No validation, no storage.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as wsModule from 'ws';
import { WebSocket, WebSocketServer } from 'ws';
import { now } from '../lib/clock.ts';
import { recordCommand, recordPush, startProbe } from '../lib/probe.ts';

const http = createServer();
const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: 64 * 1024 });
const rooms = new Map<string, Set<WebSocket>>();

type Sender = { sendFrame(list: Buffer[], cb?: () => void): void };
const frame = (data: Buffer): Buffer[] =>
  (wsModule as unknown as { Sender: { frame(d: Buffer, o: object): Buffer[] } }).Sender.frame(data, {
    fin: true,
    rsv1: false,
    opcode: 1, // text
    mask: false,
    readOnly: false,
  });

wss.on('connection', (ws, req) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.searchParams.get('role') === 'instructor') {
    ws.on('message', (data) => {
      const at = now();
      // binaryType is 'nodebuffer' (the default): every message is one Buffer.
      const { room, view } = JSON.parse((data as Buffer).toString()) as { room: string; view: unknown };
      recordCommand(room, at);
      const start = now();
      const encoded = frame(Buffer.from(JSON.stringify(view)));
      for (const learner of rooms.get(room) ?? []) {
        if (learner.readyState === WebSocket.OPEN) (learner as unknown as { _sender: Sender })._sender.sendFrame(encoded);
      }
      recordPush(room, start, now());
      ws.send('ok');
    });
    return;
  }
  const room = url.searchParams.get('room') ?? '';
  let members = rooms.get(room);
  if (!members) rooms.set(room, (members = new Set()));
  members.add(ws);
  ws.on('close', () => members.delete(ws));
  ws.send('joined');
});

await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
startProbe(
  () =>
    new Promise<void>((resolve) => {
      for (const ws of wss.clients) ws.terminate();
      wss.close(() => http.close(() => resolve()));
    }),
);
process.send?.({ type: 'ready', port: (http.address() as AddressInfo).port });
