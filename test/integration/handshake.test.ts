import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { LearnerSnapshot, StaffView } from '../../shared/protocol/views.ts';
import { call, learnerSocket, token, unwrap, waitFor } from '../support/sockets.ts';
import { useServers } from '../support/server.ts';

const servers = useServers();
const mine: Socket[] = [];
afterEach(() => {
  for (const s of mine.splice(0)) s.disconnect();
});

/** A learner socket whose handshake carries `auth`, with commands emitted before it is even connected. */
function tabletWith(url: string, auth: Record<string, string>): Socket {
  const socket = connect(`${url}/learner`, { transports: ['websocket'], forceNew: true, auth });
  mine.push(socket);
  return socket;
}

describe('the learner handshake', () => {
  it('a resume token in the handshake binds the socket before the commands it buffered are read', async () => {
    const { server: s, session, staff } = await servers.startClass();
    const first = learnerSocket(s.url);
    unwrap(await call<LearnerSnapshot>(first, 'learner:join', { code: session.code, name: 'An', token: token(1) }));
    unwrap(await call(staff, 'step:push', { sessionId: session.id, step: 0 }));
    first.disconnect();

    // Emitted while not yet connected: socket.io-client sends it right after the CONNECT, before any resume.
    const again = tabletWith(s.url, { token: token(1) });
    const done = call(again, 'learner:done', { step: 0, done: true });
    expect(await done).toMatchObject({ ok: true, data: { done: [0] } });
    const view = await waitFor<StaffView>(staff, 'staff:view', (v) => v.counts.done === 1);
    expect(view.roster.find((l) => l.name === 'An')).toMatchObject({ connected: true });
    // A resume on the bound socket still answers with the snapshot.
    expect(await call(again, 'learner:resume', { token: token(1) })).toMatchObject({ ok: true });
  });

  it('no token, an unknown one or a malformed one binds nothing: commands are refused, the connection stays', async () => {
    const s = await servers.start();
    for (const auth of [{}, { token: token(99) }, { token: 'short' }] as Record<string, string>[]) {
      const socket = tabletWith(s.url, auth);
      expect(await call(socket, 'learner:done', { step: 0, done: true })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
      expect(socket.connected).toBe(true);
    }
  });
});
