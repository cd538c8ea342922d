import { mkdirSync, mkdtempSync, readdirSync, existsSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir } from '../support/server.ts';
import { root, run } from './tree.ts';
// @ts-expect-error: a plain .mjs build script, without types
import { fetchNode } from '../../scripts/node-build.mjs';

const work = mkdtempSync(join(tmpdir(), 'cunghoc-release-test-'));
afterAll(() => removeDir(work));

describe('the offline release', () => {
  it('unpacked with PATH holding only Node.js and no network, serves the pages; a learner joins and answers', async () => {
    // With better-sqlite3 for Node.js 24 as well (compiled once, then cached): the same archive runs on both.
    const made = await run(process.execPath, [join(root, 'scripts/release.mjs'), '--out', join(work, 'out'), '--node', '24'], { cwd: root });
    expect(made.code, made.stderr).toBe(0);
    const archive = readdirSync(join(work, 'out')).find((f) => f.endsWith(`-${process.platform}-${process.arch}.tar.gz`));
    expect(archive).toBeDefined();

    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    expect((await run('tar', ['-xzf', join(work, 'out', archive!), '-C', unpacked], { cwd: work })).code).toBe(0);
    const [folder] = readdirSync(unpacked);
    const dir = join(unpacked, folder);
    for (const f of ['start.sh', 'start.cmd', 'ĐỌC TRƯỚC.txt', 'dist/server/server/main.js', 'dist/client/index.html', 'lessons', 'node_modules/better-sqlite3']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    // No sources, no build tools, no test tools in the archive.
    for (const f of ['server', 'client', 'test', 'node_modules/vite', 'node_modules/typescript', 'node_modules/tsx', 'node_modules/vitest']) {
      expect(existsSync(join(dir, f)), f).toBe(false);
    }

    const node24 = (fetchNode as (line: string) => { bin: string; version: string })('24');
    for (const [name, bin] of [
      ['node24', node24.bin],
      ['node-here', process.execPath],
    ] as const) {
      const nodeOnly = join(work, name);
      mkdirSync(nodeOnly);
      symlinkSync(bin, join(nodeOnly, 'node'));
      // A network namespace of its own, with only loopback: the release must not reach for anything else.
      const drive = await run(
        '/usr/bin/unshare',
        [
          // As root a new network namespace; otherwise inside a user namespace of our own.
          ...(process.getuid?.() === 0 ? ['-n'] : ['-r', '-n']),
          '/bin/sh',
          '-c',
          '/usr/sbin/ip link set lo up && exec "$0" "$@"',
          process.execPath,
          join(root, 'test/support/release-drive.mjs'),
          dir,
          nodeOnly,
          join(work, `data-${name}`),
        ],
        { cwd: work },
      );
      expect(drive.stderr).toBe('');
      const seen = JSON.parse(drive.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
      expect(seen.error).toBeUndefined();
      expect(seen).toMatchObject({
        node: name === 'node24' ? `v${node24.version}` : process.version,
        banner: true,
        root: 200,
        teach: 200,
        rootHasApp: true,
        joined: true,
        answered: { kind: 'single', option: 'khong' },
        staffAnswered: 1,
      });
      expect(seen.output).not.toMatch(/not found|error/i);

      // The backup command works in the release too, with nothing but Node.js.
      const backup = await run('node', ['scripts/backup.mjs', 'backup', join(work, `${name}.tar.gz`)], {
        cwd: dir,
        env: { PATH: nodeOnly, DATA_DIR: join(work, `data-${name}`) },
      });
      expect(backup.stdout).toContain('Backed up');
      expect(backup.code).toBe(0);
    }
  });
});
