import fc from 'fast-check';
import { iso31661, iso31662 } from 'iso-3166';
import { describe, expect, it } from 'vitest';
import type { Location } from 'geoadmit';
import { canonicalRegion, regionContains, territoryAliases, territoryParents } from '../src/regions/index.js';
import { locationMatchesRegion } from '../src/restrictions/index.js';

const at = (country: string | undefined, subdivisions: string[] = []): Location =>
  country === undefined ? { subdivisions, source: 'unknown', unknown: 'not-in-database' } : { country, subdivisions, source: 'static' };

describe('canonicalRegion', () => {
  it('accepts assigned alpha-2 codes and ISO 3166-2 codes, case-insensitively', () => {
    expect(canonicalRegion('CN')).toBe('CN');
    expect(canonicalRegion('us-ca')).toBe('US-CA');
    expect(canonicalRegion('Gb-Eng')).toBe('GB-ENG');
    expect(canonicalRegion('UA-43')).toBe('UA-43');
    expect(canonicalRegion('FR-75C')).toBe('FR-75C');
    expect(canonicalRegion('cn-xz')).toBe('CN-XZ');
  });

  it('maps replaced Chinese numeric codes to the current ones', () => {
    expect(canonicalRegion('CN-22')).toBe('CN-JL');
    expect(canonicalRegion('CN-11')).toBe('CN-BJ');
    expect(canonicalRegion('cn-54')).toBe('CN-XZ');
    // Replaced codes for territories end at their own alpha-2 code.
    expect(canonicalRegion('CN-91')).toBe('HK');
    expect(canonicalRegion('CN-92')).toBe('MO');
    expect(canonicalRegion('CN-71')).toBe('TW');
  });

  it('maps subdivision codes of territories with their own alpha-2 code to that code', () => {
    expect(canonicalRegion('CN-HK')).toBe('HK');
    expect(canonicalRegion('CN-MO')).toBe('MO');
    expect(canonicalRegion('CN-TW')).toBe('TW');
    expect(canonicalRegion('US-PR')).toBe('PR');
    expect(canonicalRegion('FR-974')).toBe('RE');
    expect(canonicalRegion('NL-BQ1')).toBe('BQ-BO');
    expect(canonicalRegion('FI-01')).toBe('AX');
  });

  it('accepts XK (Kosovo) as a country, as GeoIP databases report it', () => {
    expect(canonicalRegion('XK')).toBe('XK');
    expect(canonicalRegion('RS-KM')).toBe('XK');
  });

  it.each([
    'XX',
    'XZ',
    'ZZ',
    'EU',
    'AP',
    'UK',
    'A1',
    '--',
    '',
    'C',
    'CHN',
    'US-',
    '-CA',
    'US-ZZ',
    'US-CAL',
    'US_CA',
    ' CN',
    'CN ',
    'CN\n',
    'ＣＮ',
    'US-CA-1',
    '__proto__',
    'constructor',
    'toString',
    'CN-99',
  ])('rejects %j', (code) => {
    expect(canonicalRegion(code)).toBeUndefined();
  });

  it('rejects non-strings', () => {
    for (const v of [undefined, null, 1, {}, ['CN'], Symbol('CN')]) expect(canonicalRegion(v)).toBeUndefined();
  });
});

describe('territory aliases (checked against the iso-3166 data)', () => {
  const assigned = new Set(iso31661.filter((c) => c.state === 'assigned').map((c) => c.alpha2));
  const subdivision = new Map(iso31662.map((s) => [s.code, s]));

  it('every alias is an ISO 3166-2 code and its target a country or a subdivision of one', () => {
    for (const [from, to] of territoryAliases) {
      expect(subdivision.has(from), from).toBe(true);
      expect(assigned.has(to) || to === 'XK' || (subdivision.has(to) && assigned.has(subdivision.get(to)!.parent)), to).toBe(true);
    }
    for (const [from, to] of territoryParents) {
      expect(subdivision.has(from), from).toBe(true);
      expect(assigned.has(to), to).toBe(true);
    }
  });

  it('covers every subdivision named exactly like another assigned country (name coincidences excepted)', () => {
    const byName = new Map(iso31661.map((c) => [c.name.split(' (')[0]!.toLowerCase(), c.alpha2]));
    const coincidences = new Set(['BE-WLX', 'GN-ML', 'NG-NI', 'US-GA']);
    for (const s of iso31662) {
      const other = byName.get(s.name.toLowerCase().replace(/ sar$/, ''));
      if (other === undefined || other === s.parent.slice(0, 2) || coincidences.has(s.code)) continue;
      expect(territoryAliases.get(s.code), s.code).toBe(other);
    }
  });
});

