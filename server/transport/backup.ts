import express from 'express';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { fail } from '../../shared/protocol/errors.ts';
import type { BackupStatus } from '../../shared/protocol/views.ts';
import { createBackup, lastBackupAt } from '../store/backup.ts';
import { signedInOnly, type Auth } from './auth.ts';
import { send } from './respond.ts';

/** `cunghoc-sao-luu-2026-03-08-1430.tar.gz`: sorts by date in a folder of backups. */
export const backupFileName = (at: number): string => {
  const d = new Date(at);
  const p = (n: number) => String(n).padStart(2, '0');
  return `cunghoc-sao-luu-${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}.tar.gz`;
};

/** /api/backup: a signed-in instructor downloads a backup of the data folder, or asks when the last one was taken. */
export function backupRouter(deps: {
  auth: Auth;
  dataDir: string;
  log: Logger;
  now: () => number;
  /** The store is PostgreSQL: backups are pg_dump's job. */ external?: boolean;
}): express.Router {
  const router = express.Router();
  const signedIn = signedInOnly(deps.auth);

  // The backup file is a SQLite snapshot with the data folder; a PostgreSQL store is backed up with pg_dump (docs/deployment.md).
  if (deps.external) router.use(signedIn, (_req, res) => send(res, fail('backup_external')));

  router.get('/status', signedIn, (_req, res) => {
    const status: BackupStatus = { lastAt: lastBackupAt(deps.dataDir) };
    send(res, { ok: true, data: status });
  });

  router.get('/', signedIn, async (_req, res) => {
    const work = await mkdtemp(join(tmpdir(), 'cunghoc-download-'));
    const at = deps.now();
    const file = join(work, backupFileName(at));
    try {
      const { bytes } = await createBackup(deps.dataDir, file, at);
      deps.log.info({ bytes }, 'backup downloaded');
      res.set('cache-control', 'no-store');
      await new Promise<void>((resolve, reject) => res.download(file, backupFileName(at), (err) => (err ? reject(err) : resolve())));
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
  return router;
}
