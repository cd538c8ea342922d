import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join as pathJoin } from 'node:path';
import { screenshotDir, shot, tablet, tid, useBrowserClass } from '../support/browser.ts';
import { removeDir, setupInstructor, startServer, startSession } from '../support/server.ts';

/**
 * What a whole class showed (issue 20), as boxes on screen: the learner's two actions always in
 * view at every text size, both ways round; the console's controls in view on a 1366×768 laptop,
 * with the link state; the projector without a scrollbar; the help banner gone once help is given.
 */
const env = useBrowserClass();
const until = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 100 });
const console1366 = { width: 1366, height: 768 };
const landscape = { width: 1024, height: 768 };

/** Where each element is against the viewport, scrolled to the top and to the bottom. */
async function outOfView(page: Page, ids: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const where of ['top', 'bottom'] as const) {
    await page.evaluate((w) => window.scrollTo(0, w === 'top' ? 0 : document.documentElement.scrollHeight), where);
    const found = await page.evaluate((list) => {
      const bad: string[] = [];
      for (const id of list) {
        const el = document.querySelector(`[data-testid="${id}"]`);
        if (!el) {
          bad.push(`${id}: missing`);
          continue;
        }
        const r = el.getBoundingClientRect();
        if (r.top < -1 || r.bottom > window.innerHeight + 1 || r.left < -1 || r.right > window.innerWidth + 1)
          bad.push(
            `${id}: ${Math.round(r.left)},${Math.round(r.top)}..${Math.round(r.right)},${Math.round(r.bottom)} outside ${window.innerWidth}×${window.innerHeight}`,
          );
      }
      return bad;
    }, ids);
    out.push(...found.map((f) => `${where}: ${f}`));
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  return out;
}

/** Choose a text size with the page's own (folded) display settings, as a learner would. */
async function textSize(page: Page, size: '100' | '150' | '200'): Promise<void> {
  const button = tid(page, `text-${size}`);
  if (!(await button.isVisible())) await tid(page, 'settings-open').click();
  await button.click();
  await until(() => page.evaluate(() => document.documentElement.dataset.text)).toBe(size);
  await tid(page, 'settings-open').click(); // folded again, as the learner leaves it
  await tid(page, `text-${size}`).waitFor({ state: 'hidden' });
}

/** What the person sees: the viewport, not the whole page (a pinned bar is where it is on screen). */
async function seen(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: pathJoin(screenshotDir, `${name}.png`) });
}

let cookie = '';
let code = '';
let sessionId = '';

async function consolePage(viewport = console1366): Promise<Page> {
  const page = await env.newPage(viewport);
  await page.context().addCookies([{ name: cookie.split('=')[0], value: cookie.split('=').slice(1).join('='), url: env.server.url }]);
  await page.goto(`${env.server.url}/teach/#/session/${sessionId}`);
  await tid(page, 'class-code').waitFor();
  return page;
}

async function join(name: string, viewport = tablet): Promise<Page> {
  const page = await env.newPage(viewport);
  await page.goto(`${env.server.url}/?code=${code}`);
  await tid(page, 'join-name').fill(name);
  await tid(page, 'join-submit').click();
  await tid(page, 'waiting').waitFor();
  return page;
}

