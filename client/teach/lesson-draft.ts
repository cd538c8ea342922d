import type { Task } from '../../shared/lesson/task.ts';
import type { Choice, Question, QuestionKind } from '../../shared/lesson/question.ts';
import type { Lesson, Step } from '../../shared/lesson/schema.ts';

/** A lesson slug from a title: Vietnamese diacritics stripped (đ → d), lowercase, words joined by "-". */
export function slugify(text: string, max = 64): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, max)
    .replace(/-+$/, '');
}

/** `base`, or `base-2`, `base-3`… whichever is not taken. */
export function uniqueId(base: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  if (!used.has(base)) return base;
  for (let n = 2; ; n++) {
    const id = `${base.slice(0, 60)}-${n}`;
    if (!used.has(id)) return id;
  }
}

/** Comma- (or newline-) separated slugs as a list, empty entries dropped. */
export const splitList = (text: string, by = /[,\n]/): string[] =>
  text
    .split(by)
    .map((s) => s.trim())
    .filter(Boolean);

export const questionKinds = [
  'single',
  'truefalse',
  'multiple',
  'text',
  'number',
  'ordering',
  'poll',
] as const satisfies readonly QuestionKind[];

/** The next short option id ("a", "b"… then "o27"…) not used in `list`. */
export function nextOptionId(list: readonly Choice[]): string {
  const used = new Set(list.map((c) => c.id));
  for (const letter of 'abcdefghijklmnopqrstuvwxyz') if (!used.has(letter)) return letter;
  for (let n = 27; ; n++) if (!used.has(`o${n}`)) return `o${n}`;
}

/** The options of a question, or its items (ordering); none for the kinds without a list. */
export function choicesOf(q: Question): Choice[] | null {
  return 'options' in q ? q.options : 'items' in q ? q.items : null;
}

/** A question of another kind, keeping what both kinds share (id, prompt, explanation, options). */
export function changeKind(q: Question, kind: QuestionKind): Question {
  const base = { id: q.id, prompt: q.prompt, ...(q.explanation !== undefined ? { explanation: q.explanation } : {}) };
  const list = choicesOf(q)?.map((c) => ({ ...c })) ?? [
    { id: 'a', text: '' },
    { id: 'b', text: '' },
  ];
  const first = list[0]?.id ?? 'a';
  switch (kind) {
    case 'single':
      return { ...base, kind, options: list, correct: q.kind === 'multiple' ? (q.correct[0] ?? first) : first };
    case 'multiple':
      return { ...base, kind, options: list, correct: q.kind === 'single' ? [q.correct] : [first] };
    case 'poll':
      return { ...base, kind, options: list };
    case 'ordering':
      return { ...base, kind, items: list };
    case 'truefalse':
      return { ...base, kind, correct: true };
    case 'text':
      return { ...base, kind, accepted: [''], ignoreDiacritics: true };
    case 'number':
      return { ...base, kind, correct: 0, tolerance: 0 };
    default: {
      const never: never = kind;
      return never;
    }
  }
}

export function newQuestion(id: string): Question {
  const options = [
    { id: 'a', text: '' },
    { id: 'b', text: '' },
  ];
  return { id, kind: 'single', prompt: '', options, correct: 'a' };
}

/** A new practice task: one screen whose button reaches the goal, so it is valid from the start. */
export function newTask(id: string): Task {
  return {
    id,
    title: '',
    instruction: '',
    learned: '',
    withStep: false,
    skills: [],
    start: 'man-hinh-1',
    screens: [
      { id: 'man-hinh-1', name: '', elements: [{ id: 'xong', kind: 'button', label: 'Xong', style: 'primary', on: { to: 'goal' } }] },
    ],
    traps: [],
  };
}

export function newStep(id: string): Step {
  return { id, title: '', body: '', skills: [], questions: [], tasks: [] };
}

export function newLesson(): Lesson {
  return {
    id: '',
    formatVersion: 1,
    title: '',
    summary: '',
    language: 'vi',
    skills: [],
    steps: [newStep('buoc-1')],
  };
}

/**
 * The draft as the schema wants it: empty optional fields left out (an empty number box is
 * `null` from the input, an empty explanation or unit means none).
 */
export function normalize(draft: Lesson): unknown {
  return normalizeJson(JSON.stringify(draft)); // a plain copy (the draft is a reactive proxy)
}

/** `normalize` of a draft already serialised (the editor keeps its JSON for the unsaved-changes check). */
export function normalizeJson(json: string): unknown {
  const copy = JSON.parse(json) as Lesson;
  for (const step of copy.steps) {
    const s = step as Partial<Step> & Record<string, unknown>;
    if (s.expectedMinutes === null || s.expectedMinutes === undefined || Number.isNaN(s.expectedMinutes)) delete s.expectedMinutes;
    if (s.image && !s.image.src) delete s.image;
    for (const q of step.questions) {
      const r = q as Record<string, unknown>;
      if (typeof r.explanation === 'string' && !r.explanation.trim()) delete r.explanation;
      if (typeof r.unit === 'string' && !r.unit.trim()) delete r.unit;
      if (r.tolerance === null) r.tolerance = 0;
    }
  }
  return copy;
}
