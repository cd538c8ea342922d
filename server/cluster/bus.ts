import { Redis } from 'ioredis';
import { randomId } from '../lib/ids.ts';

/** A call carried to the node that owns a session: a method of its room and JSON arguments. */
export interface BusRequest {
  sessionId: string;
  method: string;
  args: unknown[];
}

/** Told to every node: a session has a new owner (each node re-announces its sockets of that session). */
export interface BusNotice {
  type: 'owner';
  sessionId: string;
  owner: string;
}

/**
 * Why a request got no answer. `undelivered`: no node listens under that id (it is gone), so the
 * call certainly did not run and may be sent elsewhere; `timeout`: it may have run, the answer is unknown.
 */
export class BusError extends Error {
  readonly reason: 'undelivered' | 'timeout' | 'down' | 'remote';
  constructor(reason: BusError['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

/** Request/reply between the processes of a cluster, addressed by node id. */
export interface Bus {
  readonly nodeId: string;
  request(node: string, body: BusRequest, timeoutMs: number): Promise<unknown>;
  /** To every node, this one included; best effort. */
  notify(notice: BusNotice): void;
  serve(handler: (request: BusRequest) => Promise<unknown>): void;
  /** Is a node listening (false: it is gone)? Rejects when the bus itself is down. */
  alive(node: string): Promise<boolean>;
  onNotice(handler: (notice: BusNotice) => void): void;
  close(): Promise<void>;
}

type Wire =
  | { k: 'req'; id: string; from: string; body: BusRequest }
  | { k: 'res'; id: string; ok: true; value: unknown }
  | { k: 'res'; id: string; ok: false; error: string }
  | { k: 'note'; body: BusNotice }
  | { k: 'noop' };

/**
 * The bus over Redis pub/sub: one channel per node and one for all. Chosen over Socket.IO's
 * serverSideEmit, which asks every node and waits for all of them: a call here goes to one node,
 * PUBLISH says at once whether anyone heard it (0 receivers: the owner is gone), and a lost answer
 * is a timeout the caller turns into a clear error.
 */
export class RedisBus implements Bus {
  readonly nodeId: string;
  readonly #pub: Redis;
  readonly #sub: Redis;
  readonly #prefix: string;
  readonly #pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  #handler: ((request: BusRequest) => Promise<unknown>) | null = null;
  readonly #noticeHandlers: ((notice: BusNotice) => void)[] = [];
  readonly #log: { warn: (obj: object, msg: string) => void };

  constructor(url: string, nodeId: string, prefix: string, log: { warn: (obj: object, msg: string) => void }) {
    this.nodeId = nodeId;
    this.#prefix = prefix;
    this.#log = log;
    // No offline queue on the publishing side: while Redis is down a call fails at once instead of waiting.
    this.#pub = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(n * 200, 2000) });
    this.#sub = new Redis(url, { retryStrategy: (n) => Math.min(n * 200, 2000) });
    for (const client of [this.#pub, this.#sub])
      client.on('error', (err: Error) => this.#log.warn({ err: err.message }, 'redis (bus) connection error'));
    this.#sub.on('messageBuffer', (_channel: Buffer, message: Buffer) => this.#receive(message.toString('utf8')));
    void this.#sub
      .subscribe(this.#nodeChannel(nodeId), this.#allChannel())
      .catch((err: unknown) => this.#log.warn({ err }, 'bus subscribe failed'));
  }

  /** Resolves once both connections are up and subscribed (tests and start-up). */
  async ready(): Promise<void> {
    const up = (c: Redis) => (c.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => c.once('ready', () => resolve())));
    await Promise.all([up(this.#pub), up(this.#sub)]);
    await this.#sub.subscribe(this.#nodeChannel(this.nodeId), this.#allChannel());
  }

  #nodeChannel(node: string): string {
    return `${this.#prefix}:node:${node}`;
  }
  #allChannel(): string {
    return `${this.#prefix}:all`;
  }

  async request(node: string, body: BusRequest, timeoutMs: number): Promise<unknown> {
    const id = randomId(12);
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new BusError('timeout', `no answer from ${node} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
    });
    let heard: number;
    try {
      heard = await this.#pub.publish(this.#nodeChannel(node), JSON.stringify({ k: 'req', id, from: this.nodeId, body } satisfies Wire));
    } catch (err) {
      this.#settle(id);
      throw new BusError('down', `redis unreachable: ${(err as Error).message}`);
    }
    if (heard === 0) {
      this.#settle(id);
      throw new BusError('undelivered', `node ${node} is not listening`);
    }
    return answer;
  }

  #settle(id: string): void {
    const p = this.#pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    this.#pending.delete(id);
  }

  notify(notice: BusNotice): void {
    this.#pub.publish(this.#allChannel(), JSON.stringify({ k: 'note', body: notice } satisfies Wire)).catch((err: unknown) => {
      this.#log.warn({ err: (err as Error).message, notice }, 'bus notice not sent');
    });
  }

  serve(handler: (request: BusRequest) => Promise<unknown>): void {
    this.#handler = handler;
  }

  async alive(node: string): Promise<boolean> {
    return (await this.#pub.publish(this.#nodeChannel(node), JSON.stringify({ k: 'noop' } satisfies Wire))) > 0;
  }

  onNotice(handler: (notice: BusNotice) => void): void {
    this.#noticeHandlers.push(handler);
  }

  #receive(raw: string): void {
    let msg: Wire;
    try {
      msg = JSON.parse(raw) as Wire;
    } catch {
      return;
    }
    if (msg.k === 'noop') return;
    if (msg.k === 'note') {
      for (const h of this.#noticeHandlers) h(msg.body);
      return;
    }
    if (msg.k === 'res') {
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#settle(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new BusError('remote', msg.error));
      return;
    }
    const handler = this.#handler;
    const reply = (w: Wire) =>
      void this.#pub.publish(this.#nodeChannel(msg.from), JSON.stringify(w)).catch((err: unknown) => {
        this.#log.warn({ err: (err as Error).message }, 'bus answer not sent');
      });
    if (!handler) return reply({ k: 'res', id: msg.id, ok: false, error: 'not_owner' });
    handler(msg.body).then(
      (value) => reply({ k: 'res', id: msg.id, ok: true, value: value ?? null }),
      (err: unknown) => reply({ k: 'res', id: msg.id, ok: false, error: err instanceof Error ? err.message : 'internal' }),
    );
  }

  async close(): Promise<void> {
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new BusError('down', 'bus closed'));
      this.#pending.delete(id);
    }
    this.#sub.disconnect();
    this.#pub.disconnect();
  }
}

/** An in-process bus between the nodes of one test: the same contract without Redis. */
export class MemoryHub {
  readonly nodes = new Map<string, MemoryBus>();
  bus(nodeId: string): MemoryBus {
    const bus = new MemoryBus(this, nodeId);
    this.nodes.set(nodeId, bus);
    return bus;
  }
}

export class MemoryBus implements Bus {
  readonly nodeId: string;
  readonly #hub: MemoryHub;
  handler: ((request: BusRequest) => Promise<unknown>) | null = null;
  readonly noticeHandlers: ((notice: BusNotice) => void)[] = [];
  constructor(hub: MemoryHub, nodeId: string) {
    this.#hub = hub;
    this.nodeId = nodeId;
  }
  async request(node: string, body: BusRequest, timeoutMs: number): Promise<unknown> {
    const target = this.#hub.nodes.get(node);
    if (!target) throw new BusError('undelivered', `node ${node} is not listening`);
    const handler = target.handler;
    if (!handler) throw new BusError('remote', 'not_owner');
    // A round trip through JSON, as over Redis: nothing shared by reference.
    const copy = JSON.parse(JSON.stringify(body)) as BusRequest;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BusError('timeout', `no answer from ${node}`)), timeoutMs);
    });
    try {
      const value = await Promise.race([handler(copy), timeout]);
      return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown);
    } catch (err) {
      if (err instanceof BusError) throw err;
      throw new BusError('remote', err instanceof Error ? err.message : 'internal');
    } finally {
      clearTimeout(timer);
    }
  }
  notify(notice: BusNotice): void {
    for (const node of this.#hub.nodes.values()) for (const h of node.noticeHandlers) queueMicrotask(() => h(notice));
  }
  serve(handler: (request: BusRequest) => Promise<unknown>): void {
    this.handler = handler;
  }
  async alive(node: string): Promise<boolean> {
    return this.#hub.nodes.has(node);
  }
  onNotice(handler: (notice: BusNotice) => void): void {
    this.noticeHandlers.push(handler);
  }
  async close(): Promise<void> {
    if (this.#hub.nodes.get(this.nodeId) === this) this.#hub.nodes.delete(this.nodeId);
  }
}
