import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StaffView } from '../../shared/protocol/views.ts';
import { launchBrowser, shot, tablet, tid } from '../support/browser.ts';
import { LinkProxy, restartablePort } from '../support/link-proxy.ts';
import {
  call,
  closeSockets,
  removeDir,
  setupInstructor,
  staffSocket,
  startServer,
  startSession,
  unwrap,
  type TestServer,
} from '../support/server.ts';

/*
 * The learner page's link contract: the real page in Chromium, the real server, and between them a
 * proxy that cuts, freezes, drops, refuses. What the server received, and on which socket, is
 * recorded on the server itself.
 */

const until = <T>(fn: () => Promise<T> | T, timeout = 20_000) => expect.poll(fn, { timeout, interval: 100 });
const RECONNECTING = /Đang kết nối lại/;

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  closeSockets();
  for (const f of cleanup.splice(0).reverse()) await f();
});

interface Received {
  sid: string;
  event: string;
  at: number;
}

/** A server (restartable on its port), a proxy in front, a session, its staff socket and one tablet page. */
async function classroom(opts: { pingMs?: number } = {}) {
  let server: TestServer = await startServer({ port: await restartablePort() });
  const dataDir = server.dataDir;
  const received: Received[] = [];
  const { pingInterval, pingTimeout } = server.app.io.engine.opts;
  const instrument = (s: TestServer) => {
    // Short pings where a test waits for the ping deadline (the app's own are 10 s + 10 s).
    if (opts.pingMs) Object.assign(s.app.io.engine.opts, { pingInterval: opts.pingMs, pingTimeout: opts.pingMs });
    s.app.io.of('/learner').on('connection', (socket) => {
      socket.onAny((event: string) => received.push({ sid: socket.id, event, at: Date.now() }));
    });
  };
  instrument(server);
  const proxy = new LinkProxy(server.port);
  const url = `http://127.0.0.1:${await proxy.listen()}`;
  const { cookie } = await setupInstructor(server.url);
  const session = await startSession(server.url, cookie);
  let staff = staffSocket(server.url, cookie);
  unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id }));
  const context = await browser.newContext({ viewport: tablet, locale: 'vi-VN' });
  const page = await context.newPage();
  // Run in reverse: the proxy goes first, or a frozen connection would hold the server's close.
  cleanup.push(
    async () => {
      await server.stop().catch(() => undefined);
      removeDir(dataDir);
    },
    () => context.close(),
    () => proxy.close(),
  );
  const room = {
    server: () => server,
    proxy,
    url,
    session,
    page,
    received,
    staff: () => staff,
    view: async () => unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id })),
    push: async (step: number) => unwrap(await call(staff, 'step:push', { sessionId: session.id, step })),
    /** Stop the server (every socket closes), then start it again on the same port and data. */
    stop: () => server.stop(),
    async start(): Promise<void> {
      server = await startServer({ dataDir, port: proxy.targetPort });
      instrument(server);
      staff = staffSocket(server.url, cookie);
      unwrap(await call<StaffView>(staff, 'staff:watch', { sessionId: session.id }));
    },
    /** The app's own heartbeat for the sockets that connect from now on. */
    normalPings: () => Object.assign(server.app.io.engine.opts, { pingInterval, pingTimeout }),
    /** What the server received on each socket, by event. */
    count: (event: string, sid?: string) => received.filter((r) => r.event === event && (!sid || r.sid === sid)).length,
  };
  return room;
}

type Room = Awaited<ReturnType<typeof classroom>>;

/** Join through the page, follow the first step; the socket id the server has for the page. */
async function joinAndFollow(room: Room, name = 'Tuấn'): Promise<string> {
  const { page } = room;
  await page.goto(`${room.url}/`);
  await tid(page, 'join-code').fill(room.session.code);
  await tid(page, 'join-name').fill(name);
  await tid(page, 'join-submit').click();
  await tid(page, 'waiting').waitFor();
  await room.push(1);
  await tid(page, 'step-title').waitFor();
  await until(() => tid(page, 'conn-status').innerText()).not.toMatch(RECONNECTING);
  return settled(room);
}

/**
 * The page's link as the server has it: a socket (other than `not`) bound to the learner, and on
 * WebSocket unless the proxy blocks it. A fault injected before the upgrade is done would hit a
 * long-polling request, which Chromium may send again on a fresh connection by itself.
 */
