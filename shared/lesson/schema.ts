import { z } from 'zod';
import { Question } from './question.ts';
import { Task } from './task.ts';

/** Ids of lessons, steps and skills: lowercase ASCII slugs, stable across edits. */
export const Slug = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a lowercase slug like "quet-ma-qr"');

/** A picture shown with a step: a file name under lessons/images/ (served at /media/), with alt text. */
export const StepImage = z.strictObject({
  src: z
    .string()
    .max(128)
    .regex(/^[a-z0-9-]+\.(svg|png|jpe?g|webp)$/, 'must be a file name in lessons/images/'),
  alt: z.string().min(1).max(300),
});
export type StepImage = z.infer<typeof StepImage>;

/** One step of a lesson: what every learner screen shows at once. */
export const Step = z.strictObject({
  id: Slug,
  title: z.string().min(1).max(120),
  /** Markdown; rendered on the server with raw HTML disabled. */
  body: z.string().max(10_000),
  image: StepImage.optional(),
  /** Minutes a typical learner needs; feeds stuck detection. */
  expectedMinutes: z.number().positive().max(120).optional(),
  skills: z.array(Slug).max(10).default([]),
  /** Practice questions the instructor can open during this step. */
  questions: z.array(Question).max(10).default([]),
  /** Practice tasks on look-alike phone screens (task.ts): opened by the instructor, or with the step. */
  tasks: z.array(Task).max(5).default([]),
});
export type Step = z.infer<typeof Step>;

/** A lesson document, as stored in lessons/*.json and in the database. */
export const Lesson = z
  .strictObject({
    id: Slug,
    formatVersion: z.literal(1),
    title: z.string().min(1).max(120),
    summary: z.string().max(500).default(''),
    language: z.enum(['vi', 'en']).default('vi'),
    skills: z.array(Slug).max(20).default([]),
    steps: z.array(Step).min(1).max(60),
  })
  .superRefine((lesson, ctx) => {
    const seen = new Set<string>();
    const questionIds = new Set<string>();
    const taskIds = new Set<string>();
    lesson.steps.forEach((step, i) => {
      if (seen.has(step.id)) {
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `duplicate step id "${step.id}"` });
      }
      seen.add(step.id);
      step.questions.forEach((q, j) => {
        if (questionIds.has(q.id)) {
          ctx.addIssue({ code: 'custom', path: ['steps', i, 'questions', j, 'id'], message: `duplicate question id "${q.id}"` });
        }
        questionIds.add(q.id);
      });
      step.tasks.forEach((task, j) => {
        if (taskIds.has(task.id)) {
          ctx.addIssue({ code: 'custom', path: ['steps', i, 'tasks', j, 'id'], message: `duplicate task id "${task.id}"` });
        }
        taskIds.add(task.id);
      });
    });
  });
export type Lesson = z.infer<typeof Lesson>;
export type LessonInput = z.input<typeof Lesson>;
