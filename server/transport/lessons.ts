import express, { type Request } from 'express';
import { prettifyError, z } from 'zod';
import { Lesson, Slug } from '../../shared/lesson/schema.ts';
import { lessonCopy } from '../../shared/lesson/copy.ts';
import { ArchiveBody, DuplicateBody, LessonBody, LessonFile } from '../../shared/protocol/commands.ts';
import { fail, type LessonIssue } from '../../shared/protocol/errors.ts';
import type { LessonRecord } from '../../shared/protocol/views.ts';
import { ImageTypes, isImageType, MAX_IMAGE_BYTES, processImage, sniffImage, type ImageType } from '../lib/images.ts';
import type { MediaFiles } from '../store/media.ts';
import type { Store } from '../store/store.ts';
import { signedInOnly, type Auth } from './auth.ts';
import { badRequest, invalidLesson, jsonBody, lessonIssues, send } from './respond.ts';

export interface LessonRoutesDeps {
  store: Store;
  auth: Auth;
  media: MediaFiles;
  now: () => number;
}

/** Body caps: a lesson document can be ~100 KB of text; a lesson file carries its pictures. */
export const LESSON_BODY_LIMIT = 512 * 1024;
export const LESSON_FILE_LIMIT = 25 * 1024 * 1024;

/** The media upload takes raw image bytes instead of JSON (still only from our origin). */
export const isMediaUpload = (req: Request): boolean => req.method === 'POST' && req.path === '/media';

