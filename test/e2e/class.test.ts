import { describe, expect, it } from 'vitest';
import { errorsOf, laptop, shot, startClassFromList, tablet, tid, useBrowserClass } from '../support/browser.ts';

const env = useBrowserClass();
const newPage = env.newPage;

describe('a class, start to finish, in Chromium', () => {
  it('setup, sign in, start, join, push, done and help, projector, reload, end', async () => {
    // 1. First run: the instructor creates the account on the server machine (loopback: no setup code).
    const teach = await newPage(laptop);
    await teach.goto(`${env.server.url}/teach/`);
    await tid(teach, 'setup-username').fill('cohanh');
    await tid(teach, 'setup-displayname').fill('Cô Hạnh');
    await tid(teach, 'setup-password').fill('mat-khau-lop-hoc');
    expect(await tid(teach, 'setup-code').count()).toBe(0);
    await shot(teach, '01-teach-setup');
    await tid(teach, 'setup-submit').click();
    await tid(teach, 'lesson-item').first().waitFor();
    expect(await tid(teach, 'lesson-item').count()).toBeGreaterThanOrEqual(2);

    // Sign out, then sign in again.
    await tid(teach, 'logout').click();
    await tid(teach, 'login-username').fill('cohanh');
    await tid(teach, 'login-password').fill('sai-mat-khau');
    await tid(teach, 'login-submit').click();
    await tid(teach, 'error').waitFor();
    await tid(teach, 'login-password').fill('mat-khau-lop-hoc');
    await shot(teach, '02-teach-login');
    await tid(teach, 'login-submit').click();
    const lesson = teach.locator('[data-testid="lesson-item"][data-lesson-id="thanh-toan-qr"]');
    await lesson.waitFor();
    await shot(teach, '03-teach-home');

    // 2. Start a class: the console shows the code, join link, QR and helper code.
    const { code } = await startClassFromList(teach);
    expect(code).toMatch(/^\d{6}$/);
    expect(await tid(teach, 'join-url').innerText()).toContain(`/?code=${code}`);
    await expect.poll(() => tid(teach, 'join-qr').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
    expect((await tid(teach, 'helper-code').innerText()).trim()).toMatch(/[A-Z0-9]{6}/);
    await shot(teach, '04-teach-console-empty');

    // 3. The projector shows the code and QR while learners join.
    const display = await newPage(laptop);
    await display.goto(`${env.server.url}/display/?code=${code}`);
    await expect.poll(() => tid(display, 'display-code').innerText()).toContain(code.slice(0, 3));
    await tid(display, 'display-qr').waitFor();
    await shot(display, '05-display-join');

    // 4. Two tablets: one opens the join link (code filled in), one types the code.
    const lan = await newPage(tablet);
    await lan.goto(`${env.server.url}/?code=${code}`);
    expect(await tid(lan, 'join-code').inputValue()).toBe(code);
    await tid(lan, 'join-name').fill('Nguyễn Thị Lành');
    await shot(lan, '06-learner-join');
    await tid(lan, 'join-submit').click();
    await tid(lan, 'waiting').waitFor();
    await shot(lan, '07-learner-waiting');

    const hoa = await newPage(tablet);
    await hoa.goto(`${env.server.url}/`);
    await tid(hoa, 'join-code').fill('000000' === code ? '000001' : '000000');
    await tid(hoa, 'join-name').fill('Hoà');
    await tid(hoa, 'join-submit').click();
    await tid(hoa, 'join-error').waitFor();
    await tid(hoa, 'join-code').fill(code);
    await tid(hoa, 'join-submit').click();
    await tid(hoa, 'waiting').waitFor();

    await expect.poll(() => tid(teach, 'roster-row').count()).toBe(2);
    await expect.poll(() => tid(display, 'display-joined').innerText()).toContain('2');

    // 5. Push step 1, then step 2: every screen follows.
    await tid(teach, 'btn-next-step').click();
    await expect.poll(() => tid(teach, 'current-step-title').innerText()).not.toBe('');
    const title1 = (await tid(teach, 'current-step-title').innerText()).trim();
    await expect.poll(() => tid(lan, 'step-title').innerText()).toContain(title1);
    await tid(teach, 'btn-next-step').click();
    await expect.poll(() => tid(teach, 'current-step-title').innerText()).not.toContain(title1);
    const title2 = (await tid(teach, 'current-step-title').innerText()).trim();
    expect(title2.length).toBeGreaterThan(0);
    for (const page of [lan, hoa]) await expect.poll(() => tid(page, 'step-title').innerText()).toContain(title2);
    await expect.poll(() => tid(display, 'display-step-title').innerText()).toContain(title2);
    await shot(lan, '08-learner-step');
    await shot(display, '09-display-step');

    // 6. Done and help show on the console's roster.
    await tid(lan, 'btn-done').click();
    await tid(hoa, 'btn-help').click();
    const lanRow = teach.locator('[data-testid="roster-row"][data-learner-name="Nguyễn Thị Lành"]');
    const hoaRow = teach.locator('[data-testid="roster-row"][data-learner-name="Hoà"]');
    await expect.poll(() => lanRow.getByTestId('roster-done').innerText()).toMatch(/Xong/);
    await expect.poll(() => hoaRow.getByTestId('roster-help').innerText()).toMatch(/Cần giúp/);
    await expect.poll(() => tid(teach, 'counts').innerText()).toMatch(/1\/2/);
    await expect.poll(() => tid(display, 'display-done').innerText()).toMatch(/1\/2/);
    await shot(lan, '10-learner-done');
    await shot(hoa, '11-learner-help');
    await shot(teach, '12-teach-console-live');

    // 7. A reload brings the learner back, same learner, same step, without typing anything.
    await lan.reload();
    await expect.poll(() => tid(lan, 'step-title').innerText()).toContain(title2);
    await expect.poll(() => tid(lan, 'btn-done').innerText()).toMatch(/Đã xong/);
    await expect.poll(() => tid(teach, 'roster-row').count()).toBe(2);

    // 8. End the session: every tablet returns to the join screen, with nothing of the learner left.
    await tid(teach, 'end-session').click();
    await tid(teach, 'end-confirm').click();
    for (const page of [lan, hoa]) {
      // The tablet wipes itself and reloads to /?bye=ended: check the page after that reload, not before it.
      await page.waitForURL(/[?&]bye=ended/);
      await page.waitForLoadState('load');
      await tid(page, 'join-code').waitFor();
      expect(await tid(page, 'join-name').inputValue()).toBe('');
      expect(await page.evaluate(() => localStorage.getItem('cunghoc.learner'))).toBeNull();
    }
    await tid(display, 'display-ended').waitFor();
    await shot(lan, '13-learner-after-end');
    await tid(teach, 'session-item').first().waitFor();
    await shot(teach, '14-teach-home-after');

    // The one failed request we caused on purpose: the wrong password (401).
    for (const page of [teach, display, lan, hoa]) {
      expect(errorsOf(page).filter((e) => !/status of 401/.test(e))).toEqual([]);
    }
  });
});
