import { t } from './i18n/i18n.svelte.ts';

/** A wait or a time on a step in words: "45 giây" under a minute, then whole minutes ("3 phút"). */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return s < 60 ? t('dur.s', { n: s }) : t('dur.m', { n: Math.floor(s / 60) });
}