/** The lesson editor's API: list, read, create, save, duplicate, archive, export, import, upload pictures. */
export function lessonRoutes({ store, auth, media, now }: LessonRoutesDeps): express.Router {
  const api = express.Router();
  const signedIn = signedInOnly(auth);
  const json = jsonBody();
  const lessonJson = express.json({ limit: LESSON_BODY_LIMIT, strict: true });
  const fileJson = express.json({ limit: LESSON_FILE_LIMIT, strict: true });
  const rawImage = express.raw({ type: [...ImageTypes], limit: MAX_IMAGE_BYTES });

  const lessonId = (req: Request): string | undefined => {
    const id = Slug.safeParse(req.params.id);
    return id.success ? id.data : undefined;
  };

  /** Every picture (of a step or of a question's choice) must be on this server, uploaded or a starter image. */
  const missingImages = async (lesson: Lesson, carried: Record<string, unknown> = {}): Promise<LessonIssue[]> => {
    const issues: LessonIssue[] = [];
    for (const { path, src } of pictures(lesson)) {
      if (!Object.hasOwn(carried, src) && !(await media.exists(src)))
        issues.push({ path, message: `no picture "${src}" on this server: upload it first` });
    }
    return issues;
  };

  /** A lesson body: strict wrapper, then the lesson itself, then its pictures. */
  const parseLessonBody = async (body: unknown): Promise<{ lesson: Lesson } | { error: ReturnType<typeof invalidLesson> }> => {
    const parsed = LessonBody.safeParse(body);
    if (!parsed.success) {
      const underLesson = parsed.error.issues.every((i) => i.path[0] === 'lesson' && i.path.length > 1);
      return { error: underLesson ? invalidLesson(lessonIssues(parsed.error, ['lesson'])) : badRequest(parsed.error) };
    }
    const missing = await missingImages(parsed.data.lesson);
    return missing.length > 0 ? { error: invalidLesson(missing) } : { lesson: parsed.data.lesson };
  };

  /** A copy with a free id (shared/lesson/copy.ts names it). */
  const copyOf = async (lesson: Lesson): Promise<Lesson> => {
    for (let n = 1; ; n++) {
      const copy = lessonCopy(lesson, n);
      if (!(await store.getLesson(copy.id))) return copy;
    }
  };

  api.get('/lessons', signedIn, async (req, res) => {
    send(res, { ok: true, data: await store.listLessons({ archived: req.query.archived === '1' }) });
  });

  api.post('/lessons/import', signedIn, fileJson, async (req, res) => {
    // Check everything first, then write: a refused file changes nothing.
    const header = z.object({ kind: z.literal('cunghoc-lesson'), version: z.literal(1) }).safeParse(req.body);
    if (!header.success) return send(res, fail('import_format'));
    const parsed = LessonFile.safeParse(req.body);
    if (!parsed.success) {
      const underLesson = parsed.error.issues.every((i) => i.path[0] === 'lesson');
      return send(
        res,
        underLesson
          ? invalidLesson(lessonIssues(parsed.error, ['lesson']))
          : fail('import_format', prettifyError(parsed.error).slice(0, 500)),
      );
    }
    const { lesson, images } = parsed.data;
    const missing = await missingImages(lesson, images);
    if (missing.length > 0) return send(res, invalidLesson(missing));
    const used = new Set(pictures(lesson).map((p) => p.src));
    const ready: { src: string; bytes: Buffer; type: ImageType }[] = [];
    for (const [src, image] of Object.entries(images)) {
      if (!used.has(src)) return send(res, fail('import_format', `The picture "${src.slice(0, 128)}" is not used by the lesson.`));
      if (!isImageType(image.type)) return send(res, fail('image_type'));
      if (image.data.length > Math.ceil(MAX_IMAGE_BYTES / 3) * 4) return send(res, fail('image_too_large'));
      const bytes = Buffer.from(image.data, 'base64');
      // Our own picture (an export from this server): keep it, byte for byte, under its name.
      const ours = await media.readUpload(src);
      if (ours?.bytes.equals(bytes) && sniffImage(bytes) === image.type) {
        ready.push({ src, bytes, type: image.type });
        continue;
      }
      const processed = await processImage(bytes, image.type);
      if (!processed.ok) return send(res, fail(processed.code, `${processed.message} (${src.slice(0, 128)})`));
      ready.push({ src, bytes: processed.bytes, type: processed.type });
    }
    const renames = new Map<string, string>();
    for (const image of ready) renames.set(image.src, await media.save(image.bytes, image.type));
    let toStore = renamePictures(lesson, (src) => renames.get(src) ?? src);
    let renamed = false;
    while (!(await store.createLesson(toStore, now()))) {
      toStore = await copyOf(toStore);
      renamed = true;
    }
    send(res, { ok: true, data: { lesson: toStore, renamed } }, 201);
  });

  api.get('/lessons/:id', signedIn, async (req, res) => {
    const id = lessonId(req);
    const record: LessonRecord | undefined = id === undefined ? undefined : await store.getLessonRecord(id);
    if (!record) return send(res, fail('not_found', 'No such lesson.'));
    send(res, { ok: true, data: record });
  });

  api.get('/lessons/:id/export', signedIn, async (req, res) => {
    const id = lessonId(req);
    const lesson = id === undefined ? undefined : await store.getLesson(id);
    if (!lesson) return send(res, fail('not_found', 'No such lesson.'));
    const images: LessonFile['images'] = {};
    for (const { src } of pictures(lesson)) {
      if (Object.hasOwn(images, src)) continue;
      const file = await media.readUpload(src);
      if (file) images[src] = { type: file.type, data: file.bytes.toString('base64') };
    }
    const doc: LessonFile = { kind: 'cunghoc-lesson', version: 1, lesson, images };
    res.attachment(`${lesson.id}.cunghoc.json`);
    res.type('application/json; charset=utf-8');
    res.send(JSON.stringify(doc));
  });

  api.post('/lessons', signedIn, lessonJson, async (req, res) => {
    const body = await parseLessonBody(req.body);
    if ('error' in body) return send(res, body.error);
    if (!(await store.createLesson(body.lesson, now()))) return send(res, fail('lesson_exists'));
    send(res, { ok: true, data: { lesson: body.lesson } }, 201);
  });

  api.put('/lessons/:id', signedIn, lessonJson, async (req, res) => {
    const id = lessonId(req);
    if (id === undefined || !(await store.getLesson(id))) return send(res, fail('not_found', 'No such lesson.'));
    const body = await parseLessonBody(req.body);
    if ('error' in body) return send(res, body.error);
    if (body.lesson.id !== id) {
      return send(res, invalidLesson([{ path: ['id'], message: `must stay "${id}": a lesson's id cannot change (duplicate it instead)` }]));
    }
    if (!(await store.updateLesson(body.lesson, now()))) return send(res, fail('not_found', 'No such lesson.'));
    send(res, { ok: true, data: { lesson: body.lesson } });
  });

  api.post('/lessons/:id/duplicate', json, signedIn, async (req, res) => {
    const body = DuplicateBody.safeParse(req.body);
    if (!body.success) return send(res, badRequest(body.error));
    const id = lessonId(req);
    const lesson = id === undefined ? undefined : await store.getLesson(id);
    if (!lesson) return send(res, fail('not_found', 'No such lesson.'));
    let copy = await copyOf(lesson);
    while (!(await store.createLesson(copy, now()))) copy = await copyOf(copy);
    send(res, { ok: true, data: { lesson: copy } }, 201);
  });

  api.post('/lessons/:id/archive', json, signedIn, async (req, res) => {
    const body = ArchiveBody.safeParse(req.body);
    if (!body.success) return send(res, badRequest(body.error));
    const id = lessonId(req);
    if (id === undefined || !(await store.setLessonArchived(id, body.data.archived, now()))) {
      return send(res, fail('not_found', 'No such lesson.'));
    }
    send(res, { ok: true, data: { archived: body.data.archived } });
  });

  api.post('/media', signedIn, rawImage, async (req, res) => {
    if (!Buffer.isBuffer(req.body) || req.body.length === 0) return send(res, fail('image_type'));
    const declared = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const image = await processImage(req.body, declared);
    if (!image.ok) return send(res, fail(image.code, image.message));
    const src = await media.save(image.bytes, image.type);
    send(res, { ok: true, data: { src, width: image.width, height: image.height } }, 201);
  });

  return api;
}

