import { describe, expect, it } from 'vitest';
import * as en from '../../client/lib/i18n/en.ts';
import * as vi from '../../client/lib/i18n/vi.ts';

// Only the dictionary sections (objects of strings), not the types vi.ts re-exports.
const sections = (mod: object): Record<string, Record<string, string>> =>
  Object.fromEntries(Object.entries(mod).filter(([, v]) => v && typeof v === 'object'));
const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('dictionaries', () => {
  const viSections = sections(vi);
  const enSections = sections(en);

  it('have the same sections', () => {
    expect(Object.keys(enSections).sort()).toEqual(Object.keys(viSections).sort());
    expect(Object.keys(viSections).length).toBeGreaterThan(3);
  });

  for (const name of Object.keys(viSections)) {
    describe(name, () => {
      const v = viSections[name];
      const e = enSections[name] ?? {};
      it('has exactly the same keys in Vietnamese and English', () => {
        expect(Object.keys(e).sort()).toEqual(Object.keys(v).sort());
      });
      it('has no empty string', () => {
        const empty = [...Object.entries(v).map(([k, s]) => ['vi', k, s]), ...Object.entries(e).map(([k, s]) => ['en', k, s])]
          .filter(([, , s]) => !s.trim())
          .map(([lang, k]) => `${lang}:${k}`);
        expect(empty).toEqual([]);
      });
      it('has the same {placeholders} in both languages', () => {
        const wrong = Object.keys(v)
          .filter((k) => k in e && placeholders(v[k]).join() !== placeholders(e[k]).join())
          .map((k) => `${k}: vi {${placeholders(v[k]).join(', ')}} en {${placeholders(e[k]).join(', ')}}`);
        expect(wrong).toEqual([]);
      });
    });
  }
});
