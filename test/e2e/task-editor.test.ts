import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Lesson } from '../../shared/lesson/schema.ts';
import { errorsOf, laptop, setUpConsole, shot, tid, useBrowserClass } from '../support/browser.ts';

const env = useBrowserClass();
const until = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 100 });
const problems = (page: Page) => page.locator('[data-testid="task-problem"]');
const problem = (page: Page, code: string) => page.locator(`[data-testid="task-problem"][data-code="${code}"]`);

describe('the task editor', () => {
  it('builds a three-screen task, shows its problems at their fields, and taps through the live preview', async () => {
    const teach = await env.newPage(laptop);
    await setUpConsole(teach, env.server.url);
    await tid(teach, 'lesson-new').click();
    await tid(teach, 'editor').waitFor();
    await tid(teach, 'lesson-title').fill('Tập mở khoá điện thoại');
    await tid(teach, 'step-title-input').fill('Mở khoá bằng mã');
    await tid(teach, 'step-body-input').fill('Nhập mã để mở khoá.');

    await tid(teach, 'task-add').click();
    const form = tid(teach, 'task-form').first();
    await form.getByTestId('tf-title').fill('Mở khoá điện thoại');
    await form.getByTestId('tf-instruction').fill('Hãy mở khoá điện thoại bằng mã 6 số.');
    const screen = (i: number) => form.getByTestId('tf-screen').nth(i);
    await screen(0).getByTestId('tf-screen-name').fill('Màn hình khoá');
    await expect(problems(teach).count()).resolves.toBe(0); // a new task is valid: its button reaches the goal

    // Screen 2: nothing leads there yet; its PIN pad leads nowhere.
    await form.getByTestId('tf-add-screen').click();
    await screen(1).getByTestId('tf-screen-name').fill('Nhập mã');
    await until(() => problem(teach, 'unreachable_screen').count()).toBe(1);
    await screen(1).getByTestId('tf-add-pin').click();
    await screen(1).getByTestId('tf-el-label').fill('Nhập mã 6 số');
    await until(() => problem(teach, 'leads_nowhere').count()).toBe(1);
    // Screen 3, with a button to the goal.
    await form.getByTestId('tf-add-screen').click();
    await screen(2).getByTestId('tf-screen-name').fill('Đã mở khoá');
    await screen(2).getByTestId('tf-add-button').click();
    await screen(2).getByTestId('tf-el-label').fill('Về màn hình chính');
    await screen(2).getByTestId('tf-target').selectOption('goal');
    // Screen 1's button now leads to screen 2, the PIN pad to screen 3: no goal from screen 1 until then.
    await screen(0).getByTestId('tf-el-label').fill('Mở khoá');
    await screen(0).getByTestId('tf-target').selectOption('s:man-hinh-2');
    await screen(1).getByTestId('tf-target').selectOption('s:man-hinh-3');
    // A trap without its explanation is a problem at the explanation.
    await form.getByTestId('tf-add-trap').click();
    await form.getByTestId('tf-trap-title').fill('Cho người lạ xem mã');
    await until(() => problem(teach, 'trap_no_explanation').count()).toBe(1);
    await screen(0).getByTestId('tf-add-button').click();
    await screen(0).getByTestId('tf-element').nth(1).getByTestId('tf-el-label').fill('Nhờ người lạ mở giúp');
    await screen(0).getByTestId('tf-element').nth(1).getByTestId('tf-target').selectOption('t:bay-1');
    await shot(teach, 'task-editor-problems');
    await form.getByTestId('tf-trap-explanation').fill('Người lạ biết mã sẽ mở được máy và xem mọi thứ trong đó.');
    await until(() => problems(teach).count()).toBe(0);

    // The preview: tap through as a learner would.
    const preview = form.getByTestId('tf-preview');
    await until(() => preview.getByTestId('tf-preview-screen').innerText()).toContain('Màn hình khoá');
    await preview.getByTestId('el-xong').click();
    await until(() => preview.getByTestId('tf-preview-screen').innerText()).toContain('Nhập mã');
    for (const d of ['1', '2', '3', '4', '5', '6']) await preview.getByTestId(`pin-key-${d}`).click();
    await preview.getByTestId('el-pin-1-ok').click();
    await until(() => preview.getByTestId('tf-preview-screen').innerText()).toContain('Đã mở khoá');
    await preview.getByTestId('el-button-1').click();
    await preview.getByTestId('tf-preview-goal').waitFor();
    await preview.getByTestId('tf-preview-restart').click();
    await preview.getByTestId('el-button-2').click();
    await until(() => preview.getByTestId('tf-preview-trap').innerText()).toContain('Cho người lạ xem mã');
    await shot(teach, 'task-editor-preview');
    const axe = await new AxeBuilder({ page: teach })
      .include('[data-testid="task-form"]')
      .withTags(['wcag2a', 'wcag2aa', 'wcag21aa'])
      .analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);

    await tid(teach, 'editor-save').click();
    await until(() => tid(teach, 'editor-status').innerText()).toMatch(/Đã lưu/);
    const saved = await teach.evaluate(() => fetch('/api/lessons/tap-mo-khoa-dien-thoai').then((r) => r.json() as Promise<unknown>));
    const task = (saved as { data: { lesson: Lesson } }).data.lesson.steps[0].tasks[0];
    expect(task.screens.map((s) => s.name)).toEqual(['Màn hình khoá', 'Nhập mã', 'Đã mở khoá']);
    expect(task.traps[0].explanation).toContain('Người lạ');
    expect(errorsOf(teach)).toEqual([]);
  }, 120_000);
});
