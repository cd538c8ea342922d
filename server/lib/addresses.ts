import type { NetworkInterfaceInfo } from 'node:os';

/**
 * Addresses a tablet on the Wi-Fi can open: PUBLIC_URL first, then every external IPv4 address.
 * Never localhost: on a tablet that is the tablet itself.
 */
export function tabletUrls(
  interfaces: Record<string, NetworkInterfaceInfo[] | undefined>,
  port: number,
  publicUrl?: string,
  scheme: 'http' | 'https' = 'http',
): string[] {
  const urls = publicUrl ? [publicUrl.replace(/\/$/, '')] : [];
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) urls.push(`${scheme}://${a.address}:${port}`);
  }
  return [...new Set(urls)];
}
