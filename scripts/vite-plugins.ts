import MagicString from 'magic-string';
import { parseAst } from 'rolldown/parseAst';
import type { Plugin } from 'vite';

type Node = { type: string; start: number; end: number; [key: string]: unknown };

/**
 * Safari 14 has no private methods (15) nor, before 14.1, private fields; lowering them the standard
 * way (WeakMaps and helpers) costs the learner page 1.6 KB gzipped. Svelte's runtime and our rune
 * classes never rely on real privacy (no `#x in obj`, no reflection over instances), so `#name`
 * becomes an ordinary property `ǂ<n>`, short because the minifier keeps property names. `n` counts the
 * class's private names from 0 (so the names repeat from class to class and compress well), except in
 * a class that extends another of ours: its names are unique in the whole build (from 1000), so they
 * cannot collide with its parent's.
 */
export function privateNamesAsProperties(): Plugin {
  let unique = 1000;
  const builtins = new Set(['Error', 'Map', 'Set', 'Date', 'URL', 'URLSearchParams', 'HTMLElement', 'EventTarget']);
  return {
    name: 'cunghoc:private-names',
    enforce: 'post',
    transform(code, id) {
      if (!code.includes('#') || !/\.(m?js|ts|svelte)(\?.*)?$/.test(id)) return null;
      let program: Node;
      try {
        program = parseAst(code, { lang: id.endsWith('.ts') ? 'ts' : 'js' }) as unknown as Node;
      } catch {
        return null;
      }
      const out = new MagicString(code);
      const scopes: Map<string, string>[] = [];
      let changed = false;
      const visit = (node: unknown): void => {
        if (Array.isArray(node)) {
          for (const n of node) visit(n);
          return;
        }
        if (!node || typeof node !== 'object' || typeof (node as Node).type !== 'string') return;
        const n = node as Node;
        if (n.type === 'ClassDeclaration' || n.type === 'ClassExpression') {
          const parent = n.superClass as Node | null;
          const own = !parent || (parent.type === 'Identifier' && builtins.has(parent.name as string));
          let count = 0;
          const names = new Map<string, string>();
          for (const member of (n.body as Node).body as Node[]) {
            const key = member.key as Node | undefined;
            if (key?.type === 'PrivateIdentifier' && !names.has(key.name as string))
              names.set(key.name as string, `ǂ${(own ? count++ : unique++).toString(36)}`);
          }
          visit(parent);
          scopes.push(names);
          visit(n.body);
          scopes.pop();
          return;
        }
        if (n.type === 'PrivateIdentifier') {
          const name = n.name as string;
          const renamed = scopes.findLast((s) => s.has(name))?.get(name);
          if (!renamed) throw new Error(`private name #${name} outside its class in ${id}`);
          out.overwrite(n.start, n.end, renamed);
          changed = true;
          return;
        }
        for (const [k, v] of Object.entries(n)) if (k !== 'type' && v && typeof v === 'object') visit(v);
      };
      visit(program);
      return changed ? { code: out.toString(), map: out.generateMap({ hires: true }) } : null;
    },
  };
}

/**
 * The learner page's one dynamic import (the English dictionary) has no dependencies to preload, yet
 * Vite wraps it in its preload helper, 0.5 KB gzipped of the page's 45 KB: unwrap it, so the helper
 * is dropped as unused code.
 */
