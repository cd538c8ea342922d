import { vi } from 'vitest';
import type { ClassView, LearnerSnapshot, MeView, StaffView } from '../../shared/protocol/views.ts';

/** The browser globals the client's state classes touch, in memory (each test gets fresh ones). */
export function stubBrowser(search = ''): Map<string, string> {
  const stored = new Map<string, string>();
  vi.stubGlobal('localStorage', {
    getItem: (k: string) => stored.get(k) ?? null,
    setItem: (k: string, v: string) => void stored.set(k, v),
    removeItem: (k: string) => void stored.delete(k),
  });
  vi.stubGlobal('location', { search, pathname: '/' });
  vi.stubGlobal('history', { state: null, replaceState: () => undefined });
  vi.stubGlobal('navigator', {});
  return stored;
}

export function classView(extra: Partial<ClassView> = {}): ClassView {
  const step = { index: 0, id: 'mo-ung-dung', title: 'Mở ứng dụng', html: '<p>Chạm vào biểu tượng.</p>', image: null };
  const lesson = { sessionId: 'ses-1', lessonTitle: 'Thanh toán bằng mã QR', stepCount: 3, steps: [step] };
  return { seq: 1, stream: 1, ...lesson, current: 0, pacing: { mode: 'instructor' }, status: 'open', quiz: null, task: null, ...extra };
}

export function meView(extra: Partial<MeView> = {}): MeView {
  const help = { help: false, helpRequest: null, helpResolved: null };
  return { seq: 1, stream: 1, learnerId: 'lea-1', name: 'Lan', seat: '', step: 0, done: [], ...help, answer: null, task: null, ...extra };
}

export const snapshot = (cls: Partial<ClassView> = {}, me: Partial<MeView> = {}): LearnerSnapshot => ({
  class: classView(cls),
  me: meView(me),
  images: [],
});

/** A staff view with only what the console reads in these tests; the rest as the server would leave it empty. */
export function staffView(extra: Partial<StaffView> = {}): StaffView {
  return { seq: 1, sessionId: 'ses-1', now: Date.now(), helpQueue: [], roster: [], ...extra } as StaffView;
}
