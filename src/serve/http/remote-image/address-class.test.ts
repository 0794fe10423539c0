import { describe, expect, it } from 'vitest';
import { classifyAddress, isPublicAddress, type AddressClass } from './address-class.js';

// The addresses a server-side fetch must never reach, and a few it may, in every textual form the resolver
// or a URL can hand over.
const TABLE: [address: string, expected: AddressClass][] = [
  // IPv4
  ['93.184.215.14', 'public'],
  ['8.8.8.8', 'public'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['172.15.255.255', 'public'], // just below 172.16/12
  ['172.32.0.0', 'public'], // just above it
  ['192.168.1.1', 'private'],
  ['100.64.0.1', 'shared (CGNAT)'],
  ['100.127.255.255', 'shared (CGNAT)'],
  ['100.63.255.255', 'public'],
  ['100.128.0.0', 'public'],
  ['169.254.169.254', 'link-local'], // cloud metadata
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['255.255.255.255', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['198.18.0.1', 'reserved'],
  ['192.0.2.10', 'reserved'],
  // IPv6
  ['2606:4700:4700::1111', 'public'],
  ['::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['::', 'unspecified'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['febf:ffff::1', 'link-local'],
  ['fc00::1', 'unique-local'],
  ['fd12:3456:789a::1', 'unique-local'],
  ['ff02::1', 'multicast'],
  ['2001:db8::1', 'reserved'],
  ['FE80::ABCD', 'link-local'],
  // IPv4 inside IPv6: classed by where the packets go.
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['0:0:0:0:0:ffff:7f00:0001', 'loopback'],
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:169.254.169.254', 'link-local'],
  ['::ffff:a9fe:a9fe', 'link-local'],
  ['::ffff:93.184.215.14', 'public'],
  ['::127.0.0.1', 'loopback'], // IPv4-compatible (deprecated)
  ['64:ff9b::a00:1', 'private'], // NAT64 of 10.0.0.1
  ['64:ff9b::808:808', 'public'], // NAT64 of 8.8.8.8
  ['2002:7f00:1::', 'loopback'], // 6to4 of 127.0.0.1
  ['2002:c0a8:101::1', 'private'], // 6to4 of 192.168.1.1
  // Not addresses at all.
  ['localhost', 'not an IP address'],
  ['127.1', 'not an IP address'],
  ['0x7f000001', 'not an IP address'],
  ['', 'not an IP address'],
];

describe('classifyAddress', () => {
  it.each(TABLE)('%s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it('calls only public addresses fetchable', () => {
    const fetchable = TABLE.filter(([address]) => isPublicAddress(address)).map(([a]) => a);
    expect(fetchable).toEqual(TABLE.filter(([, kind]) => kind === 'public').map(([a]) => a));
  });
});
