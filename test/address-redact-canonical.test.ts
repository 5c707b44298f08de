import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeAddress, redactAddress } from 'geoadmit';
import { truncateCanonical } from '../src/address/redact.js';

// Addresses with many zero groups, so every compression position is exercised.
const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
const ipv6 = fc.array(group, { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':'));
const ipv4 = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }).map((o) => o.join('.'));

describe("truncateCanonical (the gate's redaction shortcut)", () => {
  it('agrees with redactAddress(…, "truncate") on every normalised address', () => {
    fc.assert(
      fc.property(fc.oneof(ipv6, ipv4), (raw) => {
        const n = normalizeAddress(raw);
        if (!n.ok) return;
        expect(truncateCanonical(n.address)).toBe(redactAddress(n.address, 'truncate'));
      }),
      { numRuns: 20_000 },
    );
  });

  it.each([
    ['2001:db8:1:2::5', '2001:db8:1::/48'],
    ['2001::1', '2001::/48'],
    ['2001:0:5::1', '2001:0:5::/48'],
    ['2001:db8::1', '2001:db8::/48'],
    ['::1', '::/48'],
    ['1.2.4.8', '1.2.4.0/24'],
  ])('%s → %s', (address, expected) => {
    expect(truncateCanonical(address)).toBe(expected);
  });
});

describe('truncateCanonical on every shape of /48', () => {
  it.each([
    ['2001:db8:0:5::1', '2001:db8::/48'],
    ['2a01:0:0:5::1', '2a01::/48'],
    ['2a01:0:5:0:1::', '2a01:0:5::/48'],
    ['2001:db8:5:0:1::', '2001:db8:5::/48'],
    ['2001:db8::', '2001:db8::/48'],
    ['2a01::', '2a01::/48'],
    ['2001:db8:abcd:12:1:2:3:4', '2001:db8:abcd::/48'],
  ])('%s → %s', (address, expected) => {
    expect(truncateCanonical(address)).toBe(expected);
    expect(redactAddress(address, 'truncate')).toBe(expected);
  });
});
