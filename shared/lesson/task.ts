import { z } from 'zod';
import { taskProblems } from './task-graph.ts';

/** Ids inside a task (screens, elements, traps, QR codes): short lowercase slugs. */
const LocalId = z
  .string()
  .max(40)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a lowercase slug like "nhap-pin"');
const Text = (max: number) => z.string().trim().min(1).max(max);
const Slug = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a lowercase slug like "quet-ma-qr"');

/** Where a tap leads: another screen, the goal, or one of the task's traps. */
export const TaskTarget = z.discriminatedUnion('to', [
  z.strictObject({ to: z.literal('screen'), screen: LocalId }),
  z.strictObject({ to: z.literal('goal') }),
  z.strictObject({ to: z.literal('trap'), trap: LocalId }),
]);
export type TaskTarget = z.infer<typeof TaskTarget>;

/** What a field or PIN pad expects. Checked on the tablet and on the server; the text itself is never kept. */
export const TaskExpect = z.discriminatedUnion('kind', [
  /** Anything not empty. */
  z.strictObject({ kind: z.literal('any') }),
  /** A code of digits, e.g. "a 6-digit code". */
  z.strictObject({ kind: z.literal('digits'), length: z.number().int().min(1).max(12) }),
  /** An amount or number; dots, spaces and a trailing "đ" are ignored ("50.000 đ" = 50000). */
  z.strictObject({ kind: z.literal('number'), value: z.number().finite() }),
  /** One of these texts, ignoring case, extra spaces and Vietnamese diacritics. */
  z.strictObject({ kind: z.literal('text'), accepted: z.array(Text(100)).min(1).max(10) }),
]);
export type TaskExpect = z.infer<typeof TaskExpect>;

const base = { id: LocalId };
/** The elements a look-alike screen is built from. `on`: where a tap (or a matching entry) leads. */
export const TaskElement = z.discriminatedUnion('kind', [
  z.strictObject({ ...base, kind: z.literal('text'), text: Text(500), style: z.enum(['title', 'body', 'small']).default('body') }),
  z.strictObject({
    ...base,
    kind: z.literal('image'),
    src: z
      .string()
      .max(128)
      .regex(/^[a-z0-9-]+\.(svg|png|jpe?g|webp)$/, 'must be a file name in lessons/images/'),
    alt: Text(300),
  }),
  z.strictObject({
    ...base,
    kind: z.literal('button'),
    label: Text(80),
    style: z.enum(['primary', 'normal', 'danger']).default('normal'),
    on: TaskTarget.optional(),
  }),
  z.strictObject({
    ...base,
    kind: z.literal('item'),
    label: Text(120),
    detail: z.string().trim().max(200).optional(),
    on: TaskTarget.optional(),
  }),
  z.strictObject({
    ...base,
    kind: z.literal('field'),
    label: Text(120),
    input: z.enum(['text', 'number']).default('text'),
    expect: TaskExpect,
    /** Where a matching entry leads; an entry that does not match stays on the screen. */
    on: TaskTarget.optional(),
  }),
  z.strictObject({
    ...base,
    kind: z.literal('pin'),
    label: Text(120),
    length: z.number().int().min(4).max(8).default(6),
    expect: TaskExpect,
    on: TaskTarget.optional(),
  }),
  z.strictObject({ ...base, kind: z.literal('toggle'), label: Text(120), value: z.boolean().default(false), on: TaskTarget.optional() }),
  /** A text message bubble; tapping it (its link) leads `on`. */
  z.strictObject({
    ...base,
    kind: z.literal('sms'),
    from: Text(60),
    text: Text(500),
    link: z.string().trim().max(120).optional(),
    on: TaskTarget.optional(),
  }),
  /** An incoming or ongoing call: who calls and what they say. */
  z.strictObject({ ...base, kind: z.literal('call'), from: Text(60), text: z.string().trim().max(500).default('') }),
  /** A QR "camera": the learner picks which code to point it at; each code shows its recipient and leads on. */
  z.strictObject({
    ...base,
    kind: z.literal('qr'),
    label: Text(120),
    codes: z
      .array(z.strictObject({ id: LocalId, label: Text(120), on: TaskTarget.optional() }))
      .min(1)
      .max(4),
  }),
]);
export type TaskElement = z.infer<typeof TaskElement>;
export type TaskElementKind = TaskElement['kind'];

/** One look-alike screen: a name staff see ("Nhập mã PIN"), a hint for "Gợi ý", its elements. */
export const TaskScreen = z.strictObject({
  id: LocalId,
  name: Text(80),
  hint: z.string().trim().max(300).optional(),
  elements: z.array(TaskElement).max(30),
});
export type TaskScreen = z.infer<typeof TaskScreen>;

/** A trap: a wrong move that stops the task kindly, with what went wrong and why it is dangerous. */
export const TaskTrap = z.strictObject({
  id: LocalId,
  title: Text(120),
  explanation: z.string().trim().max(1000),
});
export type TaskTrap = z.infer<typeof TaskTrap>;

/** A practice task ("Bài thực hành"): a small graph of look-alike phone screens. */
export const Task = z
  .strictObject({
    id: Slug,
    title: Text(120),
    /** Shown in large text above the phone, read aloud by "Nghe". */
    instruction: Text(500),
    /** Shown with "Làm đúng rồi!": what was learned. */
    learned: z.string().trim().max(500).default(''),
    /** Opens on the tablets by itself when the instructor pushes its step. */
    withStep: z.boolean().default(false),
    /** Minutes a typical learner needs; feeds stuck detection. */
    expectedMinutes: z.number().positive().max(60).optional(),
    skills: z.array(Slug).max(10).default([]),
    start: LocalId,
    screens: z.array(TaskScreen).min(1).max(30),
    traps: z.array(TaskTrap).max(10).default([]),
  })
  .superRefine((task, ctx) => {
    for (const p of taskProblems(task)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  });
export type Task = z.infer<typeof Task>;
export type TaskInput = z.input<typeof Task>;