export function unwrapBarePreload(): Plugin {
  return {
    name: 'cunghoc:unwrap-bare-preload',
    apply: 'build',
    renderChunk(code) {
      const out = code.replace(/__vitePreload\(\(\) => (import\("[^"]+"\)), (?:\[\]|__VITE_PRELOAD__)\)/g, '$1');
      return out === code ? null : { code: out, map: null };
    },
  };
}

/**
 * The learner page talks long-polling and WebSocket to its own server, which offers no WebTransport:
 * give engine.io-client a transports table without it (0.4 KB gzipped of the page's 45 KB).
 */
export function withoutWebTransport(): Plugin {
  const virtual = '\0cunghoc:engine-io-transports';
  const engineModule = /engine\.io-client[\\/]build[\\/]esm[\\/](socket|index)\.js$/;
  let importer = '';
  return {
    name: 'cunghoc:without-webtransport',
    apply: 'build',
    enforce: 'pre',
    resolveId(source, from) {
      if (source !== './transports/index.js' || !from || !engineModule.test(from)) return null;
      importer = from;
      return virtual;
    },
    async load(id) {
      if (id !== virtual) return null;
      const xhr = await this.resolve('./transports/polling-xhr.node.js', importer);
      const ws = await this.resolve('./transports/websocket.node.js', importer);
      if (!xhr || !ws) throw new Error('engine.io-client transports not found');
      return `import { XHR } from ${JSON.stringify(xhr.id)};\nimport { WS } from ${JSON.stringify(ws.id)};\nexport const transports = { websocket: WS, polling: XHR };\n`;
    },
  };
}

/** What is worth compressing; pictures and fonts are compressed already. */
const COMPRESSIBLE = /\.(m?js|css|html|svg|json|webmanifest|txt|map)$/;

/**
 * Every text file of the build gets a `.br` (brotli, best) and a `.gz` beside it, written once here
 * so that the server sends the encoding a tablet asks for without compressing per request. The gzip
 * is zlib's -9, or with `zopfli` (the learner page: tablets on http:// get gzip, and its budget is
 * judged on it) Zopfli's: the same format every browser reads, about 4% smaller, for a second of build.
 */
export function precompress(later: string[] = [], opts: { zopfli?: boolean } = {}): Plugin {
  let dir = '';
  let names: string[] = [];
  const compress = async (name: string): Promise<void> => {
    const { existsSync } = await import('node:fs');
    const { readFile, writeFile } = await import('node:fs/promises');
    const path = await import('node:path');
    const zlib = await import('node:zlib');
    if (!existsSync(path.join(dir, name))) return;
    const raw = await readFile(path.join(dir, name));
    const br = zlib.brotliCompressSync(raw, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
    });
    await writeFile(path.join(dir, `${name}.br`), br);
    const gz = opts.zopfli ? await (await import('@gfx/zopfli')).gzipAsync(raw, { numiterations: 15 }) : zlib.gzipSync(raw, { level: 9 });
    await writeFile(path.join(dir, `${name}.gz`), gz);
  };
  return {
    name: 'cunghoc:precompress',
    apply: 'build',
    writeBundle(options, bundle) {
      dir = options.dir!;
      names = Object.keys(bundle).filter((name) => COMPRESSIBLE.test(name));
    },
    // After every other plugin's closeBundle: `later` lists files written there (the service worker).
    closeBundle: {
      order: 'post',
      sequential: true,
      async handler() {
        await Promise.all([...names, ...later].map(compress));
      },
    },
  };
}

/**
 * The shell every page shares (charset, viewport, an empty icon, the #app mount point), put around what
 * a page's index.html says of its own: its <title>, its <script>, and `data-color-scheme="light"` on
 * <html> for the tablet and phone pages (form controls stay light whatever the device's dark mode).
 */
export function pageShell(): Plugin {
  return {
    name: 'cunghoc-page-shell',
    transformIndexHtml: {
      order: 'pre',
      handler(html, { filename }) {
        const own = html.split('\n').map((line) => line.trim());
        const light = own.some((line) => line.startsWith('<html') && line.includes('data-color-scheme="light"'));
        const title = own.find((line) => line.startsWith('<title>'));
        const script = own.find((line) => line.startsWith('<script'));
        if (!title || !script) throw new Error(`${filename}: a page gives its <title> and its <script>`);
        return [
          '<!doctype html>',
          '<html lang="vi">',
          '  <head>',
          '    <meta charset="utf-8" />',
          '    <meta name="viewport" content="width=device-width, initial-scale=1" />',
          ...(light ? ['    <meta name="color-scheme" content="light" />'] : []),
          '    <link rel="icon" href="data:," />',
          `    ${title}`,
          '  </head>',
          '  <body>',
          '    <div id="app"></div>',
          `    ${script}`,
          '  </body>',
          '</html>',
          '',
        ].join('\n');
      },
    },
  };
}
