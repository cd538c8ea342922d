import { mount } from 'svelte';
import '../lib/base.css';
import '../lib/settings.svelte.ts'; // applies the tablet's text size and contrast before the first paint
import { i18n } from '../lib/i18n/i18n.svelte.ts';
import { common, learner, seat } from '../lib/i18n/vi.ts';
import App from './App.svelte';

void i18n
  .init([common, learner, seat], (en) => [en.common, en.learner, en.seat])
  .then(() => mount(App, { target: document.getElementById('app')! }));
