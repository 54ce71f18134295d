import { BlockList, isIP } from 'node:net';

/**
 * Which IP addresses a server-side fetch of a user-supplied URL may reach. By default only public
 * unicast addresses: loopback, private (RFC 1918, ULA), link-local (cloud metadata lives at
 * 169.254.169.254), CGNAT, unspecified, multicast and reserved ranges are refused, whatever name
 * led there. `allow` opens exact hostnames or CIDR ranges (tests on loopback, intranet feeds).
 */
export interface AddressPolicy {
  /** Whether `host` (as written in the URL) may be contacted at `address` (as resolved). */
  allows(host: string, address: string): boolean;
}

const BLOCKED_V4: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];

const BLOCKED_V6: [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
];

const blocked = new BlockList();
for (const [address, prefix] of BLOCKED_V4) blocked.addSubnet(address, prefix, 'ipv4');
for (const [address, prefix] of BLOCKED_V6) blocked.addSubnet(address, prefix, 'ipv6');

/** An IPv4 address written as IPv6 (`::ffff:127.0.0.1`) is judged as the IPv4 address it is. */
function unmapped(address: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return match?.[1] ?? address;
}

export function isPublicAddress(address: string): boolean {
  const plain = unmapped(address);
  const family = isIP(plain);
  if (family === 0) return false;
  return !blocked.check(plain, family === 4 ? 'ipv4' : 'ipv6');
}

/** `allow` items are hostnames (`feeds.intranet`) or CIDR ranges (`127.0.0.0/8`, `::1/128`). */
export function createAddressPolicy(allow: readonly string[] = []): AddressPolicy {
  const hosts = new Set<string>();
  const ranges = new BlockList();
  for (const item of allow) {
    const [address = '', prefix] = item.split('/');
    const family = isIP(address);
    if (family === 0) {
      hosts.add(item.toLowerCase());
    } else {
      const type = family === 4 ? 'ipv4' : 'ipv6';
      ranges.addSubnet(address, prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix), type);
    }
  }
  return {
    allows(host, address) {
      if (hosts.has(host.toLowerCase().replace(/^\[|\]$/g, ''))) return true;
      const plain = unmapped(address);
      const family = isIP(plain);
      if (family !== 0 && ranges.check(plain, family === 4 ? 'ipv4' : 'ipv6')) return true;
      return isPublicAddress(plain);
    },
  };
}
