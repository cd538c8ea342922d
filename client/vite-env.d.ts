/// <reference types="svelte" />
/// <reference types="vite/client" />

// For tsc only: svelte-check resolves .svelte files itself and sees their real props.
declare module '*.svelte' {
  import type { Component } from 'svelte';
  const component: Component<Record<string, unknown>>;
  export default component;
}
