import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { LessonInput } from '../../shared/lesson/schema.ts';
import type { LessonIssue } from '../../shared/protocol/errors.ts';
import type { ClassView, LearnerSnapshot, LessonRecord, LessonSummary, StaffView } from '../../shared/protocol/views.ts';
import { call, closeSockets, learnerSocket, staffSocket, token, unwrap, waitFor } from '../support/sockets.ts';
import { api, openSession, setupInstructor, type TestServer, useServers } from '../support/server.ts';

const servers = useServers();
const lessonsDir = resolve(import.meta.dirname, '../../lessons');

/** A small valid lesson; `extra` overrides its fields. */
function lesson(id: string, extra: Partial<LessonInput> = {}): LessonInput {
  return {
    id,
    formatVersion: 1,
    title: 'Gọi video bằng Zalo',
    summary: 'Gọi cho con cháu ở xa.',
    steps: [
      { id: 'mo-zalo', title: 'Mở Zalo', body: 'Chạm vào biểu tượng **Zalo** màu xanh.' },
      {
        id: 'goi-video',
        title: 'Gọi video',
        body: 'Chạm nút máy quay.',
        questions: [{ id: 'q1', kind: 'truefalse', prompt: 'Gọi video tốn tiền điện thoại?', correct: false }],
      },
    ],
    ...extra,
  };
}

async function signedIn(): Promise<{ s: TestServer; cookie: string }> {
  const s = await servers.start();
  const { cookie } = await setupInstructor(s.url);
  return { s, cookie };
}

const list = async (s: TestServer, cookie: string, archived = false) => {
  const r = await api<LessonSummary[]>(s.url, 'GET', `/api/lessons${archived ? '?archived=1' : ''}`, undefined, cookie);
  return unwrap(r.ack);
};

async function upload(s: TestServer, cookie: string, bytes: Uint8Array, type: string, origin?: string) {
  const res = await fetch(`${s.url}/api/media`, {
    method: 'POST',
    headers: { 'content-type': type, cookie, ...(origin ? { origin } : {}) },
    body: new Uint8Array(bytes),
  });
  return {
    status: res.status,
    body: (await res.json()) as { ok: boolean; data?: { src: string; width: number; height: number }; error?: { code: string } },
  };
}

const png = (width: number, height: number, color = { r: 200, g: 40, b: 40 }) =>
  sharp({ create: { width, height, channels: 3, background: color } })
    .png()
    .toBuffer();
/** A photo-like JPEG (noise, so it does not compress to nothing). */
const noisyJpeg = (width: number, height: number) => {
  const raw = Buffer.alloc(width * height * 3);
  let x = 12345;
  for (let i = 0; i < raw.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    raw[i] = x >>> 16;
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 95 })
    .toBuffer();
};

const issuesOf = (ack: unknown): LessonIssue[] => (ack as { error: { issues?: LessonIssue[] } }).error.issues ?? [];

