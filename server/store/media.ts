import type { RequestHandler } from 'express';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extensionOf, type ImageType } from '../lib/images.ts';

/** A step picture's file name: what StepImage.src allows, so it can never leave its folder. */
const SAFE_NAME = /^[a-z0-9-]+\.(svg|png|jpe?g|webp)$/;

/** The content type of a picture by its name's extension. */
export const typeOfName = (name: string): string => {
  const ext = name.slice(name.lastIndexOf('.') + 1);
  return ext === 'svg' ? 'image/svg+xml' : ext === 'png' ? 'image/png' : ext === 'webp' ? 'image/webp' : 'image/jpeg';
};

/** Is this a name an uploaded or starter picture can have? */
export const isPictureName = (name: string): boolean => SAFE_NAME.test(name);

/**
 * Where uploaded pictures are kept, by name (a content hash, so a name never changes its bytes):
 * files in DATA_DIR/media (one process), or a table in PostgreSQL (every process serves the same).
 */
export interface MediaUploads {
  /** Store the bytes under this name unless they are there already (idempotent). */
  put(name: string, bytes: Buffer): Promise<void>;
  has(name: string): Promise<boolean>;
  get(name: string): Promise<Buffer | undefined>;
  /** Every stored name (for the store migration). */
  names(): Promise<string[]>;
}

/** Uploads as files in one folder, written then renamed so a half-written file is never served. */
export class MediaDir implements MediaUploads {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }
  async put(name: string, bytes: Buffer): Promise<void> {
    const path = join(this.dir, name);
    if (existsSync(path)) return;
    const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  }
  async has(name: string): Promise<boolean> {
    return existsSync(join(this.dir, name));
  }
  async get(name: string): Promise<Buffer | undefined> {
    const path = join(this.dir, name);
    return existsSync(path) ? readFile(path) : undefined;
  }
  async names(): Promise<string[]> {
    return (await readdir(this.dir)).filter(isPictureName).sort();
  }
}

/**
 * Lesson pictures: uploads (DATA_DIR/media, or the database), named by their content hash (so a
 * picture is stored once and never changes under a name), beside the starter images shipped in
 * lessons/images. Both are served at /media/<name>.
 */
export class MediaFiles {
  readonly uploads: MediaUploads;
  readonly starterDir: string;

  /** `uploads`: a folder (DATA_DIR/media) or a store of uploads (PostgreSQL). */
  constructor(uploads: string | MediaUploads, starterDir: string) {
    this.uploads = typeof uploads === 'string' ? new MediaDir(uploads) : uploads;
    this.starterDir = starterDir;
  }

  /** The folder uploads are files in, when they are (served as static files); undefined when they are in the database. */
  get uploadDir(): string | undefined {
    return this.uploads instanceof MediaDir ? this.uploads.dir : undefined;
  }

  /** The name a processed picture is stored under. */
  static nameFor(bytes: Uint8Array, type: ImageType): string {
    return `${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}.${extensionOf[type]}`;
  }

  /** Store a processed picture (idempotent); returns its name. */
  async save(bytes: Buffer, type: ImageType): Promise<string> {
    const name = MediaFiles.nameFor(bytes, type);
    await this.uploads.put(name, bytes);
    return name;
  }

  /** Is this picture on the server (uploaded or a starter image)? */
  async exists(name: string): Promise<boolean> {
    return SAFE_NAME.test(name) && (existsSync(join(this.starterDir, name)) || (await this.uploads.has(name)));
  }

  /** An uploaded picture's bytes and type (starter images are not included: every server ships them). */
  async readUpload(name: string): Promise<{ bytes: Buffer; type: string } | undefined> {
    if (!SAFE_NAME.test(name)) return undefined;
    const bytes = await this.uploads.get(name);
    return bytes && { bytes, type: typeOfName(name) };
  }
}

/**
 * /media/<name> for uploads kept in the database: the same answer as the static files (content type,
 * a day's cache, ETag and 304); a name that is not an upload goes on to the starter images.
 */
export function mediaFromStore(media: MediaFiles): RequestHandler {
  return (req, res, next) => {
    const name = req.path.slice(1);
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !isPictureName(name)) return next();
    media.uploads.get(name).then((bytes) => {
      if (!bytes) return next();
      res.set('cache-control', 'public, max-age=86400');
      res.type(typeOfName(name));
      res.send(bytes);
    }, next);
  };
}
