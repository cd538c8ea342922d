import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { laptop, overflow, shot, tablet, tid, useBrowserClass } from '../support/browser.ts';

/**
 * Accessibility in a real class, screen by screen: axe-core with the WCAG 2.0 / 2.1 / 2.2 A and AA
 * rules on every page in every state, in Vietnamese and English, normal and high contrast, at the
 * default and the largest text size; then, on the learner's tablet, no sideways scrolling and no
 * clipped button at the largest size. `states` below is a table: a new screen is one more entry
 * (a name, how to get there, which pages to check).
 */
const env = useBrowserClass();
const until = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 100 });
const phone = { width: 360, height: 740 };
const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

interface Variant {
  lang: 'vi' | 'en';
  high: boolean;
  text: '100' | '200';
}
const variants: Variant[] = (['vi', 'en'] as const).flatMap((lang) =>
  [false, true].flatMap((high) => (['100', '200'] as const).map((text) => ({ lang, high, text }))),
);
const plain: Variant = { lang: 'vi', high: false, text: '100' };
const label = (v: Variant): string => `${v.lang}, ${v.high ? 'high contrast' : 'normal'}, ${v.text}%`;

/** Set language, contrast and text size with the page's own controls, as a person would. */
async function apply(page: Page, v: Variant): Promise<void> {
  await page.locator(`.lang button[lang="${v.lang}"]`).click();
  await until(() => page.evaluate(() => document.documentElement.lang)).toBe(v.lang);
  // The display settings are folded behind one "Cỡ chữ" button: open them first.
  if (!(await tid(page, 'contrast').isVisible())) await tid(page, 'settings-open').click();
  const contrast = tid(page, 'contrast');
  if ((await contrast.getAttribute('aria-pressed')) !== String(v.high)) await contrast.click();
  await tid(page, `text-${v.text}`).click();
  await until(() => page.evaluate(() => [document.documentElement.dataset.text, document.documentElement.dataset.contrast ?? ''])).toEqual([
    v.text,
    v.high ? 'high' : '',
  ]);
}

const focused = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.tagName);

/** axe's best-practice rules that every main screen must pass too (issue 20). */
const bestPractice = ['page-has-heading-one', 'region', 'landmark-unique', 'landmark-one-main'];

/** Axe violations, one line each: rule, impact, where. */
async function violations(page: Page, rules?: string[]): Promise<string[]> {
  const builder = new AxeBuilder({ page });
  const result = await (rules ? builder.withRules(rules) : builder.withTags(tags)).analyze();
  return result.violations.flatMap((v) =>
    v.nodes.map(
      (n) => `${v.id} (${v.impact ?? '?'}): ${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(1).join(' ').trim() ?? v.help}`,
    ),
  );
}

/** Visible learner text under 18 px (at the default size, the learner's floor). */
function smallText(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!el || !node.textContent?.trim() || !el.getClientRects().length || el.closest('.sr-only')) continue;
      const size = parseFloat(getComputedStyle(el).fontSize);
      if (size < 18) out.push(`text under 18px (${size}px): "${node.textContent.trim().slice(0, 30)}"`);
    }
    return out;
  });
}

/** Chromium's speechSynthesis, replaced: headless Chromium has no voices. Voices arrive late, as in Chrome. */
function fakeSpeech(langs: string[]): void {
  const voices = langs.map((lang) => ({ lang, name: `Voice ${lang}`, voiceURI: lang, default: false, localService: true }));
  const spoken: { text: string; lang: string; voice: string | null }[] = [];
  let ready = false;
  const synth = {
    onvoiceschanged: null as null | ((e: Event) => void),
    speaking: false,
    pending: false,
    paused: false,
    getVoices: () => (ready ? voices : []),
    speak(u: { text: string; lang: string; voice: { lang: string } | null }) {
      spoken.push({ text: u.text, lang: u.lang, voice: u.voice?.lang ?? null });
    },
    cancel() {},
    pause() {},
    resume() {},
  };
  Object.defineProperty(window, 'speechSynthesis', { value: synth, configurable: true });
  Object.assign(window, {
    __spoken: spoken,
    SpeechSynthesisUtterance: class {
      lang = '';
      voice = null;
      rate = 1;
      onend = null;
      onerror = null;
      constructor(public text: string) {}
    },
  });
  setTimeout(() => {
    ready = true;
    synth.onvoiceschanged?.(new Event('voiceschanged'));
  }, 100);
}

