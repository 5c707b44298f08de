import { isIPv4 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ipv4NetworkText, ipv6NetworkText, parseIpv4 } from '../src/geo/internal/network.js';

describe('parseIpv4 (lookup hot path)', () => {
  test('accepts exactly what node:net isIPv4 accepts, for arbitrary strings', () => {
    const dotted = fc.tuple(fc.nat(300), fc.nat(300), fc.nat(300), fc.nat(300)).map((p) => p.join('.'));
    const noisy = fc.stringMatching(/^[0-9.x ]{0,17}$/);
    fc.assert(
      fc.property(fc.oneof(dotted, noisy, fc.string()), (s) => {
        expect(parseIpv4(s) >= 0).toBe(isIPv4(s));
      }),
      { numRuns: 3000 },
    );
  });

  test('round-trips every valid address through its /32 network', () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), (n) => {
        const text = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
        expect(parseIpv4(text)).toBe(n);
        expect(ipv4NetworkText(n, 32)).toBe(`${text}/32`);
      }),
    );
  });

  test('rejects ambiguous spellings', () => {
    for (const s of ['01.2.4.8', '1.2.4', '0x7f.0.0.1', '2937112321', '1.2.4.8.', '.1.2.4.8', '1..2.4', '256.1.1.1', '1.2.4.8 ', '१.2.4.8']) expect(parseIpv4(s), s).toBe(-1);
  });
});

describe('network text', () => {
  test('IPv4 masks to the prefix', () => {
    expect(ipv4NetworkText(parseIpv4('1.2.4.8'), 22)).toBe('1.2.4.0/22');
    expect(ipv4NetworkText(parseIpv4('255.255.255.255'), 0)).toBe('0.0.0.0/0');
    expect(ipv4NetworkText(parseIpv4('255.255.255.255'), 1)).toBe('128.0.0.0/1');
  });
  test('IPv6 masks and compresses', () => {
    expect(ipv6NetworkText('2001:da8:ffff::1', 31)).toBe('2001:da8::/31');
    expect(ipv6NetworkText('2001:db8:1234:5::1', 48)).toBe('2001:db8:1234::/48');
    expect(ipv6NetworkText('::1', 0)).toBe('::/0');
  });
});
