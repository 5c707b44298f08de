import { describe, expect, it } from 'vitest';
import { normalizeAddress } from 'geoadmit';

type Expect = { address: string; family: 4 | 6; global: boolean } | 'invalid';

// [input, expected] — every normalisation rule (docs/integrating.md, the client address) has rows here.
const CASES: ReadonlyArray<readonly [string, Expect]> = [
  // plain, canonical
  ['1.2.4.8', { address: '1.2.4.8', family: 4, global: true }],
  ['8.8.8.8', { address: '8.8.8.8', family: 4, global: true }],
  ['255.255.255.254', { address: '255.255.255.254', family: 4, global: false }],
  ['2001:da8::1', { address: '2001:da8::1', family: 6, global: true }],
  ['2001:DA8:0:0:0:0:0:1', { address: '2001:da8::1', family: 6, global: true }],
  ['2400:cb00:0000:0000:0000:0000:0000:0001', { address: '2400:cb00::1', family: 6, global: true }],
  ['2a00:1450:4001:81b::200e', { address: '2a00:1450:4001:81b::200e', family: 6, global: true }],
  ['2a00:1:0:0:1:0:0:1', { address: '2a00:1::1:0:0:1', family: 6, global: true }],
  // embedded IPv4
  ['::ffff:1.2.4.8', { address: '1.2.4.8', family: 4, global: true }],
  ['::ffff:102:408', { address: '1.2.4.8', family: 4, global: true }],
  ['::FFFF:0102:0408', { address: '1.2.4.8', family: 4, global: true }],
  ['0:0:0:0:0:ffff:1.2.4.8', { address: '1.2.4.8', family: 4, global: true }],
  ['::ffff:10.0.0.1', { address: '10.0.0.1', family: 4, global: false }],
  ['::1.2.4.8', { address: '1.2.4.8', family: 4, global: true }],
  ['::102:408', { address: '1.2.4.8', family: 4, global: true }],
  ['::', { address: '::', family: 6, global: false }],
  ['::1', { address: '::1', family: 6, global: false }],
  ['64:ff9b::1.2.4.8', { address: '1.2.4.8', family: 4, global: true }],
  ['64:ff9b::102:408', { address: '1.2.4.8', family: 4, global: true }],
  ['64:ff9b::c0a8:101', { address: '192.168.1.1', family: 4, global: false }],
  ['2002:102:408::1', { address: '1.2.4.8', family: 4, global: true }],
  ['2002:c000:204::1', { address: '192.0.2.4', family: 4, global: false }],
  // Teredo: server 65.54.227.120 (4136:e378), client 1.2.4.8 inverted = fefd:fbf7
  ['2001:0:4136:e378:8000:63bf:fefd:fbf7', { address: '1.2.4.8', family: 4, global: true }],
  ['2001::4136:e378:8000:63bf:fefd:fbf7', { address: '1.2.4.8', family: 4, global: true }],
  ['2001:0:4136:e378:8000:63bf:f5ff:fffe', { address: '10.0.0.1', family: 4, global: false }],
  // zones and ports
  ['fe80::1%eth0', { address: 'fe80::1', family: 6, global: false }],
  ['[fe80::1%25eth0]:443', { address: 'fe80::1', family: 6, global: false }],
  ['2001:da8::1%3', { address: '2001:da8::1', family: 6, global: true }],
  ['[2001:db8::1]:443', { address: '2001:db8::1', family: 6, global: false }],
  ['[2001:da8::1]:443', { address: '2001:da8::1', family: 6, global: true }],
  ['[2001:da8::1]', { address: '2001:da8::1', family: 6, global: true }],
  ['1.2.4.8:5000', { address: '1.2.4.8', family: 4, global: true }],
  ['[::ffff:1.2.4.8]:80', { address: '1.2.4.8', family: 4, global: true }],
  ['2001:da8::443', { address: '2001:da8::443', family: 6, global: true }],
  ['1:2:3:4:5:6:7:8', { address: '1:2:3:4:5:6:7:8', family: 6, global: false }],
  // ambiguous IPv4 spellings
  ['01.2.3.4', 'invalid'],
  ['1.2.3.04', 'invalid'],
  ['010.8.8.8', 'invalid'],
  ['0x7f.0.0.1', 'invalid'],
  ['0X7F000001', 'invalid'],
  ['175.16.199', 'invalid'],
  ['0x7f.1', 'invalid'],
  ['127.1', 'invalid'],
  ['2937112321', 'invalid'],
  ['256.1.1.1', 'invalid'],
  ['1.2.3.4.5', 'invalid'],
  ['1.2.3.', 'invalid'],
  ['.1.2.3', 'invalid'],
  ['1..2.3', 'invalid'],
  ['1.2.3.4:', 'invalid'],
  ['1.2.3.4:99999', 'invalid'],
  ['1.2.3.4%eth0', 'invalid'],
  ['1.2.3.4/24', 'invalid'],
  // non-ASCII digits and control characters
  ['１.2.3.4', 'invalid'],
  ['١.٢.٣.٤', 'invalid'],
  ['1.2.3.4\u0000', 'invalid'],
  ['1.2.3.4 ', 'invalid'],
  [' 1.2.3.4', 'invalid'],
  ['1.2.3.4\n', 'invalid'],
  ['1.2.\t3.4', 'invalid'],
  ['2001:da8::1\u202e', 'invalid'],
  ['', 'invalid'],
  ['1'.repeat(101), 'invalid'],
  // bad IPv6
  ['2001:da8:::1', 'invalid'],
  ['2001::da8::1', 'invalid'],
  ['02001:da8::1', 'invalid'],
  ['1:2:3:4:5:6:7:8:9', 'invalid'],
  [':1:2:3:4:5:6:7', 'invalid'],
  ['::ffff:01.2.3.4', 'invalid'],
  ['::ffff:1.2.3', 'invalid'],
  ['::ffff:1.2.3.256', 'invalid'],
  ['1.2.3.4::', 'invalid'],
  ['2001:da8::/32', 'invalid'],
  ['[2001:da8::1', 'invalid'],
  ['[2001:da8::1]x', 'invalid'],
  ['[1.2.3.4]', 'invalid'],
  ['fe80::1%', 'invalid'],
  ['g::1', 'invalid'],
  // non-global IPv4
  ['0.1.2.3', { address: '0.1.2.3', family: 4, global: false }],
  ['10.20.30.40', { address: '10.20.30.40', family: 4, global: false }],
  ['100.64.0.1', { address: '100.64.0.1', family: 4, global: false }],
  ['100.127.255.255', { address: '100.127.255.255', family: 4, global: false }],
  ['100.128.0.1', { address: '100.128.0.1', family: 4, global: true }],
  ['127.0.0.1', { address: '127.0.0.1', family: 4, global: false }],
  ['169.254.1.1', { address: '169.254.1.1', family: 4, global: false }],
  ['172.16.0.1', { address: '172.16.0.1', family: 4, global: false }],
  ['172.31.255.255', { address: '172.31.255.255', family: 4, global: false }],
  ['172.32.0.1', { address: '172.32.0.1', family: 4, global: true }],
  ['192.0.0.8', { address: '192.0.0.8', family: 4, global: false }],
  ['192.0.2.1', { address: '192.0.2.1', family: 4, global: false }],
  ['192.88.99.1', { address: '192.88.99.1', family: 4, global: false }],
  ['192.168.1.1', { address: '192.168.1.1', family: 4, global: false }],
  ['198.18.0.1', { address: '198.18.0.1', family: 4, global: false }],
  ['198.19.255.255', { address: '198.19.255.255', family: 4, global: false }],
  ['198.51.100.7', { address: '198.51.100.7', family: 4, global: false }],
  ['203.0.113.9', { address: '203.0.113.9', family: 4, global: false }],
  ['224.0.0.1', { address: '224.0.0.1', family: 4, global: false }],
  ['239.255.255.255', { address: '239.255.255.255', family: 4, global: false }],
  ['240.0.0.1', { address: '240.0.0.1', family: 4, global: false }],
  ['255.255.255.255', { address: '255.255.255.255', family: 4, global: false }],
  // non-global IPv6
  ['fc00::1', { address: 'fc00::1', family: 6, global: false }],
  ['fd12:3456::1', { address: 'fd12:3456::1', family: 6, global: false }],
  ['fe80::abcd', { address: 'fe80::abcd', family: 6, global: false }],
  ['febf::1', { address: 'febf::1', family: 6, global: false }],
  ['ff02::1', { address: 'ff02::1', family: 6, global: false }],
  ['2001:db8:1::5', { address: '2001:db8:1::5', family: 6, global: false }],
  ['100::1', { address: '100::1', family: 6, global: false }],
  ['2001:2::1', { address: '2001:2::1', family: 6, global: false }],
  ['2001:1ff::1', { address: '2001:1ff::1', family: 6, global: false }],
  ['2001:200::1', { address: '2001:200::1', family: 6, global: true }],
  ['3fff::1', { address: '3fff::1', family: 6, global: false }],
  ['3fff:1000::1', { address: '3fff:1000::1', family: 6, global: true }],
  ['5f00::1', { address: '5f00::1', family: 6, global: false }],
  ['64:ff9b:1::1', { address: '64:ff9b:1::1', family: 6, global: false }],
  ['4000::1', { address: '4000::1', family: 6, global: false }],
  ['1000::1', { address: '1000::1', family: 6, global: false }],
];

