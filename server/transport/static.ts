import express, { type RequestHandler } from 'express';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';

/** Hashed build output: a name never changes its bytes, so a tablet keeps it for a year without asking. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Pages and the service worker: always revalidated (a 304 when unchanged), so a new build reaches tablets at once. */
const REVALIDATE = 'no-cache';

const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;

function cacheControl(urlPath: string): string {
  return urlPath.startsWith('/assets/') ? IMMUTABLE : REVALIDATE;
}

/** Every file under `dir`, as URL paths (`/assets/x.js`). */
function listFiles(dir: string): string[] {
  const entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => '/' + relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
}

/** One built file, held in memory with the headers a revalidation needs. */
interface Held {
  body: Buffer;
  etag: string;
  lastModified: string;
}

/**
 * The built client: each file in the encoding the browser asks for (the `.br`/`.gz` written at build
 * time by scripts/vite-plugins.ts), with cache headers by kind. The files are read into memory once
 * at start (the build is a few megabytes and never changes while the server runs): a tablet's page
 * load costs no file-system call, so it does not wait on the thread pool behind a busy loop.
 * Anything else (a directory without its slash) falls through to express.static.
 */
export function clientFiles(dir: string): RequestHandler[] {
  const held = new Map<string, Held>();
  for (const urlPath of listFiles(dir)) {
    const file = join(dir, urlPath.slice(1));
    const body = readFileSync(file);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    held.set(urlPath, { body, etag, lastModified: statSync(file).mtime.toUTCString() });
  }
  const setHeaders = (res: express.Response, path: string): void => {
    res.setHeader('Cache-Control', cacheControl('/' + relative(dir, path).split(sep).join('/')));
  };
  const plain = express.static(dir, { index: 'index.html', cacheControl: false, setHeaders });
  const fromMemory: RequestHandler = (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const urlPath = req.path.endsWith('/') ? `${req.path}index.html` : req.path;
    const original = held.get(urlPath);
    if (!original) return next();
    const variants = ENCODINGS.filter((e) => held.has(urlPath + e.suffix));
    if (variants.length > 0) res.vary('Accept-Encoding');
    // Ours is the order of preference (brotli is smaller), not the order the browser lists them in.
    const variant = variants.find((e) => req.acceptsEncodings(e.name) === e.name);
    const file = variant ? held.get(urlPath + variant.suffix)! : original;
    // The type of the original, not of `.br`.
    res.type(extname(urlPath));
    if (variant) res.setHeader('Content-Encoding', variant.name);
    res.setHeader('Cache-Control', cacheControl(urlPath));
    res.setHeader('ETag', file.etag);
    res.setHeader('Last-Modified', file.lastModified);
    if (req.fresh) return void res.status(304).end();
    res.setHeader('Content-Length', file.body.length);
    res.status(200).end(req.method === 'HEAD' ? undefined : file.body);
  };
  return [fromMemory, plain];
}
