import { mount } from 'svelte';
import '../lib/base.css';
import '../lib/settings.svelte.ts'; // applies the tablet's text size and contrast before the first paint
import './tables.css';
import './forms.css';
import { i18n } from '../lib/i18n/i18n.svelte.ts';
import { common, register, staff, task, teach } from '../lib/i18n/vi.ts';
import App from './App.svelte';

void i18n
  .init([common, teach, staff, register, task], (en) => [en.common, en.teach, en.staff, en.register, en.task])
  .then(() => mount(App, { target: document.getElementById('app')! }));