describe('normalizeAddress', () => {
  it.each(CASES)('%j', (input, expected) => {
    const r = normalizeAddress(input);
    if (expected === 'invalid') {
      expect(r).toMatchObject({ ok: false, cause: 'invalid-address' });
      if (!r.ok) expect(r.detail.length).toBeGreaterThan(0);
      return;
    }
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect({ address: r.address, family: r.family, global: r.global }).toEqual(expected);
    if (!r.global) expect(r).toMatchObject({ cause: 'non-global' });
    else expect(r).not.toHaveProperty('cause');
  });

  it('has at least 60 table rows', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
  });

  it('explains ambiguous spellings', () => {
    expect(normalizeAddress('01.2.3.4')).toMatchObject({ detail: expect.stringMatching(/leading zero/) });
    expect(normalizeAddress('0x7f.0.0.1')).toMatchObject({ detail: expect.stringMatching(/hexadecimal/) });
    expect(normalizeAddress('175.16.199')).toMatchObject({ detail: expect.stringMatching(/3 parts/) });
    expect(normalizeAddress('2937112321')).toMatchObject({ detail: expect.stringMatching(/single number/) });
    expect(normalizeAddress('１.2.3.4')).toMatchObject({ detail: expect.stringMatching(/non-ASCII.*U\+FF11/) });
    expect(normalizeAddress('1.2.3.4\u0000')).toMatchObject({ detail: expect.stringMatching(/control.*U\+0000/) });
  });

  it('never echoes control characters or more than 64 characters of input', () => {
    const inputs = ['x'.repeat(99), `${'y'.repeat(90)}:1`, 'a\u0007b', `[${'z'.repeat(90)}]`, '1.2.3.4\u001b[31m', `::ffff:${'q'.repeat(80)}`];
    for (const input of inputs) {
      const r = normalizeAddress(input);
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.detail).not.toMatch(/[\u0000-\u001f\u007f-\uffff]/);
      expect(r.detail).not.toMatch(/[a-z]{65}/);
    }
  });

  it('does not throw for non-string input', () => {
    for (const bad of [undefined, null, 42, {}, ['1.2.3.4']]) {
      expect(normalizeAddress(bad as unknown as string)).toMatchObject({ ok: false, cause: 'invalid-address' });
    }
  });
});
