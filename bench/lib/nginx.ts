/**
 * nginx in front of several server processes, started as a child with its own prefix folder (never
 * the system's), and the small helpers around it: a free port, a poll with a deadline, a GET from a
 * chosen loopback address. Shared by the cluster tests (test/support/cluster.ts) and the festival
 * bench's several-process run (bench/scenarios/festival-cluster.ts).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NGINX = '/usr/sbin/nginx';

/** A free loopback port (closed again at once: the child binds it next). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolvePort(port));
    });
  });
}

/** Poll `check` until it holds, or fail with `what` after `ms`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 15_000,
  every = 50,
): Promise<T> {
  const deadline = Date.now() + ms;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${lastErr ? ` (last error: ${lastErr instanceof Error ? lastErr.message : JSON.stringify(lastErr)})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, every));
  }
}

/** GET through a given local address (127.0.0.x): the status and the headers. */
export function getFrom(
  url: string,
  localAddress?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolveGet, reject) => {
    const req = request(url, { method: 'GET', localAddress, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolveGet({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

export interface Nginx {
  port: number;
  url: string;
  dir: string;
  stop(): Promise<void>;
}

/**
 * nginx in front of `upstreams`: `hash $remote_addr consistent` (a long-polling tablet stays on
 * one process), WebSocket upgrade headers, timeouts above Socket.IO's ping; the same settings as
 * docs/nginx.conf.example. Each answer names the process it came from (X-Upstream) for the tests.
 * `workerConnections` (1024): a bench with thousands of learners needs two per learner (client, upstream).
 */
export async function startNginx(upstreams: number[], opts: { workerConnections?: number } = {}): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'cunghoc-nginx-'));
  for (const sub of ['logs', 'tmp']) mkdirSync(join(dir, sub));
  const port = await freePort();
  const conf = `
worker_processes 1;
worker_rlimit_nofile ${2 * (opts.workerConnections ?? 1024) + 64};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections ${opts.workerConnections ?? 1024}; }
http {
  log_format upstreams '$remote_addr $upstream_addr $status $request_uri';
  access_log ${dir}/logs/access.log upstreams;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  upstream cunghoc {
    hash $remote_addr consistent;
${upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=2s;`).join('\n')}
  }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 30m;
    location / {
      proxy_pass http://cunghoc;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      # Replaced, not appended: a tablet cannot forge the chain (docs/nginx.conf.example, TRUST_PROXY).
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_connect_timeout 2s;
      proxy_read_timeout 60s;
      proxy_send_timeout 60s;
      proxy_buffering off;
      proxy_next_upstream error timeout;
      add_header X-Upstream $upstream_addr always;
    }
  }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const proc = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'logs/error.log')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
  let alive = true;
  const exited = new Promise<void>((r) => proc.once('exit', () => ((alive = false), r())));
  const url = `http://127.0.0.1:${port}`;
  await until(
    'nginx to listen',
    async () => {
      if (!alive) throw new Error(`nginx exited: ${out}`);
      return (await getFrom(`${url}/api/me`)).status > 0;
    },
    15_000,
    50,
  );
  return {
    port,
    url,
    dir,
    stop: async () => {
      if (alive) {
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Which process nginx sends a given client address to (from the X-Upstream header). */
export async function upstreamOf(nginx: Nginx, localAddress: string): Promise<number> {
  const res = await getFrom(`${nginx.url}/api/me`, localAddress);
  const up = String(res.headers['x-upstream'] ?? '');
  // After a failed try nginx lists every upstream it tried: the last one answered.
  const last = up.split(/[ ,]+/).filter(Boolean).at(-1) ?? '';
  return Number(last.split(':').at(-1));
}

/** Client addresses 127.0.0.2… grouped by the upstream port nginx hashes them to, `perNode` each. */
export async function spreadAddresses(nginx: Nginx, ports: number[], perNode: number): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>(ports.map((p) => [p, []]));
  for (let i = 2; i < 250 && [...out.values()].some((a) => a.length < perNode); i++) {
    const address = `127.0.0.${i}`;
    const port = await upstreamOf(nginx, address);
    const list = out.get(port);
    if (list && list.length < perNode) list.push(address);
  }
  for (const [port, list] of out) if (list.length < perNode) throw new Error(`only ${list.length} client addresses hash to ${port}`);
  return out;
}
