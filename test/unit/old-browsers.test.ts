import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The tablets in the field are old: nothing newer than Chrome 90 (Android) and Safari 14 (iPad) may
 * reach them. vite.config.ts lowers the syntax it can; this scans what was built (dist/client, made
 * by `npm run build`) for what it cannot lower: APIs and CSS those browsers lack. Each entry names
 * the first versions that have it.
 */
const dist = resolve(import.meta.dirname, '../../dist/client');
const pages = {
  learner: 'index.html',
  teach: 'teach/index.html',
  help: 'help/index.html',
  display: 'display/index.html',
  seat: 'seat/index.html',
};

interface Rule {
  what: string;
  since: string;
  pattern: RegExp;
}

const js: Rule[] = [
  { what: 'Array/String.prototype.at', since: 'Chrome 92, Safari 15.4', pattern: /\.at\(-?[\w$.]*\)/ },
  { what: 'Object.hasOwn', since: 'Chrome 93, Safari 15.4', pattern: /Object\.hasOwn\b/ },
  { what: 'structuredClone', since: 'Chrome 98, Safari 15.4', pattern: /\bstructuredClone\(/ },
  { what: 'crypto.randomUUID', since: 'Chrome 92, Safari 15.4', pattern: /\brandomUUID\(/ },
  { what: 'Array.prototype.findLast / findLastIndex', since: 'Chrome 97, Safari 15.4', pattern: /\.findLast(Index)?\(/ },
  { what: 'toSorted / toReversed / toSpliced', since: 'Chrome 110, Safari 16', pattern: /\.to(Sorted|Reversed|Spliced)\(/ },
  { what: 'Object.groupBy / Map.groupBy', since: 'Chrome 117, Safari 17.4', pattern: /\b(Object|Map)\.groupBy\(/ },
  { what: 'Promise.withResolvers', since: 'Chrome 119, Safari 17.4', pattern: /Promise\.withResolvers\b/ },
  { what: 'AbortSignal.timeout / any', since: 'Chrome 103, Safari 16', pattern: /AbortSignal\.(timeout|any)\b/ },
  { what: 'Array.fromAsync', since: 'Chrome 121, Safari 16.4', pattern: /Array\.fromAsync\b/ },
  { what: '<dialog> showModal()', since: 'Safari 15.4', pattern: /\.showModal\(/ },
  { what: 'the inert property', since: 'Chrome 102, Safari 15.5', pattern: /\.inert\s*=/ },
  { what: 'requestIdleCallback', since: 'never in Safari', pattern: /\brequestIdleCallback\(/ },
  { what: 'Intl.Segmenter / ListFormat / DisplayNames', since: 'Safari 14.1', pattern: /Intl\.(Segmenter|ListFormat|DisplayNames)\b/ },
  { what: 'WeakRef / FinalizationRegistry', since: 'Safari 14.1', pattern: /\bnew (WeakRef|FinalizationRegistry)\(/ },
  { what: 'regular expression lookbehind', since: 'Safari 16.4', pattern: /\(\?<[=!]/ },
  // A member access or `#x in`; or a declaration (`#x=`, `#x(`, `#x;`), so that '}#L' inside a data string is not one.
  {
    what: 'class private field or method (#x)',
    since: 'Safari 14.1 (fields), 15 (methods)',
    pattern: /(\.|\bin\s+)#[A-Za-z_$][\w$]*|[{;}]\s*(static\s+)?(get\s+|set\s+|async\s+)?#[A-Za-z_$][\w$]*\s*[=(;}]/,
  },
  { what: 'class static block', since: 'Chrome 94, Safari 16.4', pattern: /\bstatic\s*\{/ },
  { what: 'optional call with a non-final spread argument (Chrome 80-90 bug)', since: 'Chrome 91', pattern: /\?\.(\w+)?\(\.\.\.[^()]*,/ },
];

const css: Rule[] = [
  { what: ':has()', since: 'Chrome 105, Safari 15.4', pattern: /:has\(/ },
  { what: '@container', since: 'Chrome 105, Safari 16', pattern: /@container\b/ },
  { what: '@layer', since: 'Chrome 99, Safari 15.4', pattern: /@layer\b/ },
  { what: 'aspect-ratio', since: 'Safari 15', pattern: /aspect-ratio\s*:/ },
  { what: 'overflow: clip', since: 'Safari 16', pattern: /overflow(-[xy])?\s*:\s*clip/ },
  { what: 'color-mix()', since: 'Chrome 111, Safari 16.2', pattern: /color-mix\(/ },
  { what: 'inset shorthand', since: 'Safari 14.1', pattern: /[{;]inset\s*:/ },
  { what: 'CSS nesting', since: 'Chrome 112, Safari 16.5', pattern: /[{;]\s*&/ },
];

/** The JS and CSS files a page loads, with the chunks they import (the English dictionary too). */
function pageFiles(html: string): string[] {
  const files = new Set<string>();
  const add = (path: string): void => {
    const file = join(dist, path);
    if (files.has(file) || !existsSync(file)) return;
    files.add(file);
    if (file.endsWith('.js'))
      for (const m of readFileSync(file, 'utf8').matchAll(/["'`]\.\/([\w.-]+\.(?:js|css))["'`]/g)) add(`assets/${m[1]}`);
  };
  for (const m of html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)) add(m[1]);
  return [...files];
}

/** Every use of a dynamic viewport unit needs a `vh` value in the same rule, for Safari before 15.4. */
function dvhWithoutFallback(text: string): string[] {
  return [...text.matchAll(/([{;])([\w-]+):([^;}]*\b\d+[dsl]vh[^;}]*)/g)]
    .filter((m) => !new RegExp(`[{;]${m[2]}:[^;}]*\\d+vh\\b`).test(text.slice(text.lastIndexOf('{', m.index), m.index + 1)))
    .map((m) => `${m[2]}:${m[3]}`);
}

describe('built pages use nothing newer than Chrome 90 and Safari 14', () => {
  it('dist/client is built (npm run build)', () => {
    expect(existsSync(join(dist, 'index.html')), 'run `npm run build` first').toBe(true);
  });

  for (const [page, html] of Object.entries(pages)) {
    it(`${page}`, () => {
      const files = pageFiles(readFileSync(join(dist, html), 'utf8'));
      expect(files.some((f) => f.endsWith('.js'))).toBe(true);
      const problems: string[] = [];
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        for (const rule of file.endsWith('.js') ? js : css) {
          const m = rule.pattern.exec(text);
          if (m)
            problems.push(
              `${file.slice(dist.length + 1)}: ${rule.what} (${rule.since}): …${text.slice(Math.max(0, m.index - 40), m.index + 40)}…`,
            );
        }
        if (file.endsWith('.css'))
          for (const d of dvhWithoutFallback(text)) problems.push(`${file}: ${d} without a vh fallback (Safari 15.4)`);
        if (file.endsWith('.css') && text.includes(':focus-visible') && !/:focus[,{]/.test(text))
          problems.push(`${file}: :focus-visible without a :focus fallback (Safari 15.4)`);
      }
      expect(problems).toEqual([]);
    });
  }

  it('catches what it is meant to catch (self-check)', () => {
    const hits = (rules: Rule[], code: string) => rules.filter((r) => r.pattern.test(code)).map((r) => r.what);
    expect(hits(js, 'a.at(-1);Object.hasOwn(o,k);class A{#x=1;get(){return this.#x}}')).toEqual([
      'Array/String.prototype.at',
      'Object.hasOwn',
      'class private field or method (#x)',
    ]);
    expect(hits(js, 'f?.(...a,1);d.showModal()')).toEqual([
      '<dialog> showModal()',
      'optional call with a non-final spread argument (Chrome 80-90 bug)',
    ]);
    expect(hits(js, 'a?.b(c, ...d);x.replaceAll("a","b");"#fff";Object.hasOwnProperty')).toEqual([]);
    expect(hits(css, '.a:has(b){color:red}.b{aspect-ratio:1}')).toEqual([':has()', 'aspect-ratio']);
    expect(dvhWithoutFallback('.a{min-height:100vh;min-height:100dvh}.b{height:100dvh}')).toEqual(['height:100dvh']);
  });
});
