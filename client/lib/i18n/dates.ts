import { i18n } from './i18n.svelte.ts';

/* Dates and times for staff screens, in the page language (apart from i18n so the learner page does not carry them). */
export const dateTime = (ms: number): string =>
  new Intl.DateTimeFormat(i18n.locale, { dateStyle: 'medium', timeStyle: 'short' }).format(ms);

export const time = (ms: number): string => new Intl.DateTimeFormat(i18n.locale, { timeStyle: 'short' }).format(ms);
