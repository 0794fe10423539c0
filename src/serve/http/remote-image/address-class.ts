import { isIPv4, isIPv6 } from 'node:net';

/**
 * What kind of address an IP is, for deciding whether the server may connect to it on a client's behalf.
 * Only `public` addresses may be fetched from; every other class is a network the server sits in (its own
 * loopback, the LAN, the cloud's metadata service at 169.254.169.254, a carrier's NAT) or no unicast host.
 */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'shared (CGNAT)'
  | 'link-local'
  | 'unique-local'
  | 'multicast'
  | 'unspecified'
  | 'reserved'
  | 'not an IP address';

type Range = readonly [prefix: bigint, bits: number, kind: Exclude<AddressClass, 'public'>];

const v4 = (a: number, b: number, c: number, d: number) =>
  (BigInt(a) << 24n) | (BigInt(b) << 16n) | (BigInt(c) << 8n) | BigInt(d);

/** IPv4 ranges that are not the public internet (RFC 6890 and friends), as 32-bit prefixes. */
const V4_RANGES: readonly Range[] = [
  [v4(0, 0, 0, 0), 8, 'unspecified'], // "this network"; 0.0.0.0 itself reaches the local host on Linux
  [v4(10, 0, 0, 0), 8, 'private'],
  [v4(100, 64, 0, 0), 10, 'shared (CGNAT)'],
  [v4(127, 0, 0, 0), 8, 'loopback'],
  [v4(169, 254, 0, 0), 16, 'link-local'],
  [v4(172, 16, 0, 0), 12, 'private'],
  [v4(192, 0, 0, 0), 24, 'reserved'], // IETF protocol assignments
  [v4(192, 0, 2, 0), 24, 'reserved'], // documentation
  [v4(192, 168, 0, 0), 16, 'private'],
  [v4(198, 18, 0, 0), 15, 'reserved'], // benchmarking
  [v4(198, 51, 100, 0), 24, 'reserved'],
  [v4(203, 0, 113, 0), 24, 'reserved'],
  [v4(224, 0, 0, 0), 4, 'multicast'],
  [v4(240, 0, 0, 0), 4, 'reserved'], // includes 255.255.255.255
];

const V6_RANGES: readonly Range[] = [
  [0n, 128, 'unspecified'], // ::
  [1n, 128, 'loopback'], // ::1
  [0x0100n << 112n, 64, 'reserved'], // discard-only
  [0x2001_0db8n << 96n, 32, 'reserved'], // documentation
  [0xfc00n << 112n, 7, 'unique-local'],
  [0xfe80n << 112n, 10, 'link-local'],
  [0xfec0n << 112n, 10, 'private'], // site-local (deprecated, still routed inside sites)
  [0xff00n << 112n, 8, 'multicast'],
];

/** IPv6 prefixes whose last (or, for 6to4, bits 16-48) 32 bits are an IPv4 address the packets go to. */
const EMBEDS_V4: readonly { prefix: bigint; bits: number; shift: bigint }[] = [
  { prefix: 0xffffn << 32n, bits: 96, shift: 0n }, // IPv4-mapped ::ffff:a.b.c.d
  { prefix: 0n, bits: 96, shift: 0n }, // IPv4-compatible ::a.b.c.d (deprecated)
  { prefix: 0x0064_ff9bn << 96n, bits: 96, shift: 0n }, // NAT64 64:ff9b::a.b.c.d
  { prefix: 0x2002n << 112n, bits: 16, shift: 80n }, // 6to4 2002:aabb:ccdd::
];

const inRange = (value: bigint, width: number, prefix: bigint, bits: number) =>
  value >> BigInt(width - bits) === prefix >> BigInt(width - bits);

function parseIPv4(text: string): bigint {
  const [a, b, c, d] = text.split('.').map(Number) as [number, number, number, number];
  return v4(a, b, c, d);
}

/** An IPv6 address (any textual form Node accepts, zone id dropped) as a 128-bit number. */
function parseIPv6(text: string): bigint {
  let rest = text.replace(/%.*$/, '');
  // A dotted-quad tail (::ffff:127.0.0.1) is two hextets.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(rest);
  if (dotted) {
    const n = parseIPv4(dotted[1]!);
    rest = `${rest.slice(0, dotted.index)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = rest.includes('::') ? rest.split('::') : [rest, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function classifyV4(n: bigint): AddressClass {
  return V4_RANGES.find(([prefix, bits]) => inRange(n, 32, prefix, bits))?.[2] ?? 'public';
}

/**
 * The class of an IP address; addresses that carry an IPv4 address inside IPv6 (mapped, compatible, NAT64,
 * 6to4) are classed by that IPv4 address, since that is where the connection ends up.
 *
 * @example
 *   classifyAddress('::ffff:7f00:1'); // 'loopback'
 *   classifyAddress('169.254.169.254'); // 'link-local' (the cloud metadata service)
 *   classifyAddress('93.184.215.14'); // 'public'
 */
export function classifyAddress(address: string): AddressClass {
  if (isIPv4(address)) return classifyV4(parseIPv4(address));
  if (!isIPv6(address)) return 'not an IP address';
  const n = parseIPv6(address);
  const own = V6_RANGES.find(([prefix, bits]) => inRange(n, 128, prefix, bits));
  // :: and ::1 are themselves, not IPv4-compatible 0.0.0.0 and 0.0.0.1.
  if (own && own[1] === 128) return own[2];
  for (const { prefix, bits, shift } of EMBEDS_V4) {
    if (inRange(n, 128, prefix, bits)) return classifyV4((n >> shift) & 0xffff_ffffn);
  }
  return own?.[2] ?? 'public';
}

/** True for an address the server may fetch from on a client's behalf (`public` only). */
export const isPublicAddress = (address: string): boolean => classifyAddress(address) === 'public';
