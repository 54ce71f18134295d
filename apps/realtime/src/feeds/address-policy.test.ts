import { describe, expect, it } from 'vitest';
import { createAddressPolicy, isPublicAddress } from './address-policy.ts';

describe('address policy for user-supplied URLs', () => {
  it('refuses loopback, private, link-local, CGNAT, unspecified and multicast addresses', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
  });

  it('allows public unicast addresses', () => {
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(isPublicAddress(address), address).toBe(true);
    }
  });

  it('opens exact hostnames and CIDR ranges from the allow-list, nothing more', () => {
    const policy = createAddressPolicy(['127.0.0.0/8', 'feeds.intranet']);
    expect(policy.allows('localhost', '127.0.0.1')).toBe(true);
    expect(policy.allows('feeds.intranet', '10.0.0.7')).toBe(true);
    expect(policy.allows('other.intranet', '10.0.0.7')).toBe(false);
    expect(policy.allows('x', '::1')).toBe(false);
    expect(createAddressPolicy().allows('localhost', '127.0.0.1')).toBe(false);
  });
});
