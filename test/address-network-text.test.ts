import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ipv4NetworkText, ipv6NetworkTextFromWords, parseIPv4, parseIpv6Words } from '../src/address/ip.js';

function ipv6NetworkText(address: string, prefix: number): string {
  const words = new Uint32Array(4);
  expect(parseIpv6Words(address, words)).toBe(true);
  return ipv6NetworkTextFromWords(words, prefix);
}

describe('network text (what a lookup reports as the network that answered)', () => {
  test('IPv4 masks to the prefix', () => {
    expect(ipv4NetworkText(parseIPv4('1.2.4.8'), 22)).toBe('1.2.4.0/22');
    expect(ipv4NetworkText(parseIPv4('255.255.255.255'), 0)).toBe('0.0.0.0/0');
    expect(ipv4NetworkText(parseIPv4('255.255.255.255'), 1)).toBe('128.0.0.0/1');
  });
  test('IPv4 /32 networks round-trip every address', () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), (n) => {
        const text = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
        expect(ipv4NetworkText(parseIPv4(text), 32)).toBe(`${text}/32`);
      }),
    );
  });
  test('IPv6 masks and compresses', () => {
    expect(ipv6NetworkText('2001:da8:ffff::1', 31)).toBe('2001:da8::/31');
    expect(ipv6NetworkText('2001:db8:1234:5::1', 48)).toBe('2001:db8:1234::/48');
    expect(ipv6NetworkText('::1', 0)).toBe('::/0');
  });
});
