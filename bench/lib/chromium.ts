/**
 * The system Chromium, headless, as the bench and the browser tests (test/support/browser.ts) start
 * it: no sandbox (containers), no GPU, none of its own background traffic. CHROMIUM_PATH overrides
 * /usr/bin/chromium.
 */
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Launch Chromium (`executablePath`, else the system one) with `args` beside the common flags; fails
 * loudly (never skips) when it is not installed. With `cores`, pinned to them through a wrapper
 * script (its children inherit the affinity).
 */
export async function launchChromium(opts: { args?: string[]; cores?: string | null; executablePath?: string } = {}): Promise<Browser> {
  const real = opts.executablePath ?? chromiumPath;
  if (!existsSync(real)) throw new Error(`Chromium not found at ${real}: install it with "apt-get install chromium" or set CHROMIUM_PATH.`);
  let executablePath = real;
  if (opts.cores) {
    const dir = mkdtempSync(join(tmpdir(), 'cunghoc-bench-chromium-'));
    executablePath = join(dir, 'chromium');
    writeFileSync(executablePath, `#!/bin/sh\nexec taskset -c ${opts.cores} ${real} "$@"\n`);
    chmodSync(executablePath, 0o755);
  }
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...(opts.args ?? []),
    ],
  });
}
