import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';

/**
 * A backup is a gzipped tar (any archive tool opens it) of the data folder: first a manifest naming
 * every file with its size and SHA-256, then the database (a consistent snapshot taken with SQLite's
 * backup API while classes run), then every other file (the uploaded pictures in media/).
 */
export const MANIFEST = 'cunghoc-backup.json';
const FORMAT = 'cunghoc-backup';
const VERSION = 1;
export const DB_FILE = 'cunghoc.sqlite';
/** When the last backup was taken; kept in the data folder, never in a backup. */
const LAST_FILE = 'last-backup.json';

interface Manifest {
  format: typeof FORMAT;
  version: number;
  createdAt: string;
  files: { name: string; size: number; sha256: string }[];
}

/** A backup file that cannot be restored: `code` is stable, the message says what is wrong (vi · en). */
export class BackupError extends Error {
  readonly code: 'not_a_backup' | 'damaged' | 'newer_version' | 'target_not_empty';
  constructor(code: BackupError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** Data-folder files that are not copied as they are: the live database (snapshotted instead), temp files, the last-backup note. */
const skipped = (name: string): boolean =>
  name === DB_FILE || name.startsWith(`${DB_FILE}-`) || name.endsWith('.tmp') || name === LAST_FILE || name === MANIFEST;

function listFiles(dataDir: string, dir = dataDir): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, e.name);
    const name = relative(dataDir, path).split(sep).join('/');
    if (e.isDirectory()) out.push(...listFiles(dataDir, path));
    else if (e.isFile() && !skipped(name)) out.push(name);
  }
  return out;
}

const sha256File = async (path: string): Promise<string> => {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
};

