/**
 * Display settings remembered by the tablet, not by the learner: the shared-tablet reset keeps these
 * two localStorage keys. They live as attributes on <html> (`data-text`, `data-contrast`) that
 * base.css turns into the root font size and the high-contrast palette, so applying them costs no
 * component work. Importing this module applies them, before the page mounts (see each main.ts).
 */
import { textSizes, type TextSize } from './text-sizes.ts';
import { store } from './storage.ts';

export const TEXT_KEY = 'cunghoc.text';
export const CONTRAST_KEY = 'cunghoc.contrast';

export { textSizes, type TextSize };

const root = document.documentElement;
const write = (key: string, value: string | null): void => (value ? store.set(key, value) : store.remove(key));

class Settings {
  #text = $state<TextSize>('100');
  #contrast = $state(false);

  constructor() {
    const text = store.get(TEXT_KEY);
    this.text = textSizes.includes(text as TextSize) ? (text as TextSize) : '100';
    this.contrast = store.get(CONTRAST_KEY) === 'high';
  }

  get text(): TextSize {
    return this.#text;
  }

  set text(size: TextSize) {
    this.#text = size;
    root.dataset.text = size;
    write(TEXT_KEY, size === '100' ? null : size);
  }

  get contrast(): boolean {
    return this.#contrast;
  }

  set contrast(high: boolean) {
    this.#contrast = high;
    if (high) root.dataset.contrast = 'high';
    else delete root.dataset.contrast;
    write(CONTRAST_KEY, high ? 'high' : null);
  }
}

export const settings = new Settings();
