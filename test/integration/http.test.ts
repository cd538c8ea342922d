import { describe, expect, it } from 'vitest';
import type { LessonSummary, Me, ServerInfo, SessionSummary } from '../../shared/protocol/views.ts';
import { api, setupInstructor, useServers } from '../support/server.ts';

const servers = useServers();
const server = servers.start;
const account = { username: 'cohanh', displayName: 'Cô Hạnh', password: 'mat-khau-du-dai' };

describe('accounts and the HTTP API', () => {
  it('first-run setup works from the server machine, once', async () => {
    const s = await server();
    const info = await api<ServerInfo>(s.url, 'GET', '/api/info');
    expect(info.ack).toMatchObject({ ok: true, data: { setupNeeded: true, local: true } });
    const first = await api<Me>(s.url, 'POST', '/api/setup', account);
    expect(first.status).toBe(201);
    expect(first.cookie).toMatch(/^ch_sid=/);
    const again = await api<Me>(s.url, 'POST', '/api/setup', { ...account, username: 'khac' });
    expect(again).toMatchObject({ status: 409, ack: { ok: false, error: { code: 'setup_done' } } });
    expect((await api<ServerInfo>(s.url, 'GET', '/api/info')).ack).toMatchObject({ data: { setupNeeded: false } });
  });

  it('from another machine, setup needs the one-time code printed on the console', async () => {
    const s = await server({ remote: true });
    const code = s.app.setupCode;
    expect(code).toMatch(/^[A-Z0-9]{8}$/);
    const refused = await api<Me>(s.url, 'POST', '/api/setup', account);
    expect(refused).toMatchObject({ status: 403, ack: { ok: false, error: { code: 'setup_code_required' } } });
    const wrong = await api<Me>(s.url, 'POST', '/api/setup', { ...account, setupCode: 'WRONG123' });
    expect(wrong.ack).toMatchObject({ ok: false, error: { code: 'setup_code_required' } });
    expect((await api<ServerInfo>(s.url, 'GET', '/api/info')).ack).toMatchObject({ data: { setupNeeded: true } });
    const ok = await api<Me>(s.url, 'POST', '/api/setup', { ...account, setupCode: code!.toLowerCase() });
    expect(ok.status).toBe(201);
    expect(s.app.setupCode).toBeNull();
  });

  it('sign in, sign out (the cookie dies on the server), and several instructor accounts', async () => {
    const s = await server();
    const { cookie } = await setupInstructor(s.url);
    expect((await api<Me>(s.url, 'GET', '/api/auth/me', undefined, cookie)).ack).toMatchObject({
      ok: true,
      data: { username: 'giangvien', displayName: 'Cô Hạnh' },
    });
    const second = await api<Me>(s.url, 'POST', '/api/users', { ...account, username: 'thayminh' }, cookie);
    expect(second.status).toBe(201);
    const dup = await api<Me>(s.url, 'POST', '/api/users', { ...account, username: 'THAYMINH' }, cookie);
    expect(dup.ack).toMatchObject({ ok: false, error: { code: 'username_taken' } });

    const bad = await api<Me>(s.url, 'POST', '/api/auth/login', { username: 'thayminh', password: 'sai-roi-nhe' });
    expect(bad).toMatchObject({ status: 401, ack: { ok: false, error: { code: 'bad_credentials' } } });
    const login = await api<Me>(s.url, 'POST', '/api/auth/login', { username: 'thayminh', password: account.password });
    expect(login.ack).toMatchObject({ ok: true, data: { username: 'thayminh' } });
    const minh = login.cookie!;
    expect((await api(s.url, 'GET', '/api/lessons', undefined, minh)).status).toBe(200);

    await api(s.url, 'POST', '/api/auth/logout', {}, minh);
    expect((await api(s.url, 'GET', '/api/lessons', undefined, minh)).ack).toMatchObject({
      ok: false,
      error: { code: 'unauthorized' },
    });
    expect((await api(s.url, 'GET', '/api/auth/me', undefined, cookie)).status).toBe(200);
  });

  it('lessons and sessions need a signed-in instructor; starting a session lists it', async () => {
    const s = await server();
    for (const [method, path] of [
      ['GET', '/api/lessons'],
      ['GET', '/api/sessions'],
      ['POST', '/api/sessions'],
      ['POST', '/api/users'],
    ] as const) {
      const r = await api(s.url, method, path, method === 'POST' ? { lessonId: 'thanh-toan-qr' } : undefined);
      expect(r.status, path).toBe(401);
    }
    const { cookie } = await setupInstructor(s.url);
    const lessons = await api<LessonSummary[]>(s.url, 'GET', '/api/lessons', undefined, cookie);
    expect(lessons.ack.ok && lessons.ack.data.map((l) => l.id)).toEqual(expect.arrayContaining(['cai-dat-vneid', 'thanh-toan-qr']));
    const missing = await api(s.url, 'POST', '/api/sessions', { lessonId: 'khong-co' }, cookie);
    expect(missing).toMatchObject({ status: 404, ack: { ok: false, error: { code: 'not_found' } } });
    const started = await api<SessionSummary>(s.url, 'POST', '/api/sessions', { lessonId: 'cai-dat-vneid' }, cookie);
    expect(started.ack).toMatchObject({ ok: true, data: { status: 'open', lessonId: 'cai-dat-vneid', learnerCount: 0 } });
    const code = started.ack.ok ? started.ack.data.code : '';
    expect(code).toMatch(/^\d{6}$/);
    const list = await api<SessionSummary[]>(s.url, 'GET', '/api/sessions', undefined, cookie);
    expect(list.ack.ok && list.ack.data[0].code).toBe(code);

    const qr = await fetch(`${s.url}/api/join-qr/${code}.svg`);
    expect(qr.headers.get('content-type')).toContain('image/svg+xml');
    expect(await qr.text()).toContain('<svg');
    expect((await fetch(`${s.url}/api/join-qr/999999x.svg`)).status).toBe(404);
  });

  it('bad input gets a clear error and changes nothing; cross-site posts are refused', async () => {
    const s = await server();
    const notJson = await fetch(`${s.url}/api/setup`, { method: 'POST', body: 'username=x' });
    expect(notJson.status).toBe(400);
    const broken = await fetch(`${s.url}/api/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username":',
    });
    expect(await broken.json()).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const short = await api(s.url, 'POST', '/api/setup', { ...account, password: 'ngan' });
    expect(short.ack).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const extra = await api(s.url, 'POST', '/api/setup', { ...account, isAdmin: true });
    expect(extra.ack).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const crossSite = await fetch(`${s.url}/api/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://evil.example' },
      body: JSON.stringify(account),
    });
    expect(crossSite.status).toBe(403);
    expect((await api<ServerInfo>(s.url, 'GET', '/api/info')).ack).toMatchObject({ data: { setupNeeded: true } });
  });

  it('sends a strict CSP without HSTS or upgrade-insecure-requests', async () => {
    const s = await server();
    const res = await fetch(`${s.url}/api/info`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });
});
