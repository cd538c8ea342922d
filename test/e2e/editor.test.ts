import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  errorsOf,
  laptop,
  screenshotDir,
  setUpConsole,
  shot,
  startClassFromList,
  tablet,
  tid,
  useBrowserClass,
} from '../support/browser.ts';

const env = useBrowserClass();
const until = expect.poll;

const fieldError = (page: Page, key: string) => page.locator(`[data-testid="field-error"][data-key="${key}"]`);
const step = (page: Page, i: number) => page.locator(`[data-testid="outline-step"][data-index="${i}"]`);

/** A real picture (blue with a white band), made here so the test needs no file on disk. */
async function bluePng(): Promise<Buffer> {
  const band = await sharp({ create: { width: 480, height: 60, channels: 3, background: '#ffffff' } })
    .png()
    .toBuffer();
  return sharp({ create: { width: 480, height: 300, channels: 3, background: '#0b4f9c' } })
    .composite([{ input: band, top: 120, left: 0 }])
    .png()
    .toBuffer();
}

/** Controls without a label, and buttons (or button-like links/labels) smaller than 48×48 px. */
async function accessibilityGaps(page: Page): Promise<{ checked: boolean; unlabelled: string[]; small: string[] }> {
  return page.getByTestId('editor').evaluate((root) => {
    const visible = (el: Element) => (el as HTMLElement).offsetParent !== null;
    const unlabelled = [...root.querySelectorAll('input, select, textarea')]
      .filter((el) => (el as HTMLInputElement).labels?.length === 0 && !el.getAttribute('aria-label'))
      .map((el) => el.outerHTML.slice(0, 120));
    const small = [...root.querySelectorAll('button, .btn, label.check')]
      .filter(visible)
      .filter((el) => {
        const r = el.getBoundingClientRect();
        return r.height < 47.5 || (!el.matches('label.check') && r.width < 47.5);
      })
      .map(
        (el) =>
          `${el.outerHTML.slice(0, 100)} ${Math.round(el.getBoundingClientRect().width)}x${Math.round(el.getBoundingClientRect().height)}`,
      );
    const checked = root.querySelectorAll('input, select, textarea').length > 15 && root.querySelectorAll('button').length > 15;
    return { checked, unlabelled, small };
  });
}

async function fillStep(page: Page, title: string, body: string): Promise<void> {
  await tid(page, 'step-title-input').fill(title);
  await tid(page, 'step-body-input').fill(body);
}

