import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { extname, join, relative, resolve, sep } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useServers } from '../support/server.ts';

const servers = useServers();
const clientDir = resolve(import.meta.dirname, '../../dist/client');

/** A raw GET: Node's fetch would decode the body and hide what went over the wire. */
function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((done, fail) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    })
      .on('error', fail)
      .end();
  });
}

const built = readdirSync(clientDir, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && !/\.(br|gz)$/.test(e.name))
  .map((e) => '/' + relative(clientDir, join(e.parentPath, e.name)).split(sep).join('/'));
/** One hashed asset of each built type, and every file outside /assets/ (the pages, the service worker). */
const samples = [...new Map(built.map((f) => [f.startsWith('/assets/') ? extname(f) : f, f])).values()];

describe('the built client over HTTP', () => {
  it('the build has pages, scripts and styles, each with a brotli and a gzip copy', () => {
    const types = new Set(built.map((f) => extname(f)));
    for (const t of ['.html', '.js', '.css']) expect(types).toContain(t);
    expect(built).toContain('/sw.js');
    for (const f of built) {
      expect(readdirSync(join(clientDir, f, '..'))).toEqual(
        expect.arrayContaining([`${f.split('/').pop()}.br`, `${f.split('/').pop()}.gz`]),
      );
    }
  });

  it.each(samples)('%s: brotli, gzip or plain as asked, with its type and cache headers', async (file) => {
    const s = await servers.start();
    const raw = readFileSync(join(clientDir, file));
    const url = s.url + file.replace(/index\.html$/, '');
    const immutable = file.startsWith('/assets/');
    const cache = immutable ? 'public, max-age=31536000, immutable' : 'no-cache';
    const type = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' }[extname(file)];

    const br = await get(url, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).equals(raw)).toBe(true);
    expect(br.body.length).toBeLessThan(raw.length);

    const gz = await get(url, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(raw)).toBe(true);

    const plain = await get(url);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.equals(raw)).toBe(true);

    for (const r of [br, gz, plain]) {
      expect(r.headers['cache-control']).toBe(cache);
      expect(r.headers.vary).toMatch(/Accept-Encoding/i);
      if (type) expect(r.headers['content-type']).toContain(type);
    }
    // A page revalidates: the second load of it is a 304 with no body.
    const again = await get(url, { 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('a path outside the build is not served, in any encoding', async () => {
    const s = await servers.start();
    for (const path of ['/assets/../../package.json', '/%2e%2e/package.json', '/nope.js']) {
      const r = await get(s.url + path, { 'accept-encoding': 'br' });
      expect(r.status).toBe(404);
    }
  });
});
