import AxeBuilder from '@axe-core/playwright';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorsOf, screenshotDir, setTextSize, setUpConsole, shot, tablet, tid, useBrowserClass } from '../support/browser.ts';

const env = useBrowserClass();
const until = expect.poll;

describe("the console's settings", () => {
  it('an instructor downloads a backup and sees when the last one was taken', async () => {
    const teach = await env.newPage(tablet);
    await setUpConsole(teach, env.server.url);

    await tid(teach, 'settings-link').click();
    await until(() => tid(teach, 'backup-last').textContent()).toContain('Chưa sao lưu lần nào');

    const [download] = await Promise.all([teach.waitForEvent('download'), tid(teach, 'backup-download').click()]);
    expect(download.suggestedFilename()).toMatch(/^cunghoc-sao-luu-\d{4}-\d\d-\d\d-\d{4}\.tar\.gz$/);
    const file = join(screenshotDir, 'settings-backup.tar.gz');
    await download.saveAs(file);
    expect(existsSync(file) && statSync(file).size).toBeGreaterThan(1000);
    // The page asks again once the download is under way: the time of this backup shows.
    await until(() => tid(teach, 'backup-last').textContent(), { timeout: 10_000 }).toContain('Lần sao lưu gần nhất');
    await expect(teach.locator('[data-testid="backup-last"] time').getAttribute('datetime')).resolves.toMatch(/^\d{4}-/);

    // The largest text on a tablet: nothing wider than the screen.
    await setTextSize(teach, '200');
    const wide = await teach.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(wide).toBeLessThanOrEqual(0);
    await shot(teach, 'settings-backup-A+');
    await setTextSize(teach, '100');
    await shot(teach, 'settings-backup-A');

    const axe = await new AxeBuilder({ page: teach }).withTags(['wcag2a', 'wcag2aa']).analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    expect(errorsOf(teach)).toEqual([]);
  });
});
