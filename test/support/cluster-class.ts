/**
 * What the cluster test files build on test/support/cluster.ts: a cluster for each test, and on a
 * class started through nginx (classOnCluster) consoles and tablets placed on the process chosen.
 */
import type { Socket } from 'socket.io-client';
import { afterEach } from 'vitest';
import type { LearnerSnapshot, StaffView } from '../../shared/protocol/views.ts';
import { ask, clientSocket, endTest, startCluster, type classOnCluster, type Cluster } from './cluster.ts';
import { token, unwrap } from './sockets.ts';

export type ClusterClass = Awaited<ReturnType<typeof classOnCluster>>;

/**
 * For a describe block whose tests each start a cluster of their own: the cluster is torn down after
 * each test (with its processes' last lines when the test failed). Returns the function that starts it.
 */
export function useCluster(): (opts: Parameters<typeof startCluster>[0]) => Promise<Cluster> {
  let cluster: Cluster | undefined;
  afterEach(async (ctx) => {
    await endTest(ctx, cluster);
    cluster = undefined;
  });
  return async (opts) => (cluster = await startCluster(opts));
}

/** A console through nginx from the `index`th address nginx sends to the process on `port`, watching the class. */
export async function consoleOn({ nginx, spread, cookie, session }: ClusterClass, port: number, index: number): Promise<Socket> {
  const staff = clientSocket(nginx.url, '/staff', { localAddress: spread.get(port)![index], cookie });
  unwrap(await ask<StaffView>(staff, 'staff:watch', { sessionId: session.id }));
  return staff;
}

/** A tablet of the class: the process it reached through nginx, its number and its learner id. */
export interface ClusterTablet {
  socket: Socket;
  port: number;
  n: number;
  id: string;
}

/**
 * Tablets joining through nginx, one process after the other: from the first `perNode` addresses
 * nginx sends to each, numbered from 0, "HV n" with token(n). `open` makes a tablet's socket (and
 * whatever else the test keeps of it) from its address and number.
 */
export async function joinTablets<T extends { socket: Socket }>(
  { nginx, spread, session }: ClusterClass,
  perNode: number,
  open: (url: string, address: string, n: number) => T,
): Promise<(T & ClusterTablet)[]> {
  const tablets: (T & ClusterTablet)[] = [];
  for (const [port, addresses] of spread) {
    for (const address of addresses.slice(0, perNode)) {
      const n = tablets.length;
      const tablet = open(nginx.url, address, n);
      const snap = unwrap(
        await ask<LearnerSnapshot>(tablet.socket, 'learner:join', { code: session.code, name: `HV ${n}`, token: token(n) }),
      );
      tablets.push({ ...tablet, port, n, id: snap.me.learnerId });
    }
  }
  return tablets;
}

/** The answer ids among a session's stored events (storedEvents), in the order they were stored. */
export const answerIdsOf = (events: { type: string; body: unknown }[]): string[] =>
  events.filter((e) => e.type === 'quiz:answered').map((e) => (JSON.parse(String(e.body)) as { answerId: string }).answerId);