interface Pages {
  teach: Page;
  login: Page;
  display: Page;
  helper: Page;
  learner: Page;
  seat: Page;
}
interface State {
  name: string;
  /** Brings the class to this state (runs once, in table order). */
  enter: (p: Pages) => Promise<void>;
  /** The pages to check in this state. */
  check: (keyof Pages)[];
  /** Of those, the pages that must also pass the best-practice rules above. */
  best?: (keyof Pages)[];
  /** Name of the learner screenshots (test-results/a11y-learner-<shot>-A.png, -A+.png, -A+-contrast.png). */
  shot?: string;
}

let code = '';
const ctx = {} as Pages;

const states: State[] = [
  {
    name: 'first start: account setup',
    enter: async (p) => {
      await p.teach.goto(`${env.server.url}/teach/`);
      await tid(p.teach, 'setup-username').waitFor();
    },
    check: ['teach'],
  },
  {
    name: 'lesson list; sign-in page',
    enter: async (p) => {
      await tid(p.teach, 'setup-username').fill('cohanh');
      await tid(p.teach, 'setup-displayname').fill('Cô Hạnh');
      await tid(p.teach, 'setup-password').fill('mat-khau-lop-hoc');
      await tid(p.teach, 'setup-submit').click();
      await tid(p.teach, 'lesson-item').first().waitFor();
      await p.login.goto(`${env.server.url}/teach/`);
      await tid(p.login, 'login-username').waitFor();
    },
    check: ['teach', 'login'],
  },
  {
    name: 'lesson editor (a starter lesson with pictures and questions); tablet setup page',
    enter: async (p) => {
      await p.teach.goto(`${env.server.url}/teach/#/lessons/thanh-toan-qr/edit`);
      await tid(p.teach, 'editor').waitFor();
      await until(() => tid(p.teach, 'editor-save').isEnabled()).toBe(true);
      await p.seat.goto(`${env.server.url}/seat/`);
      await tid(p.seat, 'tablet-seat').waitFor();
    },
    check: ['teach', 'seat'],
  },
  {
    name: 'console before anyone joins; projector join screen; helper form; learner join',
    enter: async (p) => {
      await p.teach.goto(`${env.server.url}/teach/#/`);
      await tid(p.teach, 'lesson-item').first().waitFor();
      await p.teach.locator('[data-testid="lesson-item"][data-lesson-id="thanh-toan-qr"]').getByTestId('lesson-start').click();
      await tid(p.teach, 'console').waitFor();
      code = (await tid(p.teach, 'class-code').innerText()).replace(/\D/g, '');
      await p.display.goto(`${env.server.url}/display/?code=${code}`);
      await tid(p.display, 'display-qr').waitFor();
      await p.helper.goto(`${env.server.url}/help/`);
      await tid(p.helper, 'helper-code').waitFor();
      await p.learner.goto(`${env.server.url}/?code=${code}&seat=${encodeURIComponent('Bàn 1')}`);
      await tid(p.learner, 'join-name').waitFor();
    },
    check: ['teach', 'display', 'helper', 'learner'],
    best: ['teach', 'display'],
    shot: '1-join',
  },
  {
    name: 'learner waiting; helper queue empty; console with one learner',
    enter: async (p) => {
      await tid(p.learner, 'join-name').fill('Nguyễn Thị Lành');
      await tid(p.learner, 'join-submit').click();
      await tid(p.learner, 'waiting').waitFor();
      await tid(p.helper, 'helper-code').fill((await tid(p.teach, 'helper-code').innerText()).trim());
      await tid(p.helper, 'helper-name').fill('Chị Lan');
      await tid(p.helper, 'helper-join').click();
      await tid(p.helper, 'help-queue').waitFor();
      await until(() => tid(p.teach, 'roster-row').count()).toBe(1);
    },
    check: ['learner', 'helper', 'teach'],
    best: ['teach'],
    shot: '2-waiting',
  },
  {
    name: 'a step: learner, projector, console with roster and seat map',
    enter: async (p) => {
      await tid(p.teach, 'btn-next-step').click();
      await tid(p.learner, 'step-title').waitFor();
      await tid(p.display, 'display-step-title').waitFor();
      // A screen reader hears the new step, and starts reading at its title.
      await until(() => focused(p.learner)).toBe('step-title');
      await until(() => p.learner.locator('[aria-live]').innerText()).toMatch(/Bước 1\/8/);
    },
    check: ['learner', 'display', 'teach'],
    best: ['learner', 'display', 'teach'],
    shot: '3-step',
  },
  {
    name: 'question open',
    enter: async (p) => {
      await tid(p.teach, 'quiz-panel').locator('[data-testid="quiz-open"][data-question-id="vietqr-cung-ngan-hang"]').click();
      await tid(p.learner, 'quiz').waitFor();
      await until(() => focused(p.learner)).toBe('quiz-prompt');
      await until(() => p.learner.locator('[aria-live]').innerText()).toMatch(/Câu hỏi mới/);
    },
    check: ['learner', 'display', 'teach'],
    best: ['learner', 'display', 'teach'],
    shot: '4-question-open',
  },
  {
    name: 'question revealed',
    enter: async (p) => {
      await p.learner.locator('[data-testid="quiz-choice"][data-choice-id="true"]').click();
      await tid(p.learner, 'quiz-sent').waitFor();
      await tid(p.teach, 'quiz-close').click();
      await tid(p.teach, 'quiz-reveal').click();
      await tid(p.learner, 'quiz-result').waitFor();
    },
    check: ['learner', 'display', 'teach'],
    best: ['learner', 'display', 'teach'],
    shot: '5-question-revealed',
  },
  {
    name: 'help requested: learner, console help queue, helper phone',
    enter: async (p) => {
      await tid(p.teach, 'quiz-dismiss').click();
      await tid(p.learner, 'step-title').waitFor();
      await p.learner.locator('[data-testid="help-reason"][data-reason="device_problem"]').click();
      await until(() => tid(p.learner, 'help-status').count()).toBe(1);
      await until(() => p.learner.locator('[aria-live]').innerText()).toMatch(/Đang chờ người đến giúp/);
      await tid(p.helper, 'queue-item').waitFor();
      await tid(p.teach, 'help-queue').getByTestId('queue-item').waitFor();
    },
    check: ['learner', 'teach', 'helper'],
    best: ['learner', 'teach'],
    shot: '6-help-requested',
  },
  {
    name: 'help claimed',
    enter: async (p) => {
      await tid(p.helper, 'queue-item').getByTestId('claim').click();
      await until(() => tid(p.learner, 'help-status').innerText()).toMatch(/Chị Lan/);
      await until(() => p.learner.locator('[aria-live]').innerText()).toMatch(/Có người đang đến: Chị Lan/);
    },
    check: ['learner', 'helper', 'teach'],
    best: ['learner', 'teach'],
    shot: '7-help-claimed',
  },
  {
    name: 'class ended: results page, learner back at the join form, projector',
    enter: async (p) => {
      await tid(p.teach, 'end-session').click();
      await tid(p.teach, 'end-confirm').click();
      await tid(p.teach, 'lesson-item').first().waitFor();
      await tid(p.teach, 'results-link').first().click();
      await tid(p.teach, 'results').waitFor();
      await tid(p.learner, 'join-code').waitFor();
      await tid(p.display, 'display-ended').waitFor();
    },
    check: ['teach', 'learner', 'display'],
    best: ['display'],
    shot: '8-class-ended',
  },
];

