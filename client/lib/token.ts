import { store } from './storage.ts';

/** A learner's resume token: 16 random bytes, base64url, 22 characters. */
export function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const LEARNER_KEY = 'cunghoc.learner';
const SEAT_KEY = 'cunghoc.seat';

/** The resume token of the learner on this device, if one has joined. */
export function storedToken(): string | null {
  const raw = store.get(LEARNER_KEY);
  if (!raw) return null;
  try {
    const parsed: unknown = JSON.parse(raw);
    const token = (parsed as { token?: unknown } | null)?.token;
    return typeof token === 'string' ? token : null;
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  store.set(LEARNER_KEY, JSON.stringify({ token }));
}

/** The tablet's seat label: it belongs to the device, so it outlives learners. */
export function storedSeat(): string {
  return store.get(SEAT_KEY) ?? '';
}

export function saveSeat(seat: string): void {
  if (seat) store.set(SEAT_KEY, seat);
  else store.remove(SEAT_KEY);
}
