import { createHash, randomBytes, randomInt } from 'node:crypto';

/** Random base64url id with `bytes` bytes of entropy. */
export const randomId = (bytes = 12): string => randomBytes(bytes).toString('base64url');

/** 6-digit class code, typed on a numeric keypad. */
export const randomClassCode = (): string => String(randomInt(0, 1_000_000)).padStart(6, '0');

/** Short code for helpers and setup: digits and capitals without look-alikes (0/O, 1/I). */
export function randomShortCode(length: number): string {
  const alphabet = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(0, alphabet.length)];
  return out;
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