describe('the lesson editor, in Chromium', () => {
  it('writes a lesson with a picture and a question, validates, saves, teaches it, exports and imports it', async () => {
    const teach = await env.newPage(tablet);
    const dialogs: string[] = [];
    teach.on('dialog', (d) => {
      dialogs.push(d.message());
      // The unsaved-changes question is refused once (below), everything else accepted.
      void (dialogs.length === 1 ? d.dismiss() : d.accept());
    });
    await setUpConsole(teach, env.server.url);

    // 1. A new lesson: the id follows the title, without Vietnamese marks.
    await tid(teach, 'lesson-new').click();
    await tid(teach, 'editor').waitFor();
    await tid(teach, 'lesson-title').fill('Gọi video cho con cháu ở xa');
    expect(await tid(teach, 'lesson-id').inputValue()).toBe('goi-video-cho-con-chau-o-xa');
    await tid(teach, 'lesson-summary').fill('Dùng Zalo để gọi video.');

    // 2. Step 1: text with the toolbar, a picture (alt text required), then a question.
    await fillStep(teach, 'Mở Zalo', 'Tìm biểu tượng Zalo màu xanh');
    await tid(teach, 'step-body-input').evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(9, 18));
    await tid(teach, 'md-bold').click();
    expect(await tid(teach, 'step-body-input').inputValue()).toBe('Tìm biểu **tượng Zal**o màu xanh');
    // Lists and headings act on every selected line.
    await tid(teach, 'step-body-input').fill('Mở máy\nChạm Zalo\nChờ');
    await tid(teach, 'step-body-input').evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(2, 12));
    await tid(teach, 'md-numbers').click();
    expect(await tid(teach, 'step-body-input').inputValue()).toBe('1. Mở máy\n2. Chạm Zalo\nChờ');
    await tid(teach, 'md-bullets').click();
    expect(await tid(teach, 'step-body-input').inputValue()).toBe('- Mở máy\n- Chạm Zalo\nChờ');
    expect(await tid(teach, 'preview-body').innerHTML()).toContain('<ul>');
    await tid(teach, 'step-body-input').fill('Tìm biểu tượng **Zalo** màu xanh trên màn hình.\nChạm một lần.');
    await tid(teach, 'step-image-file').setInputFiles({ name: 'zalo.png', mimeType: 'image/png', buffer: await bluePng() });
    await tid(teach, 'step-image-thumb').waitFor();
    await until(() => tid(teach, 'step-image-thumb').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
    await fieldError(teach, 'steps.0.image.alt').waitFor(); // uploaded, not yet described
    await tid(teach, 'step-image-alt').fill('Biểu tượng Zalo trên màn hình điện thoại');
    await until(() => fieldError(teach, 'steps.0.image.alt').count()).toBe(0);
    await tid(teach, 'step-minutes').fill('3');

    await tid(teach, 'question-add').click();
    const question = tid(teach, 'question-form').first();
    await question.getByTestId('question-prompt').fill('Biểu tượng Zalo màu gì?');
    const choices = question.getByTestId('choice-text');
    await choices.nth(0).fill('Màu đỏ');
    await choices.nth(1).fill('Màu xanh dương');
    await question.getByTestId('choice-add').click();
    await choices.nth(2).fill('Màu vàng');
    await question.getByTestId('choice-correct').nth(1).check();

    // 3. A required field emptied: the problem shows next to it, tied to it for screen readers.
    await tid(teach, 'step-title-input').fill('');
    const titleError = fieldError(teach, 'steps.0.title');
    await titleError.waitFor();
    expect(await tid(teach, 'step-title-input').getAttribute('aria-invalid')).toBe('true');
    const errId = await titleError.getAttribute('id');
    expect(await tid(teach, 'step-title-input').getAttribute('aria-describedby')).toContain(errId!);
    expect(await titleError.innerText()).toMatch(/Cần điền/);
    await shot(teach, 'editor-01-field-error-768');
    // Saving now is refused with a summary that leads to the field.
    await tid(teach, 'editor-save').click();
    await tid(teach, 'error-summary').waitFor();
    expect(await tid(teach, 'error-summary').innerText()).toMatch(/Bước 1 › Tên bước: Cần điền/);
    await tid(teach, 'step-title-input').fill('Mở Zalo');
    await until(() => tid(teach, 'error-summary').count()).toBe(0);

    // The preview shows the step as a learner would: title, formatted text, picture, question.
    expect(await tid(teach, 'preview-title').innerText()).toBe('Mở Zalo');
    expect(await tid(teach, 'preview-body').innerHTML()).toContain('<strong>Zalo</strong>');
    await until(() => tid(teach, 'preview-image').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
    expect(await tid(teach, 'preview-question').innerText()).toContain('Màu xanh dương');
    await shot(teach, 'editor-02-step1-768');
    expect(await accessibilityGaps(teach)).toEqual({ checked: true, unlabelled: [], small: [] });

    // 4. Two more steps; the third moved up and back down by keyboard-reachable buttons.
    await tid(teach, 'step-add').click();
    await fillStep(teach, 'Chọn người muốn gọi', 'Chạm vào tên người thân trong danh sách.');
    await tid(teach, 'step-add').click();
    await fillStep(teach, 'Bấm nút gọi video', 'Bấm vào hình **máy quay** ở góc trên.');
    await step(teach, 2).getByTestId('step-up').click();
    expect(await step(teach, 1).innerText()).toContain('Bấm nút gọi video');
    expect(await teach.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('step-up');
    await teach.keyboard.press('Tab'); // the "down" button of the same step
    await teach.keyboard.press('Enter');
    expect(await step(teach, 2).innerText()).toContain('Bấm nút gọi video');
    expect(await tid(teach, 'outline-step').count()).toBe(3);

    // 5. Leaving with unsaved changes asks first (refused: the editor stays), then save.
    await teach.evaluate(() => (location.hash = '#/'));
    await until(() => dialogs.length).toBe(1);
    expect(dialogs[0]).toMatch(/chưa lưu/);
    expect(await tid(teach, 'editor').isVisible()).toBe(true);
    await tid(teach, 'editor-save').click();
    await until(() => tid(teach, 'editor-status').innerText()).toMatch(/Đã lưu/);
    expect(await teach.evaluate(() => location.hash)).toBe('#/lessons/goi-video-cho-con-chau-o-xa/edit');
    await step(teach, 0).getByTestId('outline-pick').click();
    await shot(teach, 'editor-03-saved-768');
    // At 200% text the form still fits the width (no sideways scrolling).
    await teach.addStyleTag({ content: 'html { font-size: 36px !important; }' });
    expect(await teach.evaluate(() => document.documentElement.scrollWidth <= innerWidth + 1)).toBe(true);
    expect(await accessibilityGaps(teach)).toEqual({ checked: true, unlabelled: [], small: [] });
    await shot(teach, 'editor-04-text200-768');
    await teach.reload();
    await tid(teach, 'lesson-title').waitFor();
    expect(await tid(teach, 'lesson-title').inputValue()).toBe('Gọi video cho con cháu ở xa');
    expect(await tid(teach, 'outline-step').count()).toBe(3);
    expect(await tid(teach, 'editor-status').innerText()).toBe(''); // loaded: nothing unsaved yet

    // 6. Teach it: a learner sees step 1 (title, text, picture), then the question.
    await teach.goto(`${env.server.url}/teach/#/`);
    const item = teach.locator('[data-testid="lesson-item"][data-lesson-id="goi-video-cho-con-chau-o-xa"]');
    await item.waitFor();
    await shot(teach, 'editor-05-home-768');
    const { code } = await startClassFromList(teach, 'goi-video-cho-con-chau-o-xa');
    const learner = await env.newPage(tablet);
    await learner.goto(`${env.server.url}/?code=${code}`);
    await tid(learner, 'join-name').fill('Bà Tư');
    await tid(learner, 'join-submit').click();
    await tid(learner, 'waiting').waitFor();
    await tid(teach, 'btn-next-step').click();
    await until(() => tid(learner, 'step-title').innerText()).toBe('Mở Zalo');
    expect(await tid(learner, 'step-body').innerHTML()).toContain('<strong>Zalo</strong>');
    const picture = learner.locator('main img');
    expect(await picture.getAttribute('alt')).toBe('Biểu tượng Zalo trên màn hình điện thoại');
    await until(() => picture.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
    await shot(learner, 'editor-06-learner-step1-768');
    await tid(teach, 'quiz-panel').locator('[data-testid="quiz-open"]').first().click();
    await tid(learner, 'quiz').waitFor();
    expect(await tid(learner, 'quiz-prompt').innerText()).toBe('Biểu tượng Zalo màu gì?');
    expect(await tid(learner, 'quiz-choice').allInnerTexts()).toEqual([
      expect.stringContaining('Màu đỏ'),
      expect.stringContaining('Màu xanh dương'),
      expect.stringContaining('Màu vàng'),
    ]);

    // 7. Export, then import the file: the id is taken, so it comes back as a copy.
    await teach.goto(`${env.server.url}/teach/#/`);
    await item.waitFor();
    const [download] = await Promise.all([teach.waitForEvent('download'), item.getByTestId('lesson-export').click()]);
    expect(download.suggestedFilename()).toBe('goi-video-cho-con-chau-o-xa.cunghoc.json');
    const file = join(screenshotDir, 'editor-export.cunghoc.json');
    await download.saveAs(file);
    const exported = JSON.parse(readFileSync(file, 'utf8')) as { kind: string; lesson: { steps: unknown[] }; images: object };
    expect(exported.kind).toBe('cunghoc-lesson');
    expect(exported.lesson.steps).toHaveLength(3);
    expect(Object.keys(exported.images)).toHaveLength(1);
    await tid(teach, 'lesson-import').setInputFiles(file);
    await until(() => tid(teach, 'import-ok').innerText()).toMatch(/bản sao/);
    const copies = teach.locator('[data-testid="lesson-item"][data-lesson-id^="goi-video-cho-con-chau-o-xa-"]');
    await until(() => copies.count()).toBe(1);

    // A broken file is refused with readable reasons, and nothing changes.
    const before = await tid(teach, 'lesson-item').count();
    const broken = structuredClone(exported) as unknown as { lesson: { title: string; steps: { title: string }[] } };
    broken.lesson.title = '';
    broken.lesson.steps[1].title = '';
    const brokenFile = join(screenshotDir, 'editor-broken.cunghoc.json');
    writeFileSync(brokenFile, JSON.stringify(broken));
    await tid(teach, 'lesson-import').setInputFiles(brokenFile);
    const refusal = tid(teach, 'import-error');
    await refusal.waitFor();
    expect(await refusal.locator('li').count()).toBeGreaterThanOrEqual(2);
    expect(await refusal.innerText()).toMatch(/Bước 2 › Tên bước: Cần điền/);
    expect(await tid(teach, 'lesson-item').count()).toBe(before);
    await shot(teach, 'editor-07-import-refused-768');

    // 8. Duplicate and archive, then find the archived one again and bring it back.
    await item.getByTestId('lesson-duplicate').click();
    await until(() => copies.count()).toBe(2);
    await item.getByTestId('lesson-archive').click();
    await until(() => item.count()).toBe(0);
    await tid(teach, 'show-archived').check();
    await item.getByTestId('lesson-unarchive').click();
    await tid(teach, 'show-archived').uncheck();
    await until(() => item.count()).toBe(1);

    expect(errorsOf(teach).filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
    expect(errorsOf(learner)).toEqual([]);
  });

  it('builds a question of every kind from the schema, and the server stores exactly that', async () => {
    const teach = await env.newPage(tablet);
    teach.on('dialog', (d) => void d.accept());
    // Signed in through the API (the account exists if the first test ran on this server).
    const account = { username: 'cohanh', displayName: 'Cô Hạnh', password: 'mat-khau-lop-hoc' };
    const setup = await teach.request.post(`${env.server.url}/api/setup`, { data: account });
    if (!setup.ok()) {
      const login = await teach.request.post(`${env.server.url}/api/auth/login`, {
        data: { username: account.username, password: account.password },
      });
      expect(login.ok()).toBe(true);
    }
    await teach.goto(`${env.server.url}/teach/`);
    await tid(teach, 'lesson-new').click();
    await tid(teach, 'lesson-title').fill('Đủ loại câu hỏi');
    await tid(teach, 'lesson-id').fill('du-loai');
    await fillStep(teach, 'Luyện tập', 'Trả lời các câu hỏi.');

    const forms = tid(teach, 'question-form');
    const add = async (kind: string, prompt: string) => {
      await tid(teach, 'question-add').click();
      const form = forms.last();
      await form.getByTestId('question-kind').selectOption(kind);
      await form.getByTestId('question-prompt').fill(prompt);
      return form;
    };
    const texts = async (form: ReturnType<typeof forms.last>, list: string[]) => {
      for (let i = 0; i < list.length; i++) {
        if (i >= (await form.getByTestId('choice-text').count())) await form.getByTestId('choice-add').click();
        await form.getByTestId('choice-text').nth(i).fill(list[i]);
      }
    };

    let form = await add('single', 'Một đáp án?');
    await texts(form, ['Có', 'Không']);
    await form.getByTestId('choice-correct').nth(1).check();
    form = await add('truefalse', 'Zalo miễn phí?');
    await form.getByTestId('tf-false').check();
    form = await add('multiple', 'Chọn các ứng dụng gọi video');
    await texts(form, ['Zalo', 'Máy tính bỏ túi', 'Messenger']);
    await form.getByTestId('choice-correct').nth(0).uncheck();
    await form.getByTestId('choice-correct').nth(2).check();
    await form.getByTestId('choice-correct').nth(0).check();
    form = await add('text', 'Tên ứng dụng màu xanh?');
    await form.getByTestId('question-accepted').fill('Zalo\n  Zalo app  \n');
    await form.getByTestId('question-ignore-diacritics').uncheck();
    await form.getByTestId('question-prompt').click(); // the list is read when its box is left
    form = await add('number', 'Gọi video tốn bao nhiêu đồng?');
    await form.getByTestId('question-number').fill('0');
    await form.getByTestId('question-tolerance').fill('0.5');
    await form.getByTestId('question-unit').fill('đồng');
    form = await add('ordering', 'Xếp các bước');
    await texts(form, ['Mở Zalo', 'Chọn người', 'Bấm gọi']);
    form = await add('poll', 'Bạn thích gọi ai nhất?');
    await texts(form, ['Con', 'Cháu']);
    await form.getByTestId('question-explanation').fill('Không có đáp án đúng.');
    expect(await tid(teach, 'preview-question').count()).toBe(7);
    // A step added then removed (after the confirmation): the first step is shown again, focused.
    await tid(teach, 'step-add').click();
    expect(await tid(teach, 'outline-step').count()).toBe(2);
    await step(teach, 1).getByTestId('step-remove').click();
    await until(() => tid(teach, 'outline-step').count()).toBe(1);
    expect(await teach.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('outline-pick');
    expect(await tid(teach, 'preview-question').count()).toBe(7);
    await shot(teach, 'editor-08-every-kind-768');
    await teach.setViewportSize(laptop); // wide: the preview sits beside the form
    const [formBox, previewBox] = [await tid(teach, 'step-form').boundingBox(), await tid(teach, 'preview').boundingBox()];
    expect(previewBox!.x).toBeGreaterThan(formBox!.x + formBox!.width - 1);
    // What the instructor sees (the preview is sticky, so a full-page shot would misplace it).
    await teach.evaluate(() => document.querySelector('[data-testid="step-form"] textarea')?.scrollIntoView({ block: 'start' }));
    await teach.screenshot({ path: join(screenshotDir, 'editor-09-every-kind-1280.png') });

    // A problem only the server can see (a picture it does not have) shows next to its field too.
    await teach.route('**/api/media', (route) =>
      route.fulfill({ json: { ok: true, data: { src: 'khong-co-that.png', width: 10, height: 10 } } }),
    );
    await tid(teach, 'step-image-file').setInputFiles({ name: 'a.png', mimeType: 'image/png', buffer: await bluePng() });
    await tid(teach, 'step-image-alt').fill('Ảnh không có trên máy chủ');
    await tid(teach, 'editor-save').click();
    const missing = fieldError(teach, 'steps.0.image.src');
    await missing.waitFor();
    expect(await missing.innerText()).toContain('khong-co-that.png');
    expect(await tid(teach, 'error-summary').innerText()).toMatch(/Bước 1 › Ảnh minh hoạ: .*khong-co-that\.png/);
    await tid(teach, 'step-image-remove').click();
    await until(() => missing.count()).toBe(0);

    await tid(teach, 'editor-save').click();
    await until(() => tid(teach, 'editor-status').innerText()).toMatch(/Đã lưu/);
    // In English too (same keys, type-checked): the labels change, the lesson's words do not.
    await teach.getByRole('button', { name: 'English' }).click();
    await until(() => teach.locator('label[for="f-title"]').innerText()).toBe('Lesson title');
    expect(await tid(teach, 'preview-title').innerText()).toBe('Luyện tập');
    await teach.evaluate(() => scrollTo(0, 0));
    await teach.screenshot({ path: join(screenshotDir, 'editor-10-english-1280.png') });
    await teach.getByRole('button', { name: 'Tiếng Việt' }).click();

    const res = await teach.request.get(`${env.server.url}/api/lessons/du-loai`);
    const { data } = (await res.json()) as { data: { lesson: { steps: { questions: unknown[] }[] } } };
    const opts = (...texts: string[]) => texts.map((text, i) => ({ id: 'abcdefgh'[i], text }));
    expect(data.lesson.steps[0].questions).toEqual([
      { id: 'buoc-1-cau-1', kind: 'single', prompt: 'Một đáp án?', options: opts('Có', 'Không'), correct: 'b' },
      { id: 'buoc-1-cau-2', kind: 'truefalse', prompt: 'Zalo miễn phí?', correct: false },
      {
        id: 'buoc-1-cau-3',
        kind: 'multiple',
        prompt: 'Chọn các ứng dụng gọi video',
        options: opts('Zalo', 'Máy tính bỏ túi', 'Messenger'),
        correct: ['c', 'a'],
      },
      { id: 'buoc-1-cau-4', kind: 'text', prompt: 'Tên ứng dụng màu xanh?', accepted: ['Zalo', 'Zalo app'], ignoreDiacritics: false },
      { id: 'buoc-1-cau-5', kind: 'number', prompt: 'Gọi video tốn bao nhiêu đồng?', correct: 0, tolerance: 0.5, unit: 'đồng' },
      { id: 'buoc-1-cau-6', kind: 'ordering', prompt: 'Xếp các bước', items: opts('Mở Zalo', 'Chọn người', 'Bấm gọi') },
      {
        id: 'buoc-1-cau-7',
        kind: 'poll',
        prompt: 'Bạn thích gọi ai nhất?',
        options: opts('Con', 'Cháu'),
        explanation: 'Không có đáp án đúng.',
      },
    ]);
  });
});
