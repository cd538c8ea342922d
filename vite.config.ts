import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const server = 'http://localhost:3000';

const staffPages = {
  teach: here('./client/teach/index.html'),
  display: here('./client/display/index.html'),
  ...(existsSync(here('./client/help/index.html')) ? { help: here('./client/help/index.html') } : {}),
};

/**
 * Two builds into one folder: `vite build` makes the staff pages (console, projector, helper phone),
 * `vite build --mode learner` the learner page on its own, so it shares no chunk with the staff
 * pages and carries only what it uses: its JS + CSS must stay within 30 KB gzipped.
 */
export default defineConfig(({ mode }) => ({
  root: 'client',
  plugins: [svelte({ configFile: here('./svelte.config.js') })],
  build: {
    outDir: '../dist/client',
    emptyOutDir: mode !== 'learner',
    // Every browser the tablets run supports modulepreload; the polyfill would cost a request.
    modulePreload: { polyfill: false },
    rolldownOptions: {
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
