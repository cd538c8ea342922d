import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lesson } from '../../shared/lesson/schema.ts';
import type { LessonInput } from '../../shared/lesson/schema.ts';
import { lessonDoc } from '../support/lessons.ts';

const LESSONS_DIR = fileURLToPath(new URL('../../lessons/', import.meta.url));
const IMAGES_DIR = join(LESSONS_DIR, 'images');

/**
 * The starter curriculum, one lesson per topic of the digital-skills movement
 * ("Bình dân học vụ số"), in teaching order.
 */
const CURRICULUM = [
  'lam-quen-dien-thoai', // 1. Làm quen với điện thoại thông minh
  'cai-dat-vneid', // 2. Tài khoản định danh điện tử VNeID
  'thanh-toan-qr', // 3. Thanh toán không tiền mặt bằng mã QR
  'mua-ban-truc-tuyen', // 4. Mua bán trực tuyến an toàn
  'dich-vu-cong-truc-tuyen', // 5. Dịch vụ công trực tuyến
  'bao-ve-thong-tin-ca-nhan', // 6. Bảo vệ thông tin cá nhân và phòng chống lừa đảo trực tuyến
] as const;

/**
 * Key points each topic must teach: phrases (case-insensitive) that must appear somewhere in the
 * lesson's step titles and bodies. They keep an edit from silently dropping a point of the topic.
 */
const KEY_POINTS: Record<(typeof CURRICULUM)[number], string[]> = {
  'lam-quen-dien-thoai': ['nút nguồn', 'chạm', 'vuốt', 'wi-fi', 'ch play', 'app store'],
  'cai-dat-vneid': ['ch play', 'mức 2', 'công an xã, phường', 'gắn chip', 'thủ tục hành chính', 'mã otp'],
  'thanh-toan-qr': ['quét', 'tên người nhận', 'mã pin', 'không đưa cho bất kỳ ai'],
  'mua-ban-truc-tuyen': ['người mua', 'người bán', 'đánh giá', 'trả tiền khi nhận hàng', 'ảnh chụp màn hình', 'mã otp'],
  'dich-vu-cong-truc-tuyen': ['dichvucong.gov.vn', 'vneid', 'tìm', 'nộp hồ sơ', 'mã hồ sơ', 'trang web giả'],
  'bao-ve-thong-tin-ca-nhan': ['mật khẩu mạnh', 'mã otp', 'công an', 'ngân hàng', 'đường link', 'báo công an'],
};

const QUESTION_KINDS = ['single', 'truefalse', 'multiple', 'text', 'number', 'ordering', 'poll'] as const;

const lessonFiles = readdirSync(LESSONS_DIR)
  .filter((name) => name.endsWith('.json'))
  .sort();

const svgFiles = existsSync(IMAGES_DIR)
  ? readdirSync(IMAGES_DIR)
      .filter((name) => name.toLowerCase().endsWith('.svg'))
      .sort()
  : [];

function readLesson(file: string): Lesson {
  const raw: unknown = JSON.parse(readFileSync(join(LESSONS_DIR, file), 'utf8'));
  return Lesson.parse(raw);
}

/**
 * Reasons an SVG must not be served as a lesson picture (empty when it is fine).
 * The checker itself is tested against known-bad samples below, so it cannot silently pass everything.
 */
