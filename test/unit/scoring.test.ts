import { describe, it, expect } from 'vitest';
import { AnswerValue, Question } from '../../shared/lesson/question.ts';
import type { z } from 'zod';
import { answerFits, answerKeys, normalizeText, scoreAnswer } from '../../server/engine/scoring.ts';
import { many, num, one, order, text, tf, vote } from '../support/commands.ts';

// ---- fixtures: one question of every kind, parsed as a lesson would be ----

type QuestionInput = z.input<typeof Question>;
const q = (input: QuestionInput): Question => Question.parse(input);
const choices = (...ids: string[]) => ids.map((id) => ({ id, text: `Lựa chọn ${id}` }));

const single = q({ id: 'chon-mot', kind: 'single', prompt: 'Chọn một', options: choices('a', 'b', 'c'), correct: 'b' });
const truefalse = q({ id: 'dung-sai', kind: 'truefalse', prompt: 'Đúng hay sai?', correct: false });
const multiple = q({
  id: 'chon-nhieu',
  kind: 'multiple',
  prompt: 'Chọn tất cả ý đúng',
  options: choices('a', 'b', 'c', 'd'),
  correct: ['a', 'b', 'c'],
});
const textLoose = q({
  id: 'go-chu-khong-dau',
  kind: 'text',
  prompt: 'Gõ câu trả lời',
  accepted: ['Thanh  Toán', 'mã OTP', 'Đồng ý'],
  ignoreDiacritics: true,
});
const textStrict = q({ id: 'go-chu-co-dau', kind: 'text', prompt: 'Gõ câu trả lời', accepted: ['thanh toán'] });
const number6 = q({ id: 'so-chu-so', kind: 'number', prompt: 'Mấy chữ số?', correct: 6 });
const numberTol = q({ id: 'so-gan-dung', kind: 'number', prompt: 'Khoảng bao nhiêu?', correct: 10, tolerance: 0.5 });
const numberFloat = q({ id: 'so-thap-phan', kind: 'number', prompt: '0,1 + 0,2 = ?', correct: 0.3 });
const numberFloatTol = q({ id: 'so-thap-phan-2', kind: 'number', prompt: 'Khoảng 0,3', correct: 0.3, tolerance: 0.1 });
const numberNeg = q({ id: 'so-am', kind: 'number', prompt: 'Nhiệt độ?', correct: -5, tolerance: 1 });
const ordering = q({ id: 'sap-xep', kind: 'ordering', prompt: 'Xếp theo thứ tự', items: choices('quet', 'kiemtra', 'nhapma', 'bienlai') });
const ordering3 = q({ id: 'sap-xep-3', kind: 'ordering', prompt: 'Xếp theo thứ tự', items: choices('x', 'y', 'z') });
const poll = q({ id: 'tham-do', kind: 'poll', prompt: 'Bác đã dùng chưa?', options: choices('co', 'chua') });

// Answer builders (test/support/commands.ts) are typed as AnswerValue, and checked against the AnswerValue schema below.

// ---- normalizeText ----

describe('normalizeText', () => {
  it.each<[string, boolean, string]>([
    ['Thanh  Toán', false, 'thanh toán'],
    ['Thanh  Toán', true, 'thanh toan'],
    ['  mã   OTP  ', false, 'mã otp'],
    ['  mã   OTP  ', true, 'ma otp'],
    ['Mã\tOTP\n', false, 'mã otp'],
    ['MÃ\u00a0OTP', false, 'mã otp'], // a non-breaking space is a space
    ['ĐỒNG Ý', false, 'đồng ý'],
    ['ĐỒNG Ý', true, 'dong y'],
    ['đường đi', true, 'duong di'],
    ['Đ', true, 'd'],
    ['Ư Ơ Ă Â Ê Ô', true, 'u o a a e o'],
    ['Nguyễn Thị Hương', true, 'nguyen thi huong'],
    // Decomposed input (NFD, as some keyboards send it) equals the composed form.
    ['to\u0061\u0301n', false, 'toán'],
    ['to\u0061\u0301n', true, 'toan'],
    ['', true, ''],
    ['   ', false, ''],
  ])('normalizeText(%j, %s) = %j', (input, ignore, expected) => {
    expect(normalizeText(input, ignore)).toBe(expected);
  });

  it('keeps diacritics unless asked: "thanh toan" and "thanh toán" differ', () => {
    expect(normalizeText('thanh toan', false)).not.toBe(normalizeText('thanh toán', false));
    expect(normalizeText('thanh toan', true)).toBe(normalizeText('Thanh  Toán', true));
  });

  it('composed and decomposed Vietnamese compare equal with diacritics kept', () => {
    const composed = 'Thanh toán'.normalize('NFC');
    const decomposed = 'Thanh toán'.normalize('NFD');
    expect(composed).not.toBe(decomposed);
    expect(normalizeText(decomposed, false)).toBe(normalizeText(composed, false));
    expect(normalizeText(decomposed, false)).toBe('thanh toán'.normalize('NFC'));
  });
});

