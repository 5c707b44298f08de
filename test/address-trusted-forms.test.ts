import { describe, expect, it } from 'vitest';
import { compileTrustedProxies, resolveClientAddress, type TrustedProxiesInput } from '../src/address/index.js';
import { GeoadmitError } from 'geoadmit';

function configError(fn: () => unknown): GeoadmitError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GeoadmitError);
    expect((e as GeoadmitError).code).toBe('E_INVALID_CONFIG');
    return e as GeoadmitError;
  }
  return expect.unreachable('expected E_INVALID_CONFIG');
}

const client = (peerAddress: string, xff: string, trusted: TrustedProxiesInput) =>
  resolveClientAddress({ peerAddress, headers: { 'x-forwarded-for': xff } }, compileTrustedProxies(trusted));

describe('trustedProxies names (as proxy-addr)', () => {
  it('expand to the ranges proxy-addr uses', () => {
    expect(compileTrustedProxies(['loopback']).cidrs).toEqual(['127.0.0.0/8', '::1/128']);
    expect(compileTrustedProxies(['linklocal']).cidrs).toEqual(['169.254.0.0/16', 'fe80::/10']);
    expect(compileTrustedProxies(['uniquelocal']).cidrs).toEqual(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7']);
  });

  it('trust what they name, and nothing else', () => {
    expect(client('127.0.0.1', '1.2.4.8', ['loopback'])).toMatchObject({ address: '1.2.4.8', via: 'x-forwarded-for' });
    expect(client('127.9.9.9', '1.2.4.8', ['loopback'])).toMatchObject({ address: '1.2.4.8' });
    expect(client('::1', '1.2.4.8', ['loopback'])).toMatchObject({ address: '1.2.4.8' });
    expect(client('::ffff:127.0.0.1', '1.2.4.8', ['loopback'])).toMatchObject({ address: '1.2.4.8' });
    expect(client('169.254.1.1', '1.2.4.8', ['linklocal'])).toMatchObject({ address: '1.2.4.8' });
    expect(client('fe80::1%eth0', '1.2.4.8', ['linklocal'])).toMatchObject({ address: '1.2.4.8' });
    for (const peer of ['10.1.2.3', '172.31.255.1', '192.168.0.9', 'fd12::1', 'fc00::1']) {
      expect(client(peer, '1.2.4.8', ['uniquelocal']), peer).toMatchObject({ address: '1.2.4.8' });
    }
    // Neighbouring addresses outside the named ranges stay untrusted.
    for (const [peer, name] of [
      ['128.0.0.1', 'loopback'],
      ['::2', 'loopback'],
      ['169.255.0.1', 'linklocal'],
      ['fec0::1', 'linklocal'],
      ['172.32.0.1', 'uniquelocal'],
      ['192.169.0.1', 'uniquelocal'],
      ['100.64.0.1', 'uniquelocal'],
      ['fe00::1', 'uniquelocal'],
    ] as const) {
      expect(client(peer, '1.2.4.8', [name]), `${peer} ${name}`).toMatchObject({ via: 'peer' });
    }
  });

  it('mix freely with CIDRs and addresses, in an array or a comma-separated string', () => {
    const list = compileTrustedProxies(['loopback', '203.0.113.0/24', 'uniquelocal', '2001:db8::7']);
    const text = compileTrustedProxies('loopback, 203.0.113.0/24,uniquelocal ,  2001:db8::7');
    expect(text.cidrs).toEqual(list.cidrs);
    expect(list.cidrs).toEqual(['127.0.0.0/8', '::1/128', '203.0.113.0/24', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', '2001:db8::7/128']);
    // A chain through three kinds of trusted hop.
    expect(client('127.0.0.1', '1.2.4.8, 2001:db8::7, 203.0.113.5, 10.0.0.2', 'loopback, 203.0.113.0/24,uniquelocal,2001:db8::7')).toMatchObject({
      address: '1.2.4.8',
    });
    // A name and a range it contains are listed once.
    expect(compileTrustedProxies(['127.0.0.0/8', 'loopback']).cidrs).toEqual(['127.0.0.0/8', '::1/128']);
  });

  it('a blank string trusts nothing', () => {
    const none = compileTrustedProxies('');
    expect(none.cidrs).toEqual([]);
    expect(client('10.1.2.3', '1.2.4.8', '  ')).toMatchObject({ address: '10.1.2.3', via: 'peer' });
  });
});

describe('trustedProxies as a function', () => {
  it('is asked with the canonical hop address and proxy-addr hop index (0 = the socket peer)', () => {
    const calls: [string, number][] = [];
    const trusted = compileTrustedProxies((address, hop) => {
      calls.push([address, hop]);
      return address.startsWith('10.') || address === '2001:db8::9';
    });
    const r = resolveClientAddress(
      { peerAddress: '[::ffff:10.1.2.3]:4431', headers: { 'x-forwarded-for': '6.6.6.6, 1.2.4.8, [2001:DB8:0::9]:80, 10.0.0.2' } },
      trusted,
    );
    expect(r).toMatchObject({ ok: true, address: '1.2.4.8', via: 'x-forwarded-for' });
    expect(calls).toEqual([
      ['10.1.2.3', 0],
      ['10.0.0.2', 1],
      ['2001:db8::9', 2],
      ['1.2.4.8', 3],
    ]);
    expect(trusted.cidrs).toEqual([]);
    expect(trusted.trustsEverything).toBe(false);
    expect(trusted.trusts('10.0.0.1')).toBe(true);
    expect(trusted.trusts('11.0.0.1')).toBe(false);
  });

  it('can trust by position, as proxy-addr allows (only the socket peer)', () => {
    const trusted = compileTrustedProxies((_address, hop) => hop === 0);
    const r = resolveClientAddress({ peerAddress: '10.1.2.3', headers: { 'x-forwarded-for': '6.6.6.6, 5.5.5.5' } }, trusted);
    expect(r).toMatchObject({ address: '5.5.5.5' });
  });

  it('trusts only on exactly true; truthy values do not count', () => {
    for (const answer of [1, 'yes', {}, [], 'true']) {
      const trusted = compileTrustedProxies((() => answer) as never);
      expect(resolveClientAddress({ peerAddress: '10.1.2.3', headers: { 'x-forwarded-for': '1.2.4.8' } }, trusted), String(answer)).toMatchObject({
        address: '10.1.2.3',
        via: 'peer',
      });
    }
  });

  it('a throwing function trusts nothing and never breaks the join', () => {
    const trusted = compileTrustedProxies(() => {
      throw new Error('boom');
    });
    const r = resolveClientAddress({ peerAddress: '10.1.2.3', headers: { 'x-forwarded-for': '1.2.4.8' } }, trusted);
    expect(r).toMatchObject({ ok: true, address: '10.1.2.3', via: 'peer', untrustedForwarded: true });
    expect(trusted.trusts('10.1.2.3')).toBe(false);
    // Throwing at a later hop stops the walk there.
    const later = compileTrustedProxies((address) => {
      if (address === '10.0.0.2') throw new Error('boom');
      return address.startsWith('10.');
    });
    expect(resolveClientAddress({ peerAddress: '10.1.2.3', headers: { 'x-forwarded-for': '1.2.4.8, 10.0.0.2' } }, later)).toMatchObject({
      address: '10.0.0.2',
      untrustedForwarded: true,
    });
  });

  it('is not asked about an invalid peer', () => {
    let asked = 0;
    const trusted = compileTrustedProxies(() => {
      asked++;
      return true;
    });
    expect(resolveClientAddress({ peerAddress: '0x7f.1', headers: { 'x-forwarded-for': '1.2.4.8' } }, trusted)).toMatchObject({ ok: false, via: 'peer' });
    expect(asked).toBe(0);
  });
});

describe('trustsEverything', () => {
  it('is true when the list covers 0.0.0.0/0 or ::/0', () => {
    expect(compileTrustedProxies(['0.0.0.0/0']).trustsEverything).toBe(true);
    expect(compileTrustedProxies(['::/0']).trustsEverything).toBe(true);
    expect(compileTrustedProxies('loopback, 0.0.0.0/0').trustsEverything).toBe(true);
    expect(compileTrustedProxies(['::ffff:0.0.0.0/96']).trustsEverything).toBe(true);
    expect(compileTrustedProxies(['0.0.0.0/1']).trustsEverything).toBe(false);
    expect(compileTrustedProxies(['uniquelocal', 'loopback', 'linklocal']).trustsEverything).toBe(false);
    expect(compileTrustedProxies([]).trustsEverything).toBe(false);
  });
});

describe('trustedProxies errors', () => {
  it('names the entry at fault, in every form', () => {
    const cases: [TrustedProxiesInput, string, RegExp][] = [
      [['loopback', 'Loopback'], 'trustedProxies[1]', /names are 'loopback', 'linklocal', 'uniquelocal'/],
      [['uniquelocal', 'private'], 'trustedProxies[1]', /names are/],
      [['loopback', '10.0.0.1/8'], 'trustedProxies[1]', /did you mean 10\.0\.0\.0\/8/],
      [['loopback', ''], 'trustedProxies[1]', /is empty/],
      [['loopback', 7 as never], 'trustedProxies[1]', /got number/],
      [['loopback', null as never], 'trustedProxies[1]', /got null/],
      ['loopback, 10.0.0.0/33', 'trustedProxies[1]', /too long for IPv4/],
      ['loopback,,10.0.0.0/8', 'trustedProxies[1]', /is empty/],
      ['loopback, 0x7f.1', 'trustedProxies[1]', /hexadecimal/],
      ['10.0.0.0/8,', 'trustedProxies[1]', /is empty/],
    ];
    for (const [input, argument, message] of cases) {
      const e = configError(() => compileTrustedProxies(input));
      expect(e.argument, JSON.stringify(input)).toBe(argument);
      expect(e.message).toMatch(new RegExp(`^${argument.replace(/[[\]]/g, '\\$&')}: `));
      expect(e.message).toMatch(message);
    }
  });

  it('refuses other input types and unknown option keys', () => {
    for (const bad of [42, null, { cidrs: ['10.0.0.0/8'] }, true]) {
      expect(configError(() => compileTrustedProxies(bad as never)).argument).toBe('trustedProxies');
    }
    const e = configError(() => compileTrustedProxies([], { headers: 'forwarded' } as never));
    expect(e.message).toMatch(/did you mean "header"/);
    expect(configError(() => compileTrustedProxies([], { header: 'x-real-ip' as never })).argument).toBe('header');
  });
});
