/** A lesson's steps as learners see them: their markdown rendered to HTML once per session, and the pictures to prefetch. */
import { mediaUrl, renderMarkdown } from '../../shared/lesson/render.ts';
import type { Lesson } from '../../shared/lesson/schema.ts';
import type { StepView } from '../../shared/protocol/views.ts';

/** Render every step of a lesson once per session; views reuse the result. */
export function renderSteps(lesson: Lesson): StepView[] {
  return lesson.steps.map((step, index) => ({
    index,
    id: step.id,
    title: step.title,
    html: renderMarkdown(step.body),
    image: step.image ? { url: mediaUrl(step.image.src), alt: step.image.alt } : null,
  }));
}

/** Every picture of a lesson (step images, then question option and item images), once each. */
export function lessonImages(lesson: Lesson): string[] {
  const srcs = new Set<string>();
  for (const step of lesson.steps) {
    if (step.image) srcs.add(step.image.src);
    for (const q of step.questions) {
      for (const c of 'options' in q ? q.options : q.kind === 'ordering' ? q.items : []) if (c.image) srcs.add(c.image.src);
    }
  }
  return [...srcs].map((src) => `/media/${src}`);
}
