import type { Namespace, Wire } from './wire.ts';

/*
 * A small Socket.IO client (protocol 5 over Engine.IO 4) for the learner page, whose JS + CSS must
 * stay within 30 KB gzipped: socket.io-client alone is about 13 KB of it. It does what the learner
 * needs and nothing more: one namespace, JSON events, acks with a timeout, WebSocket first and
 * HTTP long-polling when WebSocket fails (no upgrade), heartbeat, reconnection with backoff.
 * No binary packets, no connection state recovery (the learner resumes with its token instead).
 */

type Listener = (...args: unknown[]) => void;
interface Handshake {
  sid: string;
  pingInterval: number;
  pingTimeout: number;
}
interface LinkEvents {
  open(handshake: Handshake): void;
  packet(packet: string): void;
  close(): void;
}
/** One Engine.IO connection over one transport. */
interface Link {
  send(packet: string): void;
  close(): void;
}

const OPEN_TIMEOUT_MS = 10_000;
const SEPARATOR = '\x1e';

function webSocketLink(path: string, on: LinkEvents): Link {
  let ws: WebSocket;
  try {
    ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}&transport=websocket`);
  } catch {
    setTimeout(on.close); // e.g. blocked by policy: let the caller fall back to polling
    return { send: () => undefined, close: () => undefined };
  }
  let open = false;
  ws.onmessage = (e: MessageEvent) => {
    const data = String(e.data);
    if (open) on.packet(data);
    else if (data[0] === '0') {
      open = true;
      on.open(JSON.parse(data.slice(1)) as Handshake);
    }
  };
  ws.onclose = () => on.close();
  return {
    send: (packet) => ws.readyState === WebSocket.OPEN && ws.send(packet),
    close: () => {
      ws.onclose = null;
      ws.close();
    },
  };
}

function pollingLink(path: string, on: LinkEvents): Link {
  let sid = '';
  let closed = false;
  let posting = false;
  const queue: string[] = [];
  const url = (): string => `${path}&transport=polling&t=${Date.now().toString(36)}${sid && `&sid=${sid}`}`;
  const fail = (): void => {
    if (!closed) {
      closed = true;
      on.close();
    }
  };
  const request = async (init?: RequestInit): Promise<string> => {
    const res = await fetch(url(), { credentials: 'same-origin', cache: 'no-store', ...init });
    if (!res.ok) throw new Error(`polling ${res.status}`);
    return res.text();
  };
  const flush = async (): Promise<void> => {
    if (posting || closed || !queue.length) return;
    posting = true;
    try {
      await request({ method: 'POST', body: queue.splice(0).join(SEPARATOR), headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
    } catch {
      fail();
    }
    posting = false;
    void flush();
  };
  const poll = async (): Promise<void> => {
    while (!closed) {
      let payload: string;
      try {
        payload = await request();
      } catch {
        return fail();
      }
      for (const packet of payload.split(SEPARATOR)) {
        if (closed) return;
        if (packet[0] === '0') {
          const handshake = JSON.parse(packet.slice(1)) as Handshake;
          sid = handshake.sid;
          on.open(handshake);
        } else if (packet[0] === '1') return fail();
        else if (packet[0] !== '6') on.packet(packet);
      }
    }
  };
  void poll();
  return {
    send: (packet) => {
      queue.push(packet);
      void flush();
    },
    close: () => {
      if (closed) return;
      closed = true;
      if (sid) void request({ method: 'POST', body: '1' }).catch(() => undefined);
    },
  };
}

class LiteSocket implements Wire {
  connected = false;
  readonly #nsp: string;
  readonly #prefix: string;
  #listeners: Record<string, Listener[]> = {};
  #acks = new Map<number, (res: unknown) => void>();
  #nextId = 0;
  /** Socket.IO packets emitted while disconnected, sent on the next connect. */
  #buffer: string[] = [];
  #link: Link | null = null;
  #linkId = 0;
  #attempts = 0;
  #stopped = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #watchdog: ReturnType<typeof setTimeout> | undefined;
  #heartbeat = OPEN_TIMEOUT_MS;
  /** While a WebSocket link is opening: what to do if it fails or hangs (try polling). */
  #fallback: (() => void) | null = null;

  constructor(nsp: string) {
    this.#nsp = nsp;
    this.#prefix = nsp === '/' ? '' : `${nsp},`;
    addEventListener('online', () => {
      if (!this.#link && this.#retryTimer) {
        clearTimeout(this.#retryTimer);
        this.#open(true);
      }
    });
    this.#open(true);
  }

  on(event: string, listener: Listener): void {
    (this.#listeners[event] ??= []).push(listener);
  }

  request(event: string, payload: unknown, timeoutMs: number, done: (err: Error | null, res?: unknown) => void): void {
    const id = this.#nextId++;
    const packet = `2${this.#prefix}${id}${JSON.stringify([event, payload])}`;
    const timer = setTimeout(() => {
      this.#acks.delete(id);
      const queued = this.#buffer.indexOf(packet);
      if (queued >= 0) this.#buffer.splice(queued, 1);
      done(new Error('operation has timed out'));
    }, timeoutMs);
    this.#acks.set(id, (res) => {
      clearTimeout(timer);
      done(null, res);
    });
    if (this.connected) this.#link?.send(`4${packet}`);
    else this.#buffer.push(packet);
  }

  close(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    if (this.connected) this.#link?.send(`41${this.#prefix}`);
    this.#drop('io client disconnect');
  }

  #fire(event: string, ...args: unknown[]): void {
    for (const fn of this.#listeners[event] ?? []) fn(...args);
  }

  /** Open an Engine.IO link: WebSocket first, polling if WebSocket never opened. */
  #open(webSocket: boolean): void {
    this.#retryTimer = undefined;
    this.#heartbeat = OPEN_TIMEOUT_MS;
    const id = ++this.#linkId;
    const mine = (): boolean => id === this.#linkId;
    webSocket &&= typeof WebSocket === 'function';
    this.#fallback = webSocket
      ? () => {
          link.close();
          this.#open(false);
        }
      : null;
    const link = (webSocket ? webSocketLink : pollingLink)('/socket.io/?EIO=4', {
      open: (handshake) => {
        if (!mine()) return;
        this.#fallback = null;
        this.#heartbeat = handshake.pingInterval + handshake.pingTimeout;
        this.#watch();
        link.send(`40${this.#prefix}`);
      },
      packet: (packet) => mine() && this.#onPacket(packet),
      close: () => {
        if (mine()) (this.#fallback ?? (() => this.#drop('transport close')))();
      },
    });
    this.#link = link;
    this.#watch();
  }

  /** Any packet proves the link alive; silence past the heartbeat (or the open timeout) ends it. */
  #watch(): void {
    clearTimeout(this.#watchdog);
    this.#watchdog = setTimeout(() => (this.#fallback ?? (() => this.#drop('ping timeout')))(), this.#heartbeat);
  }

  #onPacket(packet: string): void {
    this.#watch();
    if (packet[0] === '2') this.#link?.send('3');
    else if (packet[0] === '4') this.#onMessage(packet.slice(1));
    else if (packet[0] === '1') this.#drop('transport close');
  }

  #onMessage(msg: string): void {
    const type = msg[0];
    let i = 1;
    let nsp = '/';
    if (msg[i] === '/') {
      const comma = msg.indexOf(',', i);
      nsp = msg.slice(i, comma < 0 ? undefined : comma);
      i = comma < 0 ? msg.length : comma + 1;
    }
    if (nsp !== this.#nsp) return;
    let j = i;
    while (j < msg.length && msg[j] >= '0' && msg[j] <= '9') j++;
    const id = j > i ? Number(msg.slice(i, j)) : -1;
    const data: unknown = j < msg.length ? JSON.parse(msg.slice(j)) : undefined;
    switch (type) {
      case '0': // CONNECT
        this.connected = true;
        this.#attempts = 0;
        for (const queued of this.#buffer.splice(0)) this.#link?.send(`4${queued}`);
        this.#fire('connect');
        break;
      case '1': // DISCONNECT by the server: come back, as socket.io-client users of this app do
        this.#drop('io server disconnect');
        break;
      case '2': // EVENT
        if (Array.isArray(data)) this.#fire(String(data[0]), ...data.slice(1));
        break;
      case '3': {
        // ACK
        const ack = this.#acks.get(id);
        this.#acks.delete(id);
        ack?.((data as unknown[] | undefined)?.[0]);
        break;
      }
      case '4': // CONNECT_ERROR: the server refused this namespace; retrying would not help
        this.#stopped = true;
        this.#drop('refused');
        this.#fire('refused', (data as { message?: string } | undefined)?.message ?? 'refused');
        break;
    }
  }

  /** Forget the link; tell listeners; come back later unless stopped. */
  #drop(reason: string): void {
    this.#linkId++;
    this.#fallback = null;
    clearTimeout(this.#watchdog);
    this.#link?.close();
    this.#link = null;
    if (this.connected) {
      this.connected = false;
      this.#fire('disconnect', reason);
    }
    if (this.#stopped || this.#retryTimer) return;
    const delay = Math.min(5000, 500 * 2 ** this.#attempts++) * (0.5 + Math.random());
    this.#retryTimer = setTimeout(() => this.#open(true), delay);
  }
}

/** A Wire for one namespace on this page's own server. */
export function liteWire(namespace: Namespace): Wire {
  return new LiteSocket(namespace);
}
