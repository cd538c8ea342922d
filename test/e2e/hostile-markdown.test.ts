import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { shot, tablet, tid, useBrowserClass } from '../support/browser.ts';
import { single } from '../support/lessons.ts';

const env = useBrowserClass();
const until = expect.poll;

// Every payload, if it ran, would set window.__pwned or call alert(), or fetch from evil.invalid.
const hostile = [
  '# Bài <b>đậm</b>',
  '<script>window.__pwned = "script"</script>',
  '<img src=x onerror="window.__pwned = \'img\'">',
  '<img src="https://evil.invalid/pixel.png">',
  '![ảnh](https://evil.invalid/md-image.png)',
  '[bấm vào đây](javascript:window.__pwned="link")',
  '[hoa thường](JaVaScRiPt:alert(1))',
  '[thực thể](&#106;avascript:alert(1))',
  '[dữ liệu](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '[tệp](vbscript:msgbox(1))',
  '<iframe src="javascript:window.top.__pwned=\'iframe\'"></iframe>',
  '<div onmouseover="window.__pwned=\'hover\'" style="position:fixed;inset:0">che màn hình</div>',
  '<a href="javascript:alert(1)">liên kết html</a>',
  '<svg onload="window.__pwned=\'svg\'"><script>window.__pwned="svg-script"</script></svg>',
  '<object data="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
  '&lt;script&gt;window.__pwned="entity"&lt;/script&gt;',
  '&#60;img src=x onerror=alert(1)&#62;',
  '<style>body{display:none}</style>',
  '<details open ontoggle="window.__pwned=\'toggle\'">x</details>',
  '[an toàn](https://example.org/ok)',
].join('\n\n');

const lesson = {
  id: 'bai-doc-hai',
  formatVersion: 1,
  title: 'Bài <script>window.__pwned="title"</script>',
  summary: '<img src=x onerror=alert(1)>',
  steps: [
    {
      id: 'buoc-1',
      title: '<img src=x onerror="window.__pwned=\'step-title\'">Bước độc',
      body: hostile,
      questions: [
        single('cau-doc', '<b onmouseover=alert(1)>Chọn</b> <script>window.__pwned="prompt"</script>', [
          '<img src=x onerror=alert(1)>',
          '<a href="javascript:alert(1)">b</a>',
        ]),
      ],
    },
  ],
};

/** Watch a page for anything a payload could do: a dialog, a request to a forbidden place, an error. */
function watch(page: Page): { dialogs: string[]; bad: string[] } {
  const seen = { dialogs: [] as string[], bad: [] as string[] };
  page.on('dialog', (d) => {
    seen.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('request', (r) => {
    const url = r.url();
    if (/evil\.invalid|^javascript:|^data:text\/html|\/x$/i.test(url)) seen.bad.push(url);
  });
  return seen;
}

/** Inside rendered step text: no element that can run or load anything, no unsafe link. */
async function assertInert(page: Page, selector: string): Promise<void> {
  const report = await page.locator(selector).evaluate((root) => ({
    dangerous: [
      ...root.querySelectorAll('script, iframe, img, svg, object, embed, style, details, [onerror], [onload], [onmouseover]'),
    ].map((el) => el.outerHTML),
    hrefs: [...root.querySelectorAll('a')].map((a) => a.getAttribute('href') ?? ''),
    text: (root as HTMLElement).innerText,
  }));
  expect(report.dangerous).toEqual([]);
  // Only web links survive (a markdown picture becomes a plain link: nothing is loaded from it).
  expect(report.hrefs).toContain('https://example.org/ok');
  for (const href of report.hrefs) expect(href).toMatch(/^https:\/\//);
  // The payloads show as text, not as markup.
  expect(report.text).toContain('<script>window.__pwned = "script"</script>');
  expect(report.text).toContain('<img src=x onerror=');
  expect(report.text).toContain('<iframe src=');
  expect(report.text).toContain('javascript:window.__pwned="link"');
  expect(report.text).toContain('<script>window.__pwned="entity"</script>');
}

describe('hostile lesson text, in Chromium', () => {
  it('shows as text in the editor preview and on the learner page; nothing runs or loads', async () => {
    const teach = await env.newPage(tablet);
    const teachSeen = watch(teach);
    const setup = await teach.request.post(`${env.server.url}/api/setup`, {
      data: { username: 'cohanh', displayName: 'Cô Hạnh', password: 'mat-khau-lop-hoc' },
    });
    expect(setup.ok()).toBe(true);
    const created = await teach.request.post(`${env.server.url}/api/lessons`, { data: { lesson } });
    expect(((await created.json()) as { ok: boolean }).ok).toBe(true);

    // The editor's live preview.
    await teach.goto(`${env.server.url}/teach/#/lessons/bai-doc-hai/edit`);
    await tid(teach, 'preview-body').waitFor({ state: 'attached' });
    await teach.mouse.move(300, 600); // over whatever an injected overlay would cover
    await assertInert(teach, '[data-testid="preview-body"]');
    expect(await tid(teach, 'preview-title').innerText()).toContain('<img src=x onerror=');
    expect(await tid(teach, 'preview-question').innerText()).toContain('<script>window.__pwned="prompt"</script>');
    // The toolbar edits the text; the preview follows, still inert.
    await tid(teach, 'step-body-input').press('End');
    await tid(teach, 'md-bold').click();
    await until(() => tid(teach, 'preview-body').innerHTML()).toContain('<strong>');
    await assertInert(teach, '[data-testid="preview-body"]');
    await shot(teach, 'hostile-editor-preview-768');
    await tid(teach, 'editor-save').click(); // saved: leaving asks nothing
    await until(() => tid(teach, 'editor-status').innerText()).toMatch(/Đã lưu/);

    // The learner page, with the step and then its question.
    const session = await teach.request.post(`${env.server.url}/api/sessions`, { data: { lessonId: 'bai-doc-hai' } });
    const { data } = (await session.json()) as { data: { id: string; code: string } };
    await teach.goto(`${env.server.url}/teach/#/session/${data.id}`);
    await tid(teach, 'console').waitFor();
    const learner = await env.newPage(tablet);
    const learnerSeen = watch(learner);
    await learner.goto(`${env.server.url}/?code=${data.code}`);
    await tid(learner, 'join-name').fill('Bà Tư');
    await tid(learner, 'join-submit').click();
    await tid(learner, 'waiting').waitFor();
    await tid(teach, 'btn-next-step').click();
    await tid(learner, 'step-body').waitFor();
    await learner.mouse.move(200, 300);
    await assertInert(learner, '[data-testid="step-body"]');
    expect(await tid(learner, 'step-title').innerText()).toContain('<img src=x onerror=');
    await shot(learner, 'hostile-learner-step-768');
    await tid(teach, 'quiz-panel').locator('[data-testid="quiz-open"]').first().click();
    await tid(learner, 'quiz').waitFor();
    expect(await tid(learner, 'quiz-prompt').innerText()).toContain('<script>window.__pwned="prompt"</script>');
    expect(await tid(learner, 'quiz-choice').first().innerText()).toContain('<img src=x onerror=alert(1)>');
    expect(await tid(learner, 'quiz').locator('script, img, a').count()).toBe(0);

    for (const page of [teach, learner]) {
      expect(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined();
    }
    expect(teachSeen).toEqual({ dialogs: [], bad: [] });
    expect(learnerSeen).toEqual({ dialogs: [], bad: [] });
  });
});
