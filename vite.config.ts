import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { pageShell, precompress, privateNamesAsProperties, unwrapBarePreload, withoutWebTransport } from './scripts/vite-plugins.ts';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const server = 'http://localhost:3000';

const staffPages = {
  teach: here('./client/teach/index.html'),
  display: here('./client/display/index.html'),
  seat: here('./client/seat/index.html'),
  register: here('./client/register/index.html'),
  festival: here('./client/festival/index.html'),
  ...(existsSync(here('./client/help/index.html')) ? { help: here('./client/help/index.html') } : {}),
};

/**
 * Chunks of the learner page loaded on demand that a tablet must have offline too: the practice-task
 * renderer (client/learner/task/) is named here (its chunk name, `task-*.js`).
 */
const LEARNER_LAZY_CHUNKS = ['task'];

/**
 * The learner page's service worker (Workbox, generated): registered only over https (client/learner/main.ts),
 * it keeps the page's shell and the lesson pictures, so a reload with the Wi-Fi down still opens.
 */
function learnerServiceWorker() {
  return VitePWA({
    injectRegister: false,
    manifest: false,
    filename: 'sw.js',
    // Generated before precompress() runs, so that sw.js gets its .br and .gz too.
    integration: { closeBundleOrder: 'pre' },
    workbox: {
      globPatterns: ['index.html', `assets/{${['learner', 'en', ...LEARNER_LAZY_CHUNKS].join(',')}}-*.{js,css}`],
      inlineWorkboxRuntime: true,
      // Take the open page at once, so that the pictures it fetches next are kept (client/learner/learner.svelte.ts).
      clientsClaim: true,
      skipWaiting: true,
      cleanupOutdatedCaches: true,
      // The learner page only (with ?code= or ?seat=); the staff pages stay online-only.
      navigateFallback: '/index.html',
      navigateFallbackAllowlist: [/^\/(\?.*)?$/],
      runtimeCaching: [
        {
          urlPattern: ({ url }) => url.pathname.startsWith('/media/'),
          handler: 'CacheFirst',
          options: { cacheName: 'lesson-pictures', expiration: { maxEntries: 300 } },
        },
      ],
    },
  });
}

/**
 * Two builds into one folder: `vite build` makes the staff pages (console, projector, helper phone),
 * `vite build --mode learner` the learner page on its own, so it shares no chunk with the staff
 * pages and carries only what it uses: its JS + CSS must stay within 45 KB compressed, as sent.
 */
export default defineConfig(({ mode }) => ({
  root: 'client',
  plugins: [
    pageShell(),
    svelte({ configFile: here('./svelte.config.js') }),
    privateNamesAsProperties(),
    ...(mode === 'learner' ? [unwrapBarePreload(), withoutWebTransport(), learnerServiceWorker()] : []),
    precompress(['sw.js'], { zopfli: mode === 'learner' }),
  ],
  build: {
    // Old tablets: Android Chrome 90 and iPad Safari 14 (docs/accessibility.md). 'chrome91', not 90: for
    // oxc, Chrome 80-90's optional chaining has a bug (a call with a non-final spread argument, which
    // test/unit/old-browsers.test.ts forbids in the bundles); lowering every `?.` would cost 0.7 KB.
    target: ['chrome91', 'safari14'],
    cssTarget: ['chrome90', 'safari14'],
    outDir: '../dist/client',
    emptyOutDir: mode !== 'learner',
    // Every browser the tablets run supports modulepreload; the polyfill would cost a request.
    modulePreload: { polyfill: false },
    // The learner page (45 KB budget): terser with three passes is ~1.5% smaller than the default minifier.
    ...(mode === 'learner'
      ? {
          minify: 'terser' as const,
          terserOptions: { ecma: 2020, module: true, toplevel: true, compress: { passes: 3, keep_fargs: false } },
        }
      : {}),
    rolldownOptions: {
      // terser on the learner page is slow by design (it is run for size): no timing warning about it.
      checks: { pluginTimings: false },
      // Lowered class fields become plain assignments (no field shadows an accessor in our code or Svelte's).
      transform: { assumptions: { setPublicClassFields: true } },
      input: mode === 'learner' ? { learner: here('./client/index.html') } : staffPages,
    },
  },
  server: {
    proxy: {
      '/api': server,
      '/media': server,
      '/socket.io': { target: server, ws: true },
    },
  },
}));
