import MarkdownIt from 'markdown-it';

/**
 * The one markdown configuration for step text: the server renders learner views with it and the
 * lesson editor's preview uses it, so an instructor previews exactly what a learner sees.
 * Raw HTML off: lesson text can never inject markup or script. Pictures in text off: a step's
 * picture comes only from its own `image` field, served by us (markdown images could point anywhere).
 */
const md = new MarkdownIt({ html: false, linkify: false, typographer: false, breaks: true }).disable('image');

// Links: web, mail and phone only (no javascript:, data:, file:…); they open outside the class page.
const SAFE_LINK = /^(?:https?:|mailto:|tel:)/i;
const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:/i;
const defaultValidate = md.validateLink.bind(md);
md.validateLink = (url: string) => {
  const trimmed = url.trim();
  return defaultValidate(trimmed) && (SAFE_LINK.test(trimmed) || !HAS_SCHEME.test(trimmed));
};
const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, i, options, _env, self) => self.renderToken(tokens, i, options));
md.renderer.rules.link_open = (tokens, i, options, env, self) => {
  tokens[i].attrSet('target', '_blank');
  tokens[i].attrSet('rel', 'noopener noreferrer');
  return defaultLinkOpen(tokens, i, options, env, self);
};

/** A step's markdown text as HTML, as every learner screen shows it. */
export const renderMarkdown = (text: string): string => md.render(text);

/** Where a step picture is served: starter images (lessons/images) and uploads (DATA_DIR/media) share /media/. */
export const mediaUrl = (src: string): string => `/media/${src}`;
