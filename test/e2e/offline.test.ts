import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LearnerSnapshot } from '../../shared/protocol/views.ts';
import { launchBrowser, networkSwitch, shot, tablet, tid, setTextSize } from '../support/browser.ts';
import { call, closeSockets, learnerSocket, openClass, removeDir, startServer, token, unwrap, type TestServer } from '../support/server.ts';

/*
 * What a tablet gets over https (the service worker's offline shell) and over http (compressed,
 * cached files: a reload asks for the page only). The https server has a certificate from a test CA
 * made by scripts/make-hall-ca.sh; Chromium trusts that certificate's key, as a tablet with the
 * hall's CA installed trusts it.
 */

const root = resolve(import.meta.dirname, '../..');
const until = <T>(fn: () => Promise<T> | T, timeout = 20_000) => expect.poll(fn, { timeout, interval: 100 });
const tlsDir = mkdtempSync(join(tmpdir(), 'cunghoc-tls-'));
let tls: { cert: string; key: string };
let browser: Browser;
const previousRejectUnauthorized = process.env.NODE_TLS_REJECT_UNAUTHORIZED;

beforeAll(async () => {
  execFileSync('sh', [join(root, 'scripts/make-hall-ca.sh'), tlsDir, '127.0.0.1', 'localhost'], { stdio: 'ignore' });
  tls = { cert: readFileSync(join(tlsDir, 'server.crt'), 'utf8'), key: readFileSync(join(tlsDir, 'server.key'), 'utf8') };
  execFileSync('openssl', ['verify', '-CAfile', join(tlsDir, 'ca.crt'), join(tlsDir, 'server.crt')], { stdio: 'ignore' });
  const spki = createHash('sha256')
    .update(new X509Certificate(tls.cert).publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64');
  browser = await launchBrowser([`--ignore-certificate-errors-spki-list=${spki}`]);
  // The test's own Node clients (setup, staff socket) skip the check; the browser is the one under test.
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
});
afterAll(async () => {
  if (previousRejectUnauthorized === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previousRejectUnauthorized;
  await browser?.close();
  rmSync(tlsDir, { recursive: true, force: true });
});
const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  closeSockets();
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function classroom(secure: boolean) {
  const server: TestServer = await startServer(secure ? { tls } : {});
  cleanup.push(async () => {
    await server.stop();
    removeDir(server.dataDir);
  });
  const { session, staff } = await openClass(server);
  const context: BrowserContext = await browser.newContext({ viewport: tablet, locale: 'vi-VN' });
  cleanup.push(() => context.close());
  const page = await context.newPage();
  const push = async (step: number) => unwrap(await call(staff, 'step:push', { sessionId: session.id, step }));
  return { server, session, context, page, push };
}

async function joinClass(page: Page, code: string): Promise<void> {
  await tid(page, 'join-code').fill(code);
  await tid(page, 'join-name').fill('Tuấn');
  await tid(page, 'join-submit').click();
  await tid(page, 'waiting').waitFor();
}

describe('what a tablet gets over https and over http', () => {
  it('over https, a tablet reloads with the network off, shows the last step, and resumes by itself when it is back', async () => {
    const { server, session, context, page, push } = await classroom(true);
    const setOnline = await networkSwitch(context);
    await page.goto(`${server.url}/`);
    expect(await page.evaluate(() => window.isSecureContext)).toBe(true);
    await joinClass(page, session.code);
    await push(1);
    await tid(page, 'step-title').waitFor();
    const title = await tid(page, 'step-title').innerText();
    // The service worker took the page and kept its shell.
    await until(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
    await until(() => page.evaluate(async () => (await caches.keys()).some((k) => k.startsWith('workbox-precache')))).toBe(true);
    // And the lesson's pictures, fetched ahead by the page.
    await until(() => page.evaluate(async () => (await (await caches.open('lesson-pictures')).keys()).length)).toBeGreaterThan(0);

    await setOnline(false);
    await page.reload();
    await until(() => tid(page, 'step-title').innerText()).toBe(title);
    await until(() => tid(page, 'conn-status').innerText()).toMatch(/Đang kết nối lại…/);
    await shot(page, 'offline-01-reloaded-offline-https');
    await setTextSize(page, '200'); // the largest text, as some learners have it
    await shot(page, 'offline-02-reloaded-offline-https-200');

    await setOnline(true);
    await until(() => tid(page, 'conn-status').innerText(), 30_000).toMatch(/Đã kết nối/);
    await push(2);
    await until(() => tid(page, 'step-title').innerText()).not.toBe(title);
  });

  it('over http there is no service worker; the reload after the first load fetches only the page itself', async () => {
    const { server, session, page } = await classroom(false);
    await page.goto(`${server.url}/`);
    await joinClass(page, session.code);
    expect(await page.evaluate(() => navigator.serviceWorker?.controller ?? null)).toBeNull();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    const fromNetwork: string[] = [];
    const cached = new Set<string>();
    const urls = new Map<string, string>();
    const inFlight = new Set<string>();
    const pictures = new Set<string>();
    // Only what the reload asks for: a picture of the first load still on its way is not counted.
    let reloaded = false;
    cdp.on('Network.requestWillBeSent', (e: { requestId: string; request: { url: string } }) => {
      if (!reloaded || e.request.url.includes('/socket.io/')) return;
      urls.set(e.requestId, e.request.url);
      inFlight.add(e.requestId);
      if (new URL(e.request.url).pathname.startsWith('/media/')) pictures.add(new URL(e.request.url).pathname);
    });
    cdp.on('Network.requestServedFromCache', (e: { requestId: string }) => cached.add(e.requestId));
    cdp.on('Network.responseReceived', (e: { requestId: string; response: { fromDiskCache?: boolean } }) => {
      if (e.response.fromDiskCache) cached.add(e.requestId);
    });
    cdp.on('Network.loadingFinished', (e: { requestId: string }) => {
      const url = urls.get(e.requestId);
      inFlight.delete(e.requestId);
      if (url && !cached.has(e.requestId)) fromNetwork.push(new URL(url).pathname);
    });
    cdp.on('Network.loadingFailed', (e: { requestId: string }) => inFlight.delete(e.requestId));
    // What the page fetches ahead once it has resumed: every picture of the lesson.
    const probe = learnerSocket(server.url);
    const { images } = unwrap(await call<LearnerSnapshot>(probe, 'learner:join', { code: session.code, name: 'Lan', token: token(77) }));
    expect(images.length).toBeGreaterThan(0);
    // The first load's own fetch of every picture has finished (it is in the HTTP cache): a reload
    // while one is still on its way would rightly fetch it again.
    const paths = images.map((src) => new URL(src, server.url).pathname);
    await until(() =>
      page.evaluate(
        (wanted) =>
          wanted.every((path) =>
            performance
              .getEntriesByType('resource')
              .some((e) => new URL(e.name).pathname === path && (e as PerformanceResourceTiming).responseEnd > 0),
          ),
        paths,
      ),
    ).toBe(true);
    reloaded = true;
    await page.reload();
    await tid(page, 'step-title').or(tid(page, 'waiting')).first().waitFor();
    // Settled: resumed, every picture asked for again, nothing still on its way.
    await until(() => tid(page, 'conn-status').innerText()).toMatch(/Đã kết nối/);
    await until(() => images.every((src) => pictures.has(new URL(src, server.url).pathname)) && inFlight.size === 0).toBe(true);
    expect(fromNetwork).toEqual(['/']);
  });
});
