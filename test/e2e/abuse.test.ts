/** Issue 16 as people see it: a second tablet taking over a learner, and the console removing one. */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { SessionSummary } from '../../shared/protocol/views.ts';
import { errorsOf, laptop, shot, tablet, tid, useBrowserClass, setTextSize } from '../support/browser.ts';
import { setupInstructor, startSession } from '../support/server.ts';

const env = useBrowserClass();
const until = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 100 });

let cookie = '';
async function instructor(): Promise<string> {
  cookie ||= (await setupInstructor(env.server.url)).cookie;
  return cookie;
}

/** A tablet at 768×1024 with the largest text (A+, 200%). */
async function tabletPage(): Promise<Page> {
  const page = await env.newPage(tablet);
  await page.goto(env.server.url + '/');
  await setTextSize(page, '200');
  await until(() => page.evaluate(() => document.documentElement.dataset.text)).toBe('200');
  return page;
}

async function join(page: Page, code: string, name: string): Promise<void> {
  await tid(page, 'join-code').fill(code);
  await tid(page, 'join-name').fill(name);
  await tid(page, 'join-submit').click();
  await tid(page, 'waiting').or(tid(page, 'step-title')).first().waitFor();
}

async function consoleOf(session: SessionSummary): Promise<Page> {
  const teach = await env.newPage(laptop);
  const [name, value] = (await instructor()).split('=');
  await teach.context().addCookies([{ name, value, url: env.server.url, httpOnly: true, sameSite: 'Strict' }]);
  await teach.goto(`${env.server.url}/teach/#/session/${session.id}`);
  await tid(teach, 'console').waitFor();
  return teach;
}

describe('hold under abuse, in Chromium', () => {
  it('a second tablet with the same learner takes over; the first says so and is back on the join screen', async () => {
    const session = await startSession(env.server.url, await instructor());
    const first = await tabletPage();
    await join(first, session.code, 'Lành');
    const saved = await first.evaluate(() => localStorage.getItem('cunghoc.learner'));
    expect(saved).toContain('token');

    // Someone copies the learner to another tablet (or opens the class there with the same token).
    const second = await tabletPage();
    await second.evaluate((value) => localStorage.setItem('cunghoc.learner', value!), saved);
    await second.reload();
    await tid(second, 'waiting').waitFor();

    await until(() => first.getByText('Máy khác đã vào bằng tên này.').isVisible()).toBe(true);
    await tid(first, 'join-code').waitFor();
    expect(await first.evaluate(() => localStorage.getItem('cunghoc.learner'))).toBeNull();
    await shot(first, 'abuse-takeover-first-tablet-A+');
    // The second tablet stays the learner: the first does not come back and take it again.
    expect(await tid(second, 'waiting').isVisible()).toBe(true);
    expect(await second.evaluate(() => localStorage.getItem('cunghoc.learner'))).toBe(saved);
    expect(errorsOf(first)).toEqual([]);
    expect(errorsOf(second)).toEqual([]);
  });

  it('the seat map removes a learner and blocks the name; the tablet says so and the name cannot join again', async () => {
    const session = await startSession(env.server.url, await instructor());
    const teach = await consoleOf(session);
    const pupil = await tabletPage();
    await join(pupil, session.code, 'Tí');
    const keep = await tabletPage();
    await join(keep, session.code, 'Hoà');

    const tile = teach.locator('[data-testid="seat-tile"][data-learner-name="Tí"]');
    await tile.waitFor();
    await tile.getByTestId('remove-learner').click();
    await tile.getByTestId('remove-block').check();
    await shot(teach, 'abuse-console-remove-learner');
    await tile.getByTestId('remove-confirm').click();

    await until(() => pupil.getByText('Giảng viên đã cho bạn rời lớp.').isVisible()).toBe(true);
    await shot(pupil, 'abuse-removed-tablet-A+');
    await until(() => teach.locator('[data-testid="seat-tile"][data-learner-name="Tí"]').count()).toBe(0);
    expect(await teach.locator('[data-testid="roster-row"][data-learner-name="Tí"]').count()).toBe(0);

    await tid(pupil, 'join-code').fill(session.code);
    await tid(pupil, 'join-name').fill('tí');
    await tid(pupil, 'join-submit').click();
    await until(() => tid(pupil, 'join-error').textContent()).toContain('Tên này không vào được lớp này nữa');
    await shot(pupil, 'abuse-name-blocked-A+');
    // The others are untouched.
    expect(await tid(keep, 'waiting').isVisible()).toBe(true);
    expect(errorsOf(teach)).toEqual([]);
  });
});
