import { readFileSync } from 'node:fs';
import { Lesson, type LessonInput } from '../../shared/lesson/schema.ts';
import type { TaskInput } from '../../shared/lesson/task.ts';

/** The QR payment practice task of test/fixtures/qr-task.json. */
export const qrTask = JSON.parse(readFileSync(new URL('../fixtures/qr-task.json', import.meta.url), 'utf8')) as TaskInput;

/**
 * Three steps: a true/false question on step 0 ("da-biet", right: true), the QR task on step 1 and
 * a second copy of it ("tra-tien-qr-2") on step 2; neither task opens with its step.
 */
export const quizAndTaskLesson = Lesson.parse({
  id: 'thanh-toan-qr',
  formatVersion: 1,
  title: 'Thanh toán bằng mã QR',
  steps: [
    {
      id: 'gioi-thieu',
      title: 'Giới thiệu',
      body: 'Mã QR là gì.',
      questions: [{ id: 'da-biet', kind: 'truefalse', prompt: 'Bác đã thấy mã QR chưa?', correct: true }],
    },
    { id: 'thuc-hanh', title: 'Thực hành', body: 'Trả tiền.', tasks: [{ ...qrTask, withStep: false }] },
    { id: 'on-tap', title: 'Ôn tập', body: 'Ôn tập.', tasks: [{ ...qrTask, id: 'tra-tien-qr-2', withStep: false }] },
  ],
});

type StepInput = LessonInput['steps'][number];

/** The id a title would get: lower case, without diacritics, words joined by hyphens ("Mở camera" → "mo-camera"). */
export const slugOf = (title: string): string =>
  title
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/gi, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/**
 * A lesson document (not yet parsed) from its steps: a step given as a title alone gets the id made
 * from it and the body "<title>."; a step given whole is kept as it is.
 */
export function lessonDoc(steps: (string | StepInput)[], { id = 'bai', title = 'Bài' } = {}): LessonInput {
  return {
    id,
    formatVersion: 1,
    title,
    steps: steps.map((s) => (typeof s === 'string' ? { id: slugOf(s), title: s, body: `${s}.` } : s)),
  };
}

/** `lessonDoc`, parsed: `lessonOf(['Một', 'Hai'])` is the lesson "bai" with steps "mot" and "hai". */
export const lessonOf = (steps: (string | StepInput)[], meta: { id?: string; title?: string } = {}): Lesson =>
  Lesson.parse(lessonDoc(steps, meta));

/** The four steps of scanning a QR code (indices 0..3), as several test files use them. */
export const qrScanSteps = [
  { id: 'mo-camera', title: 'Mở camera', body: 'Mở ứng dụng Camera.' },
  { id: 'huong-camera', title: 'Hướng camera vào mã', body: 'Giữ yên tay.' },
  { id: 'cham-lien-ket', title: 'Chạm vào liên kết', body: 'Chạm vào dòng chữ hiện lên.' },
  { id: 'kiem-tra', title: 'Kiểm tra', body: 'Trang web đã mở chưa?' },
] satisfies StepInput[];

/** The lesson "quet-ma-qr" of the four `qrScanSteps`. */
export const qrScanLesson = lessonOf(qrScanSteps, { id: 'quet-ma-qr', title: 'Quét mã QR' });

/** Choice options with the ids "a", "b", "c"… in order: `optionsOf('Có', 'Không')`. */
export const optionsOf = (...texts: string[]) => texts.map((text, i) => ({ id: String.fromCharCode(97 + i), text }));

/** Options given as a list get the ids "a", "b", "c"… in order; given as a record, its keys. */
const choicesOf = (options: string[] | Record<string, string>) =>
  Array.isArray(options) ? optionsOf(...options) : Object.entries(options).map(([id, text]) => ({ id, text }));

/** A single-choice question, its options as `choicesOf` makes them. "a" is right unless told. */
export const single = (id: string, prompt: string, options: string[] | Record<string, string>, correct = 'a') => ({
  id,
  kind: 'single' as const,
  prompt,
  options: choicesOf(options),
  correct,
});

/** A poll (no right answer), its options as `choicesOf` makes them: `poll('p', 'Bác thấy sao?', { co: 'Có', chua: 'Chưa' })`. */
export const poll = (id: string, prompt: string, options: string[] | Record<string, string>) => ({
  id,
  kind: 'poll' as const,
  prompt,
  options: choicesOf(options),
});
