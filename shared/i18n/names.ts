/**
 * Names sorted the Vietnamese way. A Vietnamese full name is family, middle, given name ("Nguyễn
 * Văn Ân"), and class lists are ordered by the given name, the last word: "Trần Thị Bích" comes
 * before "Nguyễn Văn Dũng". Ties (the same given name) go by the whole name. A single first name
 * ("Lành", what most learners type) is its own given name. Letters follow Vietnamese order through
 * Intl.Collator('vi'): a ă â b c d đ e ê … with tones after the bare letter (Anh, Ánh, Ân), case
 * ignored, and numbers by value ("Bàn 2" before "Bàn 10").
 */
const collator = new Intl.Collator('vi', { numeric: true, sensitivity: 'accent' });

const given = (name: string): string => name.trim().split(/\s+/).pop() ?? '';

/** Compares two personal names: given name (last word) first, then the whole name. */
export function compareNames(a: string, b: string): number {
  return collator.compare(given(a), given(b)) || collator.compare(a.trim(), b.trim());
}

/** A name's sort key, made once for a long list: `compareNameKeys` orders keys as `compareNames` orders names. */
export interface NameKey {
  given: string;
  whole: string;
}
export const nameKey = (name: string): NameKey => ({ given: given(name), whole: name.trim() });
export const compareNameKeys = (a: NameKey, b: NameKey): number => collator.compare(a.given, b.given) || collator.compare(a.whole, b.whole);

/** Compares labels that are not names (seats, titles): Vietnamese letters, numbers by value. */
export const compareText = (a: string, b: string): number => collator.compare(a, b);

/** Text folded for search: no diacritics (đ → d), lower case, spaces folded ("Nguyễn Thị Lành" → "nguyen thi lanh"). */
export const foldText = (text: string): string =>
  text.normalize('NFD').replace(/\p{M}/gu, '').replace(/[đĐ]/g, 'd').toLowerCase().replace(/\s+/g, ' ').trim();
