import { io, type Socket } from 'socket.io-client';
import type { Namespace, Wire } from './wire.ts';

/** What goes with each handshake: fixed (a helper's code, name and token), or read afresh at every (re)connect. */
export type WireAuth = Record<string, string> | (() => Record<string, string>);

/** How a page's connection copes with its network. */
export interface WireOptions {
  /** Come back this long after the server refused the namespace (busy, restarting), instead of giving up. */
  retryRefusedMs?: number;
  /**
   * Open over HTTP long-polling, then upgrade to WebSocket (socket.io's default): a network that
   * breaks WebSocket in any way (refused, or opened and closed before the handshake, which
   * socket.io-client would wait out for its 20 s connect timeout) never keeps the page offline.
   */
  pollingFirst?: boolean;
}

/** A Wire over socket.io-client; `auth` goes with the handshake. */
export function sioWire(namespace: Namespace, auth?: WireAuth, { retryRefusedMs, pollingFirst }: WireOptions = {}): Wire {
  const socket: Socket = io(namespace, {
    transports: pollingFirst ? ['polling', 'websocket'] : ['websocket', 'polling'],
    tryAllTransports: !pollingFirst,
    auth: typeof auth === 'function' ? (cb) => cb(auth()) : auth,
  });
  let closed = false;
  const listeners: Record<string, ((...args: unknown[]) => void)[]> = {};
  const fire = (event: string, ...args: unknown[]): void => listeners[event]?.forEach((fn) => fn(...args));

  socket.on('disconnect', (reason) => {
    // socket.io gives up after a server-side disconnect; a classroom screen should not.
    if (reason === 'io server disconnect') setTimeout(() => closed || socket.connect(), 2000);
  });
  socket.on('connect_error', (err) => {
    // No longer active: the server refused the namespace (e.g. auth), rather than the network failing.
    if (socket.active) return;
    fire('refused', err.message);
    if (retryRefusedMs) setTimeout(() => closed || socket.connect(), retryRefusedMs * (0.5 + Math.random()));
  });

  return {
    get connected() {
      return socket.connected;
    },
    on(event, listener) {
      if (event === 'refused') (listeners[event] ??= []).push(listener);
      else socket.on(event, listener);
    },
    request(event, payload, timeoutMs, done) {
      const wasConnected = socket.connected;
      socket.timeout(timeoutMs).emit(event, payload, done);
      // Connected, yet socket.io held it back: the ping deadline passed unnoticed (a tablet waking from sleep),
      // and the disconnect follows in a moment. Held, it would go out first on the next connection, before the
      // page's own `connect` listeners (the learner's resume). Taken back, it fails at that disconnect like any
      // request in flight, and the page sends it again in its own order.
      if (wasConnected && socket.sendBuffer.length) socket.sendBuffer.length = 0;
    },
    close() {
      closed = true;
      socket.disconnect();
    },
  };
}
