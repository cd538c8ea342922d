// npm run build: the server (TypeScript → dist/server) and the client (Vite → dist/client), with progress.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const root = resolve(import.meta.dirname, '..');
export const infoFile = join(root, 'dist/build-info.json');

/** What each part of the build is made from: a change in any of these makes that part stale. */
const inputs = {
  server: ['server', 'shared', 'tsconfig.json', 'tsconfig.build.json'],
  client: ['client', 'shared', 'vite.config.ts', 'svelte.config.js', 'scripts/vite-plugins.ts'],
};

/**
 * The steps, in order, with what they print (Vietnamese · English). A step added later (e.g. writing
 * pre-compressed copies after the client build) goes in this list, in its part.
 */
const steps = [
  {
    part: 'server',
    label: 'Máy chủ · Server',
    run: () => [tool('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    before: () => rmSync(join(root, 'dist/server'), { recursive: true, force: true }),
  },
  {
    part: 'client',
    label: 'Trang giảng viên, màn chiếu, trợ giảng · Staff pages',
    run: () => [tool('vite/bin/vite.js'), 'build', '--logLevel', 'warn'],
  },
  {
    part: 'client',
    label: 'Trang học viên · Learner page',
    run: () => [tool('vite/bin/vite.js'), 'build', '--mode', 'learner', '--logLevel', 'warn'],
  },
];

const tool = (path) => join(root, 'node_modules', path);

/** Are the build tools (devDependencies) installed? Not in a release nor after `npm ci --omit=dev`. */
export const canBuild = () => existsSync(tool('typescript/bin/tsc')) && existsSync(tool('vite/bin/vite.js'));

/** Content hash of a part's sources (by content, not file time: copying or unzipping changes nothing); null without sources. */
export function sourceHash(part) {
  if (!existsSync(join(root, 'server')) || !existsSync(join(root, 'client'))) return null;
  const hash = createHash('sha256');
  const add = (path) => {
    if (!existsSync(path)) return;
    const entries = readdirSync(path, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const p = join(path, e.name);
      if (e.name === 'node_modules') continue;
      if (e.isDirectory()) add(p);
      else if (e.isFile()) hash.update(relative(root, p)).update('\0').update(readFileSync(p)).update('\0');
    }
  };
  for (const input of inputs[part]) {
    const p = join(root, input);
    if (!existsSync(p)) continue;
    if (readdirSafe(p)) add(p);
    else hash.update(input).update('\0').update(readFileSync(p)).update('\0');
  }
  return hash.digest('hex');
}

const readdirSafe = (p) => {
  try {
    readdirSync(p);
    return true;
  } catch {
    return false;
  }
};

export function readInfo() {
  try {
    return JSON.parse(readFileSync(infoFile, 'utf8'));
  } catch {
    return {};
  }
}

/** The parts that are missing, or built from other sources than the ones here. */
export function staleParts() {
  const info = readInfo();
  const built = { server: join(root, 'dist/server/server/main.js'), client: join(root, 'dist/client/index.html') };
  return Object.keys(inputs).filter((part) => {
    if (!existsSync(built[part])) return true;
    const now = sourceHash(part);
    return now !== null && info[part] !== now;
  });
}

const seconds = (ms) => `${Math.round(ms / 1000)} s`;

function runStep(args, label, index, total, out) {
  const head = `[${index}/${total}] ${label}`;
  const started = Date.now();
  // In a terminal the line counts the seconds; in a log file it is one line at the start and one at the end.
  const ticking = out.isTTY === true;
  let timer;
  if (ticking) {
    out.write(`  ${head} …`);
    timer = setInterval(() => out.write(`\r  ${head} … ${seconds(Date.now() - started)}`), 1000);
  } else out.write(`  ${head} …\n`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => {
      clearInterval(timer);
      const took = seconds(Date.now() - started);
      if (code === 0) {
        out.write(ticking ? `\r  ${head} ✓ xong · done (${took})\n` : `  ${head} ✓ xong · done (${took})\n`);
        resolvePromise();
      } else {
        out.write(`${ticking ? '\n' : ''}  ${head} ✗ lỗi · failed (exit ${code})\n`);
        reject(new Error(`${label}: exit ${code}`));
      }
    });
  });
}

/** Build the given parts (both by default); records each part's source hash in dist/build-info.json. */
export async function build(parts = Object.keys(inputs), out = process.stdout) {
  const todo = steps.filter((s) => parts.includes(s.part));
  const hashes = Object.fromEntries(parts.map((p) => [p, sourceHash(p)]));
  const started = Date.now();
  for (const [i, step] of todo.entries()) {
    step.before?.();
    await runStep(step.run(), step.label, i + 1, todo.length, out);
  }
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(infoFile, JSON.stringify({ ...readInfo(), ...hashes, builtAt: new Date().toISOString() }, null, 2) + '\n');
  out.write(`  Đã xây dựng xong · Build finished (${seconds(Date.now() - started)})\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const only = process.argv
    .find((a) => a.startsWith('--only='))
    ?.slice('--only='.length)
    .split(',');
  const { checkImports } = await import('./check-imports.mjs');
  const problems = checkImports();
  if (problems.length > 0) {
    for (const p of problems) console.error(p);
    process.exit(1);
  }
  try {
    await build(only);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
