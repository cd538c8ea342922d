import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { SessionSummary, StaffView } from '../../shared/protocol/views.ts';
import { errorsOf, laptop, networkSwitch, shot, tablet, tid, useBrowserClass } from '../support/browser.ts';
import { call, openQuiz, setupInstructor, staffSocket, startSession, unwrap, type StaffSocket } from '../support/server.ts';

const env = useBrowserClass();
const until = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 100 });
const choice = (page: Page, id: string) => page.locator(`[data-testid="quiz-choice"][data-choice-id="${id}"]`);
const LESSON_IMAGES = ['khien-khoa.svg', 'qr-bien-lai.svg', 'qr-kiem-tra.svg', 'qr-ma-gia.svg', 'qr-quet-ma.svg'];

let cookie = '';
/** The instructor's account, once per file (the first setup is the only one). */
async function instructor(): Promise<string> {
  cookie ||= (await setupInstructor(env.server.url)).cookie;
  return cookie;
}

/** A session, a staff socket on it, and its console open in a laptop page. */
async function classWithConsole(): Promise<{ session: SessionSummary; staff: StaffSocket; teach: Page; helperCode: string }> {
  const c = await instructor();
  const session = await startSession(env.server.url, c);
  const staff = staffSocket(env.server.url, c);
  const { helperCode } = unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id }));
  const teach = await env.newPage(laptop);
  const [name, value] = c.split('=');
  await teach.context().addCookies([{ name, value, url: env.server.url, httpOnly: true, sameSite: 'Strict' }]);
  await teach.goto(`${env.server.url}/teach/#/session/${session.id}`);
  await tid(teach, 'console').waitFor();
  return { session, staff, teach, helperCode };
}

async function join(page: Page, code: string, name: string, partners: string[] = []): Promise<void> {
  await tid(page, 'join-code').fill(code);
  await tid(page, 'join-name').fill(name);
  for (const [i, partner] of partners.entries()) {
    await tid(page, 'join-pair').click();
    await tid(page, 'join-partner').nth(i).fill(partner);
  }
  await tid(page, 'join-submit').click();
  await tid(page, 'waiting').or(tid(page, 'step-title')).or(tid(page, 'quiz-prompt')).first().waitFor();
}

/** What a page could leave in every store of the browser. */
async function litter(page: Page): Promise<void> {
  await page.evaluate(async () => {
    localStorage.setItem('some.app.draft', 'An Bình');
    sessionStorage.setItem('draft', 'An');
    document.cookie = 'learner=An; path=/';
    await new Promise<void>((done) => {
      const req = indexedDB.open('learner-notes', 1);
      req.onupgradeneeded = () => req.result.createObjectStore('notes');
      req.onsuccess = () => {
        const tx = req.result.transaction('notes', 'readwrite');
        tx.objectStore('notes').put('An đã học bước 2', 'n1');
        tx.oncomplete = () => {
          req.result.close();
          done();
        };
      };
    });
    const cache = await caches.open('learner-cache');
    await cache.put('/learner-note', new Response('An'));
  });
}

/** Everything the browser holds for this origin. */
function stores(page: Page) {
  return page.evaluate(async () => ({
    local: Object.fromEntries(
      Object.keys(localStorage)
        .sort()
        .map((k) => [k, localStorage.getItem(k)]),
    ),
    session: sessionStorage.length,
    databases: (await indexedDB.databases()).map((d) => d.name),
    caches: await caches.keys(),
    cookies: document.cookie,
  }));
}

/** What `stores` finds once a learner is wiped: the tablet's own settings (language, seat, text size), nothing else. */
const onlyTabletSettings = {
  local: { 'cunghoc.lang': 'vi', 'cunghoc.seat': 'Bàn 3 – Máy 2', 'cunghoc.text': '150' },
  session: 0,
  databases: [],
  caches: [],
  cookies: '',
};

