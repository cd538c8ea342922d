import type { IncomingHttpHeaders } from 'node:http';
import { BlockList, isIP } from 'node:net';

/**
 * The reverse proxies (TRUST_PROXY) whose X-Forwarded-For is believed: addresses and subnets. Without
 * any, the header is never read, so a tablet cannot choose its own address.
 */
export class TrustedProxies {
  readonly #list = new BlockList();
  readonly entries: readonly string[];

  /** `entries` as configFromEnv checked them (see `parseProxyEntry`). */
  constructor(entries: readonly string[] = []) {
    this.entries = entries;
    for (const entry of entries) {
      const parsed = parseProxyEntry(entry);
      if (!parsed) throw new Error(`not a proxy address or subnet: ${entry}`);
      if (parsed.prefix === undefined) this.#list.addAddress(parsed.address, parsed.family);
      else this.#list.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
  }

  get size(): number {
    return this.entries.length;
  }

  /** Is this TCP peer (or forwarded hop) one of the trusted proxies? */
  has(address: string): boolean {
    const family = isIP(address);
    return this.entries.length > 0 && family !== 0 && this.#list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/** An address (`10.0.0.5`, `::1`) or a subnet (`10.0.0.0/24`) of TRUST_PROXY, or undefined when it is neither. */
export function parseProxyEntry(entry: string): { address: string; family: 'ipv4' | 'ipv6'; prefix?: number } | undefined {
  const [raw, prefixText, ...rest] = entry.trim().split('/');
  if (rest.length > 0) return undefined;
  const address = normalizeAddress(raw);
  const family = isIP(address);
  if (family === 0) return undefined;
  if (prefixText === undefined) return { address, family: family === 4 ? 'ipv4' : 'ipv6' };
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > (family === 4 ? 32 : 128)) return undefined;
  return { address, family: family === 4 ? 'ipv4' : 'ipv6', prefix };
}

/** One spelling per address: an IPv4-mapped IPv6 address (`::ffff:10.0.0.5`) is its IPv4 address, IPv6 in lower case. */
export function normalizeAddress(address: string): string {
  const a = address.trim().toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  return mapped ? mapped[1] : a;
}

/**
 * The address of the tablet or browser behind a request or a Socket.IO handshake — the one every
 * per-address limit, cap, log line and "is this the server machine" check uses. From a trusted proxy,
 * it is the right-most address of X-Forwarded-For that is not itself a trusted proxy (the hops a
 * client wrote to the left of it are not believed); from anyone else, or without the header, the TCP
 * peer. A forwarded value that is not an address is returned as it is (at most 64 characters): never
 * loopback, never a proxy.
 */
export function clientAddress(peer: string | undefined, headers: IncomingHttpHeaders, proxies: TrustedProxies): string {
  let address = normalizeAddress(peer ?? '');
  const forwarded = headers['x-forwarded-for'];
  if (forwarded === undefined || !proxies.has(address)) return address;
  // Several X-Forwarded-For headers arrive joined by ", " already (node:http).
  const hops = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded).split(',');
  for (let i = hops.length - 1; i >= 0 && proxies.has(address); i--) {
    const hop = hops[i].trim();
    if (hop === '') continue;
    address = isIP(normalizeAddress(hop)) ? normalizeAddress(hop) : hop.slice(0, 64);
  }
  return address;
}

/** The client address of a request or handshake with this server's trusted proxies bound in. */
export type AddressOf = (peer: string | undefined, headers: IncomingHttpHeaders) => string;
