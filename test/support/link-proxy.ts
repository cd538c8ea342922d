import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of the real server for the learner page's link tests: it can cut every
 * connection (a Wi-Fi drop), freeze the link (nothing moves, no FIN: a dead access point), hold
 * what the server sends (an ack lost on the way back), refuse WebSocket upgrades (a proxy that
 * does not pass them), and refuse every connection (the server down). Loopback only.
 */
export class LinkProxy {
  readonly #server: Server;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket; dead: boolean }>();
  /** Nothing is forwarded either way, and new connections hang: no data, no FIN. */
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
      const pair = { client, upstream, dead: false };
      this.#pairs.add(pair);
      const forget = () => {
        this.#pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      for (const s of [client, upstream]) {
        s.on('close', forget);
        s.on('error', forget);
      }
      let first = true;
      client.on('data', (chunk) => {
        if (this.frozen || pair.dead) return;
        if (first) {
          first = false;
          if (/^upgrade:\s*websocket/im.test(chunk.toString('latin1'))) {
            if (this.blockWebSocket) return forget();
            this.webSocketUpgrades += 1;
          }
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk) => {
        if (!this.frozen && !pair.dead && !this.dropDown) client.write(chunk);
      });
    });
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

  /** The link comes back for new connections; those frozen stay silent for good, with no FIN (their peers gave up on them). */
  thaw(): void {
    for (const pair of this.#pairs) pair.dead = true;
    this.frozen = false;
  }

  close(): Promise<void> {
    this.cutAll();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
