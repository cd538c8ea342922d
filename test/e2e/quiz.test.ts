import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { errorsOf, shot, tablet, tid, useBrowserClass } from '../support/browser.ts';
import { consoleWithClass, projectorOf } from '../support/console-class.ts';

const env = useBrowserClass();
const newPage = env.newPage;
const until = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 100 });
const choice = (page: Page, id: string) => page.locator(`[data-testid="quiz-choice"][data-choice-id="${id}"]`);
const bar = (page: Page, testid: 'quiz-bar' | 'display-bar', key: string) => page.locator(`[data-testid="${testid}"][data-key="${key}"]`);

/** A CSV as the server writes it: UTF-8 BOM, every text cell quoted ("" inside), CRLF between rows. */
function parseCsv(text: string): string[][] {
  expect(text.charCodeAt(0)).toBe(0xfeff);
  expect(text).toContain('\r\n');
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 1; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows;
}

describe('practice questions, start to finish, in Chromium', () => {
  it('console opens step and quick questions; tablets answer; projector shows results on demand; results export', async () => {
    // The instructor signs up and starts "Thanh toán bằng mã QR".
    const { teach, code, sessionId } = await consoleWithClass(env);
    const display = await projectorOf(env, code);

    // Three tablets, each with its seat label.
    const names = ['Lành', 'Hoà', 'Tuấn'] as const;
    const tablets: Record<(typeof names)[number], Page> = {} as never;
    for (const [i, name] of names.entries()) {
      const page = await newPage(tablet);
      await page.goto(`${env.server.url}/?code=${code}&seat=${encodeURIComponent(`Bàn ${i + 1}`)}`);
      await tid(page, 'join-name').fill(name);
      await tid(page, 'join-submit').click();
      await tid(page, 'waiting').waitFor();
      tablets[name] = page;
    }
    const { Lành: lanh, Hoà: hoa, Tuấn: tuan } = tablets;
    const all = [lanh, hoa, tuan];
    await until(() => tid(teach, 'roster-row').count()).toBe(3);

    // Question 1: a true/false question of step 1, no time limit.
    await tid(teach, 'btn-next-step').click();
    for (const page of all) await tid(page, 'step-title').waitFor();
    const panel = tid(teach, 'quiz-panel');
    await panel.locator('[data-testid="quiz-open"]').first().waitFor();
    await shot(teach, 'quiz-console-questions');
    await panel.locator('[data-testid="quiz-open"][data-question-id="vietqr-cung-ngan-hang"]').click();
    for (const page of all) await tid(page, 'quiz').waitFor();
    expect(await tid(lanh, 'quiz-prompt').innerText()).toMatch(/VietQR/);
    expect(await tid(lanh, 'countdown').count()).toBe(0);
    await expect.poll(() => lanh.locator('[aria-live]').innerText()).toMatch(/Câu hỏi mới/);
    expect(await choice(lanh, 'true').innerText()).toMatch(/Đúng/);
    expect(await choice(lanh, 'false').innerText()).toMatch(/Sai/);
    // "Cần giúp" stays in reach; "Xong" is not offered during a question.
    expect(await tid(lanh, 'btn-help').isVisible()).toBe(true);
    expect(await tid(lanh, 'btn-done').count()).toBe(0);
    await shot(lanh, 'quiz-learner-question');

    await choice(lanh, 'false').click();
    await choice(hoa, 'true').click();
    await choice(tuan, 'false').click();
    for (const page of all) await tid(page, 'quiz-sent').waitFor();
    expect(await choice(lanh, 'false').getAttribute('aria-pressed')).toBe('true');
    await shot(lanh, 'quiz-learner-sent');
    await until(() => tid(teach, 'quiz-answered').innerText()).toBe('3/3 đã trả lời');
    expect(await tid(teach, 'quiz-missing').innerText()).toMatch(/Cả lớp đã trả lời/);

    await tid(teach, 'quiz-close').click();
    for (const page of all) await tid(page, 'quiz-closed').waitFor();
    expect(await tid(hoa, 'quiz-closed').innerText()).toMatch(/Đã hết giờ trả lời/);
    expect(await choice(hoa, 'true').isDisabled()).toBe(true);
    expect(await choice(hoa, 'true').innerText()).toMatch(/Đã chọn/); // their answer stays on screen
    await tid(teach, 'quiz-reveal').click();
    await until(() => tid(lanh, 'quiz-result').innerText()).toBe('✓ Đúng');
    await until(() => tid(hoa, 'quiz-result').innerText()).toBe('✗ Chưa đúng');
    expect(await tid(hoa, 'quiz-explanation').innerText()).toMatch(/VietQR dùng chung/);
    expect(await choice(hoa, 'false').innerText()).toMatch(/✓ Đáp án đúng/);
    await tid(teach, 'quiz-dismiss').click();
    for (const page of all) await tid(page, 'step-title').waitFor();

    // Question 2: the single-choice question of step 4, two minutes to answer.
    await teach.locator('[data-testid="outline-item"][data-index="3"]').click();
    for (const page of all) await until(() => tid(page, 'step-title').innerText()).toMatch(/Kiểm tra tên/);
    await tid(teach, 'quiz-time-limit').selectOption('120');
    await panel.locator('[data-testid="quiz-open"][data-question-id="kiem-tra-gi"]').click();
    for (const page of all) await tid(page, 'quiz').waitFor();
    await until(() => tid(lanh, 'countdown').innerText()).toMatch(/^⏱?\s*Còn 1 phút \d+ giây$/);
    await until(() => tid(teach, 'countdown').innerText()).toMatch(/Còn 1 phút/);

    await choice(lanh, 'b').click();
    await choice(hoa, 'b').click();
    await choice(tuan, 'c').click();
    await tid(tuan, 'quiz-sent').waitFor();
    await choice(tuan, 'a').click(); // changed their mind: the newer answer replaces the first
    await until(() => choice(tuan, 'a').getAttribute('aria-pressed')).toBe('true');
    for (const page of all) await tid(page, 'quiz-sent').waitFor();
    await until(() => tid(teach, 'quiz-answered').innerText()).toBe('3/3 đã trả lời');
    await until(() => bar(teach, 'quiz-bar', 'a').getAttribute('data-count')).toBe('1');
    expect(await bar(teach, 'quiz-bar', 'b').getAttribute('data-count')).toBe('2');
    expect(await bar(teach, 'quiz-bar', 'c').getAttribute('data-count')).toBe('0');
    expect(await bar(teach, 'quiz-bar', 'b').innerText()).toMatch(/Tên người nhận và số tiền[\s\S]*✓ Đáp án đúng/);
    expect(await bar(teach, 'quiz-bar', 'a').innerText()).not.toMatch(/Đáp án đúng/);
    await shot(teach, 'quiz-console-histogram');

    // The projector: the question and the count, no histogram and no right answer yet.
    await tid(display, 'display-quiz').waitFor();
    await until(() => tid(display, 'display-quiz-answered').innerText()).toBe('3/3 đã trả lời');
    expect(await tid(display, 'display-histogram').count()).toBe(0);
    expect(await tid(display, 'display-quiz-correct').count()).toBe(0);
    expect(await display.getByText('Đáp án đúng').count()).toBe(0);
    await shot(display, 'quiz-display-before');

    await tid(teach, 'quiz-show-results').click();
    await tid(display, 'display-histogram').waitFor();
    await until(() => bar(display, 'display-bar', 'b').getAttribute('data-count')).toBe('2');
    expect(await bar(display, 'display-bar', 'a').getAttribute('data-count')).toBe('1');
    expect(await tid(display, 'display-quiz-correct').count()).toBe(0); // the histogram, not yet the key
    expect(await display.getByText('Đáp án đúng').count()).toBe(0);
    await shot(display, 'quiz-display-after');
    await until(() => tid(teach, 'quiz-show-results').innerText()).toBe('Ẩn kết quả');

    await tid(teach, 'quiz-reveal').click();
    await until(() => tid(lanh, 'quiz-result').innerText()).toBe('✓ Đúng');
    await until(() => tid(tuan, 'quiz-result').innerText()).toBe('✗ Chưa đúng');
    for (const page of all) expect(await tid(page, 'quiz-explanation').innerText()).toMatch(/Luôn đọc tên người nhận/);
    expect(await choice(tuan, 'b').innerText()).toMatch(/✓ Đáp án đúng/);
    expect(await choice(tuan, 'a').innerText()).toMatch(/Đã chọn/);
    await until(() => lanh.locator('[aria-live]').innerText()).toMatch(/Đã có đáp án\. ✓ Đúng/);
    await shot(tuan, 'quiz-learner-revealed');
    await until(() => tid(display, 'display-quiz-correct').innerText()).toMatch(/✓ Đáp án đúng: Tên người nhận và số tiền/);
    expect(await bar(display, 'display-bar', 'b').innerText()).toMatch(/✓ Đáp án đúng/);
    await shot(display, 'quiz-display-revealed');
    await tid(teach, 'quiz-dismiss').click();
    await until(() => tid(display, 'display-quiz').count()).toBe(0);

    // Question 3: a quick question typed in the console. Tuấn's tablet is offline when he answers.
    await tid(teach, 'quick-toggle').click();
    await tid(teach, 'quick-kind').selectOption('single');
    // What is missing is said by the shared question schema, field by field; nothing is opened meanwhile.
    const problem = teach.locator('.quick [role="alert"]');
    await tid(teach, 'quick-open').click();
    await until(() => problem.innerText()).toBe('Hãy gõ câu hỏi.');
    await tid(teach, 'quick-prompt').fill('Ai được biết mã OTP của bác?');
    await tid(teach, 'quick-option').nth(0).fill('Nhân viên ngân hàng');
    await tid(teach, 'quick-open').click();
    await until(() => problem.innerText()).toBe('Cần ít nhất hai lựa chọn.');
    await shot(teach, 'quiz-console-quick-missing');
    await tid(teach, 'quick-option').nth(1).fill('Không ai cả');
    await tid(teach, 'quick-add-option').click();
    await tid(teach, 'quick-option').nth(2).fill('Người thân trong nhà');
    await tid(teach, 'quick-correct').selectOption('1');
    await tid(teach, 'quick-explanation').fill('Mã OTP chỉ để bác tự nhập, không đưa cho ai.');
    await tid(teach, 'quick-open').click();
    for (const page of all) await until(() => tid(page, 'quiz-prompt').innerText()).toBe('Ai được biết mã OTP của bác?');
    expect(await tid(lanh, 'quiz-choice').count()).toBe(3);

    // The largest text the page may get (browser text zoom): still readable, nothing scrolls sideways.
    await lanh.addStyleTag({ content: 'html { font-size: 33px !important; }' });
    expect(await lanh.evaluate(() => document.documentElement.scrollWidth <= innerWidth)).toBe(true);
    await shot(lanh, 'quiz-learner-large-text');

    await choice(lanh, 'b').click();
    await choice(hoa, 'c').click();
    const tuanContext = tuan.context();
    await tuanContext.setOffline(true);
    await choice(tuan, 'b').click();
    await until(() => tuan.locator('[role="status"].status:not([data-testid="waiting-list"])').innerText()).toMatch(
      /Đang gửi…|Đang chờ mạng để gửi…/,
    );
    expect(await tid(tuan, 'quiz-sent').count()).toBe(0);
    await until(() => tid(teach, 'quiz-answered').innerText()).toBe('2/3 đã trả lời');
    await until(() => tid(teach, 'quiz-missing').innerText()).toMatch(/Tuấn/);
    // Chromium notices the dead link within seconds; the tablet says so and keeps the answer waiting.
    await expect.poll(() => tid(tuan, 'conn-status').innerText(), { timeout: 45_000 }).toMatch(/Đang kết nối lại/);
    await until(() => tuan.locator('[role="status"].status:not([data-testid="waiting-list"])').innerText()).toBe('Đang chờ mạng để gửi…');
    await until(() => tid(tuan, 'waiting-list').innerText()).toBe('Đang chờ gửi: câu trả lời');
    await shot(tuan, 'quiz-learner-offline');
    await tuanContext.setOffline(false);
    await tid(tuan, 'quiz-sent').waitFor({ timeout: 30_000 });
    await until(() => tid(teach, 'quiz-answered').innerText()).toBe('3/3 đã trả lời');
    await until(() => bar(teach, 'quiz-bar', 'b').getAttribute('data-count')).toBe('2'); // counted once
    await tid(teach, 'quiz-reveal').click(); // closes first
    await until(() => tid(tuan, 'quiz-result').innerText()).toBe('✓ Đúng');
    await until(() => tid(hoa, 'quiz-result').innerText()).toBe('✗ Chưa đúng');
    expect(await tid(hoa, 'quiz-explanation').innerText()).toMatch(/tự nhập/);
    await tid(teach, 'quiz-dismiss').click();

    // Question 4: a quick number question; Vietnamese number formats; Tuấn does not answer.
    await tid(teach, 'quick-kind').selectOption('number');
    await tid(teach, 'quick-prompt').fill('Năm mươi nghìn đồng: bác gõ số tiền là bao nhiêu?');
    await tid(teach, 'quick-correct').fill('50.000');
    await tid(teach, 'quick-unit').fill('đồng');
    await tid(teach, 'quick-open').click();
    for (const page of all) await tid(page, 'quiz-number').waitFor();
    expect(await tid(lanh, 'quiz-number').getAttribute('inputmode')).toBe('decimal');
    await tid(lanh, 'quiz-number').fill('50.000');
    await tid(lanh, 'quiz-submit').click();
    await tid(hoa, 'quiz-number').fill('5.000');
    await tid(hoa, 'quiz-submit').click();
    for (const page of [lanh, hoa]) await tid(page, 'quiz-sent').waitFor();
    await until(() => tid(teach, 'quiz-answered').innerText()).toBe('2/3 đã trả lời');
    expect(await tid(teach, 'quiz-missing').innerText()).toMatch(/\(1\):\s*Tuấn$/);
    await until(() => bar(teach, 'quiz-bar', '50000').getAttribute('data-count')).toBe('1');
    await tid(teach, 'quiz-close').click();
    await until(() => tid(tuan, 'quiz-closed').innerText()).toMatch(/Đã hết giờ trả lời\. Chưa có câu trả lời\./);
    await until(() => tid(hoa, 'quiz').innerText()).toMatch(/Câu trả lời đã gửi:\s*5\.000 đồng/);
    await shot(hoa, 'quiz-learner-closed');
    await tid(teach, 'quiz-reveal').click();
    await until(() => tid(lanh, 'quiz-result').innerText()).toBe('✓ Đúng');
    await until(() => tid(hoa, 'quiz-result').innerText()).toBe('✗ Chưa đúng');
    await until(() => tid(tuan, 'quiz-result').innerText()).toBe('Chưa có câu trả lời.');
    expect(await tid(hoa, 'quiz').innerText()).toMatch(/Đáp án đúng: 50\.000 đồng/);
    await tid(teach, 'quiz-dismiss').click();
    for (const page of all) await tid(page, 'step-title').waitFor();

    // Results from the console: participation, questions, learners; the learners' CSV matches the answers.
    await tid(teach, 'results-link').click();
    await tid(teach, 'results').waitFor();
    await until(() => tid(teach, 'results-participation').innerText()).toMatch(/^3\/3 học viên .* 4 câu hỏi$/);
    expect(await tid(teach, 'results-question').count()).toBe(4);
    const q2 = tid(teach, 'results-question').nth(1);
    expect(await tid(teach, 'results-question').nth(3).innerText()).toMatch(/5\.000 \(1 người chọn\)/);
    expect(await q2.innerText()).toMatch(/3\/3\s+66,7%\s+Màu của tấm mã QR\s+\(1 người chọn\)/);
    expect(await tid(teach, 'results-step').count()).toBe(8); // the hardest steps, one row per step
    await shot(teach, 'quiz-results');

    const expected = { Lành: { answered: 4, correct: 4 }, Hoà: { answered: 4, correct: 1 }, Tuấn: { answered: 3, correct: 2 } };
    for (const [name, { answered, correct }] of Object.entries(expected)) {
      const row = teach.locator(`[data-testid="results-learner"][data-learner-name="${name}"]`);
      expect(await row.getByTestId('results-learner-answered').innerText()).toBe(String(answered));
      expect(await row.getByTestId('results-learner-correct').innerText()).toBe(String(correct));
    }

    const [download] = await Promise.all([teach.waitForEvent('download'), tid(teach, 'results-csv-learners').click()]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const rows = parseCsv(readFileSync(await download.path(), 'utf8'));
    const head = rows[0];
    const col = (heading: string) => {
      const i = head.indexOf(heading);
      expect(i, `column "${heading}" in ${head.join(' | ')}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    const [nameCol, seatCol, answeredCol, correctCol] = ['Tên', 'Chỗ ngồi', 'Số câu đã trả lời', 'Số câu đúng'].map(col);
    expect(rows.length).toBe(1 + 3);
    for (const [name, { answered, correct }] of Object.entries(expected)) {
      const row = rows.find((r) => r[nameCol] === name);
      expect(row, `a row for ${name}`).toBeDefined();
      expect(Number(row![answeredCol])).toBe(answered);
      expect(Number(row![correctCol])).toBe(correct);
    }
    expect(rows.find((r) => r[nameCol] === 'Tuấn')![seatCol]).toBe('Bàn 3');

    const [questions] = await Promise.all([teach.waitForEvent('download'), tid(teach, 'results-csv-questions').click()]);
    const qRows = parseCsv(readFileSync(await questions.path(), 'utf8'));
    expect(qRows.length).toBe(1 + 4);
    expect(qRows[3]).toContain('Ai được biết mã OTP của bác?');
    const [json] = await Promise.all([teach.waitForEvent('download'), tid(teach, 'results-json').click()]);
    expect((JSON.parse(readFileSync(await json.path(), 'utf8')) as { data: { participation: unknown } }).data.participation).toEqual({
      learners: 3,
      answeredAny: 3,
      questions: 4,
    });

    // After the class, the home page's session list still leads to the results.
    await teach.goto(`${env.server.url}/teach/#/session/${sessionId}`);
    await tid(teach, 'end-session').click();
    await tid(teach, 'end-confirm').click();
    const item = teach.locator(`[data-testid="session-item"][data-session-id="${sessionId}"]`);
    await item.getByTestId('results-link').click();
    await until(() => tid(teach, 'results').innerText()).toMatch(/Đã kết thúc/);
    expect(await tid(teach, 'results-learner').count()).toBe(3);

    // The only failures: Tuấn's tablet reaching for the network while it was cut off.
    const offline = /ERR_INTERNET_DISCONNECTED|ERR_NETWORK_CHANGED|WebSocket connection|Failed to load resource/;
    for (const page of [teach, display, lanh, hoa]) expect(errorsOf(page)).toEqual([]);
    expect(errorsOf(tuan).filter((e) => !offline.test(e))).toEqual([]);
  }, 240_000);
});