describe('lessons: create, read, save, duplicate, archive', () => {
  it('creates and saves a lesson; validation errors name each field; ids are unique and stable', async () => {
    const { s, cookie } = await signedIn();
    const created = await api<{ lesson: LessonInput }>(s.url, 'POST', '/api/lessons', { lesson: lesson('goi-video-zalo') }, cookie);
    expect(created.status).toBe(201);
    expect(created.ack).toMatchObject({ ok: true, data: { lesson: { id: 'goi-video-zalo', language: 'vi', skills: [] } } });

    const read = unwrap((await api<LessonRecord>(s.url, 'GET', '/api/lessons/goi-video-zalo', undefined, cookie)).ack);
    expect(read.archived).toBe(false);
    expect(read.lesson.steps[1].questions[0]).toMatchObject({ id: 'q1', correct: false });
    const firstSave = read.updatedAt;

    const again = await api(s.url, 'POST', '/api/lessons', { lesson: lesson('goi-video-zalo', { title: 'Khác' }) }, cookie);
    expect(again).toMatchObject({ status: 409, ack: { ok: false, error: { code: 'lesson_exists' } } });
    const starter = await api(s.url, 'POST', '/api/lessons', { lesson: lesson('thanh-toan-qr') }, cookie);
    expect(starter.ack).toMatchObject({ ok: false, error: { code: 'lesson_exists' } });

    // Every problem at once, each with its path inside the lesson.
    const bad = lesson('goi-video-zalo', {
      title: '',
      steps: [
        { id: 'mo-zalo', title: 'Mở Zalo', body: 'x' },
        { id: 'mo-zalo', title: '', body: 'y', image: { src: 'khong-co-anh.png', alt: 'ảnh' } },
      ],
    });
    const invalid = await api(s.url, 'PUT', '/api/lessons/goi-video-zalo', { lesson: bad }, cookie);
    expect(invalid).toMatchObject({ status: 422, ack: { ok: false, error: { code: 'invalid_lesson' } } });
    const paths = issuesOf(invalid.ack).map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['title', 'steps.1.title']));
    for (const issue of issuesOf(invalid.ack)) expect(issue.message.length).toBeGreaterThan(0);
    // Duplicate step ids are found once the shape is right; a missing picture once the document is valid.
    const dupSteps = await api(
      s.url,
      'PUT',
      '/api/lessons/goi-video-zalo',
      {
        lesson: lesson('goi-video-zalo', {
          steps: [
            { id: 'a', title: 'A', body: '' },
            { id: 'a', title: 'B', body: '' },
          ],
        }),
      },
      cookie,
    );
    expect(issuesOf(dupSteps.ack)).toEqual([{ path: ['steps', 1, 'id'], message: 'duplicate step id "a"' }]);
    const noPicture = await api(
      s.url,
      'PUT',
      '/api/lessons/goi-video-zalo',
      {
        lesson: lesson('goi-video-zalo', { steps: [{ id: 'a', title: 'A', body: '', image: { src: 'khong-co-anh.png', alt: 'ảnh' } }] }),
      },
      cookie,
    );
    expect(issuesOf(noPicture.ack).map((i) => i.path)).toEqual([['steps', 0, 'image', 'src']]);
    const renamed = await api(s.url, 'PUT', '/api/lessons/goi-video-zalo', { lesson: lesson('ten-moi') }, cookie);
    expect(issuesOf(renamed.ack).map((i) => i.path)).toEqual([['id']]);
    const extra = await api(s.url, 'PUT', '/api/lessons/goi-video-zalo', { lesson: lesson('goi-video-zalo'), admin: true }, cookie);
    expect(extra.ack).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const missing = await api(s.url, 'PUT', '/api/lessons/khong-co', { lesson: lesson('khong-co') }, cookie);
    expect(missing).toMatchObject({ status: 404, ack: { ok: false, error: { code: 'not_found' } } });
    // None of the refused saves changed anything.
    expect(unwrap((await api<LessonRecord>(s.url, 'GET', '/api/lessons/goi-video-zalo', undefined, cookie)).ack)).toEqual(read);

    const saved = await api(
      s.url,
      'PUT',
      '/api/lessons/goi-video-zalo',
      {
        lesson: lesson('goi-video-zalo', {
          title: 'Gọi video cho con cháu',
          steps: [{ id: 'mo-zalo', title: 'Mở Zalo', body: 'Mới', image: { src: 'khien-khoa.svg', alt: 'Khiên' } }],
        }),
      },
      cookie,
    );
    expect(saved).toMatchObject({ status: 200, ack: { ok: true } });
    const after = unwrap((await api<LessonRecord>(s.url, 'GET', '/api/lessons/goi-video-zalo', undefined, cookie)).ack);
    expect(after.lesson).toMatchObject({ title: 'Gọi video cho con cháu', steps: [{ body: 'Mới', image: { src: 'khien-khoa.svg' } }] });
    expect(after.updatedAt).toBeGreaterThanOrEqual(firstSave);
    expect((await list(s, cookie)).find((l) => l.id === 'goi-video-zalo')).toMatchObject({
      title: 'Gọi video cho con cháu',
      stepCount: 1,
      archived: false,
    });
  });

  it('a body over the lesson cap gets too_large; other JSON routes keep the 64 KB cap', async () => {
    const { s, cookie } = await signedIn();
    const huge = lesson('to-qua', { steps: Array.from({ length: 60 }, (_, i) => ({ id: `b${i}`, title: 'B', body: 'x'.repeat(10_000) })) });
    const big = await api(s.url, 'POST', '/api/lessons', { lesson: huge }, cookie);
    expect(big).toMatchObject({ status: 413, ack: { ok: false, error: { code: 'too_large' } } });
    // ~100 KB of text is a normal lesson.
    const normal = lesson('binh-thuong', {
      steps: Array.from({ length: 12 }, (_, i) => ({ id: `b${i}`, title: 'B', body: 'Chữ '.repeat(2_200) })),
    });
    expect(JSON.stringify(normal).length).toBeGreaterThan(100_000);
    expect((await api(s.url, 'POST', '/api/lessons', { lesson: normal }, cookie)).status).toBe(201);
    const command = await api(s.url, 'POST', '/api/sessions', { lessonId: 'x'.repeat(70_000) }, cookie);
    expect(command).toMatchObject({ status: 413, ack: { ok: false, error: { code: 'too_large' } } });
  });

  it('duplicates with a new id and title; archived lessons leave the list and cannot start a class', async () => {
    const { s, cookie } = await signedIn();
    const copy = await api<{ lesson: LessonInput }>(s.url, 'POST', '/api/lessons/thanh-toan-qr/duplicate', {}, cookie);
    expect(copy.status).toBe(201);
    const original = unwrap((await api<LessonRecord>(s.url, 'GET', '/api/lessons/thanh-toan-qr', undefined, cookie)).ack).lesson;
    expect(unwrap(copy.ack).lesson).toEqual({ ...original, id: 'thanh-toan-qr-ban-sao', title: `${original.title} (bản sao)` });
    const second = unwrap((await api<{ lesson: LessonInput }>(s.url, 'POST', '/api/lessons/thanh-toan-qr/duplicate', {}, cookie)).ack);
    expect(second.lesson).toMatchObject({ id: 'thanh-toan-qr-ban-sao-2', title: `${original.title} (bản sao)` });
    const ofCopy = unwrap(
      (await api<{ lesson: LessonInput }>(s.url, 'POST', '/api/lessons/thanh-toan-qr-ban-sao/duplicate', {}, cookie)).ack,
    );
    expect(ofCopy.lesson).toMatchObject({ id: 'thanh-toan-qr-ban-sao-3', title: `${original.title} (bản sao)` });
    expect((await api(s.url, 'POST', '/api/lessons/khong-co/duplicate', {}, cookie)).status).toBe(404);

    const archived = await api(s.url, 'POST', '/api/lessons/thanh-toan-qr/archive', { archived: true }, cookie);
    expect(archived.ack).toEqual({ ok: true, data: { archived: true } });
    expect((await list(s, cookie)).map((l) => l.id)).not.toContain('thanh-toan-qr');
    expect((await list(s, cookie, true)).find((l) => l.id === 'thanh-toan-qr')).toMatchObject({ archived: true });
    const start = await api(s.url, 'POST', '/api/sessions', { lessonId: 'thanh-toan-qr' }, cookie);
    expect(start).toMatchObject({ status: 409, ack: { ok: false, error: { code: 'lesson_archived' } } });
    expect(unwrap((await api<unknown[]>(s.url, 'GET', '/api/sessions', undefined, cookie)).ack)).toEqual([]);
    // Still readable and editable (to restore or copy it).
    expect(unwrap((await api<LessonRecord>(s.url, 'GET', '/api/lessons/thanh-toan-qr', undefined, cookie)).ack).archived).toBe(true);
    expect((await api(s.url, 'POST', '/api/lessons/thanh-toan-qr/archive', { archived: 'yes' }, cookie)).ack).toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
    expect((await api(s.url, 'POST', '/api/lessons/khong-co/archive', { archived: true }, cookie)).status).toBe(404);

    unwrap((await api(s.url, 'POST', '/api/lessons/thanh-toan-qr/archive', { archived: false }, cookie)).ack);
    expect((await list(s, cookie)).map((l) => l.id)).toContain('thanh-toan-qr');
    expect((await api(s.url, 'POST', '/api/sessions', { lessonId: 'thanh-toan-qr' }, cookie)).status).toBe(201);
  });

  it('lists starter lessons in curriculum order (lessons/curriculum.txt, not ids), then the others by Vietnamese title', async () => {
    // A lessons folder of our own: the curriculum puts "z-cuoi" first, whatever its id or file name.
    const dir = mkdtempSync(join(tmpdir(), 'cunghoc-lessons-'));
    for (const id of ['a-dau', 'm-giua', 'z-cuoi', 'b-ngoai'])
      writeFileSync(join(dir, `${id}.json`), JSON.stringify(lesson(id, { title: `Bài ${id}` })));
    writeFileSync(join(dir, 'curriculum.txt'), '# thứ tự\nz-cuoi\n\nm-giua # giữa\nkhong-co-file\na-dau\n');
    const s = await servers.start({ lessonsDir: dir });
    const { cookie } = await setupInstructor(s.url);
    for (const [id, title] of [
      ['z', 'Zalo cơ bản'],
      ['anh', 'Ảnh và video'],
      ['bao-mat', 'Bảo mật'],
      ['dich-vu', 'Đăng ký dịch vụ'],
      ['dan', 'Dán chữ'],
    ]) {
      unwrap((await api(s.url, 'POST', '/api/lessons', { lesson: lesson(id, { title }) }, cookie)).ack);
    }
    // Editing a starter lesson keeps its place.
    unwrap((await api(s.url, 'PUT', '/api/lessons/z-cuoi', { lesson: lesson('z-cuoi', { title: 'Ấn nút' }) }, cookie)).ack);
    const expected = ['z-cuoi', 'm-giua', 'a-dau', 'b-ngoai', 'anh', 'bao-mat', 'dan', 'dich-vu', 'z'];
    expect((await list(s, cookie)).map((l) => l.id)).toEqual(expected);

    // A new curriculum on the next start reorders the starter lessons; their text stays as edited.
    await s.stop();
    writeFileSync(join(dir, 'curriculum.txt'), 'a-dau\nb-ngoai\n');
    const again = await servers.start({ dataDir: s.dataDir, lessonsDir: dir });
    const login = await api(again.url, 'POST', '/api/auth/login', { username: 'giangvien', password: 'mat-khau-du-dai' });
    const after = await list(again, login.cookie!);
    expect(after.map((l) => l.id)).toEqual(['a-dau', 'b-ngoai', 'm-giua', 'z-cuoi', 'anh', 'bao-mat', 'dan', 'dich-vu', 'z']);
    expect(after.find((l) => l.id === 'z-cuoi')?.title).toBe('Ấn nút');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a database from before the editor gets its starter lessons in curriculum order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cunghoc-lessons-'));
    for (const id of ['a-dau', 'z-cuoi']) writeFileSync(join(dir, `${id}.json`), JSON.stringify(lesson(id, { title: `Bài ${id}` })));
    writeFileSync(join(dir, 'curriculum.txt'), 'z-cuoi\na-dau\n');
    const s = await servers.start({ lessonsDir: dir });
    await s.stop();
    // Back to schema version 2: no position column, as an older server left it.
    const db = new Database(join(s.dataDir, 'cunghoc.sqlite'));
    db.exec('ALTER TABLE lessons DROP COLUMN position');
    db.pragma('user_version = 2');
    db.close();
    const again = await servers.start({ dataDir: s.dataDir, lessonsDir: dir });
    const { cookie } = await setupInstructor(again.url);
    unwrap((await api(again.url, 'POST', '/api/lessons', { lesson: lesson('cua-toi', { title: 'Ấy' }) }, cookie)).ack);
    expect((await list(again, cookie)).map((l) => l.id)).toEqual(['z-cuoi', 'a-dau', 'cua-toi']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the shipped starter lessons follow lessons/curriculum.txt', async () => {
    const { s, cookie } = await signedIn();
    const files = readdirSync(lessonsDir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => f.replace(/\.json$/, ''));
    const listed = readFileSync(join(lessonsDir, 'curriculum.txt'), 'utf8')
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter((l) => l && files.includes(l));
    const ids = (await list(s, cookie)).map((l) => l.id);
    expect(ids).toEqual([...listed, ...files.filter((f) => !listed.includes(f))]);
  });

  it('every lesson route needs a signed-in instructor', async () => {
    const { s } = await signedIn();
    const routes: [string, string, unknown][] = [
      ['GET', '/api/lessons', undefined],
      ['GET', '/api/lessons?archived=1', undefined],
      ['GET', '/api/lessons/thanh-toan-qr', undefined],
      ['GET', '/api/lessons/thanh-toan-qr/export', undefined],
      ['POST', '/api/lessons', { lesson: lesson('moi') }],
      ['PUT', '/api/lessons/thanh-toan-qr', { lesson: lesson('thanh-toan-qr') }],
      ['POST', '/api/lessons/thanh-toan-qr/duplicate', {}],
      ['POST', '/api/lessons/thanh-toan-qr/archive', { archived: true }],
      ['POST', '/api/lessons/import', { kind: 'cunghoc-lesson', version: 1, lesson: lesson('moi'), images: {} }],
    ];
    for (const [method, path, body] of routes) {
      for (const cookie of [undefined, 'ch_sid=gia-mao-khong-hop-le']) {
        const r = await api(s.url, method, path, body, cookie);
        expect(r, `${method} ${path}`).toMatchObject({ status: 401, ack: { ok: false, error: { code: 'unauthorized' } } });
      }
    }
    const image = await upload(s, '', await png(10, 10), 'image/png');
    expect(image).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
  });
});

