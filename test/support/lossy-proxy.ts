import { createServer, connect, type Server, type Socket } from 'node:net';

/** Seeded PRNG (mulberry32), so a failing run replays. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Faults {
  /** Added one-way latency, ms, plus up to `jitterMs`. Order within a connection is kept. */
  latencyMs: number;
  jitterMs: number;
  /** Chance per forwarded chunk that the connection is cut (both sides destroyed). */
  cutChance: number;
  /** Chance per chunk of a stall: nothing moves on that connection for `stallMs`. */
  stallChance: number;
  stallMs: number;
}

/** A TCP proxy for tests that injects latency, jitter, stalls and cut connections. Loopback only. */
export class LossyProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #random: () => number;
  cuts = 0;
  stalls = 0;
  faults: Faults;

  constructor(targetPort: number, faults: Faults, seed: number) {
    this.faults = faults;
    this.#random = seeded(seed);
    this.#server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      this.#track(client);
      this.#track(upstream);
      this.#pipe(client, upstream);
      this.#pipe(upstream, client);
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve) => this.#server.listen(0, '127.0.0.1', () => resolve((this.#server.address() as { port: number }).port)));
  }

  /** Cut every open connection now (a Wi-Fi drop for the whole room). */
  cutAll(): void {
    for (const s of this.#sockets) s.destroy();
  }

  close(): Promise<void> {
    this.cutAll();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #track(s: Socket): void {
    this.#sockets.add(s);
    s.on('close', () => this.#sockets.delete(s));
    s.on('error', () => s.destroy());
  }

  #pipe(from: Socket, to: Socket): void {
    let releaseAt = 0;
    const cut = () => {
      from.destroy();
      to.destroy();
    };
    from.on('close', () => to.destroy());
    from.on('data', (chunk) => {
      const f = this.faults;
      if (this.#random() < f.cutChance) {
        this.cuts += 1;
        return cut();
      }
      let delay = f.latencyMs + this.#random() * f.jitterMs;
      if (this.#random() < f.stallChance) {
        this.stalls += 1;
        delay += f.stallMs;
      }
      releaseAt = Math.max(releaseAt, Date.now() + delay);
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
      }, releaseAt - Date.now());
    });
  }
}