// ---- answerFits ----

describe('answerFits', () => {
  it.each<[string, Question, AnswerValue, boolean]>([
    // single
    ['single: a known option', single, one('a'), true],
    ['single: the right option', single, one('b'), true],
    ['single: an unknown option', single, one('z'), false],
    ['single: a poll answer (wrong kind)', single, vote('a'), false],
    ['single: a multiple answer (wrong kind)', single, many('b'), false],
    // truefalse
    ['truefalse: true', truefalse, tf(true), true],
    ['truefalse: false', truefalse, tf(false), true],
    ['truefalse: a single answer (wrong kind)', truefalse, one('a'), false],
    // multiple
    ['multiple: some known options', multiple, many('a', 'd'), true],
    ['multiple: every option', multiple, many('a', 'b', 'c', 'd'), true],
    ['multiple: an empty selection', multiple, many(), true],
    ['multiple: a duplicate option', multiple, many('a', 'a'), false],
    ['multiple: an unknown option', multiple, many('a', 'z'), false],
    ['multiple: a single answer (wrong kind)', multiple, one('a'), false],
    // text
    ['text: a word', textLoose, text('otp'), true],
    ['text: empty', textLoose, text(''), false],
    ['text: spaces only', textLoose, text(' \t '), false],
    ['text: a number answer (wrong kind)', textLoose, num(6), false],
    // number
    ['number: the right value', number6, num(6), true],
    ['number: any finite value', number6, num(-1234.5), true],
    ['number: a text answer (wrong kind)', number6, text('6'), false],
    // ordering
    ['ordering: the right order', ordering, order('quet', 'kiemtra', 'nhapma', 'bienlai'), true],
    ['ordering: another permutation', ordering, order('bienlai', 'nhapma', 'kiemtra', 'quet'), true],
    ['ordering: an item missing', ordering, order('quet', 'kiemtra', 'nhapma'), false],
    ['ordering: an item twice instead of another', ordering, order('quet', 'quet', 'nhapma', 'bienlai'), false],
    ['ordering: an extra item', ordering, order('quet', 'kiemtra', 'nhapma', 'bienlai', 'quet'), false],
    ['ordering: an unknown item', ordering, order('quet', 'kiemtra', 'nhapma', 'xxx'), false],
    ['ordering: empty', ordering, order(), false],
    ['ordering: a multiple answer (wrong kind)', ordering, many('quet', 'kiemtra', 'nhapma', 'bienlai'), false],
    // poll
    ['poll: a known option', poll, vote('co'), true],
    ['poll: an unknown option', poll, vote('a'), false],
    ['poll: a single answer (wrong kind)', poll, one('co'), false],
  ])('%s → %s', (_name, question, answer, fits) => {
    expect(AnswerValue.safeParse(answer).success).toBe(true);
    expect(answerFits(question, answer)).toBe(fits);
  });
});

// ---- scoreAnswer ----