async function settled(room: Room, not?: string): Promise<string> {
  let sid = '';
  await until(() => {
    const socket = [...room.server().app.io.of('/learner').sockets.values()].find(
      (s) =>
        s.id !== not &&
        (room.proxy.blockWebSocket || s.conn.transport.name === 'websocket') &&
        room.count('learner:join', s.id) + room.count('learner:resume', s.id) > 0,
    );
    sid = socket?.id ?? '';
    return sid;
  }).not.toBe('');
  return sid;
}

const connStatus = (page: Page) => tid(page, 'conn-status').innerText();
/** Events one socket sent, in order, without the heartbeat. */
const timeline = (room: Room, sid: string) => room.received.filter((r) => r.sid === sid && r.event !== 'learner:ping').map((r) => r.event);

describe('the learner page on a bad link (Chromium, real server, fault-injecting proxy)', () => {
  it('an ack in flight when the link dies fails at the drop, and the action goes again once, after the resume', async () => {
    const room = await classroom();
    const first = await joinAndFollow(room);
    room.proxy.dropDown = true; // the server takes the tap; its ack never comes back
    await tid(room.page, 'btn-done').click();
    await until(() => room.count('learner:done')).toBe(1);
    const cutAt = Date.now();
    room.proxy.cutAll();
    room.proxy.dropDown = false;
    await until(() => room.count('learner:done')).toBe(2);
    const retry = room.received.filter((r) => r.event === 'learner:done')[1];
    expect(retry.sid).not.toBe(first);
    // Had it waited for its 10 s ack timeout, the retry could not come before that.
    expect(retry.at - cutAt).toBeLessThan(10_000);
    expect(timeline(room, retry.sid)).toEqual(['learner:resume', 'learner:done']);
    await until(() => tid(room.page, 'btn-done').innerText()).toMatch(/Đã xong/);
    expect(room.count('learner:done')).toBe(2); // once more, not again and again
    expect((await room.view()).counts.done).toBe(1);
  });

  it('a tablet that sleeps past the ping deadline reconnects before it sends', async () => {
    // 1 s + 1 s while it sleeps: short, but not so short that a busy machine misses a ping before.
    const room = await classroom({ pingMs: 1000 });
    const before = await joinAndFollow(room);
    const cdp = await room.page.context().newCDPSession(room.page);
    // Asleep: the page runs nothing and the link says nothing, not even a FIN.
    room.proxy.frozen = true;
    await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
    await until(() => room.server().app.io.of('/learner').sockets.size).toBe(0); // the server gave up on it
    // It wakes to the usual heartbeat: a busy machine could miss a 2 s deadline on the new socket too,
    // and a tap whose ack a drop took is sent again (rightly), which this test would count twice.
    room.normalPings();
    room.proxy.thaw(); // the old connection stays silent for good
    await cdp.send('Page.setWebLifecycleState', { state: 'active' });
    await tid(room.page, 'btn-done').click();
    await until(() => room.count('learner:done')).toBe(1);
    const sent = room.received.find((r) => r.event === 'learner:done')!;
    expect(sent.sid).not.toBe(before);
    expect(timeline(room, sent.sid)).toEqual(['learner:resume', 'learner:done']);
    await until(async () => (await room.view()).counts.done).toBe(1);
    await until(() => tid(room.page, 'btn-done').innerText()).toMatch(/Đã xong/);
  });

  it('the server restarting: the tablet shows it is reconnecting, comes back by itself, and the tap made meanwhile counts once', async () => {
    const room = await classroom();
    await joinAndFollow(room);
    const title = await tid(room.page, 'step-title').innerText();
    await room.stop();
    await until(() => connStatus(room.page)).toMatch(RECONNECTING);
    await tid(room.page, 'btn-done').click();
    await until(() => tid(room.page, 'waiting-list').innerText()).toMatch(/Đang chờ gửi/);
    expect(await tid(room.page, 'step-title').innerText()).toBe(title); // the last step stays on screen
    await shot(room.page, 'link-01-server-restarting');
    await room.start();
    await until(() => connStatus(room.page)).not.toMatch(RECONNECTING);
    await until(async () => (await room.view()).counts.done).toBe(1);
    expect(room.count('learner:done')).toBe(1);
    await room.push(2);
    await until(() => tid(room.page, 'step-title').innerText()).not.toBe(title);
  });

  it('the server refusing the connection: the tablet keeps asking, and is back when the server takes it', async () => {
    const room = await classroom();
    await joinAndFollow(room);
    let refusing = true;
    let refused = 0;
    const refuse = (s: TestServer) =>
      s.app.io.of('/learner').use((_socket, next) => {
        if (!refusing) return next();
        refused += 1;
        next(new Error('server_busy'));
      });
    refuse(room.server());
    room.proxy.cutAll();
    await until(() => refused).toBeGreaterThanOrEqual(2); // asked again after a refusal, not given up
    expect(await connStatus(room.page)).toMatch(RECONNECTING);
    await tid(room.page, 'btn-help').click();
    refusing = false;
    await until(() => connStatus(room.page)).not.toMatch(RECONNECTING);
    await until(async () => (await room.view()).counts.help).toBe(1);
    expect(room.count('learner:help')).toBe(1);
  });

  it('WebSocket blocked: the tablet works over long-polling, and is on WebSocket again once it passes', async () => {
    const room = await classroom();
    room.proxy.blockWebSocket = true;
    const polls: string[] = [];
    room.page.on('request', (r) => {
      if (r.url().includes('transport=polling')) polls.push(r.method());
    });
    await joinAndFollow(room);
    expect(polls).toContain('GET');
    expect(polls).toContain('POST');
    expect(room.proxy.webSocketUpgrades).toBe(0);
    await tid(room.page, 'btn-done').click();
    await until(async () => (await room.view()).counts.done).toBe(1);

    room.proxy.blockWebSocket = false;
    // A tablet tries the upgrade again only on a new connection. Cutting the TCP links is not enough
    // to make one: Chromium may retry a cut poll on a fresh link, and the old polling session goes on.
    // So the server ends that session, and the tablet connects anew by itself.
    for (const socket of room.server().app.io.of('/learner').sockets.values()) socket.conn.close();
    await until(() => room.proxy.webSocketUpgrades).toBeGreaterThan(0);
    const title = await tid(room.page, 'step-title').innerText();
    await room.push(2);
    await until(() => tid(room.page, 'step-title').innerText()).not.toBe(title);
  });

  it('a frozen link (no FIN) is noticed within the ping deadline, and the tablet is back by itself when it thaws', async () => {
    const pingMs = 1000;
    const room = await classroom({ pingMs });
    const first = await joinAndFollow(room);
    // A fresh socket, so that it got the short ping settings in its handshake. Wait for that socket on
    // the server, not for the status: the page may not even have seen the cut yet.
    room.proxy.cutAll();
    await settled(room, first);
    await until(() => connStatus(room.page)).not.toMatch(RECONNECTING);
    const frozenAt = Date.now();
    room.proxy.frozen = true;
    await until(() => connStatus(room.page), 10_000).toMatch(RECONNECTING);
    // The deadline is pingInterval + pingTimeout; one more of each as slack for a busy machine.
    expect(Date.now() - frozenAt).toBeLessThan(4 * pingMs);
    await shot(room.page, 'link-02-frozen-link');
    room.proxy.thaw();
    await until(() => connStatus(room.page)).not.toMatch(RECONNECTING);
    const title = await tid(room.page, 'step-title').innerText();
    await room.push(2);
    await until(() => tid(room.page, 'step-title').innerText()).not.toBe(title);
  });

  it('every command tapped while offline reaches the server once, after the resume', async () => {
    const room = await classroom();
    await joinAndFollow(room);
    await room.push(3);
    const { runId } = unwrap(
      await call<{ runId: string }>(room.staff(), 'quiz:open', {
        sessionId: room.session.id,
        source: { step: 3, questionId: 'kiem-tra-gi' },
        timeLimit: null,
      }),
    );
    const choice = room.page.locator('[data-testid="quiz-choice"][data-choice-id="b"]');
    await choice.waitFor();
    room.proxy.refuse = true;
    room.proxy.cutAll();
    await until(() => connStatus(room.page)).toMatch(RECONNECTING);
    await choice.click();
    await tid(room.page, 'help-reason').first().click();
    await until(() => tid(room.page, 'waiting-list').innerText()).toBe('Đang chờ gửi: Cần giúp, câu trả lời');
    const sentBefore = room.received.length;
    room.proxy.refuse = false;
    await until(async () => (await room.view()).quiz?.answered).toBe(1);
    await until(async () => (await room.view()).counts.help).toBe(1);
    const after = room.received.slice(sentBefore).filter((r) => r.event !== 'learner:ping');
    expect(new Set(after.map((r) => r.sid)).size).toBe(1);
    expect(after[0].event).toBe('learner:resume');
    expect(
      after
        .slice(1)
        .map((r) => r.event)
        .sort(),
    ).toEqual(['learner:help', 'quiz:answer']);
    const view = await room.view();
    expect(view.quiz!.histogram.find((b) => b.key === 'b')!.count).toBe(1);
    unwrap(await call(room.staff(), 'quiz:close', { sessionId: room.session.id, runId }));
  });
});
