// The practice-task renderer: loaded only when a task opens, with its own words.
import { i18n } from '../../lib/i18n/i18n.svelte.ts';
import { task } from '../../lib/i18n/vi/task.ts';

i18n.extend(task, (en) => en.task);
export { default } from './TaskScreen.svelte';
