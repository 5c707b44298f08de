import { describe, expect, it } from 'vitest';
import { compileTrustedProxies, resolveClientAddress } from '../src/address/index.js';
import { GeoadmitError } from 'geoadmit';

function setup(header?: 'x-forwarded-for' | 'forwarded') {
  return compileTrustedProxies(['10.0.0.0/8', '2001:db8:aaaa::/48', '198.51.100.7'], header ? { header } : {});
}

describe('resolveClientAddress: trust', () => {
  it('ignores headers without trusted proxies', () => {
    const r = resolveClientAddress({ peerAddress: '10.1.2.3', headers: { 'x-forwarded-for': '1.2.4.8' } });
    // A private peer with a forwarded header nobody trusts: the misconfiguration is flagged.
    expect(r).toEqual({ ok: true, address: '10.1.2.3', family: 4, global: false, cause: 'non-global', via: 'peer', untrustedForwarded: true });
    const none = compileTrustedProxies([]);
    expect(resolveClientAddress({ peerAddress: '10.1.2.3', headers: { 'x-forwarded-for': '1.2.4.8' } }, none).via).toBe('peer');
  });

  it('ignores headers from an untrusted peer', () => {
    const r = resolveClientAddress({ peerAddress: '81.2.69.160', headers: { 'x-forwarded-for': '1.2.4.8' } }, setup());
    expect(r).toEqual({ ok: true, address: '81.2.69.160', family: 4, global: true, via: 'peer' });
  });

  it('reads the header from a trusted peer, also when the peer is IPv4-mapped', () => {
    for (const peerAddress of ['10.1.2.3', '::ffff:10.1.2.3', '2001:db8:aaaa::9', '198.51.100.7']) {
      const r = resolveClientAddress({ peerAddress, headers: { 'x-forwarded-for': '1.2.4.8' } }, setup());
      expect(r).toEqual({ ok: true, address: '1.2.4.8', family: 4, global: true, via: 'x-forwarded-for' });
    }
  });

  it('does not trust a tunnel address that embeds a trusted IPv4 address', () => {
    // 6to4 and NAT64 forms of 10.1.2.3 are not the proxy itself.
    for (const peerAddress of ['2002:a01:203::1', '64:ff9b::a01:203']) {
      const r = resolveClientAddress({ peerAddress, headers: { 'x-forwarded-for': '1.2.4.8' } }, setup());
      expect(r).toMatchObject({ via: 'peer', address: '10.1.2.3' });
    }
  });

  it('walks from the right and stops at the first untrusted hop', () => {
    const headers = { 'X-Forwarded-For': '6.6.6.6, 1.2.4.8, 10.0.0.2,10.9.9.9' };
    expect(resolveClientAddress({ peerAddress: '10.1.2.3', headers }, setup())).toMatchObject({ address: '1.2.4.8', via: 'x-forwarded-for' });
  });

  it('gives the leftmost hop when every hop is trusted', () => {
    const headers = { 'x-forwarded-for': '10.0.0.5, 10.0.0.2' };
    expect(resolveClientAddress({ peerAddress: '10.1.2.3', headers }, setup())).toMatchObject({ address: '10.0.0.5', global: false, via: 'x-forwarded-for' });
  });

  it('joins several X-Forwarded-For lines in order', () => {
    const headers = { 'x-forwarded-for': ['6.6.6.6, 1.2.4.8', '10.0.0.2'] };
    expect(resolveClientAddress({ peerAddress: '10.1.2.3', headers }, setup())).toMatchObject({ address: '1.2.4.8' });
    const split = { 'x-forwarded-for': ['1.2.4.8', '10.0.0.2', '10.0.0.3'] };
    expect(resolveClientAddress({ peerAddress: '10.1.2.3', headers: split }, setup())).toMatchObject({ address: '1.2.4.8' });
  });

  it('normalises hops (ports, brackets, mapped)', () => {
    const headers = { 'x-forwarded-for': '[::ffff:1.2.4.8]:5555, 10.0.0.2:80' };
    expect(resolveClientAddress({ peerAddress: '10.1.2.3', headers }, setup())).toMatchObject({ ok: true, address: '1.2.4.8', family: 4 });
  });

  it('reports an invalid hop the walk reaches, but not one beyond the client', () => {
    const bad = resolveClientAddress({ peerAddress: '10.1.2.3', headers: { 'x-forwarded-for': '1.2.4.8, 0x7f.1' } }, setup());
    expect(bad).toMatchObject({
      ok: false,
      cause: 'invalid-address',
      via: 'x-forwarded-for',
      detail: expect.stringMatching(/hop 1 from the right.*hexadecimal/),
    });
    const fine = resolveClientAddress({ peerAddress: '10.1.2.3', headers: { 'x-forwarded-for': 'garbage, 1.2.4.8' } }, setup());
    expect(fine).toMatchObject({ ok: true, address: '1.2.4.8' });
    const empty = resolveClientAddress({ peerAddress: '10.1.2.3', headers: { 'x-forwarded-for': '1.2.4.8,,10.0.0.1' } }, setup());
    expect(empty).toMatchObject({ ok: false, detail: expect.stringMatching(/hop 2 from the right is empty/) });
  });

  it('uses the peer when a trusted peer sends no header', () => {
    expect(resolveClientAddress({ peerAddress: '10.1.2.3' }, setup())).toMatchObject({ address: '10.1.2.3', via: 'peer' });
    expect(resolveClientAddress({ peerAddress: '10.1.2.3', headers: { 'x-forwarded-for': '  ' } }, setup())).toMatchObject({ via: 'peer' });
  });

  it('reads only the configured header', () => {
    const headers = { forwarded: 'for=6.6.6.6', 'x-forwarded-for': '1.2.4.8' };
    expect(resolveClientAddress({ peerAddress: '10.1.2.3', headers }, setup())).toMatchObject({ address: '1.2.4.8' });
    expect(resolveClientAddress({ peerAddress: '10.1.2.3', headers }, setup('forwarded'))).toMatchObject({ address: '6.6.6.6', via: 'forwarded' });
  });

  it('never throws on an invalid peer or hostile input', () => {
    expect(resolveClientAddress({ peerAddress: '01.2.3.4' }, setup())).toMatchObject({ ok: false, via: 'peer' });
    expect(resolveClientAddress(null as never, setup())).toMatchObject({ ok: false, via: 'peer' });
    const proto = JSON.parse('{"__proto__": {"x-forwarded-for": "6.6.6.6"}}') as Record<string, string>;
    expect(resolveClientAddress({ peerAddress: '10.1.2.3', headers: proto }, setup())).toMatchObject({ via: 'peer' });
  });
});

