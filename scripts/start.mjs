// npm start: build the client when it is missing or older than its sources, then run the server.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const built = join(root, 'dist/client/index.html');

function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const stale =
  !existsSync(built) ||
  Math.max(newest(join(root, 'client')), newest(join(root, 'shared'))) > statSync(built).mtimeMs;
if (stale) {
  console.log('Building the client…');
  // The staff pages first (this empties dist/client), then the learner page on its own.
  for (const extra of [[], ['--mode', 'learner']]) {
    const r = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn', ...extra], {
      cwd: root,
      stdio: 'inherit',
    });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}

const { register } = await import('tsx/esm/api');
register();
await import('../server/main.ts');
