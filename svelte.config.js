import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/vite-plugin-svelte').SvelteConfig} */
export default {
  preprocess: vitePreprocess(),
  compilerOptions: {
    runes: true,
    // The learner page has a 30 KB budget: no version marker, and short scoping classes ("s" + 5
    // characters of the component's hash instead of "svelte-" + 7).
    discloseVersion: false,
    cssHash: ({ hash, css, filename }) => `s${hash(filename + css).slice(0, 5)}`,
  },
};
