import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A free port below the kernel's ephemeral range (32768 and up on Linux), for a server a test restarts
 * on the same port. Within that range, a client connecting to the port while the server is down can be
 * given it as its own source port (TCP self-connect) and hold it, and another process's listen(0) can
 * take it: the restart then fails with EADDRINUSE.
 */
export async function restartablePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/**
 * A TCP proxy in front of the real server for the learner page's link tests: it can cut every
 * connection (a Wi-Fi drop), freeze the link (nothing moves, no FIN: a dead access point), hold
 * what the server sends (an ack lost on the way back), refuse WebSocket upgrades (a proxy that
 * does not pass them), and refuse every connection (the server down). Loopback only.
 *
 * A freeze as TCP lives it: while frozen nothing crosses, not even a FIN. A connection opened
 * meanwhile waits, as its SYN would, and goes through at the thaw. One open before the freeze is out
 * of step for good (what it carried is lost, and its far end gave up on it or will): it never
 * delivers again, and the page's next segment on it (or, at the thaw, the one it retransmits) is
 * answered with a reset, as by a peer that no longer knows the connection. So a browser that reuses
 * a kept-alive connection after the thaw learns at once that it is gone, and a page that sends
 * nothing hears nothing.
 */
export class LinkProxy {
  readonly #server: Server;
  readonly #pairs = new Set<Pair>();
  /** Nothing is forwarded either way, no FIN either; new connections wait for the thaw. */
  frozen = false;
  /** Server → page data is swallowed (never delivered). */
  dropDown = false;
  /** A request asking for `Upgrade: websocket` is cut. */
  blockWebSocket = false;
  /** New connections are reset at once. */
  refuse = false;
  /** Requests that upgraded to WebSocket through this proxy. */
  webSocketUpgrades = 0;
  targetPort: number;

  constructor(targetPort: number) {
    this.targetPort = targetPort;
    this.#server = createServer((client) => {
      if (this.refuse) return void client.resetAndDestroy();
      const pair: Pair = { client, upstream: null, dead: false, lost: false, held: [], first: true };
      this.#pairs.add(pair);
      client.on('close', () => this.#forget(pair));
      client.on('error', () => this.#forget(pair));
      client.on('data', (chunk) => {
        if (pair.dead) return this.#reset(pair);
        if (pair.held) return void pair.held.push(chunk);
        if (this.frozen) pair.lost = true;
        else this.#up(pair, chunk);
      });
      if (!this.frozen) this.#open(pair);
    });
  }

  /** The connection reaches the server, with what the page sent while it waited. */
  #open(pair: Pair): void {
    const upstream = connect(this.targetPort, '127.0.0.1');
    pair.upstream = upstream;
    const closed = () => {
      // No FIN crosses a frozen link, nor a connection out of step: the page finds out when it sends.
      if (this.frozen || pair.dead) {
        pair.dead = true;
        upstream.destroy();
      } else this.#forget(pair);
    };
    upstream.on('close', closed);
    upstream.on('error', closed);
    upstream.on('data', (chunk) => {
      if (!this.frozen && !pair.dead && !this.dropDown) pair.client.write(chunk);
    });
    const held = pair.held ?? [];
    pair.held = null;
    for (const chunk of held) if (!pair.dead) this.#up(pair, chunk);
  }

  /** Page → server: the first chunk says whether the connection asks to become a WebSocket. */
  #up(pair: Pair, chunk: Buffer): void {
    if (pair.first) {
      pair.first = false;
      if (/^upgrade:\s*websocket/im.test(chunk.toString('latin1'))) {
        if (this.blockWebSocket) return this.#forget(pair);
        this.webSocketUpgrades += 1;
      }
    }
    pair.upstream?.write(chunk);
  }

  #forget(pair: Pair): void {
    this.#pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  }

  #reset(pair: Pair): void {
    this.#pairs.delete(pair);
    pair.client.resetAndDestroy();
    pair.upstream?.destroy();
  }

  listen(): Promise<number> {
    return new Promise((resolve) => this.#server.listen(0, '127.0.0.1', () => resolve((this.#server.address() as { port: number }).port)));
  }

  /** Cut every open connection now, as a Wi-Fi drop does (the browser sees them close). */
  cutAll(): void {
    for (const pair of [...this.#pairs]) this.#forget(pair);
  }

  /** The link is back: connections opened while frozen go through; those open before are out of step for good. */
  thaw(): void {
    this.frozen = false;
    for (const pair of [...this.#pairs]) {
      if (pair.held) this.#open(pair);
      else if (pair.lost)
        this.#reset(pair); // its retransmission meets a peer that gave up
      else pair.dead = true;
    }
  }

  close(): Promise<void> {
    this.cutAll();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

interface Pair {
  client: Socket;
  /** Connected once the link lets the connection through. */
  upstream: Socket | null;
  /** Open across a freeze: it never delivers again, and the page's next segment is reset. */
  dead: boolean;
  /** The page sent on it while frozen: the segment it retransmits at the thaw is answered with a reset. */
  lost: boolean;
  /** Opened while frozen: what the page sent, for the server once the link thaws. */
  held: Buffer[] | null;
  first: boolean;
}
