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
