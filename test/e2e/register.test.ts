import { AxeBuilder } from '@axe-core/playwright';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Lesson } from '../../shared/lesson/schema.ts';
import type { Person, Progress } from '../../shared/protocol/register.ts';
import type { SessionSummary, StaffView } from '../../shared/protocol/views.ts';
import { errorsOf, laptop, screenshotDir, shot, tablet, tid, useBrowserClass, setTextSize } from '../support/browser.ts';
import {
  api,
  call,
  learnerSocket,
  setupInstructor,
  staffSocket,
  startSession,
  token,
  unwrap,
  type StaffSocket,
} from '../support/server.ts';

/**
 * The register as its people use it: the official prints learner cards, Bà Lành joins a class with
 * hers, the official opens her page and the movement's dashboard, and the organiser's festival
 * board shows three classes at once. Screenshots in test-results/register-*.png; axe on each screen.
 */
const env = useBrowserClass();
const until = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 100 });
/** A locator's visible text, trimmed; '' while it is not there (for expect.poll). */
const text = (l: Locator): Promise<string> =>
  l.innerText({ timeout: 1000 }).then(
    (s) => s.trim(),
    () => '',
  );
const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

let cookie = '';
async function instructor(): Promise<string> {
  cookie ||= (await setupInstructor(env.server.url)).cookie;
  return cookie;
}
async function signedIn(viewport = laptop): Promise<Page> {
  const page = await env.newPage(viewport);
  const [name, value] = (await instructor()).split('=');
  await page.context().addCookies([{ name, value, url: env.server.url, httpOnly: true, sameSite: 'Strict' }]);
  return page;
}
async function axe(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(tags).analyze();
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
}
/** The standard a person must reach: these skills; 80% as the target; Thôn Bắc 4 people, Thôn Đông 10. */
async function setStandard(required: string[]): Promise<void> {
  const standard = { required, targetPct: 80, populations: { 'Thôn Bắc': 4, 'Thôn Đông': 10 } };
  unwrap((await api(env.server.url, 'PUT', '/api/register/standard', standard, await instructor())).ack);
}
async function addPerson(input: object): Promise<Person> {
  return unwrap((await api<Person>(env.server.url, 'POST', '/api/people', input, await instructor())).ack);
}
const lanh = {
  name: 'Nguyễn Thị Lành',
  birthYear: 1956,
  hamlet: 'Thôn Đông',
  group: 'nguoi-cao-tuoi',
  phone: '0912345678',
  consentDate: '2026-11-02',
};

async function watched(session: SessionSummary): Promise<StaffSocket> {
  const staff = staffSocket(env.server.url, await instructor());
  unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id }));
  return staff;
}

