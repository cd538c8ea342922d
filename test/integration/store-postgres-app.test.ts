import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../server/app.ts';
import type { LearnerSnapshot, StaffView } from '../../shared/protocol/views.ts';
import { freshDatabase, pgAvailable, type FreshDatabase } from '../support/services.ts';
import {
  call,
  closeSockets,
  learnerSocket,
  setupInstructor,
  staffSocket,
  startServer,
  startSession,
  token,
  unwrap,
} from '../support/server.ts';

/** A plain GET (fetch would treat a conditional request as its own cache's business). */
const statusOf = (url: string, headers: Record<string, string>) =>
  new Promise<number>((done, fail) => {
    get(url, { headers }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    }).once('error', fail);
  });

const ok = await pgAvailable('store-postgres-app');

describe.skipIf(!ok)('the server on PostgreSQL (DATABASE_URL)', () => {
  let db: FreshDatabase;
  const apps: App[] = [];
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'cunghoc-pgapp-'));
    dirs.push(d);
    return d;
  };
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterEach(async () => {
    closeSockets();
    for (const app of apps.splice(0)) await app.close().catch(() => undefined);
  });
  afterAll(async () => {
    await db?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a class keeps its learners across a restart, and another process serves the pictures uploaded to the first', async () => {
    const first = await startServer({ databaseUrl: db.url, dataDir: dir() });
    apps.push(first.app);
    const { cookie } = await setupInstructor(first.url);
    const session = await startSession(first.url, cookie);
    const lan = learnerSocket(first.url);
    unwrap(await call<LearnerSnapshot>(lan, 'learner:join', { code: session.code, name: 'Lan', seat: 'Bàn 1', token: token(1) }));
    const picture = await sharp({ create: { width: 20, height: 10, channels: 3, background: '#336699' } })
      .png()
      .toBuffer();
    const up = await fetch(`${first.url}/api/media`, {
      method: 'POST',
      headers: { 'content-type': 'image/png', cookie },
      body: new Uint8Array(picture),
    });
    const { src } = ((await up.json()) as { data: { src: string } }).data;
    closeSockets();
    await first.app.close();
    apps.splice(0);

    // Another process on the same database, with an empty data folder of its own.
    const second = await startServer({ databaseUrl: db.url, dataDir: dir() });
    apps.push(second.app);
    const staff = staffSocket(second.url, cookie);
    const view = unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id }));
    expect(view.roster.map((r) => r.name)).toEqual(['Lan']);
    const served = await fetch(`${second.url}/media/${src}`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.headers.get('cache-control')).toBe('public, max-age=86400');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    const etag = served.headers.get('etag');
    expect(Buffer.from(await served.arrayBuffer()).length).toBeGreaterThan(0);
    expect(await statusOf(`${second.url}/media/${src}`, { 'if-none-match': etag! })).toBe(304);
    expect((await fetch(`${second.url}/media/khien-khoa.svg`)).status).toBe(200);
    expect((await fetch(`${second.url}/media/0123456789abcdef0123456789abcdef.png`)).status).toBe(404);
    // A lesson may use the picture on the second process: it is "on this server".
    const lesson = unwrap<{ lesson: { steps: { image?: { src: string; alt: string } }[] } }>(
      (await (await fetch(`${second.url}/api/lessons/thanh-toan-qr`, { headers: { cookie } })).json()) as never,
    );
    const edited = { ...lesson.lesson, steps: lesson.lesson.steps.map((s, i) => (i === 0 ? { ...s, image: { src, alt: 'Ảnh' } } : s)) };
    const put = await fetch(`${second.url}/api/lessons/thanh-toan-qr`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ lesson: edited }),
    });
    expect(put.status).toBe(200);
  });

  it('the console backup is a SQLite feature: in PostgreSQL mode it answers a clear error code', async () => {
    const own = await freshDatabase();
    try {
      const server = await startServer({ databaseUrl: own.url, dataDir: dir() });
      apps.push(server.app);
      const { cookie } = await setupInstructor(server.url);
      for (const path of ['/api/backup/status', '/api/backup']) {
        const res = await fetch(`${server.url}${path}`, { headers: { cookie } });
        expect(res.status).toBe(409);
        expect(await res.json()).toMatchObject({ ok: false, error: { code: 'backup_external' } });
      }
      // Still only for a signed-in instructor.
      expect(await (await fetch(`${server.url}/api/backup/status`)).json()).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    } finally {
      for (const app of apps.splice(0)) await app.close().catch(() => undefined);
      await own.drop();
    }
  });
});
