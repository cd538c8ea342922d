import { describe, expect, it } from 'vitest';
import { clientAddress, TrustedProxies } from '../../server/transport/client-address.ts';
import { isLoopback } from '../../server/transport/auth.ts';

const nginx = new TrustedProxies(['127.0.0.1', '::1', '10.1.0.0/16']);
const none = new TrustedProxies([]);
const of = (peer: string | undefined, forwardedFor: string | string[] | undefined, proxies = nginx) =>
  clientAddress(peer, forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }, proxies);

describe('clientAddress', () => {
  it.each([
    // [peer, X-Forwarded-For, client]
    ['127.0.0.1', '192.168.1.23', '192.168.1.23'],
    ['::ffff:127.0.0.1', '192.168.1.23', '192.168.1.23'],
    ['::1', '::ffff:192.168.1.23', '192.168.1.23'],
    // A chain: the right-most hop that is not a proxy; what the tablet wrote to its left is not believed.
    ['127.0.0.1', '127.0.0.1, 192.168.1.23', '192.168.1.23'],
    ['127.0.0.1', '8.8.8.8, 192.168.1.23, 10.1.4.5', '192.168.1.23'],
    // Two headers arrive as an array from some callers.
    ['127.0.0.1', ['8.8.8.8', '192.168.1.23'], '192.168.1.23'],
    // Only proxies all the way: the left-most of them (a request from the server machine through nginx).
    ['127.0.0.1', '127.0.0.1', '127.0.0.1'],
    // No header from the proxy: the peer (the server machine asking directly).
    ['127.0.0.1', undefined, '127.0.0.1'],
    ['127.0.0.1', ' , ', '127.0.0.1'],
    // Not an address: kept as it is, never loopback, at most 64 characters.
    ['127.0.0.1', 'localhost', 'localhost'],
    ['127.0.0.1', 'x'.repeat(100), 'x'.repeat(64)],
    ['127.0.0.1', 'unknown, 127.0.0.1', 'unknown'],
    // A peer that is not a trusted proxy: the header is ignored.
    ['192.168.1.50', '127.0.0.1', '192.168.1.50'],
    ['127.0.0.2', '127.0.0.1', '127.0.0.2'],
  ])('from %s with X-Forwarded-For %j: %s', (peer, forwardedFor, client) => {
    expect(of(peer, forwardedFor)).toBe(client);
  });

  it('without trusted proxies the header is never read', () => {
    expect(of('127.0.0.1', '192.168.1.23', none)).toBe('127.0.0.1');
    expect(of('::ffff:192.168.1.50', '127.0.0.1', none)).toBe('192.168.1.50');
    expect(of(undefined, '127.0.0.1', none)).toBe('');
  });

  it('a tablet behind the proxy is not the server machine, whatever it writes', () => {
    expect(isLoopback(of('127.0.0.1', '192.168.1.23'))).toBe(false);
    expect(isLoopback(of('127.0.0.1', '127.0.0.1, 192.168.1.23'))).toBe(false);
    expect(isLoopback(of('127.0.0.1', 'not-an-ip'))).toBe(false);
    expect(isLoopback(of('127.0.0.1', '127.0.0.1'))).toBe(true);
  });

  it('subnets and IPv6 proxies are matched; a bad entry is a bug of the caller', () => {
    expect(nginx.has('10.1.200.3')).toBe(true);
    expect(nginx.has('10.2.0.1')).toBe(false);
    expect(nginx.has('::1')).toBe(true);
    expect(nginx.has('not-an-ip')).toBe(false);
    expect(() => new TrustedProxies(['nginx'])).toThrow(/not a proxy address/);
  });
});
