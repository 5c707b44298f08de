/** The testing kit's synthetic addresses: addressIn, testRegions, testResolver. */
import fc from 'fast-check';
import { iso31661, iso31662 } from 'iso-3166';
import { describe, expect, it } from 'vitest';
import { normalizeAddress, StaticResolver } from 'geoadmit';
import { addressIn, SYNTHETIC_SOURCE, testRegions, testResolver } from 'geoadmit/testing';
import { canonicalRegion, regionContains } from '../src/regions/index.js';
import { locationMatchesRegion } from '../src/restrictions/index.js';
import { syntheticTable } from '../src/testing/internal/allocation.js';

const geo = testResolver();
const families = [{ ipv6: false }, { ipv6: true }] as const;

/** `fn` throws a GeoadmitError `E_INVALID_CONFIG` with these fields (a RegExp matches the message). */
function refuses(fn: () => unknown, fields: { argument?: string; message?: RegExp }): void {
  const { message, ...rest } = fields;
  expect(fn).toThrow(
    expect.objectContaining({ name: 'GeoadmitError', code: 'E_INVALID_CONFIG', ...rest, ...(message ? { message: expect.stringMatching(message) } : {}) }),
  );
}

describe('addressIn', () => {
  it('gives the documented plan: country letters pick the block, index picks the host', () => {
    // CN: k = 26·2 + 13 = 65 → 20.65.0.0/16; its country /24 is 20.65.0.0/24.
    expect(addressIn('CN')).toBe('20.65.0.1');
    expect(addressIn('CN', 4)).toBe('20.65.0.5');
    // US: k = 26·20 + 18 = 538 → 22.26.0.0/16; US-CA is a subdivision /24 inside it.
    // Its subdivisions in code order (US-AS is AS, a country): AK, AL, AR, AZ, CA → US-CA is the 5th /24.
    expect(addressIn('US-CA', 3)).toBe('22.26.5.4');
    // DE: k = 26·3 + 4 = 82 = 0x52.
    expect(addressIn('DE', { ipv6: true })).toBe('2a00:52::1');
    expect(addressIn('DE', { ipv6: true, index: 2 })).toBe('2a00:52::3');
    expect(addressIn('DE', { index: 2 })).toBe(addressIn('DE', 2));
    expect(addressIn('US-CA', { ipv6: true })).toBe('2a00:21a:5::1');
  });

  it('is deterministic and reads codes as canonicalRegion does', () => {
    expect(addressIn('US-CA', 7)).toBe(addressIn('US-CA', 7));
    expect(addressIn('cn-xz')).toBe(addressIn('CN-XZ'));
    expect(addressIn('CN-22')).toBe(addressIn('CN-JL'));
    // A territory with its own code is that country, never inside CN.
    expect(addressIn('CN-HK')).toBe(addressIn('HK'));
    expect(geo.resolve(addressIn('CN-HK')).country).toBe('HK');
  });

  it('places every region of the table, in both families and at both ends of the index range, on global addresses there', () => {
    // Plain checks collected into one list: 21,000 expect() calls would take seconds.
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const region of testRegions()) {
      for (const family of families) {
        for (const index of [0, 253]) {
          const address = addressIn(region, { ...family, index });
          const normalized = normalizeAddress(address);
          if (!normalized.ok || !normalized.global || normalized.address !== address) problems.push(`${region}: ${address} is not global canonical text`);
          if (seen.has(address)) problems.push(`${region}: ${address} given twice`);
          seen.add(address);
          const location = geo.resolve(address);
          if (!locationMatchesRegion(location, region)) problems.push(`${region}: ${address} resolves to ${JSON.stringify(location)}`);
          if (location.source !== SYNTHETIC_SOURCE) problems.push(`${region}: source ${location.source}`);
          const exact = region.includes('-')
            ? location.country === region.slice(0, 2) && location.subdivisions.at(-1) === region
            : location.country === region && location.subdivisions.length === 0;
          if (!exact) problems.push(`${region}: ${address} resolves to ${JSON.stringify(location)}`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(seen.size).toBe(testRegions().length * 4);
    expect(geo.resolve(addressIn('CN'))).toEqual({ country: 'CN', subdivisions: [], source: 'synthetic', network: '20.65.0.0/24' });
    expect(geo.resolve(addressIn('DE', { ipv6: true }))).toEqual({ country: 'DE', subdivisions: [], source: 'synthetic', network: '2a00:52::/48' });
  });

  it('distinct indexes give distinct addresses in the same region (property)', () => {
    const regions = testRegions();
    fc.assert(
      fc.property(fc.constantFrom(...regions), fc.integer({ min: 0, max: 253 }), fc.integer({ min: 0, max: 253 }), fc.boolean(), (region, i, j, ipv6) => {
        fc.pre(i !== j);
        const a = addressIn(region, { ipv6, index: i });
        const b = addressIn(region, { ipv6, index: j });
        expect(a).not.toBe(b);
        expect(normalizeAddress(a)).toMatchObject({ ok: true, global: true });
        expect(geo.resolve(a)).toBe(geo.resolve(b));
        expect(locationMatchesRegion(geo.resolve(a), region)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('gives subdivisions their ISO 3166-2 parents, most general first', () => {
    for (const region of testRegions('subdivisions')) {
      const { subdivisions } = geo.resolve(addressIn(region));
      for (let i = 1; i < subdivisions.length; i++) expect(regionContains(subdivisions[i - 1]!, subdivisions[i]!)).toBe(true);
    }
    expect(geo.resolve(addressIn('US-CA')).subdivisions).toEqual(['US-CA']);
    expect(geo.resolve(addressIn('UA-43')).subdivisions).toEqual(['UA-43']);
    const nested = testRegions('subdivisions').find((r) => geo.resolve(addressIn(r)).subdivisions.length > 1);
    expect(nested, 'the ISO data has nested subdivisions (e.g. FR-01 in FR-ARA)').toBeDefined();
  });

  it('refuses regions that are not ISO codes, bad indexes and unknown options, naming the argument', () => {
    for (const bad of ['XX', 'ZZ-99', 'California', '', 'CN-', 'US_CA']) {
      refuses(() => addressIn(bad), { argument: 'region', message: /is not an ISO 3166 region code/ });
    }
    refuses(() => addressIn(42 as unknown as string), { argument: 'region' });
    for (const index of [-1, 254, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      refuses(() => addressIn('CN', index), { argument: 'index', message: /index must be an integer from 0 to 253/ });
      refuses(() => addressIn('CN', { index }), { argument: 'index' });
    }
    refuses(() => addressIn('CN', { index: '3' as unknown as number }), { argument: 'index' });
    refuses(() => addressIn('CN', { ipv6: 'yes' as unknown as boolean }), { argument: 'ipv6' });
    refuses(() => addressIn('CN', { ipV6: true } as never), { message: /unknown option "ipV6" \(did you mean "ipv6"\?\)/ });
    refuses(() => addressIn('CN', null as never), { argument: 'options' });
  });
});

describe('testRegions', () => {
  it('covers every ISO 3166-1 country (plus XK) and every canonical ISO 3166-2 subdivision', () => {
    const countries = new Set(testRegions('countries'));
    for (const c of iso31661) expect(countries.has(c.alpha2), c.alpha2).toBe(true);
    expect(countries.has('XK')).toBe(true);
    expect(countries.size).toBe(iso31661.length + 1);
    const subdivisions = new Set(testRegions('subdivisions'));
    for (const s of iso31662) {
      // Aliases (CN-HK → HK) are located as the country they stand for.
      if (canonicalRegion(s.code) === s.code) expect(subdivisions.has(s.code), s.code).toBe(true);
      else expect(subdivisions.has(s.code)).toBe(false);
    }
    expect(testRegions()).toEqual([...countries, ...subdivisions]);
  });

  it('includes every subdivision the documentation examples use', () => {
    const all = new Set(testRegions());
    for (const code of ['CN-BJ', 'CN-XZ', 'CN-JL', 'CN-ZJ', 'US-CA', 'US-NY', 'US-TX', 'GB-ENG', 'GB-SCT', 'UA-43', 'DE-BY'])
      expect(all.has(code), code).toBe(true);
    // All of mainland China's provinces, municipalities and autonomous regions (HK, MO, TW are countries).
    expect(testRegions('subdivisions').filter((r) => r.startsWith('CN-'))).toHaveLength(31);
  });
});

describe('testResolver', () => {
  it('agrees with a StaticResolver over the plan written out as a table', () => {
    const table = syntheticTable();
    const reference = new StaticResolver(table, { name: 'synthetic' });
    expect(reference.size).toBe(testRegions().length * 2);
    const disagreements: string[] = [];
    for (const network of Object.keys(table)) {
      const [first] = network.split('/');
      const inside = first!.includes(':') ? `${first}abcd` : first!.replace(/0$/, '200');
      const ours = JSON.stringify(geo.resolve(inside));
      const theirs = JSON.stringify(reference.resolve(inside));
      if (ours !== theirs) disagreements.push(`${inside}: ${ours} vs ${theirs}`);
    }
    expect(disagreements).toEqual([]);
  });

  it('reports addresses outside the table as not-in-database and special-purpose ones as non-global', () => {
    for (const address of ['8.8.8.8', '20.65.255.1', '22.164.0.1', '2a00:52:ff::1', '2a00:2a4::1', '2c0f::1']) {
      expect(geo.resolve(address), address).toEqual({ subdivisions: [], source: 'unknown', unknown: 'not-in-database' });
    }
    for (const address of ['10.0.0.1', '203.0.113.7', '2001:db8::1', '::1']) expect(geo.resolve(address).unknown).toBe('non-global');
    expect(geo.resolve('not an address').unknown).toBe('invalid-address');
    // Embedded IPv4 forms are located by their IPv4 address, as everywhere in geoadmit.
    expect(geo.resolve(`::ffff:${addressIn('CN')}`).country).toBe('CN');
    expect(geo.capabilities).toEqual({ countries: true, subdivisions: true, anonymizers: true });
    expect(geo.metadata.name).toBe('synthetic');
  });

  it('lets overrides place an address or prefix, with anonymizer flags, before the table', () => {
    const vpn = addressIn('NL', 9);
    const resolver = testResolver({
      [vpn]: { country: 'NL', anonymizer: { vpn: true } },
      '8.8.8.0/24': { country: 'US', subdivisions: ['US-CA'] },
      '2c0f:f000::/20': 'ZA',
    });
    expect(resolver.resolve(vpn)).toEqual({ country: 'NL', subdivisions: [], anonymizer: true, source: 'synthetic', network: `${vpn}/32` });
    expect(resolver.resolve(addressIn('NL', 8)).anonymizer).toBeUndefined();
    expect(resolver.resolve('8.8.8.8')).toMatchObject({ country: 'US', subdivisions: ['US-CA'] });
    expect(resolver.resolve('2c0f:f001::1').country).toBe('ZA');
    expect(resolver.resolve(addressIn('CN')).country).toBe('CN');
    // The shared table is not changed by one resolver's overrides.
    expect(geo.resolve(vpn).anonymizer).toBeUndefined();
  });

  it('refuses special-purpose override keys, and invalid ones as StaticResolver does, naming the key', () => {
    for (const key of ['203.0.113.7', '10.0.0.0/8', '2001:db8::/32', '192.168.1.0/24']) {
      refuses(() => testResolver({ [key]: 'CN' }), {
        argument: `overrides[${JSON.stringify(key)}]`,
        message: /special-purpose address the gate never looks up/,
      });
    }
    refuses(() => testResolver({ '1.2.3.4/33': 'CN' }), { message: /^testResolver: overrides\["1\.2\.3\.4\/33"\]/ });
    refuses(() => testResolver({ '1.2.4.0/24': 'XX' }), { message: /country must be an ISO 3166-1 alpha-2 code/ });
    refuses(() => testResolver({ '1.2.4.0/24': { country: 'CN', subdivisions: ['US-CA'] } }), { message: /US-CA is not inside country CN/ });
    refuses(() => testResolver(null as never), {});
  });
});
