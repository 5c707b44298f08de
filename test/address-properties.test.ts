import fc from 'fast-check';
import { Address4, Address6 } from 'ip-address';
import { describe, expect, it } from 'vitest';
import { normalizeAddress } from 'geoadmit';
import { formatIPv4, parseIPv4 } from '../src/address/internal/ipv4.js';
import { parseLiteral } from '../src/address/internal/literal.js';
import { formatIPv6 } from '../src/address/internal/ipv6.js';

const hex16 = (n: number) => n.toString(16);

function forms(a: string): string[] {
  const [p0, p1, p2, p3] = a.split('.').map(Number) as [number, number, number, number];
  const hi = (p0 << 8) | p1;
  const lo = (p2 << 8) | p3;
  const out = [
    `::ffff:${a}`,
    `::ffff:${hex16(hi)}:${hex16(lo)}`,
    `[::FFFF:${a}]:8080`,
    `64:ff9b::${a}`,
    `64:ff9b::${hex16(hi)}:${hex16(lo)}`,
    `2002:${hex16(hi)}:${hex16(lo)}:1::1`,
    `2002:${hex16(hi)}:${hex16(lo)}::`,
    // Teredo with server 65.54.227.120 and the client bits inverted.
    `2001:0:4136:e378:8000:63bf:${hex16(hi ^ 0xffff)}:${hex16(lo ^ 0xffff)}`,
  ];
  // `::` and `::1` are IPv6 unspecified / loopback, not IPv4-compatible.
  if (hi !== 0 || lo > 1) out.push(`::${a}`, `::${hex16(hi)}:${hex16(lo)}`);
  return out;
}

describe('embedded IPv4 forms', () => {
  it('normalise exactly like the IPv4 address they embed', () => {
    fc.assert(
      fc.property(fc.ipV4(), (a) => {
        const direct = normalizeAddress(a);
        expect(direct.ok).toBe(true);
        for (const form of forms(a)) expect([form, normalizeAddress(form)]).toEqual([form, direct]);
      }),
      { numRuns: 500 },
    );
  });
});

function accepts4(s: string): boolean {
  try {
    new Address4(s);
    return true;
  } catch {
    return false;
  }
}

describe('strict parser agrees with ip-address', () => {
  const ipv4ish = fc.oneof(
    fc.ipV4(),
    fc.ipV4Extended(),
    fc.stringMatching(/^[0-9.]{1,16}$/),
    fc.tuple(fc.nat(300), fc.nat(300), fc.nat(300), fc.nat(300)).map((p) => p.join('.')),
  );

  it('IPv4: everything the strict parser accepts, ip-address reads the same way', () => {
    fc.assert(
      fc.property(ipv4ish, (s) => {
        const mine = parseIPv4(s);
        if (mine < 0) return;
        expect(accepts4(s)).toBe(true);
        expect(formatIPv4(mine)).toBe(new Address4(s).correctForm());
        expect(formatIPv4(mine)).toBe(s);
      }),
      { numRuns: 3000 },
    );
  });

  it('IPv4: canonical dotted quads are all accepted', () => {
    fc.assert(
      fc.property(fc.ipV4(), (s) => {
        expect(parseIPv4(s)).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('IPv6: canonical text equals ip-address correctForm wherever both accept', () => {
    const ipv6ish = fc.oneof(
      fc.ipV6(),
      fc.ipV6().map((s) => s.toUpperCase()),
      fc.stringMatching(/^[0-9a-f:.]{2,24}$/),
      fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((g) => g.map((n) => n.toString(16).padStart(4, '0')).join(':')),
    );
    let both = 0;
    fc.assert(
      fc.property(ipv6ish, (s) => {
        const lit = parseLiteral(s);
        if (!lit.ok || lit.ip.family !== 6) return;
        let theirs: string;
        try {
          theirs = new Address6(s).correctForm();
        } catch {
          return;
        }
        both++;
        expect(formatIPv6(lit.ip.bytes)).toBe(theirs);
      }),
      { numRuns: 3000 },
    );
    expect(both).toBeGreaterThan(500);
  });
});
