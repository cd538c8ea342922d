import { describe, expect, it } from 'vitest';
import { Question } from '../../shared/lesson/question.ts';
import { Lesson } from '../../shared/lesson/schema.ts';
import {
  changeKind,
  newLesson,
  newQuestion,
  nextOptionId,
  normalize,
  questionKinds,
  slugify,
  uniqueId,
} from '../../client/teach/lesson-draft.ts';
import { single as singleChoice } from '../support/lessons.ts';

describe('the lesson editor draft helpers (client/teach/lesson-draft.ts)', () => {
  it.each([
    ['Gọi video cho con cháu ở xa', 'goi-video-cho-con-chau-o-xa'],
    ['Đăng ký tài khoản ĐIỆN TỬ', 'dang-ky-tai-khoan-dien-tu'],
    ['  Quét mã QR — thanh toán!  ', 'quet-ma-qr-thanh-toan'],
    ['Ứng dụng VNeID (mức 2)', 'ung-dung-vneid-muc-2'],
    ['!!!', ''],
  ])('slugify(%j) = %j', (title, slug) => {
    expect(slugify(title)).toBe(slug);
  });

  it('keeps slugs within 64 characters, without a trailing dash', () => {
    const slug = slugify('Bài học rất dài '.repeat(10));
    expect(slug.length).toBeLessThanOrEqual(64);
    expect(slug).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
  });

  it('finds a free id and a free option id', () => {
    expect(uniqueId('buoc-1', ['buoc-2'])).toBe('buoc-1');
    expect(uniqueId('buoc-1', ['buoc-1', 'buoc-1-2'])).toBe('buoc-1-3');
    expect(
      nextOptionId([
        { id: 'a', text: '' },
        { id: 'c', text: '' },
      ]),
    ).toBe('b');
  });

  it('changes a question to every kind, keeping prompt, explanation and options; each result fits the schema once filled', () => {
    const start = { ...newQuestion('cau-1'), prompt: 'Chọn', explanation: 'Vì thế' };
    for (const kind of questionKinds) {
      const q = changeKind(start, kind);
      expect(q).toMatchObject({ id: 'cau-1', kind, prompt: 'Chọn', explanation: 'Vì thế' });
      const filled: unknown = JSON.parse(
        JSON.stringify(q).replaceAll('"text":""', '"text":"x"').replaceAll('"accepted":[""]', '"accepted":["x"]'),
      );
      expect(Question.safeParse(filled).success, kind).toBe(true);
    }
    const single: Question = singleChoice('cau-2', 'P', ['A', 'B'], 'b');
    const multiple = changeKind(single, 'multiple');
    expect(multiple).toMatchObject({ correct: ['b'] });
    expect(changeKind(multiple, 'single')).toMatchObject({ correct: 'b' });
  });

  it('leaves empty optional fields out before validation', () => {
    const lesson = newLesson();
    Object.assign(lesson, { id: 'bai', title: 'Bài' });
    Object.assign(lesson.steps[0], { title: 'Bước', expectedMinutes: null });
    lesson.steps[0].questions.push({ id: 'so', kind: 'number', prompt: 'Mấy?', correct: 2, tolerance: 0, unit: ' ', explanation: '' });
    const out = normalize(lesson) as Lesson;
    expect(out.steps[0]).not.toHaveProperty('expectedMinutes');
    expect(out.steps[0].questions[0]).not.toHaveProperty('unit');
    expect(out.steps[0].questions[0]).not.toHaveProperty('explanation');
    expect(Lesson.safeParse(out).success).toBe(true);
    expect(lesson.steps[0]).toHaveProperty('expectedMinutes', null); // the draft itself is untouched
  });
});