describe('scoreAnswer', () => {
  it.each<[string, Question, AnswerValue, number | null]>([
    // single / truefalse: exact
    ['single: right', single, one('b'), 1],
    ['single: wrong', single, one('a'), 0],
    ['truefalse: right', truefalse, tf(false), 1],
    ['truefalse: wrong', truefalse, tf(true), 0],
    // multiple: (right chosen − wrong chosen) / number right, floored at 0
    ['multiple: all right, nothing wrong', multiple, many('a', 'b', 'c'), 1],
    ['multiple: all right, another order', multiple, many('c', 'a', 'b'), 1],
    ['multiple: 2 of 3 right', multiple, many('a', 'b'), 2 / 3],
    ['multiple: 1 of 3 right', multiple, many('c'), 1 / 3],
    ['multiple: 2 right, 1 wrong', multiple, many('a', 'b', 'd'), 1 / 3],
    ['multiple: every option (3 right, 1 wrong)', multiple, many('a', 'b', 'c', 'd'), 2 / 3],
    ['multiple: 1 right, 1 wrong', multiple, many('a', 'd'), 0],
    ['multiple: only the wrong one (floored at 0, not −1/3)', multiple, many('d'), 0],
    ['multiple: nothing chosen', multiple, many(), 0],
    // text, diacritics ignored
    ['text loose: "thanh toan" ≈ "Thanh  Toán"', textLoose, text('thanh toan'), 1],
    ['text loose: "THANH TOÁN" with extra spaces', textLoose, text('  THANH   TOÁN '), 1],
    ['text loose: "ma otp" ≈ "mã OTP"', textLoose, text('ma otp'), 1],
    ['text loose: "Mã  OTP"', textLoose, text('Mã  OTP'), 1],
    ['text loose: "dong y" ≈ "Đồng ý" (đ counts as d)', textLoose, text('dong y'), 1],
    ['text loose: "ĐỒNG Ý"', textLoose, text('ĐỒNG Ý'), 1],
    ['text loose: "đông y" (marks differ) still matches', textLoose, text('đông y'), 1],
    ['text loose: a different word', textLoose, text('thanh toan tien'), 0],
    ['text loose: "OTP" alone is not accepted here', textLoose, text('OTP'), 0],
    // text, diacritics kept
    ['text strict: exact', textStrict, text('thanh toán'), 1],
    ['text strict: case and spaces folded', textStrict, text('  Thanh   TOÁN  '), 1],
    ['text strict: decomposed input', textStrict, text('thanh toán'.normalize('NFD')), 1],
    ['text strict: "thanh toan" ≠ "thanh toán"', textStrict, text('thanh toan'), 0],
    ['text strict: "thành toán" (wrong mark)', textStrict, text('thành toán'), 0],
    // number: |given − correct| ≤ tolerance
    ['number tol 0: exact', number6, num(6), 1],
    ['number tol 0: 6.0001', number6, num(6.0001), 0],
    ['number tol 0: 5', number6, num(5), 0],
    ['number tol 0: 60', number6, num(60), 0],
    ['number tol 0.5: lower edge 9.5', numberTol, num(9.5), 1],
    ['number tol 0.5: upper edge 10.5', numberTol, num(10.5), 1],
    ['number tol 0.5: 10.2', numberTol, num(10.2), 1],
    ['number tol 0.5: just past the edge 10.501', numberTol, num(10.501), 0],
    ['number tol 0.5: just below the edge 9.499', numberTol, num(9.499), 0],
    ['number tol 0: 0.1 + 0.2 counts as 0.3', numberFloat, num(0.1 + 0.2), 1],
    ['number tol 0: 0.31', numberFloat, num(0.31), 0],
    ['number tol 0.1: 0.4 (|0.4 − 0.3| is 0.10000000000000003 in floats)', numberFloatTol, num(0.4), 1],
    ['number tol 0.1: 0.7 − 0.5 (= 0.19999999999999996)', numberFloatTol, num(0.7 - 0.5), 1],
    ['number tol 0.1: 0.41', numberFloatTol, num(0.41), 0],
    ['number negative: −6 (edge)', numberNeg, num(-6), 1],
    ['number negative: −4 (edge)', numberNeg, num(-4), 1],
    ['number negative: 5 (sign matters)', numberNeg, num(5), 0],
    ['number negative: −6.5', numberNeg, num(-6.5), 0],
    // ordering: share of items in their right place
    ['ordering: exact', ordering, order('quet', 'kiemtra', 'nhapma', 'bienlai'), 1],
    ['ordering: middle two swapped', ordering, order('quet', 'nhapma', 'kiemtra', 'bienlai'), 0.5],
    ['ordering: last two swapped', ordering, order('quet', 'kiemtra', 'bienlai', 'nhapma'), 0.5],
    ['ordering: first and last swapped', ordering, order('bienlai', 'kiemtra', 'nhapma', 'quet'), 0.5],
    ['ordering: rotated by one (nothing in place)', ordering, order('kiemtra', 'nhapma', 'bienlai', 'quet'), 0],
    ['ordering: reversed', ordering, order('bienlai', 'nhapma', 'kiemtra', 'quet'), 0],
    ['ordering 3: first two swapped', ordering3, order('y', 'x', 'z'), 1 / 3],
    ['ordering 3: exact', ordering3, order('x', 'y', 'z'), 1],
    // poll: no score at all
    ['poll: one option', poll, vote('co'), null],
    ['poll: the other option', poll, vote('chua'), null],
    // an answer of another kind never scores
    ['single question, poll answer', single, vote('b'), 0],
    ['truefalse question, single answer', truefalse, one('a'), 0],
    ['multiple question, single answer', multiple, one('a'), 0],
    ['text question, number answer', textLoose, num(0), 0],
    ['number question, text answer', number6, text('6'), 0],
    ['ordering question, multiple answer', ordering, many('quet', 'kiemtra', 'nhapma', 'bienlai'), 0],
  ])('%s → %s', (_name, question, answer, score) => {
    expect(scoreAnswer(question, answer)).toBe(score);
  });

  it('a score is always null or within 0..1 for every fitting multiple-choice answer', () => {
    const ids = ['a', 'b', 'c', 'd'];
    for (let mask = 0; mask < 16; mask++) {
      const chosen = ids.filter((_, i) => mask & (1 << i));
      const s = scoreAnswer(multiple, many(...chosen));
      expect(s).not.toBeNull();
      expect(s!).toBeGreaterThanOrEqual(0);
      expect(s!).toBeLessThanOrEqual(1);
      // Only the exact set of right options is fully right.
      expect(s === 1).toBe(chosen.join() === 'a,b,c');
    }
  });

  it('only the exact order of an ordering question scores 1 (all 24 permutations)', () => {
    const items = ['quet', 'kiemtra', 'nhapma', 'bienlai'];
    const perms = (xs: string[]): string[][] =>
      xs.length <= 1 ? [xs] : xs.flatMap((x, i) => perms([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
    const all = perms(items);
    expect(all).toHaveLength(24);
    const full = all.filter((p) => scoreAnswer(ordering, order(...p)) === 1);
    expect(full).toEqual([items]);
    // Scores are multiples of 1/4; 3 of 4 in place is impossible.
    const seen = new Set(all.map((p) => scoreAnswer(ordering, order(...p))));
    expect([...seen].sort()).toEqual([0, 0.25, 0.5, 1]);
  });

  it('duplicate ids in a multiple `correct` do not change the score (the schema accepts them)', () => {
    const dup = q({ id: 'trung', kind: 'multiple', prompt: 'p', options: choices('a', 'b', 'c'), correct: ['a', 'a', 'b'] });
    expect(scoreAnswer(dup, many('a', 'b'))).toBe(1);
    expect(scoreAnswer(dup, many('a'))).toBe(0.5);
  });
});

// ---- answerKeys (histogram grouping) ----

describe('answerKeys', () => {
  it.each<[string, Question, AnswerValue, string[]]>([
    ['single', single, one('b'), ['b']],
    ['poll', poll, vote('co'), ['co']],
    ['multiple: one key per option', multiple, many('a', 'd'), ['a', 'd']],
    ['truefalse', truefalse, tf(true), ['true']],
    ['text loose: folded without marks', textLoose, text('  Mã   OTP '), ['ma otp']],
    ['text strict: folded with marks', textStrict, text('  Thanh  TOÁN '), ['thanh toán']],
    ['number', number6, num(6.5), ['6.5']],
    ['ordering', ordering3, order('y', 'x', 'z'), ['y>x>z']],
  ])('%s', (_name, question, answer, keys) => {
    expect(answerKeys(question, answer)).toEqual(keys);
  });
});

// ---- the Question schema ----

describe('Question schema', () => {
  it('fills defaults: ignoreDiacritics false, tolerance 0', () => {
    expect(textStrict).toMatchObject({ kind: 'text', ignoreDiacritics: false });
    expect(number6).toMatchObject({ kind: 'number', tolerance: 0 });
    expect('unit' in number6).toBe(false);
    expect('explanation' in single).toBe(false);
  });

  it('trims prompts, choice texts and accepted answers', () => {
    const t = q({ id: 'x', kind: 'text', prompt: '  Hỏi?  ', accepted: ['  OTP '] });
    expect(t).toMatchObject({ prompt: 'Hỏi?', accepted: ['OTP'] });
  });

  const issuePaths = (input: unknown) => {
    const result = Question.safeParse(input);
    return {
      success: result.success,
      paths: (result.error?.issues ?? []).map((i) => i.path.join('.')),
      messages: (result.error?.issues ?? []).map((i) => i.message),
    };
  };

  it.each<[string, unknown]>([
    ['single', { id: 'x', kind: 'single', prompt: 'p', options: choices('a', 'b', 'a'), correct: 'a' }],
    ['multiple', { id: 'x', kind: 'multiple', prompt: 'p', options: choices('a', 'b', 'a'), correct: ['a'] }],
    ['poll', { id: 'x', kind: 'poll', prompt: 'p', options: choices('a', 'b', 'a') }],
  ])('refuses duplicate option ids (%s)', (_kind, input) => {
    const r = issuePaths(input);
    expect(r.success).toBe(false);
    expect(r.paths).toEqual(['options.2.id']);
    expect(r.messages).toEqual(['duplicate id "a"']);
  });

  it('refuses duplicate ordering item ids', () => {
    const r = issuePaths({ id: 'x', kind: 'ordering', prompt: 'p', items: choices('a', 'b', 'a') });
    expect(r.success).toBe(false);
    expect(r.messages).toEqual(['duplicate id "a"']);
  });

  // BUG (minor): the duplicate check reports `options.<i>.id` for an ordering question too, which has
  // `items`, not `options`. A lesson author reading "steps.3.questions.0.options.2.id" looks for a field
  // that does not exist. Repro: Question.safeParse({ id: 'x', kind: 'ordering', prompt: 'p',
  // items: [{id:'a',text:'A'},{id:'b',text:'B'},{id:'a',text:'C'}] }).error.issues[0].path → ['options', 2, 'id'].
  it('reports a duplicate ordering item at items.<i>.id', () => {
    const r = issuePaths({ id: 'x', kind: 'ordering', prompt: 'p', items: choices('a', 'b', 'a') });
    expect(r.paths).toEqual(['items.2.id']);
  });

  it.each<[string, unknown, string[]]>([
    ['single', { id: 'x', kind: 'single', prompt: 'p', options: choices('a', 'b'), correct: 'c' }, ['no option "c"']],
    [
      'multiple',
      { id: 'x', kind: 'multiple', prompt: 'p', options: choices('a', 'b'), correct: ['a', 'c', 'd'] },
      ['no option "c"', 'no option "d"'],
    ],
  ])('refuses a `correct` naming a missing option (%s)', (_kind, input, messages) => {
    const r = issuePaths(input);
    expect(r.success).toBe(false);
    expect(r.messages).toEqual(messages);
    expect(new Set(r.paths)).toEqual(new Set(['correct']));
  });

  it.each<[string, unknown]>([
    ['an unknown kind', { id: 'x', kind: 'essay', prompt: 'p' }],
    ['an unknown key', { id: 'x', kind: 'truefalse', prompt: 'p', correct: true, points: 10 }],
    ['a non-slug id', { id: 'Câu 1', kind: 'truefalse', prompt: 'p', correct: true }],
    ['an empty prompt', { id: 'x', kind: 'truefalse', prompt: '   ', correct: true }],
    ['one option only', { id: 'x', kind: 'single', prompt: 'p', options: choices('a'), correct: 'a' }],
    ['nine options', { id: 'x', kind: 'poll', prompt: 'p', options: choices('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i') }],
    ['an option id with a hyphen', { id: 'x', kind: 'poll', prompt: 'p', options: choices('a-1', 'b') }],
    ['multiple with no right option', { id: 'x', kind: 'multiple', prompt: 'p', options: choices('a', 'b'), correct: [] }],
    ['text with no accepted answer', { id: 'x', kind: 'text', prompt: 'p', accepted: [] }],
    ['a negative tolerance', { id: 'x', kind: 'number', prompt: 'p', correct: 1, tolerance: -1 }],
    ['an infinite number', { id: 'x', kind: 'number', prompt: 'p', correct: Infinity }],
    ['a truefalse key that is a string', { id: 'x', kind: 'truefalse', prompt: 'p', correct: 'false' }],
    ['ordering with one item', { id: 'x', kind: 'ordering', prompt: 'p', items: choices('a') }],
  ])('refuses %s', (_name, input) => {
    expect(Question.safeParse(input).success).toBe(false);
  });

  it('accepts a valid question of every kind', () => {
    const kinds = [single, truefalse, multiple, textLoose, number6, ordering, poll].map((x) => x.kind);
    expect(kinds).toEqual(['single', 'truefalse', 'multiple', 'text', 'number', 'ordering', 'poll']);
  });
});
