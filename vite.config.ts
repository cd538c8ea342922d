import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const server = 'http://localhost:3000';

// One small bundle per role: the learner page must stay within 30 KB of JS + CSS, gzipped.
export default defineConfig({
  root: 'client',
  plugins: [svelte({ configFile: here('./svelte.config.js') })],
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    // Every browser the tablets run supports modulepreload; the polyfill would cost a request.
    modulePreload: { polyfill: false },
    rolldownOptions: {
      input: {
        learner: here('./client/index.html'),
        teach: here('./client/teach/index.html'),
        display: here('./client/display/index.html'),
      },
    },
  },
  server: {
    proxy: {
      '/api': server,
      '/media': server,
      '/socket.io': { target: server, ws: true },
    },
  },
});
