import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir } from '../support/server.ts';
import { copyTree, plainEnv, root, startServerProcess } from './tree.ts';

const work = mkdtempSync(join(tmpdir(), 'cunghoc-first-start-'));
afterAll(() => removeDir(work));

describe('the first `npm start` on a fresh clone', () => {
  it('says it is building, step by step with the time each took, then prints the banner apart from the JSON logs', async () => {
    const tree = join(work, 'tree');
    copyTree(tree, { dist: false });
    // The installed packages of this checkout (a fresh clone after `npm install`), read only.
    symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'));
    const server = startServerProcess(process.execPath, ['scripts/start.mjs'], {
      cwd: tree,
      env: plainEnv({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: join(work, 'data') }),
    });
    let mode: string;
    try {
      ({ mode } = await server.ready);
    } finally {
      await server.stop();
    }
    expect(mode).toBe('production');
    const out = server.out.stdout;
    expect(out).toContain('Lần chạy đầu: đang chuẩn bị Cùng Học');
    expect(out).toContain('First start: building Cùng Học');
    for (const step of ['[1/3] Máy chủ · Server', '[2/3] Trang giảng viên', '[3/3] Trang học viên · Learner page']) {
      expect(out).toMatch(new RegExp(`${step.replace(/[[\]]/g, '\\$&')}.* ✓ xong · done \\(\\d+ s\\)`));
    }
    expect(out).toMatch(/Build finished \(\d+ s\)/);
    // Piped: after the build, stdout is JSON log lines only; the banner (vi, then en) is on stderr.
    const logs = out.slice(out.indexOf('Build finished')).split('\n').slice(1).filter((l) => l.trim());
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) expect(() => void JSON.parse(line), line).not.toThrow();
    const banner = server.out.stderr;
    expect(banner.indexOf('Cùng Học đang chạy.')).toBeGreaterThan(-1);
    expect(banner).toMatch(/Bảng điều khiển của giảng viên[\s\S]*Instructor console[\s\S]*http:\/\/localhost:\d+\/teach\//);
    expect(banner).not.toContain('{"level"');
  });
});
