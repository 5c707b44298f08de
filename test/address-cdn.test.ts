import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLOUDFLARE_RANGES, compileTrustedProxies, parseCidr, resolveClientAddress, type CdnOption, type TrustedProxiesInput } from '../src/address/index.js';
import { GeoadmitError } from 'geoadmit';

const CF_EDGE = '162.158.1.1';
const CF_EDGE6 = '2606:4700:10::6816:1';

function setup(trusted: TrustedProxiesInput = [], cdn: CdnOption = 'cloudflare') {
  return compileTrustedProxies(trusted, { cdn });
}

const at = (peerAddress: string, headers: Record<string, string | string[]>, trusted = setup()) => resolveClientAddress({ peerAddress, headers }, trusted);

describe("cdn: 'cloudflare' honours CF-Connecting-IP only from Cloudflare's ranges", () => {
  it('a real Cloudflare edge peer: the header is the client', () => {
    expect(at(CF_EDGE, { 'CF-Connecting-IP': '1.2.4.8', 'X-Forwarded-For': '1.2.4.8' })).toEqual({
      ok: true,
      address: '1.2.4.8',
      family: 4,
      global: true,
      via: 'cdn',
    });
    expect(at(CF_EDGE, { 'cf-connecting-ip': '2001:da8::1' })).toMatchObject({ ok: true, address: '2001:da8::1', family: 6, via: 'cdn' });
  });

  it('a client sending the header itself is ignored', () => {
    expect(at('81.2.69.160', { 'cf-connecting-ip': '1.2.4.8' })).toEqual({ ok: true, address: '81.2.69.160', family: 4, global: true, via: 'peer' });
    // Also with trusted proxies in front, when the hop the walk ends at is the client itself.
    const trusted = setup(['10.0.0.0/8']);
    expect(at('10.1.2.3', { 'cf-connecting-ip': '1.2.4.8', 'x-forwarded-for': '81.2.69.160' }, trusted)).toMatchObject({
      address: '81.2.69.160',
      via: 'x-forwarded-for',
    });
  });

  it('a Cloudflare edge behind a trusted load balancer (X-Forwarded-For): honoured', () => {
    const trusted = setup(['10.0.0.0/8']);
    // Cloudflare appends the client, the load balancer appends the edge it saw.
    expect(at('10.1.2.3', { 'cf-connecting-ip': '1.2.4.8', 'x-forwarded-for': `1.2.4.8, ${CF_EDGE}` }, trusted)).toMatchObject({
      address: '1.2.4.8',
      via: 'cdn',
    });
    // Whatever the client wrote into X-Forwarded-For before Cloudflare does not matter.
    expect(at('10.1.2.3', { 'cf-connecting-ip': '1.2.4.8', 'x-forwarded-for': `6.6.6.6, 1.2.4.8, ${CF_EDGE}` }, trusted)).toMatchObject({
      address: '1.2.4.8',
      via: 'cdn',
    });
  });

  it('an untrusted hop claiming a Cloudflare edge (header sent straight to the load balancer): ignored', () => {
    const trusted = setup(['10.0.0.0/8']);
    // The client wrote the edge address into X-Forwarded-For; the load balancer appended the real client.
    expect(at('10.1.2.3', { 'cf-connecting-ip': '1.2.4.8', 'x-forwarded-for': `${CF_EDGE}, 81.2.69.160` }, trusted)).toMatchObject({
      address: '81.2.69.160',
      via: 'x-forwarded-for',
    });
    // A peer that is not a trusted proxy cannot make an edge address the end of the walk either.
    expect(at('81.2.69.160', { 'cf-connecting-ip': '1.2.4.8', 'x-forwarded-for': CF_EDGE }, trusted)).toMatchObject({ address: '81.2.69.160', via: 'peer' });
    // Without any trusted proxy the forwarded header is never read, so it cannot name the edge.
    expect(at('10.1.2.3', { 'cf-connecting-ip': '1.2.4.8', 'x-forwarded-for': CF_EDGE })).toMatchObject({
      address: '10.1.2.3',
      via: 'peer',
      untrustedForwarded: true,
    });
  });

  it('IPv6 edge ranges and IPv4-mapped edge peers', () => {
    expect(at(CF_EDGE6, { 'cf-connecting-ip': '1.2.4.8' })).toMatchObject({ address: '1.2.4.8', via: 'cdn' });
    expect(at('2a06:98c7:ffff::1', { 'cf-connecting-ip': '1.2.4.8' })).toMatchObject({ via: 'cdn' }); // inside 2a06:98c0::/29
    expect(at('2a06:98c8::1', { 'cf-connecting-ip': '1.2.4.8' })).toMatchObject({ via: 'peer' }); // just outside it
    expect(at(`::ffff:${CF_EDGE}`, { 'cf-connecting-ip': '1.2.4.8' })).toMatchObject({ address: '1.2.4.8', via: 'cdn' });
    expect(at(`[::ffff:${CF_EDGE}]:443`, { 'cf-connecting-ip': '1.2.4.8' })).toMatchObject({ address: '1.2.4.8', via: 'cdn' });
    // A tunnel address embedding an edge address is not the edge (6to4 of 162.158.1.1).
    expect(at('2002:a29e:101::1', { 'cf-connecting-ip': '1.2.4.8' })).toMatchObject({ address: CF_EDGE, via: 'peer' });
  });

  it('the header is one strictly written address; a list, junk or a repeat is invalid-address', () => {
    for (const [value, detail] of [
      ['1.2.4.8, 6.6.6.6', /is a list/],
      ['0x7f.1', /hexadecimal/],
      ['01.2.4.8', /leading zero/],
      ['unknown', /cf-connecting-ip header/],
      ['', /is empty/],
    ] as const) {
      expect(at(CF_EDGE, { 'cf-connecting-ip': value }), value).toMatchObject({
        ok: false,
        cause: 'invalid-address',
        via: 'cdn',
        detail: expect.stringMatching(detail),
      });
    }
    expect(at(CF_EDGE, { 'cf-connecting-ip': ['1.2.4.8', '6.6.6.6'] })).toMatchObject({ ok: false, via: 'cdn', detail: expect.stringMatching(/2 times/) });
    // Ports, brackets and optional whitespace are accepted as for any address.
    expect(at(CF_EDGE, { 'cf-connecting-ip': ' [2001:da8::1]:443 ' })).toMatchObject({ ok: true, address: '2001:da8::1', via: 'cdn' });
    // An edge that sends no client header is the peer, as without a CDN.
    expect(at(CF_EDGE, {})).toMatchObject({ ok: true, address: CF_EDGE, via: 'peer' });
  });

  it('a private client address from the CDN is non-global, not a misconfiguration', () => {
    expect(at(CF_EDGE, { 'cf-connecting-ip': '10.9.9.9' })).toEqual({
      ok: true,
      address: '10.9.9.9',
      family: 4,
      global: false,
      cause: 'non-global',
      via: 'cdn',
    });
  });

  it('a CDN header reaching a private peer nobody trusts is flagged', () => {
    expect(at('10.1.2.3', { 'cf-connecting-ip': '1.2.4.8' })).toMatchObject({ address: '10.1.2.3', untrustedForwarded: true });
  });
});

