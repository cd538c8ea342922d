/**
 * Child processes of the harness: every server and load worker is a Node process running TypeScript
 * through tsx, pinned with taskset to its cores, with an IPC channel for requests and reports. All
 * are killed when the harness exits, whatever the reason (normal end, error, SIGINT, SIGTERM).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '../..');

const live = new Set<ChildProcess>();
let hooked = false;

function killAll(): void {
  for (const proc of live) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  live.clear();
}

/** Kill every child on exit, on SIGINT/SIGTERM and on an uncaught error. */
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      console.error(`\nbench: ${signal}, stopping every child process`);
      killAll();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    console.error('bench: uncaught error:', err);
    killAll();
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    console.error('bench: unhandled rejection:', err);
    killAll();
    process.exit(1);
  });
}

export const hasTaskset = (): boolean => spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;

/** Pin the calling process (all its threads) to these cores. */
export function pinSelf(cores: string): boolean {
  return spawnSync('taskset', ['-a', '-p', '-c', cores, String(process.pid)], { stdio: 'ignore' }).status === 0;
}

export interface ChildOptions {
  name: string;
  /** Script path relative to the repository root. */
  script: string;
  /** taskset core list ("0", "1-3"), or null not to pin. */
  cores: string | null;
  env?: Record<string, string>;
  nodeArgs?: string[];
}

type Message = { type: string; id?: number; [key: string]: unknown };

export class Child {
  readonly name: string;
  readonly proc: ChildProcess;
  #nextId = 1;
  readonly #waiting = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  readonly #listeners = new Map<string, Set<(m: Message) => void>>();
  #exited: Promise<number | null>;

  constructor(opts: ChildOptions) {
    hookExit();
    this.name = opts.name;
    const node = [process.execPath, '--import', 'tsx', ...(opts.nodeArgs ?? []), opts.script];
    // Raise the open-files limit to the hard limit (thousands of sockets), then exec the pinned node.
    const command = [
      '-c',
      'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"',
      'sh',
      ...(opts.cores !== null ? ['taskset', '-c', opts.cores] : []),
      ...node,
    ];
    this.proc = spawn('/bin/sh', command, {
      cwd: root,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    live.add(this.proc);
    this.#exited = new Promise((resolveExit) => {
      this.proc.once('exit', (code) => {
        live.delete(this.proc);
        for (const [, w] of this.#waiting) {
          clearTimeout(w.timer);
          w.reject(new Error(`${this.name} exited (code ${code}) before answering`));
        }
        this.#waiting.clear();
        resolveExit(code);
      });
    });
    this.proc.on('message', (raw) => {
      const msg = raw as Message;
      if (msg.id !== undefined && this.#waiting.has(msg.id) && msg.type !== 'event') {
        const w = this.#waiting.get(msg.id)!;
        this.#waiting.delete(msg.id);
        clearTimeout(w.timer);
        if (msg.type === 'error') w.reject(new Error(`${this.name}: ${String(msg.message)}`));
        else w.resolve(msg);
        return;
      }
      for (const listener of this.#listeners.get(msg.type) ?? []) listener(msg);
    });
  }

  /** Send a request and wait for the answer with the same id. */
  request<T>(msg: Message, timeoutMs = 60_000): Promise<T & Message> {
    const id = this.#nextId++;
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`${this.name}: no answer to ${msg.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, { resolve: resolvePromise as (m: Message) => void, reject, timer });
      this.proc.send({ ...msg, id });
    });
  }

  send(msg: Message): void {
    this.proc.send(msg);
  }

  on(type: string, listener: (m: Message) => void): () => void {
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** The next unsolicited message of this type. */
  next<T>(type: string, timeoutMs = 60_000): Promise<T & Message> {
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`${this.name}: no ${type} within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.on(type, (m) => {
        clearTimeout(timer);
        off();
        resolvePromise(m as T & Message);
      });
      void this.#exited.then((code) => {
        clearTimeout(timer);
        off();
        reject(new Error(`${this.name} exited (code ${code}) while waiting for ${type}`));
      });
    });
  }

  /** Ask the child to exit cleanly (so --cpu-prof writes its profile); kill it if it does not. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.send({ type: 'exit' });
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    await this.#exited;
    clearTimeout(timer);
  }
}
