import { spawn } from 'node:child_process';
import { cpSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '../..');

/** A copy of the project as a fresh clone has it (no node_modules, data or test output), with or without dist/. */
export function copyTree(into: string, opts: { dist: boolean }): void {
  const skip = new Set(['node_modules', '.git', 'data', 'test-results', 'release', ...(opts.dist ? [] : ['dist'])]);
  for (const entry of readdirSync(root)) if (!skip.has(entry)) cpSync(join(root, entry), join(into, entry), { recursive: true });
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command to its end; `until` stops it (SIGTERM) once its output says so. */
export function run(
  command: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; until?: (out: string, err: string) => boolean },
): Promise<Run> {
  return new Promise((res, rej) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const check = () => {
      if (opts.until?.(stdout, stderr)) child.kill('SIGTERM');
    };
    child.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), check()));
    child.stderr.on('data', (d: Buffer) => ((stderr += d.toString()), check()));
    child.once('error', rej);
    child.once('exit', (code) => res({ code, stdout, stderr }));
  });
}

/** The environment without what vitest sets (NODE_ENV=test), as a person's shell has it. */
export function plainEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.NODE_ENV;
  delete env.VITEST;
  return env;
}

/** Start a server process; `ready` resolves with the port from its JSON "listening" log line. */
export function startServerProcess(command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }) {
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  const ready = new Promise<{ port: number; mode: string }>((res, rej) => {
    child.stdout.on('data', (d: Buffer) => {
      out.stdout += d.toString();
      for (const line of out.stdout.split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { msg?: string; port?: number; mode?: string };
        if (entry.msg === 'listening') res({ port: entry.port!, mode: entry.mode! });
      }
    });
    child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
    child.once('exit', (code) => rej(new Error(`exited ${code}: ${out.stdout}${out.stderr}`)));
  });
  const stop = () =>
    new Promise<void>((res) => {
      if (child.exitCode !== null) return res();
      child.once('exit', () => res());
      child.kill('SIGTERM');
    });
  return { child, out, ready, stop };
}