describe('pictures', () => {
  it('uploads PNG, JPEG and WebP, re-encoded within 1280×1280, served at /media with the strict CSP', async () => {
    const { s, cookie } = await signedIn();
    const small = await upload(s, cookie, await png(40, 30), 'image/png');
    expect(small).toMatchObject({ status: 201, body: { ok: true, data: { width: 40, height: 30 } } });
    const src = small.body.data!.src;
    expect(src).toMatch(/^[a-f0-9]{32}\.png$/);
    const served = await fetch(`${s.url}/media/${src}`);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await sharp(Buffer.from(await served.arrayBuffer())).metadata()).toMatchObject({ format: 'png', width: 40, height: 30 });
    // Same picture twice: one file, one name.
    expect((await upload(s, cookie, await png(40, 30), 'image/png')).body.data!.src).toBe(src);

    const photo = await upload(s, cookie, await noisyJpeg(3000, 2000), 'image/jpeg');
    expect(photo).toMatchObject({ status: 201, body: { data: { width: 1280, height: 853 } } });
    const big = Buffer.from(await (await fetch(`${s.url}/media/${photo.body.data!.src}`)).arrayBuffer());
    expect(await sharp(big).metadata()).toMatchObject({ format: 'jpeg', width: 1280, height: 853 });
    const tall = await upload(
      s,
      cookie,
      await sharp({ create: { width: 500, height: 2560, channels: 4, background: '#0000ff80' } })
        .webp()
        .toBuffer(),
      'image/webp',
    );
    expect(tall).toMatchObject({ status: 201, body: { data: { width: 250, height: 1280 } } });
    expect(tall.body.data!.src).toMatch(/\.webp$/);
    // Starter pictures are still served.
    expect((await fetch(`${s.url}/media/khien-khoa.svg`)).status).toBe(200);
  });

  it('refuses what is not a PNG, JPEG or WebP, bytes that lie about their type, and files over 8 MB', async () => {
    const { s, cookie } = await signedIn();
    const text = Buffer.from('Đây là một tệp chữ, đổi tên thành .png');
    expect(await upload(s, cookie, text, 'image/png')).toMatchObject({ status: 415, body: { error: { code: 'image_type' } } });
    expect(await upload(s, cookie, await png(10, 10), 'image/jpeg')).toMatchObject({
      status: 415,
      body: { error: { code: 'image_type' } },
    });
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    expect(await upload(s, cookie, svg, 'image/svg+xml')).toMatchObject({ status: 415, body: { error: { code: 'image_type' } } });
    const truncated = (await png(300, 300)).subarray(0, 60);
    expect(await upload(s, cookie, truncated, 'image/png')).toMatchObject({ body: { error: { code: 'image_type' } } });
    const nine = Buffer.alloc(9 * 1024 * 1024, 7);
    (await png(1, 1)).copy(nine);
    expect(await upload(s, cookie, nine, 'image/png')).toMatchObject({ status: 413, body: { error: { code: 'image_too_large' } } });
    // 6,400 × 6,400 = 41 megapixels, in a tiny file.
    const bomb = await sharp({ create: { width: 6400, height: 6400, channels: 3, background: '#000' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(bomb.length).toBeLessThan(1024 * 1024);
    expect(await upload(s, cookie, bomb, 'image/png')).toMatchObject({ status: 413, body: { error: { code: 'image_too_large' } } });
    expect(await upload(s, cookie, await png(10, 10), 'image/png', 'http://evil.example')).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden' } },
    });
    expect(readdirSync(join(s.dataDir, 'media'))).toEqual([]);
  });
});

