import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parse } from 'svelte/compiler';
import { describe, expect, it } from 'vitest';

/**
 * Every visible string comes from the dictionaries (client/lib/i18n/). This parses every component
 * and fails on text with letters written in the markup, and on literal values of the attributes a
 * person sees or hears (aria-label, title, placeholder, alt…). Text inside `{…}` is code, not checked.
 */
const root = resolve(import.meta.dirname, '../..');
const visibleAttributes = new Set([
  'aria-label',
  'aria-description',
  'aria-roledescription',
  'aria-valuetext',
  'title',
  'placeholder',
  'alt',
  'label',
]);

/** Text allowed as written, each with its reason. */
const allowed: Record<string, string> = {
  'Tiếng Việt': 'the language switch names each language in that language, whatever the page language',
  English: 'the language switch names each language in that language, whatever the page language',
};

function svelteFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? svelteFiles(join(dir, e.name)) : e.name.endsWith('.svelte') ? [join(dir, e.name)] : [],
  );
}

type AstNode = { type: string; start: number; data?: string; name?: string; [key: string]: unknown };

/** `file:line: text` for each hard-coded visible string in one component. */
export function offenders(file: string, source: string): string[] {
  const ast = parse(source, { modern: true });
  const line = (at: number): number => source.slice(0, at).split('\n').length;
  const found: string[] = [];
  const flag = (at: number, text: string): void => {
    const clean = text.replace(/\s+/g, ' ').trim();
    if (/\p{L}/u.test(clean) && !(clean in allowed)) found.push(`${file}:${line(at)}: ${JSON.stringify(clean)}`);
  };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const n = node as AstNode;
    if (n.type === 'Text' && typeof n.data === 'string') return flag(n.start, n.data);
    for (const [key, value] of Object.entries(n)) {
      if (key === 'attributes' && Array.isArray(value)) {
        for (const attr of value as AstNode[]) {
          if (attr.type === 'Attribute' && visibleAttributes.has(attr.name ?? '') && Array.isArray(attr.value))
            for (const part of attr.value as AstNode[]) if (part.type === 'Text') flag(part.start, part.data ?? '');
          visit(
            (attr as { value?: unknown }).value instanceof Array ? (attr.value as AstNode[]).filter((p) => p.type !== 'Text') : attr.value,
          );
        }
      } else if (key !== 'expression' && key !== 'metadata' && value && typeof value === 'object') visit(value);
      // Expressions are code: a `{'…'}` literal is a deliberate choice, seen in review.
    }
  };
  visit(ast.fragment);
  return found;
}

describe('no hard-coded visible text in components', () => {
  it('finds text, and literal aria-label / title / placeholder / alt values (self-check)', () => {
    const sample = `<p>Xin chào</p><p>{t('a')} · 3</p><img alt="ảnh" src="x.png" class="big" /><button aria-label={t('b')} title="Mở">{'x'}</button>`;
    expect(offenders('sample.svelte', sample)).toEqual(['sample.svelte:1: "Xin chào"', 'sample.svelte:1: "ảnh"', 'sample.svelte:1: "Mở"']);
  });

  it('every client/**/*.svelte takes its words from the dictionaries', () => {
    const files = svelteFiles(join(root, 'client'));
    expect(files.length).toBeGreaterThan(10);
    const all = files.flatMap((f) => offenders(relative(root, f), readFileSync(f, 'utf8')));
    if (all.length) console.log(`Hard-coded text:\n${all.join('\n')}`);
    expect(all).toEqual([]);
  });
});