describe('a whole class, laid out for the people in it', () => {
  let teach: Page;
  let lanh: Page;
  let hoa: Page;
  let tu: Page;

  it('before class: the home page gives the tablet setup code (and no localhost for tablets); /seat/ labels a tablet with it', async () => {
    ({ cookie } = await setupInstructor(env.server.url));
    const home = await env.newPage(console1366);
    await home.context().addCookies([{ name: cookie.split('=')[0], value: cookie.split('=').slice(1).join('='), url: env.server.url }]);
    await home.goto(`${env.server.url}/teach/`);
    const setupCode = (await tid(home, 'tablet-setup-code').innerText()).trim();
    expect(setupCode).toMatch(/^[A-Z0-9]{6}$/);
    expect(await tid(home, 'tablet-urls').innerText()).not.toMatch(/localhost|127\.0\.0\.1/);
    await seen(home, 'layout-home-tablet-code');

    const tabletPage = await env.newPage(tablet);
    await tabletPage.goto(`${env.server.url}/seat/`);
    await tid(tabletPage, 'tablet-seat').fill('Bàn 2 – Máy 1');
    // No code, then a wrong one: each refusal says where the right code is.
    await tid(tabletPage, 'tablet-save').click();
    await until(() => tid(tabletPage, 'tablet-error').innerText()).toMatch(/trang chủ của giảng viên/);
    await tid(tabletPage, 'tablet-code').fill(setupCode === 'ZZZZZZ' ? 'YYYYYY' : 'ZZZZZZ');
    await tid(tabletPage, 'tablet-save').click();
    await until(() => tid(tabletPage, 'tablet-error').innerText()).toMatch(
      /Mã này không đúng.*Mã cài máy tính bảng.*trang chủ của giảng viên/s,
    );
    await seen(tabletPage, 'layout-seat-wrong-code');
    await tid(tabletPage, 'tablet-code').fill(setupCode.toLowerCase());
    await tid(tabletPage, 'tablet-save').click();
    await until(() => tid(tabletPage, 'tablet-saved').innerText()).toMatch(/Bàn 2 – Máy 1/);
    expect(await tid(tabletPage, 'tablet-error').count()).toBe(0);
    expect(await tabletPage.evaluate(() => localStorage.getItem('cunghoc.seat'))).toBe('Bàn 2 – Máy 1');
  });

  it('starts a class with three tablets', async () => {
    ({ code, id: sessionId } = await startSession(env.server.url, cookie));
    teach = await consolePage();
    lanh = await join('Nguyễn Thị Lành');
    hoa = await join('Hoà');
    tu = await join('Bác Tư', landscape);
    await until(() => tid(teach, 'roster-row').count()).toBe(3);
  });

  it('the help banner goes when the request is resolved or withdrawn, and stays for the next one waiting', async () => {
    await tid(teach, 'btn-next-step').click();
    for (const p of [lanh, hoa, tu]) await tid(p, 'step-title').waitFor();
    await tid(lanh, 'btn-help').click();
    await tid(hoa, 'btn-help').click();
    await tid(tu, 'btn-help').click();
    await until(() => tid(teach, 'help-alert').innerText()).toMatch(/Nguyễn Thị Lành.*Hoà.*Bác Tư|Nguyễn Thị Lành.*Bác Tư.*Hoà/s);

    // Lành's request is solved from the console's queue: her name leaves the banner, the others stay.
    await teach.locator('[data-testid="queue-item"][data-learner-name="Nguyễn Thị Lành"]').getByTestId('resolve').click();
    await until(() => tid(teach, 'help-alert').innerText()).not.toMatch(/Lành/);
    expect(await tid(teach, 'help-alert').innerText()).toMatch(/Hoà/);
    // Hoà withdraws her own request on the tablet.
    await tid(hoa, 'help-cancel').click();
    await until(() => tid(teach, 'help-alert').innerText()).not.toMatch(/Hoà/);
    expect(await tid(teach, 'help-alert').innerText()).toMatch(/Bác Tư/);
    await seen(teach, 'layout-console-alert-one-left');
    // Bác Tư's is solved too: no banner at all.
    await teach.locator('[data-testid="queue-item"][data-learner-name="Bác Tư"]').getByTestId('resolve').click();
    await until(() => tid(teach, 'help-alert').count()).toBe(0);
  });

  it('"Xong" and "Cần giúp" stay on screen at every text size, 768×1024 and 1024×768, on a step, with help asked, on a question', async () => {
    // A long step: the one with the most text.
    await teach.locator('[data-testid="outline-item"][data-index="2"]').click();
    await until(() => lanh.locator('.count').innerText()).toMatch(/^Bước 3\//);
    const found: string[] = [];
    const check = async (screen: string, ids: string[]) => {
      for (const size of [tablet, landscape]) {
        await lanh.setViewportSize(size);
        for (const text of ['100', '150', '200'] as const) {
          await textSize(lanh, text);
          const label = `[${screen} ${size.width}×${size.height} ${text}%]`;
          for (const line of await outOfView(lanh, ids)) found.push(`${label} ${line}`);
          // The step gets the room: the page header (settings folded) takes at most a fifth of the screen.
          const header = await lanh.evaluate(
            () => (document.querySelector('header')?.getBoundingClientRect().height ?? 0) / window.innerHeight,
          );
          if (header > 0.2) found.push(`${label} the header takes ${Math.round(header * 100)}% of the screen's height`);
          const sideways = await lanh.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          if (sideways > 0) found.push(`${label} scrolls sideways by ${sideways}px`);
          await seen(lanh, `layout-learner-${screen}-${size.width}x${size.height}-${text}`);
        }
      }
      await lanh.setViewportSize(tablet);
      await textSize(lanh, '100');
    };
    await check('step', ['btn-done', 'btn-help']);
    await lanh.locator('[data-testid="help-reason"][data-reason="device_problem"]').click();
    await tid(lanh, 'help-status').waitFor();
    await check('help', ['btn-done', 'help-cancel', 'help-status']);
    await tid(lanh, 'help-cancel').click();
    await tid(lanh, 'btn-help').waitFor();
    await tid(teach, 'quiz-panel').locator('[data-testid="quiz-open"]').first().click();
    await tid(lanh, 'quiz').waitFor();
    await check('question', ['btn-help']);
    if (found.length) console.log(found.join('\n'));
    expect(found).toEqual([]);
  });

  it('the console keeps the push controls, counts, waiting help and the link state in view at 1366×768', async () => {
    await tid(hoa, 'btn-help').click();
    await until(() => tid(teach, 'help-waiting').innerText()).toMatch(/1/);
    const ids = ['btn-next-step', 'btn-prev-step', 'counts', 'help-waiting', 'conn-status', 'class-code'];
    await until(() => outOfView(teach, ids)).toEqual([]);
    await teach.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await seen(teach, 'layout-console-1366-scrolled');
    await page1366Bottom(teach);
  });

  it('the console says plainly that the server cannot be reached', async () => {
    // A server of its own, stopped mid-class, as in a power cut.
    const own = await startServer();
    try {
      const { cookie: c } = await setupInstructor(own.url);
      const s = await startSession(own.url, c);
      const page = await env.newPage(console1366);
      await page.context().addCookies([{ name: c.split('=')[0], value: c.split('=').slice(1).join('='), url: own.url }]);
      await page.goto(`${own.url}/teach/#/session/${s.id}`);
      await tid(page, 'class-code').waitFor();
      expect(await tid(page, 'server-lost').count()).toBe(0);
      await own.stop();
      await tid(page, 'server-lost').waitFor();
      expect(await tid(page, 'server-lost').innerText()).toMatch(/Mất kết nối với máy chủ/);
      expect(await outOfView(page, ['server-lost', 'btn-next-step'])).toEqual([]);
      await seen(page, 'layout-console-server-lost');
      await page.close();
    } finally {
      removeDir(own.dataDir);
    }
  });

  it('the projector fits 1280×720 to 3840×2160 without scrolling: join screen, step, question', async () => {
    const display = await env.newPage({ width: 1920, height: 1080 });
    await display.goto(`${env.server.url}/display/?code=${code}`);
    await tid(display, 'display-code').first().waitFor();
    const found: string[] = [];
    const check = async (screen: string) => {
      for (const size of [
        { width: 1280, height: 720 },
        { width: 1920, height: 1080 },
        { width: 3840, height: 2160 },
      ]) {
        await display.setViewportSize(size);
        // The page refits its text on the resize event: let it settle (or give up) before measuring.
        await display
          .waitForFunction(
            () => {
              const section = document.querySelector('.screen > section');
              const foot = document.querySelector('footer')?.getBoundingClientRect();
              return (
                (!section || section.scrollHeight - section.clientHeight <= 1) &&
                document.documentElement.scrollHeight <= window.innerHeight &&
                (!foot || foot.bottom <= window.innerHeight + 0.5)
              );
            },
            null,
            { timeout: 5_000 },
          )
          .catch(() => undefined);
        const over = await display.evaluate(() => {
          const d = document.documentElement;
          const foot = document.querySelector('footer')?.getBoundingClientRect();
          // Nothing cut off inside either: the step's (or question's) section shows all it holds.
          const section = document.querySelector('.screen > section');
          return {
            clipped: section ? section.scrollHeight - section.clientHeight : 0,
            tall: d.scrollHeight - window.innerHeight,
            wide: d.scrollWidth - window.innerWidth,
            foot: foot ? Math.round(foot.bottom - window.innerHeight) : 0,
          };
        });
        if (over.clipped > 1 || over.tall > 0 || over.wide > 0 || over.foot > 0)
          found.push(`[${screen} ${size.width}×${size.height}] ${JSON.stringify(over)}`);
        if (size.width < 3840) await shot(display, `layout-display-${screen}-${size.width}x${size.height}`);
      }
    };
    // The question is open (from the test above, or opened now).
    if ((await tid(display, 'display-quiz').count()) === 0) {
      await tid(teach, 'quiz-panel').locator('[data-testid="quiz-open"]').first().click();
    }
    await tid(display, 'display-quiz').waitFor();
    await check('question');
    await tid(teach, 'quiz-dismiss').click();
    await tid(display, 'display-step-title').waitFor();
    await check('step');
    if (found.length) console.log(found.join('\n'));
    expect(found).toEqual([]);
  });

  it('the projector join screen fits too', async () => {
    const { cookie: c } = { cookie };
    const s = await startSession(env.server.url, c, 'thanh-toan-qr');
    const display = await env.newPage({ width: 1920, height: 1080 });
    await display.goto(`${env.server.url}/display/?code=${s.code}`);
    await tid(display, 'display-qr').waitFor();
    const found: string[] = [];
    for (const size of [
      { width: 1280, height: 720 },
      { width: 1920, height: 1080 },
      { width: 3840, height: 2160 },
    ]) {
      await display.setViewportSize(size);
      const tall = await display.evaluate(() => document.documentElement.scrollHeight - window.innerHeight);
      const foot = await display.evaluate(
        () => (document.querySelector('footer')?.getBoundingClientRect().bottom ?? 0) - window.innerHeight,
      );
      if (tall > 0 || foot > 0)
        found.push(`[join ${size.width}×${size.height}] page ${tall}px too tall, footer ${Math.round(foot)}px below`);
      if (size.width < 3840) await shot(display, `layout-display-join-${size.width}x${size.height}`);
    }
    expect(found).toEqual([]);
  });
});

/** At the bottom of the page, the controls are still there (the bar is pinned). */
async function page1366Bottom(page: Page): Promise<void> {
  const y = await page.evaluate(() => window.scrollY);
  expect(y).toBeGreaterThan(0); // the console is longer than the screen: the test scrolled
}
