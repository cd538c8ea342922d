import { mount } from 'svelte';
import '../lib/base.css';
import '../lib/settings.svelte.ts'; // applies the tablet's text size and contrast before the first paint
import { i18n } from '../lib/i18n/i18n.svelte.ts';
import { common, learner } from '../lib/i18n/vi.ts';
import App from './App.svelte';

void i18n.init([common, learner], (en) => [en.common, en.learner]).then(() => mount(App, { target: document.getElementById('app')! }));

// The offline shell (vite.config.ts), over https only: a LAN http:// page gets no service worker from the
// browser, and http://localhost, which would, behaves as a tablet on http does.
if (location.protocol === 'https:' && 'serviceWorker' in navigator) {
  void navigator.serviceWorker.register('/sw.js').catch(() => undefined);
}