describe('lesson files: export and import', () => {
  async function lessonWithPicture(s: TestServer, cookie: string) {
    const picture = (await upload(s, cookie, await png(64, 48, { r: 10, g: 120, b: 200 }), 'image/png')).body.data!;
    const doc = lesson('co-anh', {
      steps: [
        { id: 'mot', title: 'Một', body: 'Xem ảnh.', image: { src: picture.src, alt: 'Màn hình Zalo' } },
        { id: 'hai', title: 'Hai', body: 'Ảnh có sẵn.', image: { src: 'qr-quet-ma.svg', alt: 'Quét mã' } },
        {
          id: 'ba',
          title: 'Ba',
          body: 'Lại ảnh đó.',
          image: { src: picture.src, alt: 'Vẫn màn hình đó' },
          questions: [
            {
              id: 'q-anh',
              kind: 'single',
              prompt: 'Màn hình nào là Zalo?',
              options: [
                { id: 'a', text: 'Màn hình này', image: { src: picture.src, alt: 'Zalo' } },
                { id: 'b', text: 'Màn hình kia', image: { src: 'qr-ma-gia.svg', alt: 'Mã giả' } },
              ],
              correct: 'a',
            },
          ],
        },
      ],
    });
    const created = unwrap((await api<{ lesson: LessonInput }>(s.url, 'POST', '/api/lessons', { lesson: doc }, cookie)).ack);
    return { picture, lesson: created.lesson };
  }

  async function exportFile(s: TestServer, cookie: string, id: string) {
    const res = await fetch(`${s.url}/api/lessons/${id}/export`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="?${id}\\.cunghoc\\.json"?$`));
    return (await res.json()) as {
      kind: string;
      version: number;
      lesson: LessonInput;
      images: Record<string, { type: string; data: string }>;
    };
  }

  const snapshot = async (s: TestServer, cookie: string) => ({
    lessons: await list(s, cookie, true),
    media: readdirSync(join(s.dataDir, 'media')).sort(),
  });

  it('export then import gives the same lesson and the same pictures, here and on another server', async () => {
    const { s, cookie } = await signedIn();
    const { picture, lesson: original } = await lessonWithPicture(s, cookie);
    const file = await exportFile(s, cookie, 'co-anh');
    expect(file.kind).toBe('cunghoc-lesson');
    expect(file.version).toBe(1);
    expect(file.lesson).toEqual(original);
    // Uploaded pictures travel in the file, once; starter pictures ship with every server.
    expect(Object.keys(file.images)).toEqual([picture.src]);
    expect(file.images[picture.src].type).toBe('image/png');
    const stored = readFileSync(join(s.dataDir, 'media', picture.src));
    expect(Buffer.from(file.images[picture.src].data, 'base64').equals(stored)).toBe(true);

    // Here the id is taken: imported as a copy, the pictures reused byte for byte.
    const here = await api<{ lesson: LessonInput; renamed: boolean }>(s.url, 'POST', '/api/lessons/import', file, cookie);
    expect(here.status).toBe(201);
    expect(unwrap(here.ack)).toEqual({
      lesson: { ...original, id: 'co-anh-ban-sao', title: `${original.title} (bản sao)` },
      renamed: true,
    });
    expect(readdirSync(join(s.dataDir, 'media'))).toEqual([picture.src]);

    // Another server: the same id, the same lesson, a picture of the same size.
    const other = await servers.start();
    const { cookie: otherCookie } = await setupInstructor(other.url);
    const there = unwrap(
      (await api<{ lesson: LessonInput; renamed: boolean }>(other.url, 'POST', '/api/lessons/import', file, otherCookie)).ack,
    );
    expect(there.renamed).toBe(false);
    const src = there.lesson.steps[0].image!.src;
    expect(there.lesson).toEqual(JSON.parse(JSON.stringify(original).replaceAll(picture.src, src)));
    expect(there.lesson.steps[2].questions![0]).toMatchObject({ options: [{ image: { src } }, { image: { src: 'qr-ma-gia.svg' } }] });
    const copied = Buffer.from(await (await fetch(`${other.url}/media/${src}`)).arrayBuffer());
    expect(await sharp(copied).metadata()).toMatchObject({ format: 'png', width: 64, height: 48 });
    const read = unwrap((await api<LessonRecord>(other.url, 'GET', '/api/lessons/co-anh', undefined, otherCookie)).ack);
    expect(read.lesson).toEqual(there.lesson);
    // And back again: the round trip is stable.
    const again = await exportFile(other, otherCookie, 'co-anh');
    expect(again.lesson).toEqual(there.lesson);
  });

  it('a refused file changes nothing: wrong kind, invalid lesson, bad or unused pictures, too large', async () => {
    const { s, cookie } = await signedIn();
    await lessonWithPicture(s, cookie);
    const file = await exportFile(s, cookie, 'co-anh');
    const src = Object.keys(file.images)[0];
    const before = await snapshot(s, cookie);
    // A question whose first choice shows a picture that is neither in the file nor on the server.
    const choiceMissing = JSON.parse(
      JSON.stringify({ ...file.lesson, id: 'moi-hoan-toan', steps: [{ ...file.lesson.steps[2], image: undefined }] }).replaceAll(
        src,
        'khong-co.png',
      ),
    ) as typeof file.lesson;
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>').toString('base64');
    const cases: [string, unknown, number, string][] = [
      ['not ours', { hello: 'world' }, 422, 'import_format'],
      ['a newer version', { ...file, version: 2 }, 422, 'import_format'],
      ['an array', [file], 422, 'import_format'],
      ['extra field', { ...file, owner: 'x' }, 422, 'import_format'],
      ['invalid lesson', { ...file, lesson: { ...file.lesson, id: 'Không Hợp Lệ', steps: [] } }, 422, 'invalid_lesson'],
      ['svg picture', { ...file, images: { [src]: { type: 'image/svg+xml', data: svg } } }, 415, 'image_type'],
      [
        'text as png',
        { ...file, images: { [src]: { type: 'image/png', data: Buffer.from('chữ thôi').toString('base64') } } },
        415,
        'image_type',
      ],
      ['png said jpeg', { ...file, images: { [src]: { ...file.images[src], type: 'image/jpeg' } } }, 415, 'image_type'],
      ['not base64', { ...file, images: { [src]: { type: 'image/png', data: '<<<>>>' } } }, 422, 'import_format'],
      ['unused picture', { ...file, images: { ...file.images, 'khac.png': file.images[src] } }, 422, 'import_format'],
      [
        'missing picture',
        {
          ...file,
          images: {},
          lesson: {
            ...file.lesson,
            id: 'moi-hoan-toan',
            steps: [{ id: 'a', title: 'A', body: '', image: { src: 'khong-co.png', alt: 'x' } }],
          },
        },
        422,
        'invalid_lesson',
      ],
      ['missing choice picture', { ...file, images: {}, lesson: choiceMissing }, 422, 'invalid_lesson'],
      [
        'picture over 8 MB',
        { ...file, images: { [src]: { type: 'image/png', data: Buffer.alloc(8 * 1024 * 1024 + 10, 1).toString('base64') } } },
        413,
        'image_too_large',
      ],
      ['file over 25 MB', { ...file, padding: 'x'.repeat(26 * 1024 * 1024) }, 413, 'too_large'],
    ];
    for (const [name, body, status, code] of cases) {
      const r = await api(s.url, 'POST', '/api/lessons/import', body, cookie);
      expect(r, name).toMatchObject({ status, ack: { ok: false, error: { code } } });
    }
    const invalid = await api(
      s.url,
      'POST',
      '/api/lessons/import',
      { ...file, lesson: { ...file.lesson, steps: [{ ...file.lesson.steps[0], title: '' }] } },
      cookie,
    );
    expect(issuesOf(invalid.ack).map((i) => i.path)).toEqual([['steps', 0, 'title']]);
    const choice = await api(s.url, 'POST', '/api/lessons/import', { ...file, images: {}, lesson: choiceMissing }, cookie);
    expect(issuesOf(choice.ack).map((i) => i.path)).toEqual([['steps', 0, 'questions', 0, 'options', 0, 'image', 'src']]);
    const broken = await fetch(`${s.url}/api/lessons/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: '{"kind":',
    });
    expect(await broken.json()).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await snapshot(s, cookie)).toEqual(before);
  });
});

