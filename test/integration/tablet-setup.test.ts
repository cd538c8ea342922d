import { describe, expect, it } from 'vitest';
import { api, call, learnerSocket, setupInstructor, useServers } from '../support/server.ts';

// Labelling tablets before class (issue 20): the walkthrough names the tablets before any class is open.
const servers = useServers();

describe('the tablet setup code', () => {
  it('is shown to a signed-in instructor only, and labels a tablet before any class is open', async () => {
    const server = await servers.start();
    expect((await api(server.url, 'GET', '/api/tablet-code')).ack).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const { cookie } = await setupInstructor(server.url);
    const got = await api<{ code: string }>(server.url, 'GET', '/api/tablet-code', undefined, cookie);
    if (!got.ack.ok) throw new Error(JSON.stringify(got.ack));
    const code = got.ack.data.code;
    expect(code).toMatch(/^[A-Z0-9]{6}$/);
    // The same code for the whole server, whoever asks.
    expect((await api<{ code: string }>(server.url, 'GET', '/api/tablet-code', undefined, cookie)).ack).toEqual({
      ok: true,
      data: { code },
    });

    const tablet = learnerSocket(server.url);
    expect(await call(tablet, 'tablet:seat', { helperCode: code.toLowerCase(), seat: ' Bàn 1 –  Máy 2 ' })).toEqual({
      ok: true,
      data: { seat: 'Bàn 1 – Máy 2' },
    });
    // A wrong code is refused with a stable code (the page words what to do); a bad label too.
    const wrong = code === 'ZZZZZZ' ? 'YYYYYY' : 'ZZZZZZ';
    expect(await call(tablet, 'tablet:seat', { helperCode: wrong, seat: 'Bàn 1' })).toMatchObject({
      ok: false,
      error: { code: 'unknown_code' },
    });
    expect(await call(tablet, 'tablet:seat', { helperCode: code, seat: '<b>' })).toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
  });
});
