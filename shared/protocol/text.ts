/**
 * The shapes of what people type, shared by the schemas (commands.ts) and the pages that check a form
 * before sending it. The learner page cannot carry zod (its 45 KB budget), so these are plain.
 */

/** A class code: six digits. */
export const CLASS_CODE = /^\d{6}$/;
/** A learner card code once its spaces are gone: nine digits from 2 to 9 (no 0 or 1 to misread). */
export const CARD_CODE = /^[2-9]{9}$/;
/** A session's helper code: six capitals or digits. */
export const HELPER_CODE = /^[A-Z0-9]{6}$/;
/** The longest first name or seat label, in characters. */
export const NAME_MAX = 40;

/** How every typed name is read: NFC, inner spaces folded, trimmed. */
export const cleanText = (s: string): string => s.normalize('NFC').replace(/\s+/g, ' ').trim();
