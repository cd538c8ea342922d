/**
 * The instructor's console state (client/teach/console.svelte.ts) against a fake connection: it watches
 * its session on every connect, keeps the newest view of that session only, and reports each command.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { settle, wires } from '../../support/fake-wire.ts';
import { staffView, stubBrowser } from '../../support/client-fixtures.ts';

vi.mock('../../../client/lib/wire-sio.ts', () => import('../../support/fake-wire.ts').then((m) => m.fakeSioWire));

const { Console } = await import('../../../client/teach/console.svelte.ts');

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  stubBrowser();
  wires.length = 0;
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

function opened() {
  const teach = new Console('ses-1');
  const wire = wires[0];
  wire.connect();
  return { teach, wire };
}

describe('the console state', () => {
  it('watches its session on connect and again on every reconnect', async () => {
    const { teach, wire } = opened();
    expect(wire.last('staff:watch').payload).toEqual({ sessionId: 'ses-1' });
    wire.last('staff:watch').reply({ ok: true, data: staffView({ seq: 3 }) });
    await settle();
    expect(teach.view?.seq).toBe(3);
    wire.drop();
    wire.connect();
    expect(wire.commands('staff:watch')).toHaveLength(2);
  });

  it('keeps the newest view of its own session: an older one or another session is dropped', async () => {
    const { teach, wire } = opened();
    wire.emit('staff:view', staffView({ seq: 5 }));
    wire.emit('staff:view', staffView({ seq: 4 }));
    expect(teach.view?.seq).toBe(5);
    wire.emit('staff:view', staffView({ seq: 9, sessionId: 'ses-other' }));
    expect(teach.view?.seq).toBe(5);
    // The watch's answer, older than what was pushed meanwhile, does not replace it either.
    wire.last('staff:watch').reply({ ok: true, data: staffView({ seq: 2 }) });
    await settle();
    expect(teach.view?.seq).toBe(5);
  });

  it('a watch that timed out while connected is asked again; one refused as unauthorized asks to sign in', async () => {
    const { teach, wire } = opened();
    wire.last('staff:watch').fail();
    await settle();
    expect(wire.commands('staff:watch')).toHaveLength(2);
    expect(teach.error?.code).toBe('timeout');
    wire.last('staff:watch').reply({ ok: false, error: { code: 'unauthorized', message: '' } });
    await settle();
    expect(teach.unauthorized).toBe(true);
  });

  it('a command is busy until acknowledged and reports the outcome', async () => {
    const { teach, wire } = opened();
    const pushed = teach.push(2);
    expect(teach.busy).toBe(true);
    expect(wire.last('step:push').payload).toEqual({ sessionId: 'ses-1', step: 2 });
    wire.last('step:push').reply({ ok: true, data: null });
    expect(await pushed).toBe(true);
    expect(teach.busy).toBe(false);

    const ended = teach.end();
    wire.last('session:end').reply({ ok: false, error: { code: 'session_ended', message: '' } });
    expect(await ended).toBe(false);
    expect(teach.error?.code).toBe('session_ended');
    teach.clearError();
    expect(teach.error).toBeNull();
  });

  it('new help requests raise the alert, those already waiting at the first view do not', async () => {
    const { teach, wire } = opened();
    const entry = (id: string) => ({
      id,
      learnerId: `l-${id}`,
      name: id,
      seat: '',
      step: 0,
      since: 0,
      status: 'waiting',
      claimedBy: null,
      reason: null,
    });
    wire.emit('staff:view', staffView({ seq: 1, helpQueue: [entry('a')] as never }));
    expect(teach.alert.fresh).toHaveLength(0);
    wire.emit('staff:view', staffView({ seq: 2, helpQueue: [entry('a'), entry('b')] as never }));
    expect(teach.alert.fresh.map((e) => e.id)).toEqual(['b']);
    await settle();
  });
});