describe('sessions run on a frozen copy of their lesson', () => {
  it('step text is rendered safely: a <script> in a step reaches learners as text', async () => {
    const { s, cookie } = await signedIn();
    unwrap(
      (
        await api(
          s.url,
          'POST',
          '/api/lessons',
          {
            lesson: lesson('thu-mau', {
              steps: [
                { id: 'a', title: 'A', body: 'Chào <script>alert(1)</script> [bấm](javascript:alert(2)) <img src=x onerror=alert(3)>' },
              ],
            }),
          },
          cookie,
        )
      ).ack,
    );
    const { learners } = await openSession(s, cookie, { lesson: 'thu-mau', learners: 1, offset: 1, push: 0 });
    const learner = learners[0].socket;
    const view = await waitFor<ClassView>(learner, 'class', (v) => v.current === 0);
    const html = view.steps[0].html;
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/<script|<img|javascript:alert\(2\)"|href="javascript/i);
  });

  it('editing and archiving a lesson during a class leaves the class (and its restart) on the old text', async () => {
    const { s, cookie } = await signedIn();
    unwrap((await api(s.url, 'POST', '/api/lessons', { lesson: lesson('dong-bang') }, cookie)).ack);
    const { session, staff, learners } = await openSession(s, cookie, { lesson: 'dong-bang', learners: 1, offset: 1, push: 0 });
    const learner = learners[0].socket;
    await waitFor<ClassView>(learner, 'class', (v) => v.current === 0);

    unwrap(
      (
        await api(
          s.url,
          'PUT',
          '/api/lessons/dong-bang',
          {
            lesson: lesson('dong-bang', { title: 'Tên mới', steps: [{ id: 'khac', title: 'Bước mới', body: 'Chữ mới' }] }),
          },
          cookie,
        )
      ).ack,
    );
    unwrap((await api(s.url, 'POST', '/api/lessons/dong-bang/archive', { archived: true }, cookie)).ack);

    unwrap(await call(staff, 'step:push', { sessionId: session.id, step: 1 }));
    const moved = await waitFor<ClassView>(learner, 'class', (v) => v.current === 1);
    expect(moved).toMatchObject({
      lessonTitle: 'Gọi video bằng Zalo',
      stepCount: 2,
      steps: [{ title: 'Gọi video', html: '<p>Chạm nút máy quay.</p>\n' }],
    });
    const staffView = unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id }));
    expect(staffView.outline.map((o) => o.title)).toEqual(['Mở Zalo', 'Gọi video']);

    // Restart: the open session is rebuilt from its events, with its own copy of the lesson.
    closeSockets();
    await s.stop();
    const restarted = await servers.start({ dataDir: s.dataDir });
    const login = await api(restarted.url, 'POST', '/api/auth/login', { username: 'giangvien', password: 'mat-khau-du-dai' });
    const staff2 = staffSocket(restarted.url, login.cookie!);
    const view2 = unwrap(await call<StaffView>(staff2, 'staff:watch', { sessionId: session.id }));
    expect(view2).toMatchObject({ lessonTitle: 'Gọi video bằng Zalo', current: 1 });
    expect(view2.outline.map((o) => o.title)).toEqual(['Mở Zalo', 'Gọi video']);
    const back = learnerSocket(restarted.url);
    const resumed = unwrap(await call<LearnerSnapshot>(back, 'learner:resume', { token: token(1) }));
    expect(resumed.class.steps[0]).toMatchObject({ title: 'Gọi video', html: '<p>Chạm nút máy quay.</p>\n' });
    // Meanwhile the lesson itself is the new one, archived.
    const record = unwrap((await api<LessonRecord>(restarted.url, 'GET', '/api/lessons/dong-bang', undefined, login.cookie)).ack);
    expect(record).toMatchObject({ archived: true, lesson: { title: 'Tên mới' } });
  });
});
