/**
 * The learner page on a weak link: Chromium's own network emulation (DevTools protocol, through
 * playwright's CDP session) at 400 kbit/s each way with 300 ms of latency, against the real server.
 * Times the join screen until it is usable (the class-code field visible and editable) on a first
 * load (empty cache) and on a reload, and counts what each load fetched over the network.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Page } from 'playwright-core';
import { startApp } from '../../server/app.ts';
import { openSqliteStore } from '../../server/store/sqlite.ts';
import { launchChromium } from './chromium.ts';

export interface LinkLoad {
  /** Navigation start → class-code field usable, ms. */
  usableMs: number;
  /** Navigation start → "connected" shown, ms. */
  connectedMs: number;
  /** Requests for files that went over the network (not answered from the browser's cache; the socket's own traffic apart). */
  requests: number;
  /** Bytes received for them (headers and bodies as encoded on the wire). */
  wireBytes: number;
}

export interface LinkResult {
  kbitPerSecond: number;
  latencyMs: number;
  first: LinkLoad;
  reload: LinkLoad;
  /** What the browser asked for and got for the learner script (e.g. gzip over http). */
  scriptEncoding: string;
}

export const LINK = { kbitPerSecond: 400, latencyMs: 300, firstLoadMs: 3000, reloadMs: 1000 };

async function load(page: Page, go: () => Promise<unknown>): Promise<LinkLoad> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: LINK.latencyMs,
    downloadThroughput: (LINK.kbitPerSecond * 1000) / 8,
    uploadThroughput: (LINK.kbitPerSecond * 1000) / 8,
  });
  let requests = 0;
  let wireBytes = 0;
  const cached = new Set<string>();
  const socketTraffic = new Set<string>();
  cdp.on('Network.requestWillBeSent', (e: { requestId: string; request: { url: string } }) => {
    if (e.request.url.includes('/socket.io/')) socketTraffic.add(e.requestId);
  });
  cdp.on('Network.requestServedFromCache', (e: { requestId: string }) => cached.add(e.requestId));
  cdp.on('Network.responseReceived', (e: { requestId: string; response: { fromDiskCache?: boolean; fromServiceWorker?: boolean } }) => {
    if (e.response.fromDiskCache || e.response.fromServiceWorker) cached.add(e.requestId);
  });
  cdp.on('Network.loadingFinished', (e: { requestId: string; encodedDataLength: number }) => {
    if (cached.has(e.requestId) || socketTraffic.has(e.requestId)) return;
    requests += 1;
    wireBytes += e.encodedDataLength;
  });
  const started = Date.now();
  await go();
  await page.getByTestId('join-code').waitFor({ state: 'visible' });
  await page.getByTestId('join-code').isEditable();
  const usableMs = Date.now() - started;
  await page.locator('[data-testid="conn-status"].connected').waitFor();
  const connectedMs = Date.now() - started;
  await cdp.detach();
  return { usableMs, connectedMs, requests, wireBytes };
}

/** Measure on a throwaway server (its own data folder) serving `clientDir`. */
export async function measureLink(opts: { clientDir: string; lessonsDir: string; chromiumPath: string }): Promise<LinkResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cunghoc-link-'));
  const app = await startApp({
    store: openSqliteStore(dataDir),
    log: pino({ level: 'silent' }),
    config: { clientDir: opts.clientDir, lessonsDir: opts.lessonsDir, mediaDir: join(dataDir, 'media'), coalesceMs: 100 },
  });
  const browser = await launchChromium({ executablePath: opts.chromiumPath });
  try {
    // A LAN address, as a tablet uses: Chromium treats 127.0.0.1 as a secure origin (brotli, no gzip).
    const lan =
      Object.values(networkInterfaces())
        .flat()
        .find((a) => a?.family === 'IPv4' && !a.internal)?.address ?? '127.0.0.1';
    const { port } = await app.listen(0, lan);
    const url = `http://${lan}:${port}/`;
    const context = await browser.newContext({ viewport: { width: 768, height: 1024 }, locale: 'vi-VN' });
    const page = await context.newPage();
    let scriptEncoding = '?';
    page.on('response', (res) => {
      if (/\/assets\/learner-.*\.js$/.test(res.url())) scriptEncoding = res.headers()['content-encoding'] ?? 'identity';
    });
    const first = await load(page, () => page.goto(url));
    const reload = await load(page, () => page.reload());
    return { kbitPerSecond: LINK.kbitPerSecond, latencyMs: LINK.latencyMs, first, reload, scriptEncoding };
  } finally {
    await browser.close();
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
