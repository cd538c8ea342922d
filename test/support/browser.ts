import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium } from '../../bench/lib/chromium.ts';
import { closeSockets, removeDir, startServer, type TestServer } from './server.ts';

export const screenshotDir = resolve(import.meta.dirname, '../../test-results');

/** The system Chromium, headless (bench/lib/chromium.ts, as the bench starts it); fails loudly (never skips) when it is not installed. */
export function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return launchChromium({ args: ['--disable-quic', ...extraArgs] });
}

/** Save a screenshot under test-results/ (ignored by git). */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

export const tablet = { width: 768, height: 1024 };
export const laptop = { width: 1280, height: 800 };

/** Socket.IO frames a test may watch (`sent`) or hold back (`drop` returns true for server → page). */
export interface FrameTap {
  sent?: (frame: string) => void;
  drop?: (frame: string) => boolean;
}

const pageErrors = new WeakMap<Page, string[]>();
/** Uncaught errors and console errors a page produced. */
export const errorsOf = (page: Page): string[] => pageErrors.get(page) ?? [];
export const tid = (page: Page, id: string) => page.getByTestId(id);

/** Use one of the display settings as a person would: they are folded behind "Cỡ chữ", opened first and folded again after. */
async function displaySetting(page: Page, id: string): Promise<void> {
  const button = tid(page, id);
  const folded = !(await button.isVisible());
  if (folded) await tid(page, 'settings-open').click();
  await button.click();
  if (folded) await tid(page, 'settings-open').click();
}

/** Pick a text size (A, A+, A++) from the page's folded display settings. */
export const setTextSize = (page: Page, size: '100' | '150' | '200'): Promise<void> => displaySetting(page, `text-${size}`);

/** Turn high contrast on or off from the page's folded display settings. */
export const toggleContrast = (page: Page): Promise<void> => displaySetting(page, 'contrast');

/** The first instructor creates their account on the console's first page, as in the hall; the lesson list shows. */
export async function setUpConsole(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/teach/`);
  await tid(page, 'setup-username').fill('cohanh');
  await tid(page, 'setup-displayname').fill('Cô Hạnh');
  await tid(page, 'setup-password').fill('mat-khau-lop-hoc');
  await tid(page, 'setup-submit').click();
  await tid(page, 'lesson-item').first().waitFor();
}

/** On the console's lesson list, start a class of `lesson`: its class code, helper code and session id. */
export async function startClassFromList(
  page: Page,
  lesson = 'thanh-toan-qr',
): Promise<{ code: string; helperCode: string; sessionId: string }> {
  await page.locator(`[data-testid="lesson-item"][data-lesson-id="${lesson}"]`).getByTestId('lesson-start').click();
  await tid(page, 'console').waitFor();
  const code = (await tid(page, 'class-code').innerText()).replace(/\D/g, '');
  const helperCode = (await tid(page, 'helper-code').innerText()).trim();
  const sessionId = /#\/session\/(.+)$/.exec(page.url())![1];
  return { code, helperCode, sessionId };
}

/**
 * For a browser test file: one real server and one Chromium, started before the tests and closed
 * after, with every page in a context of its own (like a separate tablet).
 */
export function useBrowserClass() {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    closeSockets();
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
    if (server) removeDir(server.dataDir);
  });
  return {
    get server(): TestServer {
      if (!server) throw new Error('the server starts in beforeAll');
      return server;
    },
    // An arrow, not a method: test files take it out of the object (`const newPage = env.newPage`).
    newPage: async (viewport: { width: number; height: number }, frames?: FrameTap): Promise<Page> => {
      if (!browser) throw new Error('the browser starts in beforeAll');
      const context = await browser.newContext({ viewport, locale: 'vi-VN', acceptDownloads: true });
      contexts.push(context);
      if (frames) {
        await context.routeWebSocket(/\/socket\.io\//, (ws) => {
          const upstream = ws.connectToServer();
          ws.onMessage((m) => {
            if (typeof m === 'string') frames.sent?.(m);
            upstream.send(m);
          });
          upstream.onMessage((m) => {
            if (typeof m === 'string' && frames.drop?.(m)) return;
            ws.send(m);
          });
        });
      }
      const page = await context.newPage();
      const errors: string[] = [];
      pageErrors.set(page, errors);
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      return page;
    },
  };
}

/**
 * What overflows the viewport sideways: the page itself, or a button cut off, clipped or smaller than
 * 48×48 px. Buttons hidden by `visibility` are passed over unless `includeHidden`.
 */
export function overflow(page: Page, { includeHidden = false } = {}): Promise<string[]> {
  return page.evaluate((includeHidden) => {
    const out: string[] = [];
    const width = window.innerWidth;
    if (document.documentElement.scrollWidth > width) out.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${width}`);
    for (const b of document.querySelectorAll<HTMLElement>('button, .btn')) {
      const r = b.getBoundingClientRect();
      if (!r.width || (!includeHidden && getComputedStyle(b).visibility === 'hidden')) continue;
      const name = (b.textContent ?? '').trim().slice(0, 30);
      if (r.left < -1 || r.right > width + 1)
        out.push(`button "${name}" outside the viewport: ${Math.round(r.left)}..${Math.round(r.right)}`);
      if (b.scrollWidth > b.clientWidth + 1) out.push(`button "${name}" clipped: ${b.scrollWidth} > ${b.clientWidth}`);
      if (r.width < 47.5 || r.height < 47.5)
        out.push(`button "${name}" smaller than 48×48: ${Math.round(r.width)}×${Math.round(r.height)}`);
    }
    return out;
  }, includeHidden);
}

/**
 * A switch for the network of a browser context. Chromium's offline emulation leaves open WebSockets
 * alone, so going offline also closes them, and refuses new ones until the network is back.
 */
export async function networkSwitch(context: BrowserContext): Promise<(online: boolean) => Promise<void>> {
  let offline = false;
  const sockets: WebSocketRoute[] = [];
  await context.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (offline) return void ws.close();
    sockets.push(ws);
    ws.connectToServer();
  });
  return async (online) => {
    offline = !online;
    await context.setOffline(offline);
    if (offline) for (const ws of sockets.splice(0)) await ws.close();
  };
}