describe('the register in Chromium', () => {
  it('the official prints learner cards: an A4 sheet, 10 cards a page, name, code and QR code, cut lines', async () => {
    const people = [
      lanh,
      { ...lanh, name: 'Trần Văn Hoà', birthYear: 1970, group: 'nong-dan' },
      { ...lanh, name: 'Lê Thị Bích Ngọc', birthYear: 2010, group: 'hoc-sinh', hamlet: 'Tổ dân phố 3' },
    ];
    const added: Person[] = [];
    for (const p of people) added.push(await addPerson(p));
    const page = await signedIn();
    await page.goto(`${env.server.url}/register/`);
    await until(() => tid(page, 'person-row').count()).toBeGreaterThanOrEqual(3);
    await shot(page, 'register-list');
    expect(await axe(page)).toEqual([]);

    await page.goto(`${env.server.url}/register/#/cards/${added.map((p) => p.id).join(',')}`);
    await until(() => tid(page, 'learner-card').count()).toBe(3);
    // Every QR code has loaded (an image of the join-with-card link).
    await until(() =>
      page.$$eval('.learner-card img', (imgs) =>
        imgs.every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0),
      ),
    ).toBe(true);
    await until(() => text(tid(page, 'learner-card-code').first())).toMatch(/^\d{3} \d{3} \d{3}$/);
    expect(await axe(page)).toEqual([]);
    await page.emulateMedia({ media: 'print' });
    // As printed: credit-card size (85 mm = 321 px at 96 dpi), nothing of the page around the sheet.
    const box = await tid(page, 'learner-card').first().boundingBox();
    expect(Math.round(box!.width)).toBe(321);
    expect(await page.locator('header.top').isVisible()).toBe(false);
    await page.setViewportSize({ width: 794, height: 1123 });
    await shot(page, 'register-cards-print');
    const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
    mkdirSync(screenshotDir, { recursive: true });
    writeFileSync(join(screenshotDir, 'register-cards.pdf'), pdf);
    expect(pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g)).toHaveLength(1);
    expect(errorsOf(page)).toEqual([]);
  });

  it('Bà Lành joins with her card (its QR link or "Tôi có thẻ học viên") and is greeted by name; a wrong card is told kindly', async () => {
    const person = await addPerson(lanh);
    const session = await startSession(env.server.url, await instructor());
    const tab = await env.newPage(tablet);
    await tab.goto(`${env.server.url}/`);
    await tid(tab, 'join-with-card').click();
    await tid(tab, 'join-code').fill(session.code);
    await tid(tab, 'join-card').fill('234 567 899');
    await tid(tab, 'join-submit').click();
    await until(() => text(tid(tab, 'join-error'))).toBe('Không tìm thấy thẻ học viên có mã này. Hãy xem lại các số trên thẻ.');
    await setTextSize(tab, '200');
    await shot(tab, 'register-join-card-wrong');
    expect(await axe(tab)).toEqual([]);

    // The card's QR code opens the join screen with the card filled in: only the class code to type.
    const second = await env.newPage(tablet);
    await second.goto(`${env.server.url}/?card=${person.card}`);
    await until(() => tid(second, 'join-card').inputValue()).toBe(person.card!.replace(/(\d{3})(?=\d)/g, '$1 '));
    await tid(second, 'join-code').fill(session.code);
    await tid(second, 'join-submit').click();
    await until(() => text(tid(second, 'waiting'))).toContain('Nguyễn Thị Lành');
    await shot(second, 'register-join-card-greeted');
    expect(await axe(second)).toEqual([]);
    const links = unwrap(
      (await api<{ name: string }[]>(env.server.url, 'GET', `/api/people/links/${session.id}`, undefined, await instructor())).ack,
    );
    expect(links.map((l) => l.name)).toEqual(['Nguyễn Thị Lành']);
    expect([...errorsOf(tab), ...errorsOf(second)]).toEqual([]);
    unwrap(await call(await watched(session), 'session:end', { sessionId: session.id }));
  });

  it("after class: a learner linked from the results page; the person's page shows classes, skills, what is missing; the acknowledgement prints", async () => {
    const c = await instructor();
    const person = await addPerson({ ...lanh, name: 'Phạm Thị Hoa', hamlet: 'Thôn Bắc' });
    const qr = unwrap((await api<{ lesson: Lesson }>(env.server.url, 'GET', '/api/lessons/thanh-toan-qr', undefined, c)).ack).lesson;
    const session = await startSession(env.server.url, c);
    const staff = await watched(session);
    const learner = learnerSocket(env.server.url);
    unwrap(await call(learner, 'learner:join', { code: session.code, name: 'Hoa', token: token(77) }));
    const q = qr.steps[0].questions.find((x) => x.kind === 'truefalse') as { id: string; correct: boolean };
    const { runId } = unwrap(
      await call<{ runId: string }>(staff, 'quiz:open', { sessionId: session.id, source: { step: 0, questionId: q.id }, timeLimit: null }),
    );
    unwrap(await call(learner, 'quiz:answer', { runId, answerId: 'e2e-answer-0001', value: { kind: 'truefalse', value: q.correct } }));
    unwrap(await call(staff, 'session:end', { sessionId: session.id }));

    const page = await signedIn();
    await page.goto(`${env.server.url}/teach/#/results/${session.id}`);
    const row = page.locator('[data-testid="link-row"][data-learner-name="Hoa"]');
    await row.getByTestId('link-open').click();
    await row.getByTestId('link-search').fill('pham thi hoa');
    await row.getByTestId('link-pick').first().click();
    await until(() => text(row.getByTestId('link-status'))).toBe('✓ Đã gắn: Phạm Thị Hoa');
    await shot(page, 'register-results-linked');
    expect(await axe(page)).toEqual([]);

    // With only this skill required, she has reached the standard.
    await setStandard(['thanh-toan-qr']);
    await page.goto(`${env.server.url}/register/#/person/${person.id}`);
    await until(() => text(tid(page, 'person-skills'))).toContain('Thanh toán bằng mã QR');
    await until(() => text(tid(page, 'person-classes'))).toContain('Thanh toán bằng mã QR');
    await until(() => text(tid(page, 'person-status'))).toContain('Đạt kỹ năng số cơ bản');
    await shot(page, 'register-person');
    expect(await axe(page)).toEqual([]);
    await tid(page, 'certificate-open').click();
    await until(() => text(tid(page, 'cert-name'))).toBe('Phạm Thị Hoa');
    expect(await axe(page)).toEqual([]);
    await page.emulateMedia({ media: 'print' });
    await page.setViewportSize({ width: 794, height: 1123 });
    await shot(page, 'register-certificate-print');
    writeFileSync(join(screenshotDir, 'register-certificate.pdf'), await page.pdf({ format: 'A4', printBackground: true }));

    // Before reaching the standard, the page lists what is missing and where it is taught.
    await setStandard(['thanh-toan-qr', 'vneid']);
    const big = await signedIn(tablet);
    await big.goto(`${env.server.url}/register/#/person/${person.id}`);
    await until(() => text(tid(big, 'person-missing'))).toContain('Cài đặt và kích hoạt VNeID');
    await setTextSize(big, '200');
    await shot(big, 'register-person-missing-200');
    expect(await axe(big)).toEqual([]);
    expect(errorsOf(page)).toEqual([]);
  });

  it('"Tiến độ phong trào": per hamlet and group against the target, per skill, and a chart.js chart by month', async () => {
    const c = await instructor();
    await setStandard(['thanh-toan-qr']);
    const progress = unwrap((await api<Progress>(env.server.url, 'GET', '/api/register/progress', undefined, c)).ack);
    expect(progress.months.length).toBeGreaterThan(0);
    const page = await signedIn();
    await page.goto(`${env.server.url}/register/#/progress`);
    await until(() => text(tid(page, 'progress-hamlets'))).toContain('Thôn Bắc');
    // The chart drew something on its canvas.
    await until(() =>
      tid(page, 'progress-chart').evaluate((el) => {
        const canvas = el as HTMLCanvasElement;
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted += 1;
        return painted;
      }),
    ).toBeGreaterThan(500);
    await until(() => text(tid(page, 'progress-totals'))).toContain('đạt kỹ năng số cơ bản');
    await shot(page, 'register-progress');
    expect(await axe(page)).toEqual([]);
    await tid(page, 'standard-edit').click();
    await tid(page, 'standard-target').fill('90');
    await tid(page, 'standard-save').click();
    await until(() => text(tid(page, 'progress-hamlets'))).toContain('90%');
    const csv = await page.evaluate(() => fetch('/api/register/progress.csv').then((r) => r.text()));
    expect(csv).toContain('"Thôn Bắc"');
    expect(errorsOf(page)).toEqual([]);
  });

  it('the festival board shows every open class live, with no learner names', async () => {
    const c = await instructor();
    const sessions: SessionSummary[] = [];
    for (const lessonId of ['thanh-toan-qr', 'cai-dat-vneid', 'lam-quen-dien-thoai'])
      sessions.push(await startSession(env.server.url, c, lessonId));
    const staffs = await Promise.all(sessions.map(watched));
    const names = ['Lành', 'Hoà', 'Tín', 'Mai', 'Nam', 'Bình'];
    const learners = names.map(() => learnerSocket(env.server.url));
    for (const [i, s] of learners.entries())
      unwrap(await call(s, 'learner:join', { code: sessions[i % 3].code, name: names[i], token: token(200 + i) }));
    for (const [i, st] of staffs.entries()) unwrap(await call(st, 'step:push', { sessionId: sessions[i].id, step: 1 }));
    unwrap(await call(learners[0], 'learner:done', { step: 1, done: true }));
    unwrap(await call(learners[1], 'learner:help', { active: true, reason: 'device_problem' }));
    const qr = unwrap((await api<{ lesson: Lesson }>(env.server.url, 'GET', '/api/lessons/cai-dat-vneid', undefined, c)).ack).lesson;
    unwrap(
      await call(staffs[2], 'quiz:open', {
        sessionId: sessions[2].id,
        source: { question: { ...qr.steps[0].questions[1], id: 'nhanh-1' } },
        timeLimit: null,
      }),
    );

    const page = await signedIn(laptop);
    await page.goto(`${env.server.url}/festival/`);
    await until(() => tid(page, 'fest-class').count()).toBeGreaterThanOrEqual(3);
    const tile = (i: number) => page.locator('[data-testid="fest-class"]', { hasText: `Mã lớp ${sessions[i].code}` });
    await until(() => text(tile(0))).toContain('Thanh toán bằng mã QR');
    await until(() => text(tile(0).getByTestId('fest-done'))).toBe('50% đã xong bước này');
    await until(() => text(tile(1).getByTestId('fest-help'))).toContain('1 người chờ giúp');
    await until(() => text(tile(2).getByTestId('fest-activity'))).toContain('0 đã trả lời');
    const board = await page.locator('body').innerText();
    for (const n of names) expect(board).not.toContain(n);
    await shot(page, 'register-festival');
    expect(await axe(page)).toEqual([]);
    unwrap(await call(learners[3], 'learner:done', { step: 1, done: true }));
    // Live: the board follows the class without a reload.
    await until(() => text(tile(0).getByTestId('fest-done'))).toBe('100% đã xong bước này');
    for (const [i, st] of staffs.entries()) unwrap(await call(st, 'session:end', { sessionId: sessions[i].id }));
    expect(errorsOf(page)).toEqual([]);
  });
});