describe('resolveClientAddress: RFC 7239 Forwarded', () => {
  const trusted = setup('forwarded');
  const at = (forwarded: string | string[]) => resolveClientAddress({ peerAddress: '10.1.2.3', headers: { Forwarded: forwarded } }, trusted);

  it('reads quoted IPv6 with a port, case-insensitive names, several elements', () => {
    expect(at('for="[2001:da8::1]:4711"')).toMatchObject({ ok: true, address: '2001:da8::1', family: 6, via: 'forwarded' });
    expect(at('For=1.2.4.8;proto=https;by=10.0.0.1, for=10.0.0.7')).toMatchObject({ address: '1.2.4.8' });
    expect(at('for=6.6.6.6;host="a,b", FOR="1.2.4.8:80";proto=http, for=10.0.0.2')).toMatchObject({ address: '1.2.4.8' });
    expect(at(['for=1.2.4.8', 'for=10.0.0.2'])).toMatchObject({ address: '1.2.4.8' });
  });

  it('for=unknown and obfuscated nodes give invalid-address where the walk reaches them', () => {
    expect(at('for=1.2.4.8, for=unknown')).toMatchObject({ ok: false, cause: 'invalid-address', detail: expect.stringMatching(/unknown/) });
    expect(at('for=1.2.4.8, for=_hidden')).toMatchObject({ ok: false, detail: expect.stringMatching(/obfuscated/) });
    expect(at('for="_hidden:_port"')).toMatchObject({ ok: false, detail: expect.stringMatching(/obfuscated/) });
    // Beyond the client they do not matter.
    expect(at('for=unknown, for=1.2.4.8, for=10.0.0.2')).toMatchObject({ ok: true, address: '1.2.4.8' });
  });

  it('refuses malformed elements and unterminated quotes', () => {
    expect(at('by=10.0.0.1')).toMatchObject({ ok: false, detail: expect.stringMatching(/no "for"/) });
    expect(at('for=1.2.4.8;for=5.5.5.5')).toMatchObject({ ok: false, detail: expect.stringMatching(/more than one/) });
    expect(at('for="1.2.4.8')).toMatchObject({ ok: false, detail: expect.stringMatching(/unterminated/) });
    expect(at('for=1.2.4.8 5.5.5.5')).toMatchObject({ ok: false });
  });
});

