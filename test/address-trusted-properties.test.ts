import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileTrustedProxies, resolveClientAddress } from '../src/address/index.js';
import { GeoadmitError } from 'geoadmit';

// Hops drawn from a few networks, so chains mix trusted and untrusted addresses often.
const octet = fc.integer({ min: 0, max: 255 });
const hop = fc.oneof(
  fc.tuple(octet, octet).map(([a, b]) => `10.0.${a}.${b}`),
  fc.tuple(octet, octet).map(([a, b]) => `192.168.${a}.${b}`),
  fc.tuple(octet, octet).map(([a, b]) => `81.2.${a}.${b}`),
  fc.integer({ min: 0, max: 0xffff }).map((g) => `2001:db8::${g.toString(16)}`),
  fc.integer({ min: 0, max: 0xffff }).map((g) => `2a00:1::${g.toString(16)}`),
  fc.tuple(octet, octet).map(([a, b]) => `::ffff:10.0.${a}.${b}`),
);
const cidrs = fc.subarray(['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32', 'loopback', 'uniquelocal', '81.2.0.0/17']);

describe('trusted-proxy forms agree (property)', () => {
  it('a function answering like a list walks exactly like the list; a string walks like the array', () => {
    fc.assert(
      fc.property(cidrs, hop, fc.array(hop, { maxLength: 6 }), (list, peer, chain) => {
        const compiled = compileTrustedProxies(list);
        const fn = compileTrustedProxies((address) => compiled.trusts(address));
        const text = compileTrustedProxies(list.join(', '));
        const input = { peerAddress: peer, headers: { 'x-forwarded-for': chain.join(', ') } };
        const expected = resolveClientAddress(input, compiled);
        expect(resolveClientAddress(input, fn)).toEqual(expected);
        expect(resolveClientAddress(input, text)).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('the function is asked about hops in walk order, 0 first, each at most once, and only while the walk continues', () => {
    fc.assert(
      fc.property(cidrs, hop, fc.array(hop, { maxLength: 6 }), (list, peer, chain) => {
        const compiled = compileTrustedProxies(list);
        const hops: number[] = [];
        const fn = compileTrustedProxies((address, i) => {
          hops.push(i);
          return compiled.trusts(address);
        });
        resolveClientAddress({ peerAddress: peer, headers: { 'x-forwarded-for': chain.join(', ') } }, fn);
        expect(hops).toEqual(hops.map((_, i) => i));
        expect(hops.length).toBeLessThanOrEqual(chain.length + 1);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('compileTrustedProxies options', () => {
  it('refuses options that are not an object', () => {
    for (const options of [null, 'forwarded', 3]) {
      expect(() => compileTrustedProxies([], options as never)).toThrow(GeoadmitError);
    }
  });

  it('the CDN works with the Forwarded header too', () => {
    const trusted = compileTrustedProxies(['10.0.0.0/8'], { header: 'forwarded', cdn: 'cloudflare' });
    const r = resolveClientAddress({ peerAddress: '10.1.2.3', headers: { forwarded: 'for=1.2.4.8, for=162.158.1.1', 'cf-connecting-ip': '1.2.4.8' } }, trusted);
    expect(r).toMatchObject({ ok: true, address: '1.2.4.8', via: 'cdn' });
  });
});