type Choices = { image?: { src: string; alt: string } }[];
const choicesOf = (q: Lesson['steps'][number]['questions'][number]): { key: 'options' | 'items'; list: Choices } | undefined =>
  'options' in q ? { key: 'options', list: q.options } : 'items' in q ? { key: 'items', list: q.items } : undefined;

/** Every picture a lesson uses, with its path in the document: step pictures and choice pictures. */
export function pictures(lesson: Lesson): { path: (string | number)[]; src: string }[] {
  return lesson.steps.flatMap((step, i) => [
    ...(step.image ? [{ path: ['steps', i, 'image', 'src'], src: step.image.src }] : []),
    ...step.questions.flatMap((q, j) => {
      const choices = choicesOf(q);
      return (choices?.list ?? []).flatMap((c, k) =>
        c.image ? [{ path: ['steps', i, 'questions', j, choices!.key, k, 'image', 'src'], src: c.image.src }] : [],
      );
    }),
  ]);
}

/** The lesson with every picture name passed through `rename`. */
function renamePictures(lesson: Lesson, rename: (src: string) => string): Lesson {
  const choice = <C extends Choices[number]>(c: C): C => (c.image ? { ...c, image: { ...c.image, src: rename(c.image.src) } } : c);
  return {
    ...lesson,
    steps: lesson.steps.map((step) => ({
      ...step,
      ...(step.image ? { image: { ...step.image, src: rename(step.image.src) } } : {}),
      questions: step.questions.map<Lesson['steps'][number]['questions'][number]>((q) => {
        const choices = choicesOf(q);
        return choices ? { ...q, [choices.key]: choices.list.map(choice) } : q;
      }),
    })),
  };
}