describe('resolveClientAddress: limits', () => {
  it('cuts a 100 KiB header to its rightmost 8 KiB without throwing, quickly', () => {
    const huge = `${'7.7.7.7,'.repeat(12800)}1.2.4.8, 10.0.0.2`;
    expect(huge.length).toBeGreaterThan(100 * 1024);
    const started = performance.now();
    for (let i = 0; i < 100; i++) {
      const r = resolveClientAddress({ peerAddress: '10.1.2.3', headers: { 'x-forwarded-for': huge } }, setup());
      expect(r).toMatchObject({ ok: true, address: '1.2.4.8' });
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('drops a hop cut in half at the 8 KiB edge', () => {
    // 30 trusted hops, padded with optional whitespace to exactly 8184 characters.
    const base = Array.from({ length: 30 }, () => '10.0.0.9').join(',');
    const trustedTail = ' '.repeat(8184 - base.length) + base;
    expect(trustedTail.length).toBe(8184);
    const at = (value: string) => resolveClientAddress({ peerAddress: '10.1.2.3', headers: { 'x-forwarded-for': value } }, setup());
    // The cut lands inside "11.2.4.8": its remainder "1.2.4.8" must not become the client.
    expect(at(`6.6.6.6,11.2.4.8,${trustedTail}`)).toMatchObject({ ok: false, cause: 'invalid-address' });
    // A cut exactly on a hop boundary keeps the whole hop.
    expect(at(`6.6.6.6,1.2.4.8,${trustedTail}`)).toMatchObject({ ok: true, address: '1.2.4.8' });
  });

  it('considers only the rightmost 32 of 1000 hops', () => {
    const hops = Array.from({ length: 1000 }, (_, i) => (i === 0 ? '1.2.4.8' : '10.0.0.1'));
    const withinCap = [...hops.slice(0, 968), '8.8.4.4', ...hops.slice(969)];
    // The untrusted hop at position 32 from the right is considered...
    expect(withinCap.length).toBe(1000);
    expect(resolveClientAddress({ peerAddress: '10.1.2.3', headers: { 'x-forwarded-for': withinCap.join(',') } }, setup())).toMatchObject({
      ok: true,
      address: '8.8.4.4',
    });
    // ...one at 33 is not; the walk does not guess beyond what it considered.
    const beyondCap = [...hops.slice(0, 967), '8.8.4.4', ...hops.slice(968)];
    const r = resolveClientAddress({ peerAddress: '10.1.2.3', headers: { 'x-forwarded-for': beyondCap.join(',') } }, setup());
    expect(r).toMatchObject({ ok: false, cause: 'invalid-address', detail: expect.stringMatching(/32 hops/) });
    const forwarded = compileTrustedProxies(['10.0.0.0/8'], { header: 'forwarded' });
    const elements = withinCap.map((h) => `for=${h}`).join(', ');
    expect(resolveClientAddress({ peerAddress: '10.1.2.3', headers: { forwarded: elements } }, forwarded)).toMatchObject({ ok: true, address: '8.8.4.4' });
  });
});

describe('compileTrustedProxies', () => {
  it('names the entry at fault', () => {
    for (const bad of [['10.0.0.0/8', '10.0.0.1/8'], ['10.0.0.0/8', 'nope'], ['1.2.3.4/33'], [42]]) {
      try {
        compileTrustedProxies(bad as string[]);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(GeoadmitError);
        expect(e).toMatchObject({ code: 'E_INVALID_CONFIG', argument: `trustedProxies[${bad.length - 1}]` });
        expect((e as Error).message).toMatch(/^trustedProxies\[\d\]: /);
      }
    }
    expect(() => compileTrustedProxies(42 as never)).toThrow(GeoadmitError);
    expect(() => compileTrustedProxies([], { header: 'x-real-ip' as never })).toThrow(/header/);
  });

  it('exposes canonical CIDRs and a trust check', () => {
    const t = compileTrustedProxies(['::ffff:10.0.0.0/104', '2001:DB8::/32', '192.0.2.1']);
    expect(t.cidrs).toEqual(['10.0.0.0/8', '2001:db8::/32', '192.0.2.1/32']);
    expect(t.header).toBe('x-forwarded-for');
    expect(t.trusts('10.9.9.9')).toBe(true);
    expect(t.trusts('[::ffff:10.9.9.9]:1')).toBe(true);
    expect(t.trusts('11.0.0.1')).toBe(false);
    expect(t.trusts('not an address')).toBe(false);
  });
});