describe('cdn: { header, ranges } for any CDN, or fresher Cloudflare ranges', () => {
  it('honours its own header from its own ranges only', () => {
    const trusted = setup('loopback', { header: 'True-Client-IP', ranges: ['23.32.0.0/11', '2600:1400::/24'] });
    expect(trusted.cdn).toEqual({ header: 'true-client-ip', ranges: ['23.32.0.0/11', '2600:1400::/24'] });
    expect(at('23.40.1.1', { 'true-client-ip': '1.2.4.8' }, trusted)).toMatchObject({ address: '1.2.4.8', via: 'cdn' });
    expect(at('2600:1400::5', { 'true-client-ip': '1.2.4.8' }, trusted)).toMatchObject({ address: '1.2.4.8', via: 'cdn' });
    expect(at('127.0.0.1', { 'x-forwarded-for': '2600:1400::5', 'true-client-ip': '1.2.4.8' }, trusted)).toMatchObject({ address: '1.2.4.8', via: 'cdn' });
    // Cloudflare's header means nothing to this configuration, and vice versa.
    expect(at(CF_EDGE, { 'cf-connecting-ip': '1.2.4.8' }, trusted)).toMatchObject({ address: CF_EDGE, via: 'peer' });
    expect(at('23.40.1.1', { 'cf-connecting-ip': '1.2.4.8' }, trusted)).toMatchObject({ address: '23.40.1.1', via: 'peer' });
  });

  it('fresher Cloudflare ranges replace the shipped ones', () => {
    const fresher = [...CLOUDFLARE_RANGES.ranges, '198.18.0.0/15'];
    const trusted = setup([], { header: CLOUDFLARE_RANGES.header, ranges: fresher });
    expect(at('198.18.0.1', { 'cf-connecting-ip': '1.2.4.8' }, trusted)).toMatchObject({ address: '1.2.4.8', via: 'cdn' });
    // The shipped object itself is a valid option, and so is a spread of it.
    expect(setup([], CLOUDFLARE_RANGES).cdn).toEqual(setup().cdn);
    expect(setup([], { ...CLOUDFLARE_RANGES, ranges: fresher }).cdn?.ranges).toContain('198.18.0.0/15');
  });

  it('refuses a bad CDN option, naming it, and compiles nothing', () => {
    const cases: [unknown, string, RegExp][] = [
      ['akamai', 'cdn', /'cloudflare' or \{ header, ranges \}/],
      [null, 'cdn', /got null/],
      [['1.2.3.0/24'], 'cdn', /got object|'cloudflare'/],
      [{ ranges: ['1.2.3.0/24'] }, 'cdn.header', /header name/],
      [{ header: 'bad header', ranges: ['1.2.3.0/24'] }, 'cdn.header', /header name/],
      [{ header: 'X-Forwarded-For', ranges: ['1.2.3.0/24'] }, 'cdn.header', /list/],
      [{ header: 'forwarded', ranges: ['1.2.3.0/24'] }, 'cdn.header', /list/],
      [{ header: 'cf-connecting-ip' }, 'cdn.ranges', /non-empty array/],
      [{ header: 'cf-connecting-ip', ranges: [] }, 'cdn.ranges', /non-empty array/],
      [{ header: 'cf-connecting-ip', ranges: '1.2.3.0/24' }, 'cdn.ranges', /non-empty array/],
      [{ header: 'cf-connecting-ip', ranges: ['1.2.3.0/24', '1.2.3.4/24'] }, 'cdn.ranges[1]', /did you mean 1\.2\.3\.0\/24/],
      [{ header: 'cf-connecting-ip', ranges: ['1.2.3.0/24', 5] }, 'cdn.ranges[1]', /got number/],
      [{ header: 'cf-connecting-ip', rangse: ['1.2.3.0/24'] }, 'cdn.rangse', /did you mean "cdn.ranges"/],
    ];
    for (const [cdn, argument, message] of cases) {
      let thrown: unknown;
      let compiled: unknown;
      try {
        compiled = compileTrustedProxies(['10.0.0.0/8'], { cdn: cdn as CdnOption });
      } catch (e) {
        thrown = e;
      }
      expect(compiled, JSON.stringify(cdn)).toBeUndefined();
      expect(thrown).toBeInstanceOf(GeoadmitError);
      expect(thrown).toMatchObject({ code: 'E_INVALID_CONFIG', argument });
      expect((thrown as Error).message).toMatch(message);
    }
  });
});

describe('CLOUDFLARE_RANGES (shipped data)', () => {
  it('carries its date and its source', () => {
    expect(CLOUDFLARE_RANGES.taken).toMatch(/^2026/);
    expect(CLOUDFLARE_RANGES.source).toMatch(/^https:\/\/www\.cloudflare\.com\//);
    expect(CLOUDFLARE_RANGES.header).toBe('cf-connecting-ip');
  });

  // Cloudflare's published list as taken in 2026, kept with the tests.
  const PUBLISHED = new URL('./fixtures/cloudflare-ranges.txt', import.meta.url);
  it('is exactly the published list', () => {
    const published = readFileSync(PUBLISHED, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect([...CLOUDFLARE_RANGES.ranges]).toEqual(published);
  });

  it('every range is a canonical CIDR, and the data cannot be changed at run time', () => {
    for (const range of CLOUDFLARE_RANGES.ranges) expect(parseCidr(range).network).toBe(range);
    expect(Object.isFrozen(CLOUDFLARE_RANGES)).toBe(true);
    expect(Object.isFrozen(CLOUDFLARE_RANGES.ranges)).toBe(true);
    expect(CLOUDFLARE_RANGES.ranges.some((r) => r.includes(':'))).toBe(true);
  });
});
