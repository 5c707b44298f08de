import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseCidr, redactAddress } from '../src/address/index.js';
import { GeoadmitError } from 'geoadmit';

describe('redactAddress', () => {
  it('truncates IPv4 to /24 and IPv6 to /48', () => {
    expect(redactAddress('1.2.4.8', 'truncate')).toBe('1.2.4.0/24');
    expect(redactAddress('::ffff:1.2.4.8', 'truncate')).toBe('1.2.4.0/24');
    expect(redactAddress('2001:db8:1:2:3:4:5:6', 'truncate')).toBe('2001:db8:1::/48');
    expect(redactAddress('2400:cb00:2049:1::a29f:1804', 'truncate')).toBe('2400:cb00:2049::/48');
  });

  it('hmac is a keyed, stable pseudonym of the canonical address', () => {
    const expected = `hmac:${createHmac('sha256', 'k1').update('2001:db8::1').digest('hex')}`;
    expect(redactAddress('2001:DB8:0::1', 'hmac', 'k1')).toBe(expected);
    expect(redactAddress('[2001:db8::1]:443', 'hmac', new TextEncoder().encode('k1'))).toBe(expected);
    expect(redactAddress('2001:db8::1', 'hmac', 'k2')).not.toBe(expected);
    expect(redactAddress('1.2.4.8', 'hmac', 'k1')).toMatch(/^hmac:[0-9a-f]{64}$/);
  });

  it('omit and raw', () => {
    expect(redactAddress('1.2.4.8', 'omit')).toBeUndefined();
    expect(redactAddress('1.2.4.8:80', 'raw')).toBe('1.2.4.8');
  });

  it('never passes invalid input through', () => {
    for (const mode of ['truncate', 'hmac', 'raw'] as const) {
      expect(redactAddress('<script>', mode, 'k')).toBeUndefined();
      expect(redactAddress('1.2.3.4\n{"forged":1}', mode, 'k')).toBeUndefined();
    }
  });

  it('refuses hmac without a key and unknown modes', () => {
    expect(() => redactAddress('1.2.4.8', 'hmac')).toThrow(GeoadmitError);
    expect(() => redactAddress('1.2.4.8', 'hmac', '')).toThrow(/hmacKey/);
    expect(() => redactAddress('1.2.4.8', 'partial' as never)).toThrow(GeoadmitError);
  });
});

describe('parseCidr', () => {
  it('returns canonical networks', () => {
    expect(parseCidr('1.2.4.0/22')).toMatchObject({ family: 4, network: '1.2.4.0/22', prefixLength: 22 });
    expect(parseCidr('2001:DA8:0::/32')).toMatchObject({ family: 6, network: '2001:da8::/32', prefixLength: 32 });
    expect(parseCidr('1.2.4.8')).toMatchObject({ network: '1.2.4.8/32' });
    expect(parseCidr('::ffff:1.2.4.0/120')).toMatchObject({ family: 4, network: '1.2.4.0/24', prefixLength: 24 });
    expect(Array.from(parseCidr('1.2.4.0/24').bytes)).toEqual([1, 2, 4, 0]);
    expect(parseCidr('0.0.0.0/0').network).toBe('0.0.0.0/0');
    expect(parseCidr('::/0').network).toBe('::/0');
  });

  it('refuses ambiguous or sloppy CIDRs with E_INVALID_CONFIG', () => {
    for (const bad of [
      '1.2.4.8/24',
      '01.2.4.0/24',
      '1.2.4.0/024',
      '1.2.4.0/33',
      '2001:db8::/129',
      '1.2.4.0/',
      '1.2.4.0/ 24',
      'fe80::%eth0/64',
      '[2001:db8::]/32',
      '1.2.4/24',
      '',
    ]) {
      expect(() => parseCidr(bad), bad).toThrow(GeoadmitError);
      try {
        parseCidr(bad);
      } catch (e) {
        expect((e as GeoadmitError).code).toBe('E_INVALID_CONFIG');
      }
    }
  });
});
