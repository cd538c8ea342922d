/**
 * The learner page's weight on the wire: the JavaScript and CSS that index.html loads (script,
 * modulepreload, stylesheet) plus every chunk those scripts import statically, each as the server
 * sends it: the `.gz` and `.br` files the build wrote beside it (browsers ask for brotli over HTTPS
 * only, so a tablet on http:// gets gzip). Chunks loaded only by dynamic import() are listed apart.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export interface WeightFile {
  file: string;
  bytes: number;
  /** As sent to a browser that asks for gzip (every http:// page). */
  gzip: number;
  /** As sent to a browser that asks for brotli (https:// and localhost). */
  brotli: number;
}

export interface Weight {
  page: string;
  js: WeightFile[];
  css: WeightFile[];
  jsGzip: number;
  cssGzip: number;
  /** On the wire over http (gzip): the budgeted figure, the larger of the two. */
  totalGzip: number;
  totalBrotli: number;
  totalBytes: number;
  /** Loaded only on demand (dynamic import): not in the total. */
  lazy: WeightFile[];
}

const attr = (tag: string, name: string): string | undefined => new RegExp(`\\b${name}\\s*=\\s*["']([^"']+)["']`).exec(tag)?.[1];

export function learnerPageWeight(clientDir: string, page = 'index.html'): Weight {
  const htmlPath = join(clientDir, page);
  if (!existsSync(htmlPath)) throw new Error(`${htmlPath} not found: run \`npm run build\` first`);
  const html = readFileSync(htmlPath, 'utf8');
  const js = new Set<string>();
  const css = new Set<string>();
  for (const tag of html.match(/<script\b[^>]*>/g) ?? []) {
    const src = attr(tag, 'src');
    if (src) js.add(src);
  }
  for (const tag of html.match(/<link\b[^>]*>/g) ?? []) {
    const rel = attr(tag, 'rel');
    const href = attr(tag, 'href');
    if (!href) continue;
    if (rel === 'modulepreload') js.add(href);
    if (rel === 'stylesheet') css.add(href);
  }
  const local = (url: string) => join(clientDir, url.replace(/^\//, '').split(/[?#]/)[0]);
  const resolveFrom = (from: string, spec: string) => new URL(spec, `http://x${from}`).pathname;

  // Follow static imports (import … from "./x.js", import "./x.js", export … from "./x.js").
  const lazy = new Set<string>();
  const queue = [...js];
  while (queue.length > 0) {
    const url = queue.pop()!;
    const code = readFileSync(local(url), 'utf8');
    for (const m of code.matchAll(/\b(?:import|export)\s*(?:[^'"();]*?\bfrom\s*)?["']([^"']+\.m?js)["']/g)) {
      const dep = resolveFrom(url, m[1]);
      if (!js.has(dep)) {
        js.add(dep);
        queue.push(dep);
      }
    }
    for (const m of code.matchAll(/\bimport\(\s*["'`]([^"'`]+\.m?js)["'`]\s*\)/g)) lazy.add(resolveFrom(url, m[1]));
  }
  // The build's own compressed copies when there are (what the server sends), else compressed here alike.
  const sizeOf = (path: string, make: () => Buffer) => (existsSync(path) ? statSync(path).size : make().length);
  const measure = (url: string): WeightFile => {
    const path = local(url);
    const buf = readFileSync(path);
    return {
      file: url,
      bytes: buf.length,
      gzip: sizeOf(`${path}.gz`, () => gzipSync(buf, { level: 9 })),
      brotli: sizeOf(`${path}.br`, () => brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })),
    };
  };
  const jsFiles = [...js].map(measure);
  const cssFiles = [...css].map(measure);
  const sum = (files: WeightFile[], k: 'gzip' | 'brotli' | 'bytes') => files.reduce((s, f) => s + f[k], 0);
  return {
    page,
    js: jsFiles,
    css: cssFiles,
    jsGzip: sum(jsFiles, 'gzip'),
    cssGzip: sum(cssFiles, 'gzip'),
    totalGzip: sum(jsFiles, 'gzip') + sum(cssFiles, 'gzip'),
    totalBrotli: sum(jsFiles, 'brotli') + sum(cssFiles, 'brotli'),
    totalBytes: sum(jsFiles, 'bytes') + sum(cssFiles, 'bytes'),
    lazy: [...lazy].filter((u) => !js.has(u) && existsSync(local(u))).map(measure),
  };
}
