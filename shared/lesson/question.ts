import { z } from 'zod';

const OptionId = z.string().regex(/^[a-z0-9]{1,16}$/, 'must be a short id like "a"');
const Text = (max: number) => z.string().trim().min(1).max(max);

/** A choice, an ordering item: a short id, text, optional picture (a file in lessons/images/). */
export const Choice = z.strictObject({
  id: OptionId,
  text: Text(200),
  image: z
    .strictObject({
      src: z
        .string()
        .max(128)
        .regex(/^[a-z0-9-]+\.(svg|png|jpe?g|webp)$/),
      alt: Text(300),
    })
    .optional(),
});
export type Choice = z.infer<typeof Choice>;

const base = {
  id: z
    .string()
    .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/)
    .max(64),
  prompt: Text(500),
  /** Shown to learners after the reveal. */
  explanation: z.string().trim().max(1000).optional(),
};
const choices = z.array(Choice).min(2).max(8);

export const SingleQuestion = z.strictObject({ ...base, kind: z.literal('single'), options: choices, correct: OptionId });
export const TrueFalseQuestion = z.strictObject({ ...base, kind: z.literal('truefalse'), correct: z.boolean() });
/** Several right options; partial credit. */
export const MultipleQuestion = z.strictObject({
  ...base,
  kind: z.literal('multiple'),
  options: choices,
  correct: z.array(OptionId).min(1).max(8),
});
/** Free text, matched ignoring case and extra spaces, optionally ignoring Vietnamese diacritics. */
export const TextQuestion = z.strictObject({
  ...base,
  kind: z.literal('text'),
  accepted: z.array(Text(200)).min(1).max(20),
  ignoreDiacritics: z.boolean().default(false),
});
export const NumberQuestion = z.strictObject({
  ...base,
  kind: z.literal('number'),
  correct: z.number().finite(),
  tolerance: z.number().finite().min(0).default(0),
  unit: z.string().trim().max(20).optional(),
});
/** Items listed in the right order; learners see them shuffled. */
export const OrderingQuestion = z.strictObject({ ...base, kind: z.literal('ordering'), items: choices });
/** No right answer. */
export const PollQuestion = z.strictObject({ ...base, kind: z.literal('poll'), options: choices });

export const Question = z
  .discriminatedUnion('kind', [
    SingleQuestion,
    TrueFalseQuestion,
    MultipleQuestion,
    TextQuestion,
    NumberQuestion,
    OrderingQuestion,
    PollQuestion,
  ])
  .superRefine((q, ctx) => {
    const field = q.kind === 'ordering' ? 'items' : 'options';
    const list = 'options' in q ? q.options : 'items' in q ? q.items : [];
    const ids = new Set<string>();
    list.forEach((c, i) => {
      if (ids.has(c.id)) ctx.addIssue({ code: 'custom', path: [field, i, 'id'], message: `duplicate id "${c.id}"` });
      ids.add(c.id);
    });
    const correct = q.kind === 'single' ? [q.correct] : q.kind === 'multiple' ? q.correct : [];
    for (const id of correct) {
      if (!ids.has(id)) ctx.addIssue({ code: 'custom', path: ['correct'], message: `no option "${id}"` });
    }
  });
export type Question = z.infer<typeof Question>;
export type QuestionKind = Question['kind'];

/** A learner's answer, one shape per kind. */
export const AnswerValue = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('single'), option: OptionId }),
  z.strictObject({ kind: z.literal('truefalse'), value: z.boolean() }),
  z.strictObject({ kind: z.literal('multiple'), options: z.array(OptionId).max(8) }),
  z.strictObject({
    kind: z.literal('text'),
    // NUL, other controls and zero-width characters would hide in results and CSV exports (spaces, tabs and line breaks are fine).
    text: z
      .string()
      .max(200)
      .regex(/^(?:[^\p{Cc}\p{Cf}\p{Cs}]|[\t\n\r])*$/u, 'must be plain text'),
  }),
  z.strictObject({ kind: z.literal('number'), value: z.number().finite() }),
  z.strictObject({ kind: z.literal('ordering'), order: z.array(OptionId).max(8) }),
  z.strictObject({ kind: z.literal('poll'), option: OptionId }),
]);
export type AnswerValue = z.infer<typeof AnswerValue>;
