import express, { type RequestHandler } from 'express';
import { readdirSync } from 'node:fs';
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

/**
 * The built client: each file in the encoding the browser asks for (the `.br`/`.gz` written at build
 * time by scripts/vite-plugins.ts), with cache headers by kind. The file list is read once at start.
 */
export function clientFiles(dir: string): RequestHandler[] {
  const files = new Set(listFiles(dir));
  const setHeaders = (res: express.Response, path: string): void => {
    res.setHeader('Cache-Control', cacheControl('/' + relative(dir, path).split(sep).join('/')));
  };
  const plain = express.static(dir, { index: 'index.html', cacheControl: false, setHeaders });
  const encoded: RequestHandler = (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const urlPath = req.path.endsWith('/') ? `${req.path}index.html` : req.path;
    const variants = ENCODINGS.filter((e) => files.has(urlPath + e.suffix));
    if (!files.has(urlPath) || variants.length === 0) return next();
    res.vary('Accept-Encoding');
    // Ours is the order of preference (brotli is smaller), not the order the browser lists them in.
    const variant = variants.find((e) => req.acceptsEncodings(e.name) === e.name);
    if (!variant) return next();
    // The type of the original, not of `.br`; send() keeps a Content-Type already set.
    res.type(extname(urlPath));
    res.setHeader('Content-Encoding', variant.name);
    res.setHeader('Cache-Control', cacheControl(urlPath));
    res.sendFile(urlPath.slice(1) + variant.suffix, { root: dir, cacheControl: false, dotfiles: 'deny' }, (err) => {
      if (err) next(err);
    });
  };
  return [encoded, plain];
}
