import { Redis } from 'ioredis';

/**
 * Remove the stream a run's Socket.IO Redis streams adapter left under `prefix` (`${prefix}:sio`),
 * after the festival bench and the cluster tests. Redis gone: nothing of ours to remove.
 */
export async function dropAdapterStream(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.del(`${prefix}:sio`);
  } catch {
    // Redis gone: nothing of ours to remove.
  } finally {
    redis.disconnect();
  }
}
