/*
 * A shared tablet belongs to the room, not to the learner. These localStorage keys are the
 * tablet's own and survive "Đổi người học" and the end of a session:
 *   cunghoc.seat      seat label ("Bàn 3 – Máy 2")
 *   cunghoc.lang      language of the screens
 *   cunghoc.text      text size (accessibility settings)
 *   cunghoc.contrast  high contrast (accessibility settings)
 * Everything else a page may have left in the browser is the learner's, and is wiped.
 */
export const TABLET_KEYS = ['cunghoc.seat', 'cunghoc.lang', 'cunghoc.text', 'cunghoc.contrast'];

/**
 * Wipe every trace of the learner from this browser (localStorage but the tablet's keys,
 * sessionStorage, IndexedDB, Cache Storage, cookies readable by script), then load a clean
 * join screen: nothing stays in memory either. `bye` is a notice for that screen.
 */
export type Bye = 'left' | 'ended' | 'taken' | 'removed' | '';

export async function wipeLearner(bye: Bye = ''): Promise<void> {
  try {
    for (const key of Object.keys(localStorage)) if (!TABLET_KEYS.includes(key)) localStorage.removeItem(key);
    sessionStorage.clear();
  } catch {
    // Storage disabled: nothing kept there.
  }
  for (const c of document.cookie.split(';')) {
    document.cookie = `${c.split('=')[0].trim()}=;max-age=0;path=/`;
  }
  try {
    // indexedDB.databases() is missing in older browsers: those keep no database of ours to find.
    for (const db of (await indexedDB.databases?.()) ?? []) {
      if (db.name) {
        const req = indexedDB.deleteDatabase(db.name);
        await new Promise((done) => (req.onsuccess = req.onerror = req.onblocked = done));
      }
    }
    // Cache Storage exists only on secure origins (localhost, https), not on a LAN http address.
    const cs = globalThis.caches;
    // The service worker's copy of the page itself (no learner's data) stays, so the tablet still opens offline.
    for (const name of (await cs?.keys()) ?? []) if (!name.startsWith('workbox-precache')) await cs.delete(name);
  } catch {
    // Not available here (e.g. Cache Storage needs a secure origin): nothing stored there.
  }
  location.replace(location.pathname + (bye && `?bye=${bye}`));
}
