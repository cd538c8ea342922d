import MarkdownIt from 'markdown-it';
import type { Lesson } from '../../shared/lesson/schema.ts';
import type { StepView } from '../../shared/protocol/views.ts';

// Raw HTML off: lesson text can never inject markup or script. Links open outside the class page.
const md = new MarkdownIt({ html: false, linkify: false, typographer: false, breaks: true }).disable('image');
// Pictures come only from the step's own `image` field, served by us; markdown images could point anywhere.
const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, i, options, _env, self) => self.renderToken(tokens, i, options));
md.renderer.rules.link_open = (tokens, i, options, env, self) => {
  tokens[i].attrSet('target', '_blank');
  tokens[i].attrSet('rel', 'noopener noreferrer');
  return defaultLinkOpen(tokens, i, options, env, self);
};

/** Render every step of a lesson once per session; views reuse the result. */
export function renderSteps(lesson: Lesson): StepView[] {
  return lesson.steps.map((step, index) => ({
    index,
    id: step.id,
    title: step.title,
    html: md.render(step.body),
    image: step.image ? { url: `/media/${step.image.src}`, alt: step.image.alt } : null,
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