function svgProblems(svg: string): string[] {
  const problems: string[] = [];
  if (/<script/i.test(svg)) problems.push('contains <script');
  if (/href\s*=\s*["']\s*https?:/i.test(svg)) problems.push('references an external http(s) URL');
  // Event-handler attributes: onload=, onclick=, onmouseover = ... (attribute position, any quoting).
  const handler = /[\s"'/]on[a-z]+\s*=/i.exec(svg);
  if (handler) problems.push(`has an event attribute (${handler[0].trim()})`);
  if (/<foreignObject/i.test(svg)) problems.push('contains <foreignObject');
  if (/javascript:/i.test(svg)) problems.push('contains a javascript: URL');
  return problems;
}

/** Every picture a lesson shows: step images and the images of question choices. */
function imagesOf(lesson: Lesson): { src: string; alt: string }[] {
  return lesson.steps.flatMap((step) => [
    ...(step.image ? [step.image] : []),
    ...step.questions.flatMap((q) => {
      const choices = 'options' in q ? q.options : 'items' in q ? q.items : [];
      return choices.flatMap((c) => (c.image ? [c.image] : []));
    }),
  ]);
}

/** Raw HTML tags in markdown; markdown-it (html: false) would show them as literal text. */
const RAW_HTML = /<\/?[a-z][a-z0-9-]*(?:\s[^>]*)?\/?>/i;

/** A small valid document, to be broken on purpose. */
function validDoc(): LessonInput {
  return lessonDoc(
    [
      { id: 'buoc-1', title: 'Bước 1', body: 'Nội dung.' },
      { id: 'buoc-2', title: 'Bước 2', body: 'Nội dung.' },
    ],
    { id: 'bai-mau', title: 'Bài mẫu' },
  );
}

describe('starter lessons in lessons/*.json', () => {
  it('finds the lesson files, including every lesson of the curriculum', () => {
    expect(lessonFiles.length).toBeGreaterThan(0);
    for (const id of CURRICULUM) {
      expect(lessonFiles, `lessons/${id}.json is missing`).toContain(`${id}.json`);
    }
  });

  it.each(lessonFiles)('%s is valid JSON and parses with Lesson', (file) => {
    const raw: unknown = JSON.parse(readFileSync(join(LESSONS_DIR, file), 'utf8'));
    const result = Lesson.safeParse(raw);
    expect(result.error?.issues ?? []).toEqual([]);
    expect(result.success).toBe(true);
  });

  it.each(lessonFiles)('%s has 5 to 12 steps', (file) => {
    const lesson = readLesson(file);
    expect(lesson.steps.length).toBeGreaterThanOrEqual(5);
    expect(lesson.steps.length).toBeLessThanOrEqual(12);
  });

  it.each(lessonFiles)('%s is named after its lesson id', (file) => {
    expect(`${readLesson(file).id}.json`).toBe(file);
  });

  it('has unique lesson ids', () => {
    const ids = lessonFiles.map((file) => readLesson(file).id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(lessonFiles)('%s only references images that exist in lessons/images/', (file) => {
    const missing = imagesOf(readLesson(file))
      .map((image) => image.src)
      .filter((src) => !existsSync(join(IMAGES_DIR, src)) || !statSync(join(IMAGES_DIR, src)).isFile());
    expect(missing).toEqual([]);
  });

  it('every file in lessons/images/ is used by some lesson', () => {
    const used = new Set(lessonFiles.flatMap((file) => imagesOf(readLesson(file)).map((image) => image.src)));
    const unused = readdirSync(IMAGES_DIR).filter((name) => !used.has(name));
    expect(unused).toEqual([]);
  });

  it.each(lessonFiles)('%s describes every picture in its alt text', (file) => {
    const weak = imagesOf(readLesson(file))
      .map((image) => image.alt.trim())
      .filter((alt) => alt.length < 20 || /^(hình|ảnh|hình ảnh|image|picture)\b/i.test(alt) || /\.(svg|png|jpe?g|webp)\b/i.test(alt));
    expect(weak).toEqual([]);
  });

  it.each(lessonFiles)('%s has no raw HTML in step bodies and titles', (file) => {
    const lesson = readLesson(file);
    const offenders = lesson.steps.filter((step) => RAW_HTML.test(step.body) || RAW_HTML.test(step.title)).map((step) => step.id);
    expect(offenders).toEqual([]);
  });

  it.each(CURRICULUM)('curriculum lesson %s has 6 to 12 steps, at least 2 illustrated, with Vietnamese content', (id) => {
    const lesson = readLesson(`${id}.json`);
    expect(lesson.language).toBe('vi');
    expect(lesson.summary.trim().length).toBeGreaterThan(0);
    expect(lesson.skills.length).toBeGreaterThan(0);
    expect(lesson.steps.length).toBeGreaterThanOrEqual(6);
    expect(lesson.steps.length).toBeLessThanOrEqual(12);
    expect(lesson.steps.filter((step) => step.image).length).toBeGreaterThanOrEqual(2);
    for (const step of lesson.steps) {
      expect(step.body.trim().length, `step ${step.id} has an empty body`).toBeGreaterThan(0);
      expect(step.expectedMinutes, `step ${step.id} has no expectedMinutes`).toBeDefined();
      expect(step.skills.length, `step ${step.id} has no skills`).toBeGreaterThan(0);
    }
    // The lesson's skills name everything its steps train (reports group by them).
    const stepSkills = new Set(lesson.steps.flatMap((step) => step.skills));
    expect([...stepSkills].filter((skill) => !lesson.skills.includes(skill))).toEqual([]);
  });

  it.each(CURRICULUM)('curriculum lesson %s has practice questions in at least half its steps, each explained', (id) => {
    const lesson = readLesson(`${id}.json`);
    const withQuestions = lesson.steps.filter((step) => step.questions.length > 0);
    expect(withQuestions.length * 2).toBeGreaterThanOrEqual(lesson.steps.length);
    const questions = lesson.steps.flatMap((step) => step.questions);
    expect(new Set(questions.map((q) => q.kind)).size, 'question kinds in the lesson').toBeGreaterThanOrEqual(3);
    const unexplained = questions.filter((q) => !q.explanation?.trim()).map((q) => q.id);
    expect(unexplained).toEqual([]);
  });

  it.each(CURRICULUM)('curriculum lesson %s teaches the key points of its topic', (id) => {
    const text = readLesson(`${id}.json`)
      .steps.map((step) => `${step.title}\n${step.body}`)
      .join('\n')
      .toLowerCase();
    const missing = KEY_POINTS[id].filter((phrase) => !text.includes(phrase));
    expect(missing).toEqual([]);
  });

  it('the curriculum uses every kind of practice question', () => {
    const kinds = new Set(CURRICULUM.flatMap((id) => readLesson(`${id}.json`).steps.flatMap((s) => s.questions.map((q) => q.kind))));
    expect([...kinds].sort()).toEqual([...QUESTION_KINDS].sort());
  });
});

describe('SVG images in lessons/images/', () => {
  it('finds SVG files', () => {
    expect(svgFiles.length).toBeGreaterThan(0);
  });

  it.each(svgFiles)('%s has no script, external link or event attribute', (file) => {
    const svg = readFileSync(join(IMAGES_DIR, file), 'utf8');
    expect(svgProblems(svg)).toEqual([]);
  });

  it.each(svgFiles)('%s is a small <svg> with width, height and viewBox', (file) => {
    const path = join(IMAGES_DIR, file);
    expect(statSync(path).size).toBeLessThan(4096);
    const root = /<svg\b[^>]*>/i.exec(readFileSync(path, 'utf8'))?.[0] ?? '';
    expect(root).not.toBe('');
    expect(root).toMatch(/\swidth="/);
    expect(root).toMatch(/\sheight="/);
    expect(root).toMatch(/\sviewBox="/);
  });

  it('the SVG check itself rejects dangerous content', () => {
    const ok = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>';
    expect(svgProblems(ok)).toEqual([]);
    expect(svgProblems('<svg><script>alert(1)</script></svg>')).not.toEqual([]);
    expect(svgProblems('<svg><SCRIPT src="x.js"/></svg>')).not.toEqual([]);
    expect(svgProblems('<svg><image href="http://example.com/a.png"/></svg>')).not.toEqual([]);
    expect(svgProblems('<svg><use xlink:href="https://example.com/s.svg#a"/></svg>')).not.toEqual([]);
    expect(svgProblems('<svg onload="alert(1)"></svg>')).not.toEqual([]);
    expect(svgProblems('<svg><rect onclick = "x()"/></svg>')).not.toEqual([]);
    expect(svgProblems('<svg><a href="javascript:alert(1)"><rect/></a></svg>')).not.toEqual([]);
  });
});

describe('Lesson schema refuses wrong documents', () => {
  it('accepts the valid base document and fills defaults', () => {
    const lesson = Lesson.parse(validDoc());
    expect(lesson.language).toBe('vi');
    expect(lesson.summary).toBe('');
    expect(lesson.skills).toEqual([]);
    expect(lesson.steps[0].skills).toEqual([]);
  });

  it('refuses a document without a title', () => {
    const { title: _title, ...doc } = validDoc();
    const result = Lesson.safeParse(doc);
    expect(result.success).toBe(false);
    expect(result.error?.issues.some((issue) => issue.path.join('.') === 'title')).toBe(true);
  });

  it('refuses duplicate step ids', () => {
    const doc = validDoc();
    doc.steps[1].id = doc.steps[0].id;
    const result = Lesson.safeParse(doc);
    expect(result.success).toBe(false);
    expect(result.error?.issues.some((issue) => issue.path.join('.') === 'steps.1.id')).toBe(true);
  });

  it('refuses unknown keys, bad slugs, bad image names, wrong format version and empty steps', () => {
    const wrong: unknown[] = [
      { ...validDoc(), author: 'x' },
      { ...validDoc(), id: 'Cai Dat VNeID' },
      { ...validDoc(), formatVersion: 2 },
      { ...validDoc(), steps: [] },
      { ...validDoc(), steps: [{ id: 'a', title: 'A', body: '', image: { src: '../secret.svg', alt: 'x' } }] },
      { ...validDoc(), steps: [{ id: 'a', title: 'A', body: '', image: { src: 'a.svg', alt: '' } }] },
      { ...validDoc(), steps: [{ id: 'a', title: 'A', body: '', expectedMinutes: 0 }] },
    ];
    for (const doc of wrong) {
      expect(Lesson.safeParse(doc).success, JSON.stringify(doc)).toBe(false);
    }
  });
});
