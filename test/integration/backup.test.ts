import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, statSync, mkdirSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BackupStatus, StaffView } from '../../shared/protocol/views.ts';
import { openSqliteStore } from '../../server/store/sqlite.ts';
import { call, staffSocket, unwrap } from '../support/sockets.ts';
import { api, removeDir, setupInstructor, useServers } from '../support/server.ts';

const root = resolve(import.meta.dirname, '../..');
const servers = useServers();

/** `npm run backup|restore -- <file>` as an IT volunteer runs it, against DATA_DIR. */
function cli(command: 'backup' | 'restore', file: string, dataDir: string): Promise<{ code: number; out: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [join(root, 'scripts/backup.mjs'), command, file], {
      cwd: root,
      env: { ...process.env, DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => res({ code: code ?? 1, out }));
  });
}

const question = { id: 'q-burst', kind: 'text', prompt: 'Gõ một chữ', accepted: ['x'], ignoreDiacritics: true } as const;

describe('backup and restore', () => {
  it('a backup taken during a burst of answers holds every answer acknowledged before it began, and restores into a server that starts', async () => {
    // The burst is a script changing answers as fast as the server acks: lift the per-learner rates it would meet.
    const limits = {
      commandsPerSocketPerSecond: 1_000_000,
      learnerPerMinute: { help: 20, done: 60, navigate: 120, answer: 1_000_000, ping: 20, move: 180 },
    };
    const joined = await servers.startClass({ server: { limits }, learners: 10, together: true, name: (i) => `HV ${i}`, push: 0 });
    const { server, session, staff } = joined;
    const learners = joined.learners.map((l) => l.socket);
    const { runId } = unwrap(
      await call<{ runId: string }>(staff, 'quiz:open', { sessionId: session.id, source: { question }, timeLimit: null }),
    );

    // Every learner keeps changing their answer (each change is a new event) until the backup is done.
    const acked: { answerId: string; at: number }[] = [];
    let backupDone = false;
    const burst = learners.map(async (socket, i) => {
      for (let k = 0; !backupDone; k++) {
        const answerId = `burst-${i}-${k}`;
        unwrap(await call(socket, 'quiz:answer', { runId, answerId, value: { kind: 'text', text: `t${k}` } }));
        acked.push({ answerId, at: performance.now() });
      }
    });
    await expect.poll(() => acked.length, { timeout: 10_000 }).toBeGreaterThan(50);

    const work = mkdtempSync(join(tmpdir(), 'cunghoc-backup-test-'));
    const file = join(work, 'lop.tar.gz');
    const began = performance.now();
    const before = new Set(acked.filter((a) => a.at < began).map((a) => a.answerId));
    const backup = await cli('backup', file, server.dataDir);
    const ended = performance.now();
    backupDone = true;
    await Promise.all(burst);
    expect(backup.out).toContain('Backed up');
    expect(backup.code).toBe(0);
    // The backup did run while classes answered.
    expect(acked.filter((a) => a.at > began && a.at < ended).length).toBeGreaterThan(0);

    const restored = join(work, 'data');
    const restore = await cli('restore', file, restored);
    expect(restore.out).toContain('Restored');
    expect(restore.code).toBe(0);

    // The restored folder starts a server that has the open session with the quiz and its answers.
    const again = await servers.start({ dataDir: restored });
    const { cookie: cookie2 } = await api(again.url, 'POST', '/api/auth/login', { username: 'giangvien', password: 'mat-khau-du-dai' });
    expect(cookie2).toBeTruthy();
    const staff2 = staffSocket(again.url, cookie2!);
    const view = unwrap(await call<StaffView>(staff2, 'staff:watch', { sessionId: session.id }));
    expect(view.quiz).toMatchObject({ runId, answered: 10 });
    await again.stop();

    const store = openSqliteStore(restored);
    const inBackup = new Set((await store.loadEvents(session.id)).flatMap((e) => (e.type === 'quiz:answered' ? [e.answerId] : [])));
    await store.close();
    const lost = [...before].filter((id) => !inBackup.has(id));
    expect(before.size).toBeGreaterThan(50);
    expect(lost).toEqual([]);
    removeDir(work);
  }, 60_000);

  it('refuses a truncated file, a foreign file and a data folder that is not empty, changing nothing', async () => {
    const server = await servers.start();
    await setupInstructor(server.url);
    mkdirSync(join(server.dataDir, 'media'), { recursive: true });
    writeFileSync(join(server.dataDir, 'media', 'abc123.png'), 'not really a png');
    const work = mkdtempSync(join(tmpdir(), 'cunghoc-backup-test-'));
    const file = join(work, 'good.tar.gz');
    expect((await cli('backup', file, server.dataDir)).code).toBe(0);

    const good = readFileSync(file);
    const cut = join(work, 'cut.tar.gz');
    writeFileSync(cut, good.subarray(0, Math.floor(good.length * 0.6)));
    const target = join(work, 'target');
    const truncated = await cli('restore', cut, target);
    expect(truncated.code).toBe(1);
    expect(truncated.out).toContain('The backup is damaged or incomplete');
    expect(existsSync(target)).toBe(false);

    // One flipped byte inside the database: the checksum says so.
    const flipped = join(work, 'flipped.tar.gz');
    const { gunzipSync, gzipSync } = await import('node:zlib');
    const tar = gunzipSync(good);
    tar[4096] ^= 0xff;
    writeFileSync(flipped, gzipSync(tar));
    const bad = await cli('restore', flipped, target);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('damaged');

    const foreign = await cli('restore', join(root, 'package.json'), target);
    expect(foreign.code).toBe(1);
    expect(foreign.out).toContain('This file is not a Cùng Học backup');
    expect(existsSync(target)).toBe(false);

    const busy = await cli('restore', file, server.dataDir);
    expect(busy.code).toBe(1);
    expect(busy.out).toContain('is not empty');

    // The good file restores, pictures included.
    const ok = await cli('restore', file, target);
    expect(ok.code).toBe(0);
    expect(readFileSync(join(target, 'media', 'abc123.png'), 'utf8')).toBe('not really a png');
    expect(readdirSync(work).filter((f) => f.includes('restoring'))).toEqual([]);
    removeDir(work);
  }, 60_000);

  it('the console downloads a backup for a signed-in instructor and tells when the last one was taken', async () => {
    const server = await servers.start();
    const { cookie } = await setupInstructor(server.url);
    expect((await fetch(`${server.url}/api/backup`)).status).toBe(401);
    const never = await api<BackupStatus>(server.url, 'GET', '/api/backup/status', undefined, cookie);
    expect(never.ack).toEqual({ ok: true, data: { lastAt: null } });

    const res = await fetch(`${server.url}/api/backup`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="?cunghoc-sao-luu-\d{4}-\d\d-\d\d-\d{4}\.tar\.gz"?$/);
    const work = mkdtempSync(join(tmpdir(), 'cunghoc-backup-test-'));
    const file = join(work, 'download.tar.gz');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    expect(statSync(file).size).toBeGreaterThan(1000);
    expect((await cli('restore', file, join(work, 'data'))).code).toBe(0);

    const status = await api<BackupStatus>(server.url, 'GET', '/api/backup/status', undefined, cookie);
    expect(status.ack.ok && status.ack.data.lastAt).toBeGreaterThan(Date.now() - 60_000);
    removeDir(work);
  });
});
