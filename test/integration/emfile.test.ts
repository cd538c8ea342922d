/**
 * Issue 16, item 1: when the process runs out of file descriptors, `os.networkInterfaces()` throws
 * EMFILE. The staff view's join link used to ask it on every refresh, and the throw ended the process.
 */
import { describe, expect, it, vi } from 'vitest';
import type { StaffView } from '../../shared/protocol/views.ts';

const os = vi.hoisted(() => ({ failing: false }));
vi.mock('node:os', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:os')>();
  return {
    ...real,
    networkInterfaces: () => {
      if (os.failing) throw Object.assign(new Error('EMFILE: too many open files, uv_interface_addresses'), { code: 'EMFILE' });
      return real.networkInterfaces();
    },
  };
});

const { call, learnerSocket, token, unwrap, useServers, waitFor } = await import('../support/server.ts');
const servers = useServers();

describe('EMFILE from the OS', () => {
  it('staff views, joins and the API go on while networkInterfaces() throws', async () => {
    const { server, session, staff, first: before } = await servers.startClass();
    os.failing = true;
    try {
      unwrap(await call(learnerSocket(server.url), 'learner:join', { code: session.code, name: 'Lan', token: token(1) }));
      const view = await waitFor<StaffView>(staff, 'staff:view', (v) => v.roster.length === 1);
      expect(view.joinUrl).toBe(before.joinUrl);
      const info = await fetch(`${server.url}/api/info`);
      expect(info.status).toBe(200);
      expect(((await info.json()) as { ok: boolean }).ok).toBe(true);
    } finally {
      os.failing = false;
    }
  });
});
