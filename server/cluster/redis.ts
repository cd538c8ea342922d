import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import type { Server } from 'socket.io';

/**
 * Broadcasts between processes: Socket.IO's Redis streams adapter on its own connection. Every room
 * broadcast (class, learner, staff, display) then reaches the sockets of every process. `prefix`
 * names the stream and channels, so that several clusters (or tests) can share one Redis.
 */
export function useRedisAdapter(
  io: Server,
  url: string,
  prefix: string,
  log: { warn: (obj: object, msg: string) => void },
): { close(): void } {
  // The offline queue stays on here: the adapter's read loop waits for Redis to come back instead of spinning.
  const client = new Redis(url, { retryStrategy: (n) => Math.min(n * 200, 2000) });
  let warned = 0;
  client.on('error', (err: Error) => {
    if (Date.now() - warned < 10_000) return;
    warned = Date.now();
    log.warn({ err: err.message }, 'redis (broadcasts) connection error');
  });
  io.adapter(createAdapter(client, { streamName: `${prefix}:sio`, channelPrefix: `${prefix}:sio`, maxLen: 10_000 }));
  return { close: () => client.disconnect() };
}