describe('shared tablets in Chromium', () => {
  it('pair mode, prefetch, seat label from the console, Đổi người học wipes every store; the session end does too', async () => {
    const { session, staff, teach } = await classWithConsole();
    const page = await env.newPage(tablet);
    const media: string[] = [];
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/media/')) media.push(path.slice('/media/'.length));
    });
    await page.goto(`${env.server.url}/`);
    // The tablet's own settings survive learners: a text size set before anyone joined.
    await tid(page, 'settings-open').click(); // the display settings are folded behind "Cỡ chữ"
    await tid(page, 'text-150').click();

    // Pair mode: a grandmother and her grandson on one tablet.
    await tid(page, 'join-code').fill(session.code);
    await tid(page, 'join-name').fill('An');
    await tid(page, 'join-pair').click();
    await tid(page, 'join-partner').fill('Bình');
    await shot(page, 'tablets-01-pair-join');
    await tid(page, 'join-submit').click();
    await tid(page, 'waiting').waitFor();
    expect(await tid(page, 'waiting').innerText()).toContain('Chào An & Bình!');
    // Every picture of the lesson is fetched right after joining, before any step is pushed.
    await until(() => [...new Set(media)].sort()).toEqual(LESSON_IMAGES);
    const pair = teach.locator('[data-testid="roster-row"][data-learner-name="An & Bình"]');
    await pair.waitFor();

    // The console names the tablet; the tablet keeps the label.
    const tile = teach.locator('[data-testid="seat-tile"][data-learner-name="An & Bình"]');
    await tile.getByTestId('seat-label').click();
    await tile.getByTestId('seat-label-input').fill('Bàn 3 – Máy 2');
    await shot(teach, 'tablets-02-console-seat-label');
    await tile.getByTestId('seat-label-save').click();
    await until(() => page.evaluate(() => localStorage.getItem('cunghoc.seat'))).toBe('Bàn 3 – Máy 2');
    await until(() => pair.locator('td').first().innerText()).toBe('Bàn 3 – Máy 2');

    // The pair answers and asks for help.
    unwrap(await call(staff, 'step:push', { sessionId: session.id, step: 3 }));
    await openQuiz(staff, session.id, { step: 3, questionId: 'kiem-tra-gi' });
    await choice(page, 'b').click();
    await tid(page, 'quiz-sent').waitFor();
    await tid(page, 'btn-help').click();
    await tid(page, 'help-status').waitFor();
    await litter(page);
    const littered = await stores(page);
    expect(littered.local).toHaveProperty('cunghoc.learner');
    expect(littered).toMatchObject({ session: 1, databases: ['learner-notes'], caches: ['learner-cache'], cookies: 'learner=An' });

    // Đổi người học: a confirmation, then nothing of them is left but the tablet's own settings.
    await tid(page, 'btn-leave').click();
    await shot(page, 'tablets-03-switch-confirm');
    await tid(page, 'btn-leave-confirm').click();
    await tid(page, 'join-code').waitFor();
    await until(() => stores(page)).toEqual(onlyTabletSettings);
    expect(await tid(page, 'join-name').inputValue()).toBe('');
    expect(await tid(page, 'join-code').inputValue()).toBe('');
    expect(await tid(page, 'join-partner').count()).toBe(0);
    const screen = await page.locator('body').innerText();
    expect(screen).not.toMatch(/\bAn\b|Bình/);
    expect(screen).toContain('Máy đã sẵn sàng cho người tiếp theo.');
    expect(await tid(page, 'join-seat').innerText()).toContain('Bàn 3 – Máy 2');
    await shot(page, 'tablets-04-after-switch');
    await until(() => pair.count()).toBe(0);

    // The next learner on the same tablet joins with its seat; then the session ends.
    await join(page, session.code, 'Lành');
    const lanh = teach.locator('[data-testid="roster-row"][data-learner-name="Lành"]');
    await until(() => lanh.locator('td').first().innerText()).toBe('Bàn 3 – Máy 2');
    await litter(page);
    unwrap(await call(staff, 'session:end', { sessionId: session.id }));
    await tid(page, 'join-code').waitFor();
    await until(() => stores(page)).toEqual(onlyTabletSettings);
    expect(await page.locator('body').innerText()).not.toContain('Lành');
    expect(await tid(page, 'join-name').inputValue()).toBe('');
    expect(await page.locator('body').innerText()).toContain('Buổi học đã kết thúc');
    await shot(page, 'tablets-05-after-end');
    expect(errorsOf(page)).toEqual([]);
  });

  it('"Máy này": a seat label set on the tablet behind a live helper code', async () => {
    const { helperCode } = await classWithConsole();
    const page = await env.newPage(tablet);
    await page.goto(`${env.server.url}/`);
    await tid(page, 'tablet-open').click();
    await page.waitForURL(/\/seat\/$/);
    await tid(page, 'tablet-seat').fill('Bàn 5 – Máy 1');
    await tid(page, 'tablet-code').fill('ZZZ999' === helperCode ? 'ZZZ998' : 'ZZZ999');
    await tid(page, 'tablet-save').click();
    await page.getByRole('alert').waitFor();
    expect(await page.evaluate(() => localStorage.getItem('cunghoc.seat'))).toBeNull();
    await tid(page, 'tablet-code').fill(helperCode.toLowerCase());
    await shot(page, 'tablets-06-this-tablet');
    await tid(page, 'tablet-save').click();
    await until(() => tid(page, 'tablet-saved').innerText()).toContain('Bàn 5 – Máy 1');
    expect(await page.evaluate(() => localStorage.getItem('cunghoc.seat'))).toBe('Bàn 5 – Máy 1');
    await tid(page, 'tablet-back').click();
    await until(() => tid(page, 'join-seat').innerText()).toContain('Bàn 5 – Máy 1');
    // The largest text: the join screen with its extra controls still fits the width.
    await page.addStyleTag({ content: 'html { font-size: 33px !important; }' });
    await tid(page, 'join-pair').click();
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth)).toBe(true);
    await shot(page, 'tablets-07-join-large-text');
  });

  it('offline: the screen lists what waits to be sent; back online the answer is counted once', async () => {
    const { session, staff } = await classWithConsole();
    const page = await env.newPage(tablet);
    const context = page.context();
    const setOnline = await networkSwitch(context);
    await page.goto(`${env.server.url}/`);
    await join(page, session.code, 'Tuấn');
    unwrap(await call(staff, 'step:push', { sessionId: session.id, step: 3 }));
    const runId = await openQuiz(staff, session.id, { step: 3, questionId: 'kiem-tra-gi' });
    await choice(page, 'a').waitFor();

    await setOnline(false);
    await until(() => tid(page, 'conn-status').innerText()).toMatch(/Đang kết nối lại/);
    await choice(page, 'b').click();
    await until(() => tid(page, 'waiting-list').innerText()).toBe('Đang chờ gửi: câu trả lời');
    await tid(page, 'help-reason').first().click();
    await until(() => tid(page, 'waiting-list').innerText()).toBe('Đang chờ gửi: Cần giúp, câu trả lời');
    await shot(page, 'tablets-08-offline-waiting');
    const staffView = () => call<StaffView>(staff, 'staff:watch', { sessionId: session.id }).then(unwrap);
    expect((await staffView()).quiz!.answered).toBe(0);

    await setOnline(true);
    await tid(page, 'quiz-sent').waitFor({ timeout: 30_000 });
    await until(() => tid(page, 'waiting-list').count()).toBe(0);
    await until(async () => (await staffView()).quiz!.answered).toBe(1);
    const view = await staffView();
    expect(view.quiz!.histogram.find((b) => b.key === 'b')!.count).toBe(1);
    expect(view.counts.help).toBe(1);
    unwrap(await call(staff, 'quiz:close', { sessionId: session.id, runId }));
    expect((await staffView()).quiz!.answered).toBe(1); // counted once
  });

  it('a network that refuses WebSocket: the tablet joins and follows the steps over HTTP long-polling', async () => {
    const { session, staff } = await classWithConsole();
    const page = await env.newPage(tablet);
    let refused = 0;
    await page.context().routeWebSocket(/\/socket\.io\//, (ws) => {
      refused += 1;
      void ws.close();
    });
    const polls: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('transport=polling')) polls.push(r.method());
    });
    await page.goto(`${env.server.url}/`);
    await join(page, session.code, 'Hoa');
    expect(refused).toBeGreaterThan(0);
    expect(polls).toContain('GET');
    expect(polls).toContain('POST');
    unwrap(await call(staff, 'step:push', { sessionId: session.id, step: 1 }));
    await until(() => tid(page, 'step-title').innerText()).toMatch(/\S/);
    const title = await tid(page, 'step-title').innerText();
    unwrap(await call(staff, 'step:push', { sessionId: session.id, step: 2 }));
    await until(() => tid(page, 'step-title').innerText()).not.toBe(title);
    await tid(page, 'btn-done').click();
    await until(async () => unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id })).counts.done).toBe(1);
  });
});