describe('accessibility of every screen (axe, WCAG 2.2 A/AA), and the learner layout at the largest text', () => {
  it('opens the pages', async () => {
    ctx.teach = await env.newPage(laptop);
    ctx.login = await env.newPage(laptop);
    ctx.display = await env.newPage(laptop);
    ctx.helper = await env.newPage(phone);
    ctx.learner = await env.newPage(tablet);
    ctx.seat = await env.newPage(tablet);
    await ctx.learner.context().addInitScript(fakeSpeech, ['en-US', 'vi-VN']);
  });

  states.forEach((state, i) => {
    it(`${i + 1}. ${state.name}`, async () => {
      await state.enter(ctx);
      const found: string[] = [];
      for (const which of state.check) {
        const page = ctx[which];
        for (const v of variants) {
          await apply(page, v);
          for (const line of await violations(page)) found.push(`[${which} · ${label(v)}] ${line}`);
        }
        if (state.best?.includes(which)) {
          await apply(page, plain);
          for (const line of await violations(page, bestPractice)) found.push(`[${which} · best practice] ${line}`);
        }
        if (which === 'learner') {
          // The tablet: no sideways scroll, no clipped button, at 768×1024 and 1280×800 both ways, at A+.
          for (const size of [tablet, laptop, { width: 1024, height: 768 }, { width: 800, height: 1280 }]) {
            await page.setViewportSize(size);
            for (const lang of ['vi', 'en'] as const) {
              await apply(page, { lang, high: false, text: '200' });
              for (const line of await overflow(page)) found.push(`[learner layout ${size.width}×${size.height} · ${lang} · 200%] ${line}`);
            }
          }
          await page.setViewportSize(tablet);
          await apply(page, plain);
          for (const line of await smallText(page)) found.push(`[learner · 100%] ${line}`);
          if (state.shot) {
            for (const text of ['100', '200'] as const) {
              await apply(page, { lang: 'vi', high: false, text });
              await shot(page, `a11y-learner-${state.shot}-${text === '100' ? 'A' : 'A+'}`);
            }
            await apply(page, { lang: 'vi', high: true, text: '200' });
            await shot(page, `a11y-learner-${state.shot}-A+-contrast`);
          }
        }
        await apply(page, plain);
      }
      if (found.length) console.log(`${state.name}:\n${found.join('\n')}`);
      expect(found).toEqual([]);
    }, 300_000); // eight variants of up to four pages
  });
});

