import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isTrustworthyHost } from '../../server/app.ts';
import { useServers } from '../support/server.ts';

// Only the headers that apply (issue 20): over the LAN's plain http, no Cross-Origin-Opener-Policy
// (Chrome ignores it there and warns on every page); on localhost it applies, so it is sent.
const servers = useServers();

function headersFor(port: number, host: string): Promise<Record<string, string | string[] | undefined>> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host } }, (res) => {
      res.resume();
      resolve(res.headers);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('security headers over plain http', () => {
  it('a tablet on the Wi-Fi gets CSP and the rest, but no COOP or Origin-Agent-Cluster; localhost gets them', async () => {
    const server = await servers.start();
    const lan = await headersFor(server.port, `192.168.1.10:${server.port}`);
    expect(lan['cross-origin-opener-policy']).toBeUndefined();
    expect(lan['origin-agent-cluster']).toBeUndefined();
    expect(lan['strict-transport-security']).toBeUndefined();
    expect(lan['content-security-policy']).toMatch(/default-src 'self'/);
    expect(lan['content-security-policy']).not.toMatch(/upgrade-insecure-requests/);
    expect(lan['x-content-type-options']).toBe('nosniff');
    expect(lan['cross-origin-resource-policy']).toBe('same-origin');

    const local = await headersFor(server.port, `localhost:${server.port}`);
    expect(local['cross-origin-opener-policy']).toBe('same-origin');
    expect(local['origin-agent-cluster']).toBe('?1');
  });

  it.each([
    ['localhost:3000', true],
    ['127.0.0.1:3000', true],
    ['[::1]:3000', true],
    ['lop.localhost', true],
    ['192.168.1.10:3000', false],
    ['lop-hoc.local:3000', false],
    ['127.example.com', false],
    [undefined, false],
  ])('%s is trustworthy: %s', (host, expected) => {
    expect(isTrustworthyHost(host)).toBe(expected);
  });
});
