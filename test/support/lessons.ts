import { readFileSync } from 'node:fs';
import { Lesson } from '../../shared/lesson/schema.ts';
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
