import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MediaDir } from '../../server/store/media.ts';
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
