import type { AnswerValue, Question } from '../../shared/lesson/question.ts';
import type { AnswerResult } from '../../shared/protocol/views.ts';

/** Fold case and spaces; optionally drop Vietnamese diacritics ("Thanh  Toán" ≈ "thanh toan"). */
export function normalizeText(text: string, ignoreDiacritics: boolean): string {
  let s = text.normalize('NFC').toLocaleLowerCase('vi').replace(/\s+/g, ' ').trim();
  if (ignoreDiacritics) s = s.normalize('NFD').replace(/\p{M}/gu, '').replace(/đ/g, 'd').normalize('NFC');
  return s;
}

/** Is the answer well-formed for this question (right kind, known options, a permutation)? */
export function answerFits(question: Question, answer: AnswerValue): boolean {
  if (question.kind !== answer.kind) return false;
  const ids = (list: { id: string }[]) => new Set(list.map((c) => c.id));
  switch (answer.kind) {
    case 'single':
    case 'poll':
      return 'options' in question && ids(question.options).has(answer.option);
    case 'multiple': {
      if (!('options' in question)) return false;
      const known = ids(question.options);
      return new Set(answer.options).size === answer.options.length && answer.options.every((o) => known.has(o));
    }
    case 'ordering': {
      if (question.kind !== 'ordering') return false;
      const known = ids(question.items);
      return answer.order.length === known.size && new Set(answer.order).size === known.size && answer.order.every((o) => known.has(o));
    }
    case 'truefalse':
    case 'number':
      return true;
    case 'text':
      return answer.text.trim().length > 0;
  }
}

/** How a score reads: fully right (1), partly right (above 0), or wrong; none for a poll (null). */
export function answerResult(score: number | null): AnswerResult | null {
  if (score === null) return null;
  return score >= 1 ? 'right' : score > 0 ? 'partial' : 'wrong';
}

/**
 * The score of a fitting answer, from 0 to 1 (1 = correct); null for a poll. Correctness only: the
 * time taken never changes it.
 */
export function scoreAnswer(question: Question, answer: AnswerValue): number | null {
  switch (question.kind) {
    case 'single':
      return answer.kind === 'single' && answer.option === question.correct ? 1 : 0;
    case 'truefalse':
      return answer.kind === 'truefalse' && answer.value === question.correct ? 1 : 0;
    case 'multiple': {
      if (answer.kind !== 'multiple') return 0;
      // Each right option chosen earns a share; each wrong one chosen takes a share back.
      const right = new Set(question.correct);
      const hits = answer.options.filter((o) => right.has(o)).length;
      const misses = answer.options.length - hits;
      return Math.max(0, (hits - misses) / right.size);
    }
    case 'text': {
      if (answer.kind !== 'text') return 0;
      const given = normalizeText(answer.text, question.ignoreDiacritics);
      return question.accepted.some((a) => normalizeText(a, question.ignoreDiacritics) === given) ? 1 : 0;
    }
    case 'number':
      // A small epsilon so that 0.1 + 0.2 within tolerance 0.3 is not lost to floating point.
      return answer.kind === 'number' && Math.abs(answer.value - question.correct) <= question.tolerance + 1e-9 ? 1 : 0;
    case 'ordering': {
      if (answer.kind !== 'ordering') return 0;
      // Share of items in their right place: full marks only for the exact order.
      const placed = question.items.filter((item, i) => answer.order[i] === item.id).length;
      return placed / question.items.length;
    }
    case 'poll':
      return null;
  }
}

/** A stable key and label for the histogram: what the class answered, grouped. */
export function answerKeys(question: Question, answer: AnswerValue): string[] {
  switch (answer.kind) {
    case 'single':
    case 'poll':
      return [answer.option];
    case 'multiple':
      return answer.options;
    case 'truefalse':
      return [String(answer.value)];
    case 'text':
      return [normalizeText(answer.text, question.kind === 'text' && question.ignoreDiacritics)];
    case 'number':
      return [String(answer.value)];
    case 'ordering':
      return [answer.order.join('>')];
  }
}
