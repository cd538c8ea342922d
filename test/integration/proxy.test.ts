/**
 * Behind a reverse proxy (TRUST_PROXY): the test plays nginx itself, a loopback client writing the
 * X-Forwarded-For header that nginx would write. Every per-address limit must count the forwarded
 * address, and a forwarded tablet must never pass for the server machine. Without TRUST_PROXY, or from
 * a peer that is not a trusted proxy, the header must change nothing.
 */
import { request } from 'node:http';
import { connect as tcp } from 'node:net';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { Ack } from '../../shared/protocol/errors.ts';
import type { ServerInfo } from '../../shared/protocol/views.ts';
import { openClass, token, useServers, type TestServer } from '../support/server.ts';

const servers = useServers();

interface From {
  /** The X-Forwarded-For header the "proxy" sends (none: a direct client). */
  forwardedFor?: string;
  /** The TCP peer's address (Linux routes all of 127/8 to lo); 127.0.0.1 by default. */
  localAddress?: string;
}

/** An API call from a chosen peer address with a chosen X-Forwarded-For. */
function apiFrom<T>(server: TestServer, method: string, path: string, body: unknown, from: From): Promise<{ status: number; ack: Ack<T> }> {
  return new Promise((done, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      `${server.url}${path}`,
      {
        method,
        localAddress: from.localAddress,
        agent: false,
        headers: {
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(from.forwardedFor !== undefined ? { 'x-forwarded-for': from.forwardedFor } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          try {
            done({ status: res.statusCode ?? 0, ack: JSON.parse(text) as Ack<T> });
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const opened: Socket[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.disconnect();
});

/** A Socket.IO client (WebSocket, like a tablet once upgraded) from a chosen peer with a chosen X-Forwarded-For. */
function socketFrom(server: TestServer, ns: '/learner' | '/staff' | '/display', from: From, auth?: Record<string, string>): Socket {
  const socket = connect(server.url + ns, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    localAddress: from.localAddress,
    extraHeaders: from.forwardedFor !== undefined ? { 'x-forwarded-for': from.forwardedFor } : undefined,
    auth,
  } as Parameters<typeof connect>[1]);
  opened.push(socket);
  return socket;
}

const ask = <T>(socket: Socket, event: string, payload: unknown) => socket.timeout(10_000).emitWithAck(event, payload) as Promise<Ack<T>>;
const outcome = (ack: Ack<unknown>) => (ack.ok ? 'ok' : ack.error.code);
/** A six-digit class code no class has (the class's own code is never it). */
const wrongCode = (right: string, i: number) => {
  const code = String((Number(right) + 1 + i) % 1_000_000).padStart(6, '0');
  return code === right ? '999999' : code;
};

const setupBody = { username: 'giangvien', displayName: 'Cô Hạnh', password: 'mat-khau-du-dai' };
const trusted = ['127.0.0.1', '::1'];

describe('behind a trusted proxy (TRUST_PROXY=127.0.0.1,::1), limits count the forwarded address', () => {
  it('learners per address: two forwarded tablets have a budget each, one of them hits its cap, a forwarded server machine is exempt', async () => {
    const server = await servers.start({ trustProxy: trusted, limits: { learnersPerAddress: 2 } });
    const { session } = await openClass(server);
    const joins = async (forwardedFor: string, first: number, n: number) => {
      const socket = socketFrom(server, '/learner', { forwardedFor });
      const out: string[] = [];
      for (let i = first; i < first + n; i++)
        out.push(outcome(await ask(socket, 'learner:join', { code: session.code, name: `HV ${i}`, token: token(i) })));
      return out;
    };
    expect(await joins('10.0.0.1', 0, 3)).toEqual(['ok', 'ok', 'class_full']);
    expect(await joins('10.0.0.2', 10, 3)).toEqual(['ok', 'ok', 'class_full']);
    // nginx's own address behind it (the proxy's peer) is loopback, but what counts is the tablet's.
    expect(await joins('10.0.0.1', 20, 1)).toEqual(['class_full']);
    // The server machine itself, through the proxy: not counted.
    expect(await joins('127.0.0.1', 30, 3)).toEqual(['ok', 'ok', 'ok']);
  });

  it('class-code guesses: the same forwarded address is limited, another one keeps its budget; HTTP and sockets share it', async () => {
    const server = await servers.start({ trustProxy: trusted, limits: { codesPerAddress: 3, codesPerConnection: 100 } });
    const { session } = await openClass(server);
    const guesser = socketFrom(server, '/learner', { forwardedFor: '10.0.0.1' });
    const guesses: string[] = [];
    for (let i = 0; i < 4; i++)
      guesses.push(outcome(await ask(guesser, 'learner:join', { code: wrongCode(session.code, i), name: 'Đoán', token: token(100 + i) })));
    expect(guesses).toEqual(['unknown_code', 'unknown_code', 'unknown_code', 'rate_limited']);
    // The same tablet on a new connection, and over HTTP (the join QR): still limited.
    const again = socketFrom(server, '/display', { forwardedFor: '10.0.0.1' });
    expect(outcome(await ask(again, 'display:watch', { code: session.code }))).toBe('rate_limited');
    expect((await apiFrom(server, 'GET', `/api/join-qr/${session.code}.svg`, undefined, { forwardedFor: '10.0.0.1' })).status).toBe(429);

    // Another tablet behind the same proxy: its own budget, and the right code works.
    const other = socketFrom(server, '/learner', { forwardedFor: '10.0.0.2' });
    expect(outcome(await ask(other, 'learner:join', { code: wrongCode(session.code, 0), name: 'Lan', token: token(200) }))).toBe(
      'unknown_code',
    );
    expect(outcome(await ask(other, 'learner:join', { code: session.code, name: 'Lan', token: token(200) }))).toBe('ok');
    expect(
      (await apiFrom(server, 'GET', `/api/join-qr/${wrongCode(session.code, 0)}.svg`, undefined, { forwardedFor: '10.0.0.3' })).status,
    ).toBe(404);
  });

  it('helper-code guesses count per forwarded address', async () => {
    const server = await servers.start({ trustProxy: trusted, limits: { codesPerAddress: 2 } });
    const { helperCode } = await openClass(server);
    const helperFrom = async (forwardedFor: string, code: string) => {
      const socket = socketFrom(server, '/staff', { forwardedFor }, { helperCode: code, name: 'Tổ CNS', token: token(300) });
      return new Promise<string>((done) => {
        socket.once('connect', () => done('ok'));
        socket.once('connect_error', (err) => done(err.message));
      });
    };
    const wrong = helperCode === 'ZZZZZZ' ? 'YYYYYY' : 'ZZZZZZ';
    expect([await helperFrom('10.0.0.1', wrong), await helperFrom('10.0.0.1', wrong), await helperFrom('10.0.0.1', helperCode)]).toEqual([
      'unknown_code',
      'unknown_code',
      'rate_limited',
    ]);
    expect(await helperFrom('10.0.0.2', helperCode)).toBe('ok');
  });

  it('a forwarded remote tablet is not the server machine: it is told so, and its failed sign-ins are limited', async () => {
    const server = await servers.start({ trustProxy: trusted, limits: { signInsPerAddress: 3, signInsPerUser: 100 } });
    await openClass(server); // the first account, from this machine (no proxy in between)
    const info = async (from: From) => (await apiFrom<ServerInfo>(server, 'GET', '/api/info', undefined, from)).ack;
    expect(await info({ forwardedFor: '10.0.0.1' })).toMatchObject({ ok: true, data: { local: false } });
    expect(await info({ forwardedFor: '127.0.0.1' })).toMatchObject({ ok: true, data: { local: true } });
    expect(await info({})).toMatchObject({ ok: true, data: { local: true } });

    const login = async (password: string, from: From) =>
      (await apiFrom(server, 'POST', '/api/auth/login', { username: 'giangvien', password }, from)).status;
    const tries: number[] = [];
    for (let i = 0; i < 4; i++) tries.push(await login(`sai-mat-khau-${i}`, { forwardedFor: '10.0.0.1' }));
    expect(tries).toEqual([401, 401, 401, 429]);
    expect(await login('mat-khau-du-dai', { forwardedFor: '10.0.0.1' })).toBe(429);
    // Another tablet behind the proxy, and the server machine through it, are not locked out.
    expect(await login('mat-khau-du-dai', { forwardedFor: '10.0.0.2' })).toBe(200);
    expect(await login('mat-khau-du-dai', { forwardedFor: '127.0.0.1' })).toBe(200);
  });

  it('the first account "from this machine" is refused for a forwarded remote address, and allowed when the proxy forwards loopback', async () => {
    const server = await servers.start({ trustProxy: trusted });
    const setup = (from: From) => apiFrom(server, 'POST', '/api/setup', setupBody, from);
    expect((await setup({ forwardedFor: '10.0.0.1' })).ack).toMatchObject({ ok: false, error: { code: 'setup_code_required' } });
    // A chain a tablet wrote before the proxy appended its own address: only the right-most hop counts.
    expect((await setup({ forwardedFor: '127.0.0.1, 10.0.0.1' })).ack).toMatchObject({ ok: false, error: { code: 'setup_code_required' } });
    expect((await setup({ forwardedFor: 'not-an-address' })).ack).toMatchObject({ ok: false, error: { code: 'setup_code_required' } });
    expect(server.app.setupCode).not.toBeNull();
    const own = await setup({ forwardedFor: '127.0.0.1' });
    expect(own.status).toBe(201);
    expect(own.ack.ok).toBe(true);
  });

  it('connections from the proxy are not capped per address (nginx limit_conn does that); other peers are', async () => {
    const server = await servers.start({ trustProxy: ['127.0.0.1'], isLocal: () => false, limits: { maxConnectionsPerAddress: 3 } });
    /** A TCP connection from `localAddress`; `get()` sends a keep-alive GET and resolves with the status line, or "closed". */
    const connection = (localAddress: string) => {
      const socket = tcp({ port: server.port, host: '127.0.0.1', localAddress });
      socket.on('error', () => undefined);
      socket.setEncoding('utf8');
      let text = '';
      let isClosed = false;
      const closed = new Promise<void>((r) => socket.once('close', () => ((isClosed = true), r())));
      const answered = new Promise<string>((r) => {
        socket.on('data', (c: string) => {
          text += c;
          if (text.includes('\r\n')) r(text.slice(0, text.indexOf('\r\n')));
        });
        void closed.then(() => r('closed'));
      });
      const get = () => {
        socket.write('GET /api/info HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        return answered;
      };
      return { socket, get, isClosed: () => isClosed };
    };
    // Six at once from the proxy, all kept open: each answers.
    const fromProxy = Array.from({ length: 6 }, () => connection('127.0.0.1'));
    expect(await Promise.all(fromProxy.map((c) => c.get()))).toEqual(Array<string>(6).fill('HTTP/1.1 200 OK'));
    // Six at once from a peer that is not a proxy: three are closed at once, the other three answer.
    const fromHall = Array.from({ length: 6 }, () => connection('127.0.0.2'));
    await expect.poll(() => fromHall.filter((c) => c.isClosed()).length, { timeout: 5000 }).toBe(3);
    const open = fromHall.filter((c) => !c.isClosed());
    expect(await Promise.all(open.map((c) => c.get()))).toEqual(Array<string>(3).fill('HTTP/1.1 200 OK'));
    for (const c of [...fromProxy, ...fromHall]) c.socket.destroy();
  });
});

describe('the header cannot be forged', () => {
  it('without TRUST_PROXY, X-Forwarded-For is ignored: every forwarded address shares the peer’s budget and the peer’s standing', async () => {
    const server = await servers.start({ limits: { codesPerAddress: 3, codesPerConnection: 100 } });
    const { session } = await openClass(server);
    const guesses: string[] = [];
    for (let i = 0; i < 4; i++) {
      const socket = socketFrom(server, '/learner', { forwardedFor: `10.0.0.${i + 1}` });
      guesses.push(outcome(await ask(socket, 'learner:join', { code: wrongCode(session.code, i), name: 'Đoán', token: token(100 + i) })));
    }
    expect(guesses).toEqual(['unknown_code', 'unknown_code', 'unknown_code', 'rate_limited']);
    // A loopback peer stays the server machine whatever it writes; a peer of the hall cannot claim to be it.
    expect((await apiFrom<ServerInfo>(server, 'GET', '/api/info', undefined, { forwardedFor: '10.0.0.1' })).ack).toMatchObject({
      data: { local: true },
    });
    expect(
      (await apiFrom<ServerInfo>(server, 'GET', '/api/info', undefined, { forwardedFor: '127.0.0.1', localAddress: '127.0.0.2' })).ack,
    ).toMatchObject({ data: { local: false } });
  });

  it('with TRUST_PROXY, a peer that is not a trusted proxy cannot claim loopback: no first account without the code', async () => {
    const server = await servers.start({ trustProxy: ['127.0.0.1'] });
    const from = { forwardedFor: '127.0.0.1', localAddress: '127.0.0.2' };
    expect((await apiFrom<ServerInfo>(server, 'GET', '/api/info', undefined, from)).ack).toMatchObject({ data: { local: false } });
    expect((await apiFrom(server, 'POST', '/api/setup', setupBody, from)).ack).toMatchObject({
      ok: false,
      error: { code: 'setup_code_required' },
    });
    const withCode = await apiFrom(server, 'POST', '/api/setup', { ...setupBody, setupCode: server.app.setupCode }, from);
    expect(withCode.status).toBe(201);
  });
});
