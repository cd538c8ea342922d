import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lesson } from '../../shared/lesson/schema.ts';
import type { LessonInput } from '../../shared/lesson/schema.ts';

const LESSONS_DIR = fileURLToPath(new URL('../../lessons/', import.meta.url));
const IMAGES_DIR = join(LESSONS_DIR, 'images');

/** The starter lessons that must ship with the app. */
const STARTER_IDS = ['cai-dat-vneid', 'thanh-toan-qr'];

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

/** Raw HTML tags in markdown; markdown-it (html: false) would show them as literal text. */
const RAW_HTML = /<\/?[a-z][a-z0-9-]*(?:\s[^>]*)?\/?>/i;

/** A small valid document, to be broken on purpose. */
function validDoc(): LessonInput {
  return {
    id: 'bai-mau',
    formatVersion: 1,
    title: 'Bài mẫu',
    steps: [
      { id: 'buoc-1', title: 'Bước 1', body: 'Nội dung.' },
      { id: 'buoc-2', title: 'Bước 2', body: 'Nội dung.' },
    ],
  };
}

describe('starter lessons in lessons/*.json', () => {
  it('finds the lesson files, including every starter lesson', () => {
    expect(lessonFiles.length).toBeGreaterThan(0);
    for (const id of STARTER_IDS) {
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
    const lesson = readLesson(file);
    const missing = lesson.steps
      .filter((step) => step.image !== undefined)
      .map((step) => step.image!.src)
      .filter((src) => !existsSync(join(IMAGES_DIR, src)) || !statSync(join(IMAGES_DIR, src)).isFile());
    expect(missing).toEqual([]);
  });

  it.each(lessonFiles)('%s has no raw HTML in step bodies and titles', (file) => {
    const lesson = readLesson(file);
    const offenders = lesson.steps
      .filter((step) => RAW_HTML.test(step.body) || RAW_HTML.test(step.title))
      .map((step) => step.id);
    expect(offenders).toEqual([]);
  });

  it.each(STARTER_IDS)('starter lesson %s has at least 2 illustrated steps, with Vietnamese content', (id) => {
    const lesson = readLesson(`${id}.json`);
    expect(lesson.language).toBe('vi');
    expect(lesson.steps.filter((step) => step.image).length).toBeGreaterThanOrEqual(2);
    for (const step of lesson.steps) {
      expect(step.body.trim().length, `step ${step.id} has an empty body`).toBeGreaterThan(0);
      expect(step.expectedMinutes, `step ${step.id} has no expectedMinutes`).toBeDefined();
      expect(step.skills.length, `step ${step.id} has no skills`).toBeGreaterThan(0);
    }
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
    expect(lesson.steps[0]!.skills).toEqual([]);
  });

  it('refuses a document without a title', () => {
    const { title: _title, ...doc } = validDoc();
    const result = Lesson.safeParse(doc);
    expect(result.success).toBe(false);
    expect(result.error?.issues.some((issue) => issue.path.join('.') === 'title')).toBe(true);
  });

  it('refuses duplicate step ids', () => {
    const doc = validDoc();
    doc.steps[1]!.id = doc.steps[0]!.id;
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
