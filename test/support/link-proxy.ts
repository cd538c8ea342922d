import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of the real server for the learner page's link tests: it can cut every
 * connection (a Wi-Fi drop), freeze the link (nothing moves, no FIN: a dead access point), hold
 * what the server sends (an ack lost on the way back), refuse WebSocket upgrades (a proxy that
 * does not pass them), and refuse every connection (the server down). Loopback only.
 */
export class LinkProxy {
  readonly #server: Server;
  readonly #pairs = new Set<Pair>();
  /**
   * Nothing is forwarded either way, and no FIN goes out. A connection opened meanwhile waits, as its
   * SYN would, and goes through once the link thaws; those open before the freeze stay silent for good.
   */
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
      const upstream = connect(this.targetPort, '127.0.0.1');
      const pair: Pair = { client, upstream, dead: false, held: this.frozen ? [] : null, first: true };
      this.#pairs.add(pair);
      const forget = () => {
        this.#pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      pair.forget = forget;
      for (const s of [client, upstream]) {
        s.on('close', forget);
        s.on('error', forget);
      }
      client.on('data', (chunk) => {
        if (pair.dead) return;
        if (pair.held) return void pair.held.push(chunk);
        if (!this.frozen) this.#up(pair, chunk);
      });
      upstream.on('data', (chunk) => {
        if (!this.frozen && !pair.dead && !this.dropDown) client.write(chunk);
      });
    });
  }

  /** Page → server: the first chunk says whether the connection asks to become a WebSocket. */
  #up(pair: Pair, chunk: Buffer): void {
    if (pair.first) {
      pair.first = false;
      if (/^upgrade:\s*websocket/im.test(chunk.toString('latin1'))) {
        if (this.blockWebSocket) return pair.forget?.();
        this.webSocketUpgrades += 1;
      }
    }
    pair.upstream.write(chunk);
  }

  listen(): Promise<number> {
    return new Promise((resolve) => this.#server.listen(0, '127.0.0.1', () => resolve((this.#server.address() as { port: number }).port)));
  }

  /** Cut every open connection now, as a Wi-Fi drop does (the browser sees them close). */
  cutAll(): void {
    for (const { client, upstream } of [...this.#pairs]) {
      client.destroy();
      upstream.destroy();
    }
  }

  /**
   * The link is back: connections opened while frozen go through with what they had sent; those open
   * before stay silent for good, with no FIN (their peers gave up on them).
   */
  thaw(): void {
    this.frozen = false;
    for (const pair of [...this.#pairs]) {
      if (!pair.held) {
        pair.dead = true;
        continue;
      }
      const held = pair.held;
      pair.held = null;
      for (const chunk of held) if (!pair.dead) this.#up(pair, chunk);
    }
  }

  close(): Promise<void> {
    this.cutAll();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

interface Pair {
  client: Socket;
  upstream: Socket;
  /** Frozen, then thawed: nothing moves on it again. */
  dead: boolean;
  /** Opened while frozen: what the page sent, forwarded at the thaw. */
  held: Buffer[] | null;
  first: boolean;
  forget?: () => void;
}
