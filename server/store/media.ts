import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extensionOf, type ImageType } from '../lib/images.ts';

/** A step picture's file name: what StepImage.src allows, so it can never leave its folder. */
const SAFE_NAME = /^[a-z0-9-]+\.(svg|png|jpe?g|webp)$/;

const typeOfName = (name: string): string => {
  const ext = name.slice(name.lastIndexOf('.') + 1);
  return ext === 'svg' ? 'image/svg+xml' : ext === 'png' ? 'image/png' : ext === 'webp' ? 'image/webp' : 'image/jpeg';
};

/**
 * Lesson pictures on disk: uploads in DATA_DIR/media, named by their content hash (so a picture is
 * stored once and never changes under a name), beside the starter images shipped in lessons/images.
 * Both are served at /media/<name>.
 */
export class MediaFiles {
  readonly uploadDir: string;
  readonly starterDir: string;

  constructor(uploadDir: string, starterDir: string) {
    this.uploadDir = uploadDir;
    this.starterDir = starterDir;
    mkdirSync(uploadDir, { recursive: true });
  }

  /** The name a processed picture is stored under. */
  static nameFor(bytes: Uint8Array, type: ImageType): string {
    return `${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}.${extensionOf[type]}`;
  }

  /** Store a processed picture (idempotent); returns its name. */
  async save(bytes: Buffer, type: ImageType): Promise<string> {
    const name = MediaFiles.nameFor(bytes, type);
    const path = join(this.uploadDir, name);
    if (!existsSync(path)) {
      // Write then rename: a half-written file is never served under the name.
      const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    }
    return name;
  }

  /** Is this picture on the server (uploaded or a starter image)? */
  exists(name: string): boolean {
    return SAFE_NAME.test(name) && (existsSync(join(this.uploadDir, name)) || existsSync(join(this.starterDir, name)));
  }

  /** An uploaded picture's bytes and type (starter images are not included: every server ships them). */
  async readUpload(name: string): Promise<{ bytes: Buffer; type: string } | undefined> {
    if (!SAFE_NAME.test(name)) return undefined;
    const path = join(this.uploadDir, name);
    if (!existsSync(path)) return undefined;
    return { bytes: await readFile(path), type: typeOfName(name) };
  }
}
