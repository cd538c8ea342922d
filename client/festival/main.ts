import { mount } from 'svelte';
import '../lib/base.css';
import '../lib/settings.svelte.ts'; // the screen's text size and contrast before the first paint
import { i18n } from '../lib/i18n/i18n.svelte.ts';
import { common, register } from '../lib/i18n/vi.ts';
import App from './App.svelte';

void i18n.init([common, register], (en) => [en.common, en.register]).then(() => mount(App, { target: document.getElementById('app')! }));