/** One ustar header block (names here are short, ASCII and relative). */
function tarHeader(name: string, size: number, mtime: number): Buffer {
  const h = Buffer.alloc(512);
  const put = (value: string, offset: number, length: number) => h.write(value, offset, length, 'ascii');
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, '0') + '\0';
  put(name, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(Math.floor(mtime / 1000), 12), 136, 12);
  put('        ', 148, 8);
  put('0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const byte of h) sum += byte;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

async function* tarEntries(
  entries: { name: string; path?: string; bytes?: Buffer; size: number }[],
  mtime: number,
): AsyncGenerator<Buffer> {
  for (const e of entries) {
    yield tarHeader(e.name, e.size, mtime);
    if (e.bytes) yield e.bytes;
    else for await (const chunk of createReadStream(e.path!)) yield chunk as Buffer;
    const pad = (512 - (e.size % 512)) % 512;
    if (pad > 0) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(1024);
}

/**
 * Write a backup of `dataDir` to `outFile` while the server may be running: the database is copied in
 * one step of SQLite's backup API (one read transaction: a consistent snapshot, whatever is written
 * meanwhile), so every transaction committed before the call is in it.
 */
export async function createBackup(dataDir: string, outFile: string, now = Date.now()): Promise<{ bytes: number; files: number }> {
  const work = await mkdtemp(join(tmpdir(), 'cunghoc-backup-'));
  try {
    const snapshot = join(work, DB_FILE);
    const source = new Database(join(dataDir, DB_FILE), { fileMustExist: true });
    try {
      source.pragma('busy_timeout = 5000');
      // The whole database in one step: a step-by-step copy would restart on every write by the server.
      await source.backup(snapshot, { progress: () => 0x7fffffff });
    } finally {
      source.close();
    }
    const others = listFiles(dataDir);
    const files = [{ name: DB_FILE, path: snapshot }, ...others.map((name) => ({ name, path: join(dataDir, name) }))];
    const described = [];
    for (const f of files) described.push({ ...f, size: statSync(f.path).size, sha256: await sha256File(f.path) });
    const manifest: Manifest = {
      format: FORMAT,
      version: VERSION,
      createdAt: new Date(now).toISOString(),
      files: described.map(({ name, size, sha256 }) => ({ name, size, sha256 })),
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
    // Written beside the target, then renamed: an interrupted backup never looks like a finished one.
    const partial = `${outFile}.${process.pid}.partial`;
    try {
      await pipeline(
        Readable.from(tarEntries([{ name: MANIFEST, bytes: manifestBytes, size: manifestBytes.length }, ...described], now)),
        createGzip(),
        createWriteStream(partial),
      );
      await rename(partial, outFile);
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
    writeFileSync(join(dataDir, LAST_FILE), JSON.stringify({ at: now }) + '\n');
    return { bytes: statSync(outFile).size, files: described.length };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** When the last backup of this data folder was taken (ms since epoch), or null. */
export function lastBackupAt(dataDir: string): number | null {
  try {
    const at = (JSON.parse(readFileSync(join(dataDir, LAST_FILE), 'utf8')) as { at?: unknown }).at;
    return typeof at === 'number' ? at : null;
  } catch {
    return null;
  }
}

const SAFE_NAME = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
const notABackup = () =>
  new BackupError('not_a_backup', 'Tệp này không phải bản sao lưu của Cùng Học. · This file is not a Cùng Học backup.');
const damaged = (why: string) =>
  new BackupError(
    'damaged',
    `Bản sao lưu bị hỏng hoặc không đầy đủ (${why}); không khôi phục gì. · The backup is damaged or incomplete (${why}); nothing was restored.`,
  );

interface Entry {
  name: string;
  size: number;
  remaining: number;
  pad: number;
  hash: ReturnType<typeof createHash>;
  /** File descriptor being written; the manifest is kept in memory instead. */
  out?: number;
  chunks?: Buffer[];
}

/** Read the tar entries of a gzipped file one by one, each written to `dir`; checks happen in restoreBackup. */
async function extract(
  file: string,
  dir: string,
  onManifest: (m: Manifest) => void,
): Promise<Map<string, { size: number; sha256: string }>> {
  const got = new Map<string, { size: number; sha256: string }>();
  let buffer = Buffer.alloc(0);
  let current: Entry | null = null;
  let manifest: Manifest | null = null;
  let ended = false;
  const gunzip = createReadStream(file).pipe(createGunzip());
  try {
    for await (const chunk of gunzip) {
      buffer = Buffer.concat([buffer, chunk as Buffer]);
      for (;;) {
        if (ended) break;
        if (current) {
          const take = Math.min(current.remaining, buffer.length);
          const part = buffer.subarray(0, take);
          current.hash.update(part);
          if (current.out !== undefined) writeSync(current.out, part);
          else current.chunks!.push(Buffer.from(part));
          current.remaining -= take;
          buffer = buffer.subarray(take);
          if (current.remaining > 0) break;
          if (buffer.length < current.pad) break;
          buffer = buffer.subarray(current.pad);
          if (current.out !== undefined) closeSync(current.out);
          got.set(current.name, { size: current.size, sha256: current.hash.digest('hex') });
          if (current.chunks) {
            try {
              manifest = JSON.parse(Buffer.concat(current.chunks).toString('utf8')) as Manifest;
            } catch {
              throw notABackup();
            }
            if (manifest?.format !== FORMAT || !Array.isArray(manifest.files)) throw notABackup();
            onManifest(manifest);
          }
          current = null;
          continue;
        }
        if (buffer.length < 512) break;
        const header = buffer.subarray(0, 512);
        buffer = buffer.subarray(512);
        if (header.every((b) => b === 0)) {
          ended = true;
          break;
        }
        if (header.toString('ascii', 257, 262) !== 'ustar') throw got.size === 0 ? notABackup() : damaged('tar header');
        const name = header.toString('ascii', 0, 100).replace(/\0.*$/s, '');
        const size = parseInt(header.toString('ascii', 124, 136).replace(/\0.*$/s, '').trim(), 8);
        if (!Number.isFinite(size) || size < 0) throw damaged('tar header');
        if (got.size === 0 && name !== MANIFEST) throw notABackup();
        if (name !== MANIFEST) {
          if (!SAFE_NAME.test(name) || name.split('/').some((p) => p === '..' || p === '.'))
            throw damaged(`file name ${JSON.stringify(name)}`);
          if (!manifest?.files.some((f) => f.name === name) || got.has(name)) throw damaged(`unexpected file ${name}`);
        }
        const entry: Entry = { name, size, remaining: size, pad: (512 - (size % 512)) % 512, hash: createHash('sha256') };
        if (name === MANIFEST) entry.chunks = [];
        else {
          mkdirSync(dirname(join(dir, name)), { recursive: true });
          entry.out = openSync(join(dir, name), 'wx');
        }
        current = entry;
      }
    }
  } catch (err) {
    if (current?.out !== undefined) closeSync(current.out);
    if (err instanceof BackupError) throw err;
    // zlib: "incorrect header check" for a file that is not gzip at all, "unexpected end of file" when cut short.
    const code = (err as { code?: string }).code;
    if (got.size === 0 && code === 'Z_DATA_ERROR') throw notABackup();
    throw damaged(code === 'Z_BUF_ERROR' ? 'cut short' : (err as Error).message);
  }
  if (!ended || current) throw damaged('cut short');
  if (!manifest) throw notABackup();
  return got;
}

/**
 * Restore a backup into `dataDir`, which must be empty or absent. Everything is checked first (every
 * file's size and SHA-256, the database's own integrity check) in a folder beside it, which then
 * takes its place: a damaged or foreign file changes nothing.
 */
export async function restoreBackup(file: string, dataDir: string): Promise<{ files: number; createdAt: string }> {
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new BackupError(
      'target_not_empty',
      `Thư mục dữ liệu ${dataDir} không trống: chỉ khôi phục vào thư mục trống. · The data folder ${dataDir} is not empty: restore only into an empty one.`,
    );
  }
  if (!existsSync(file)) throw new BackupError('not_a_backup', `Không có tệp ${file}. · There is no file ${file}.`);
  mkdirSync(dirname(dataDir), { recursive: true });
  const work = `${dataDir}.restoring-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  try {
    let manifest: Manifest | null = null;
    const got = await extract(file, work, (m) => {
      if (typeof m.version !== 'number' || m.version > VERSION) {
        throw new BackupError(
          'newer_version',
          'Bản sao lưu này từ phiên bản Cùng Học mới hơn: hãy cập nhật trước. · This backup is from a newer Cùng Học: update first.',
        );
      }
      manifest = m;
    });
    const m = manifest as Manifest | null;
    if (!m) throw notABackup();
    for (const f of m.files) {
      const g = got.get(f.name);
      if (!g) throw damaged(`missing ${f.name}`);
      if (g.size !== f.size || g.sha256 !== f.sha256) throw damaged(`${f.name} differs from its checksum`);
    }
    if (!m.files.some((f) => f.name === DB_FILE)) throw damaged('no database');
    let check: unknown;
    try {
      const db = new Database(join(work, DB_FILE), { fileMustExist: true });
      try {
        check = db.pragma('integrity_check', { simple: true });
      } finally {
        db.close();
      }
    } catch (err) {
      check = (err as Error).message;
    }
    if (check !== 'ok') throw damaged(`database: ${String(check)}`);
    if (existsSync(dataDir)) rmdirSync(dataDir);
    renameSync(work, dataDir);
    return { files: m.files.length, createdAt: m.createdAt };
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
}
