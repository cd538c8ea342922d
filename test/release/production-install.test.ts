import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir } from '../support/server.ts';
import { copyTree, plainEnv, root, run, startServerProcess } from './tree.ts';

const work = mkdtempSync(join(tmpdir(), 'cunghoc-prod-install-'));
afterAll(() => removeDir(work));

describe('a production install', () => {
  it('`npm ci --omit=dev` on a built tree, then `npm start`, runs the built server in production mode', async () => {
    // The built tree here, as a fresh clone after `npm run build`, in a folder of its own (never the shared node_modules).
    expect(existsSync(join(root, 'dist/server/server/main.js')) && existsSync(join(root, 'dist/client/index.html'))).toBe(true);
    const tree = join(work, 'tree');
    copyTree(tree, { dist: true });
    const install = await run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: tree });
    expect(install.code, install.stderr).toBe(0);
    for (const dev of ['vite', 'typescript', 'tsx', 'vitest', 'svelte']) expect(existsSync(join(tree, 'node_modules', dev)), dev).toBe(false);

    const server = startServerProcess('npm', ['start'], {
      cwd: tree,
      env: plainEnv({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: join(work, 'data'), LOG_FORMAT: 'json' }),
    });
    try {
      const { port, mode } = await server.ready;
      expect(mode).toBe('production');
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/teach/`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/api/info`)).status).toBe(200);
    } finally {
      await server.stop();
    }
    expect(server.out.stderr).toContain('Cùng Học is running');
    expect(server.out.stdout).not.toContain('Lần chạy đầu');
  });
});
