import type { Lesson } from './schema.ts';

const COPY_ID = '-ban-sao';
const COPY_TITLE = ' (bản sao)';

/**
 * The `n`-th candidate (from 1) for a copy of a lesson: id `<id>-ban-sao`, `<id>-ban-sao-2`…
 * (a copy of a copy starts from the same stem), title + " (bản sao)" once, both within their
 * lengths. The editor takes the first candidate whose id is free.
 */
export function lessonCopy(lesson: Lesson, n: number): Lesson {
  const stem = lesson.id.replace(/-ban-sao(?:-\d+)?$/, '');
  const title = lesson.title.endsWith(COPY_TITLE) ? lesson.title : lesson.title.slice(0, 120 - COPY_TITLE.length).trimEnd() + COPY_TITLE;
  const suffix = n === 1 ? COPY_ID : `${COPY_ID}-${n}`;
  const id = stem.slice(0, 64 - suffix.length).replace(/-+$/, '') + suffix;
  return { ...lesson, id, title };
}
