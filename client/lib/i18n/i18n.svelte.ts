import type { ErrorCode } from '../../../shared/protocol/errors.ts';
import { store } from '../storage.ts';
import type { Dict, Key } from './vi.ts';

export type Lang = 'vi' | 'en';
export type { Key };
export type Params = Record<string, string | number>;
type English = typeof import('./en.ts');

/** Codes the client makes up itself when no ack came back. */
export type LocalErrorCode = 'timeout' | 'network';

const STORAGE_KEY = 'cunghoc.lang';

const storedLang = (): Lang => (store.get(STORAGE_KEY) === 'en' ? 'en' : 'vi');
/** A page's sections of a dictionary, as one. */
const merged = (sections: Dict[]): Dict => Object.assign({}, ...sections) as Dict;

/**
 * The page language: Vietnamese unless the user chose English on this device.
 * Each page loads only its own dictionary sections; English is fetched when first chosen.
 */
class I18n {
  #lang = $state<Lang>('vi');
  #vi: Dict = {};
  #en = $state.raw<Dict | null>(null);
  #pickEnglish: (en: English) => Dict[] = () => [];

  get lang(): Lang {
    return this.#lang;
  }

  /** Intl locale for dates and numbers. */
  get locale(): string {
    return this.#lang === 'vi' ? 'vi-VN' : 'en';
  }

  /** Called once by each page before it mounts, with its Vietnamese sections and the matching English ones. */
  async init(vi: Dict[], pickEnglish: (en: English) => Dict[]): Promise<void> {
    this.#vi = merged(vi);
    this.#pickEnglish = pickEnglish;
    await this.set(storedLang());
  }

  /** A part of a page loaded later (the practice-task screens) brings its own words. */
  extend(vi: Dict, pickEnglish: (en: English) => Dict): void {
    Object.assign(this.#vi, vi);
    const before = this.#pickEnglish;
    this.#pickEnglish = (en) => [...before(en), pickEnglish(en)];
    if (this.#en) void import('./en.ts').then((en) => (this.#en = { ...this.#en, ...pickEnglish(en) }));
  }

  async set(lang: Lang): Promise<void> {
    if (lang === 'en' && !this.#en) {
      try {
        this.#en = merged(this.#pickEnglish(await import('./en.ts')));
      } catch {
        return; // the server is out of reach: stay in Vietnamese
      }
    }
    this.#lang = lang;
    document.documentElement.lang = lang;
    store.set(STORAGE_KEY, lang); // in private mode, the choice lasts for this page only
  }

  /** The text for `key`, with `{name}` placeholders filled from `params`. */
  t = (key: Key, params?: Params): string => {
    const text = (this.#lang === 'en' && this.#en?.[key]) || this.#vi[key] || key;
    return params ? text.replace(/\{(\w+)\}/g, (m, p: string) => (p in params ? String(params[p]) : m)) : text;
  };

  /** Words for an error code; a code this client does not know gets a generic message. */
  error = (error: { code: string }): string => {
    const key = errorKey(error.code as ErrorCode | LocalErrorCode);
    return key in this.#vi ? this.t(key) : this.t('error.internal');
  };
}

// Fails type checking when an error code has no entry in any dictionary section. Codes only staff
// meet (sign-in, accounts) live in the teach section, so the learner page does not carry them.
const errorKey = (code: ErrorCode | LocalErrorCode): Key => `error.${code}`;

export const i18n = new I18n();
export const t = i18n.t;
