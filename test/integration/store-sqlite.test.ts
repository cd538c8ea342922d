import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MediaDir } from '../../server/store/media.ts';
import { openStore, redactUrl } from '../../server/store/open.ts';
import { openSqliteStore } from '../../server/store/sqlite.ts';
import { started, pushed, storeContract } from '../contract/store.contract.ts';

storeContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cunghoc-contract-'));
  const store = openSqliteStore(dir);
  return {
    store,
    uploads: new MediaDir(join(dir, 'media')),
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite store without leases', () => {
  it('has no lease store, and accepts and ignores a lease on append (one process owns everything)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cunghoc-contract-'));
    const store = openSqliteStore(dir);
    try {
      expect(store.leases).toBeUndefined();
      expect(store.kind).toBe('sqlite');
      const s = started();
      await store.createSession(s);
      await store.appendEvents(s.sessionId, 1, [pushed(0)], { owner: 'nobody', fence: 99 });
      expect(await store.loadEvents(s.sessionId)).toHaveLength(2);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('openStore: the store this process runs on', () => {
  it('is SQLite in the data folder when no DATABASE_URL is set (the default)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cunghoc-open-'));
    try {
      const store = await openStore({ dataDir: dir, databaseUrl: undefined });
      expect(store.kind).toBe('sqlite');
      expect(existsSync(join(dir, 'cunghoc.sqlite'))).toBe(true);
      await store.close();
      const empty = await openStore({ dataDir: dir, databaseUrl: '' });
      expect(empty.kind).toBe('sqlite');
      await empty.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names a database in the log and the banner without its password', () => {
    expect(redactUrl('postgres://cunghoc:s3cret@db:5432/cunghoc')).toBe('postgres://cunghoc:***@db:5432/cunghoc');
    expect(redactUrl('postgres://postgres@127.0.0.1/x')).toBe('postgres://postgres@127.0.0.1/x');
    expect(redactUrl('not a url :: s3cret')).not.toContain('s3cret');
  });
});