describe('"Nghe" reads aloud only with a Vietnamese voice', () => {
  it('reads the step, then the question and its answers, in vi-VN; no button without a Vietnamese voice', async () => {
    // A class of its own: the one above has ended.
    const teach = ctx.teach;
    await teach.goto(`${env.server.url}/teach/#/`);
    await teach.locator('[data-testid="lesson-item"][data-lesson-id="thanh-toan-qr"]').getByTestId('lesson-start').click();
    await tid(teach, 'console').waitFor();
    const classCode = (await tid(teach, 'class-code').innerText()).replace(/\D/g, '');
    const join = async (langs: string[], name: string): Promise<Page> => {
      const page = await env.newPage(tablet);
      await page.context().addInitScript(fakeSpeech, langs);
      await page.goto(`${env.server.url}/?code=${classCode}`);
      await tid(page, 'join-name').fill(name);
      await tid(page, 'join-submit').click();
      await tid(page, 'waiting').waitFor();
      return page;
    };
    const withVoice = await join(['en-US', 'vi-VN'], 'Hoà');
    const englishOnly = await join(['en-US', 'en-GB'], 'Tuấn');
    await tid(teach, 'btn-next-step').click();
    for (const page of [withVoice, englishOnly]) await tid(page, 'step-title').waitFor();

    await tid(withVoice, 'btn-listen').waitFor();
    expect(await tid(englishOnly, 'btn-listen').count()).toBe(0);
    const title = await tid(withVoice, 'step-title').innerText();
    const body = (await tid(withVoice, 'step-body').innerText()).trim().split('\n')[0];
    await tid(withVoice, 'btn-listen').click();
    const spoken = () =>
      withVoice.evaluate(() => (window as unknown as { __spoken: { text: string; lang: string; voice: string }[] }).__spoken);
    await until(async () => (await spoken()).length).toBe(1);
    const [first] = await spoken();
    expect(first.lang).toBe('vi-VN');
    expect(first.voice).toBe('vi-VN');
    expect(first.text.startsWith(`${title}. `)).toBe(true);
    expect(first.text).toContain(body);
    // While it speaks, the same button stops it.
    expect(await tid(withVoice, 'btn-listen').innerText()).toMatch(/Dừng đọc/);
    await tid(withVoice, 'btn-listen').click();
    expect(await tid(withVoice, 'btn-listen').innerText()).toMatch(/Nghe/);

    // A question: its prompt, then each answer.
    await tid(teach, 'quiz-panel').locator('[data-testid="quiz-open"][data-question-id="vietqr-cung-ngan-hang"]').click();
    await tid(withVoice, 'quiz').waitFor();
    await tid(withVoice, 'btn-listen').click();
    await until(async () => (await spoken()).length).toBe(2);
    const prompt = await tid(withVoice, 'quiz-prompt').innerText();
    expect((await spoken())[1].text).toBe(`${prompt}. Đúng. Sai`);
    expect(await tid(englishOnly, 'btn-listen').count()).toBe(0);
  });
});