describe('regionContains', () => {
  it.each([
    ['CN', 'CN', true],
    ['CN', 'CN-XZ', true],
    ['CN', 'CN-22', true],
    ['CN-JL', 'CN-22', true],
    ['CN', 'HK', false],
    ['CN', 'MO', false],
    ['CN', 'TW', false],
    ['CN', 'CN-HK', false],
    ['CN', 'CN-TW', false],
    ['CN', 'CN-91', false],
    ['HK', 'CN-HK', true],
    ['CN', 'US', false],
    ['US', 'US-CA', true],
    ['US-CA', 'US', false],
    ['US-CA', 'US-CA', true],
    ['US-CA', 'US-NY', false],
    ['US', 'US-PR', false],
    ['US', 'PR', false],
    ['FR', 'FR-ARA', true],
    ['FR', 'FR-01', true], // FR-01's parent is FR-ARA: the chain is walked
    ['FR-ARA', 'FR-01', true],
    ['FR-IDF', 'FR-01', false],
    ['FR', 'FR-974', false],
    ['GB', 'GB-ENG', true],
    ['NL', 'NL-BQ1', false],
    ['BQ', 'NL-BQ1', true],
    ['NO', 'NO-21', false],
    ['SJ', 'NO-21', true],
    ['FI', 'FI-01', false],
    ['XK', 'RS-25', true],
    ['RS', 'RS-KM', false],
    ['us', 'us-ca', true],
    ['CN', 'XX', false],
    ['XX', 'XX', false],
  ] as const)('%s contains %s: %s', (outer, inner, expected) => {
    expect(regionContains(outer, inner)).toBe(expected);
  });
});

describe('locationMatchesRegion', () => {
  it.each([
    [at('CN'), 'CN', true],
    [at('HK'), 'CN', false],
    [at('HK'), 'HK', true],
    [at('HK'), 'CN-HK', true],
    [at('TW'), 'CN', false],
    [at('CN', ['CN-HK']), 'CN', false], // a record filing Hong Kong under CN is still in HK
    [at('CN', ['CN-HK']), 'HK', true],
    [at('CN', ['CN-JL']), 'CN-JL', true],
    [at('CN', ['CN-22']), 'CN-JL', true], // replaced code from an old database
    [at('CN', ['CN-JL']), 'CN-22', true],
    [at('CN', []), 'CN-JL', false], // subdivision unknown: not confirmed
    [at('CN', ['CN-BJ']), 'CN-JL', false],
    [at('US', ['US-CA']), 'US', true],
    [at('US', ['US-CA']), 'US-CA', true],
    [at('US', ['US-CA']), 'us-ca', true],
    [at('CA'), 'US-CA', false],
    [at('FR', ['FR-ARA', 'FR-01']), 'FR-ARA', true],
    [at('FR', ['FR-01']), 'FR-ARA', true], // a descendant of the region
    [at('FR', ['FR-ARA']), 'FR-01', false], // only the coarser level known
    [at('PR'), 'US', false],
    [at(undefined), 'CN', false],
    [at('CN'), 'XX', false],
  ] as const)('%j in %s: %s', (location, region, expected) => {
    expect(locationMatchesRegion(location, region)).toBe(expected);
  });
});

describe('locationMatchesRegion property', () => {
  const isoParent = new Map(iso31662.map((s) => [s.code, s.parent]));
  const aliasOf = (code: string) => territoryAliases.get(code) ?? code;
  // Reference: a location is at its most specific code; it matches a region that contains that code.
  const inside = (outer: string, inner: string): boolean => {
    const target = aliasOf(outer);
    for (let cur: string | undefined = aliasOf(inner); cur !== undefined; ) {
      if (cur === target) return true;
      const parent: string | undefined = territoryParents.get(cur) ?? isoParent.get(cur);
      cur = parent === undefined ? undefined : aliasOf(parent);
    }
    return false;
  };
  /** The ISO ancestor chain of a subdivision, most general first, as a database would report it. */
  const chain = (code: string): string[] => {
    const out: string[] = [];
    for (let cur: string | undefined = code; cur?.includes('-'); cur = isoParent.get(cur)) out.unshift(cur);
    return out;
  };
  const countries = iso31661.filter((c) => c.state === 'assigned').map((c) => c.alpha2);

  it("matches iff the region contains the location's most specific code", () => {
    const scenario = fc.constantFrom(...countries).chain((country) => {
      const own = iso31662.filter((s) => s.code.startsWith(`${country}-`)).map((s) => s.code);
      const where = own.length === 0 ? fc.constant(undefined) : fc.option(fc.constantFrom(...own), { nil: undefined });
      const region = fc.oneof(
        { arbitrary: fc.constantFrom(country, ...own), weight: 6 },
        { arbitrary: fc.constantFrom(...territoryAliases.values(), ...countries), weight: 1 },
      );
      return fc.tuple(fc.constant(country), where, region);
    });
    fc.assert(
      fc.property(scenario, ([country, sub, region]) => {
        const location: Location = { country, subdivisions: sub === undefined ? [] : chain(sub), source: 'static' };
        expect(locationMatchesRegion(location, region)).toBe(inside(region, sub ?? country));
      }),
      { numRuns: 3000 },
    );
  });
});
