import { mount } from 'svelte';
import '../lib/base.css';
import '../lib/settings.svelte.ts'; // the device's text size and contrast before the first paint
import '../teach/tables.css';
import '../teach/forms.css';
import './print.css';
import { i18n } from '../lib/i18n/i18n.svelte.ts';
import { common, register, staff } from '../lib/i18n/vi.ts';
import App from './App.svelte';

void i18n
  .init([common, staff, register], (en) => [en.common, en.staff, en.register])
  .then(() => mount(App, { target: document.getElementById('app')! }));
