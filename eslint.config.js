// Lint: typescript-eslint's type-checked rules over every TypeScript file (server, shared, client,
// test, bench, scripts) and the <script lang="ts"> of the Svelte components; formatting is prettier's.
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'release/', 'node_modules/', 'data/', 'test-results/', 'bench/results/', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  ...svelte.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node, ...globals.browser },
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.svelte'],
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_name` is how the code says "deliberately unused" (a destructured field left out, an Express handler's arity).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // An `async` method without `await` is on purpose: it implements a Promise-returning interface (the
      // stores, the adapters), and a throw inside it must reach the caller as a rejection, not synchronously.
      '@typescript-eslint/require-await': 'off',
      // svelte-check (npm run check, --fail-on-warnings) compiles every component with the real options
      // and owns the compiler's warnings; this rule's own compile disagrees with it on state_referenced_locally.
      'svelte/no-unused-svelte-ignore': 'off',
      // The client's state is reactive by reassignment ($state.raw replaced whole, STYLE.md): the Sets, Maps and
      // URLSearchParams it builds are local temporaries or replaced whole, never mutated in place.
      'svelte/prefer-svelte-reactivity': 'off',
      // {' '} and {' · '} keep a space that Svelte would trim at the edge of a block or a line.
      'svelte/no-useless-mustaches': 'off',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    // Runes on, as svelte.config.js has them (the config itself holds functions, which --cache cannot store).
    languageOptions: { parserOptions: { parser: tseslint.parser, svelteConfig: { compilerOptions: { runes: true } } } },
  },
  {
    // In markup the parser leaves some expressions' types unresolved (it reports "a type that could not be
    // resolved" for well-typed calls): the no-unsafe-* rules would be noise there. svelte-check
    // (npm run check, --fail-on-warnings) type-checks the markup; the <script> keeps every other rule.
    files: ['**/*.svelte'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
