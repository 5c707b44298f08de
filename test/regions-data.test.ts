import { iso31661, iso31661Reserved, iso31662 } from 'iso-3166';
import { describe, expect, test } from 'vitest';
import { MaxMindResolver, parseGeofeed, StaticResolver } from 'geoadmit';
import { buildMmdb } from 'geoadmit/mmdb';
import { canonicalRegion, COUNTRIES, isCountryCode, regionSuggestion, replacedSubdivisionCodes } from '../src/regions/index.js';
import { validateRestriction } from 'geoadmit';

const ISO_CODES = new Set(iso31662.map((s) => s.code));

describe('one home for ISO region data (src/regions)', () => {
  test('one country list: region validation and database country codes agree (ISO 3166-1 plus XK)', () => {
    expect(COUNTRIES).toEqual(new Set([...iso31661.map((c) => c.alpha2), 'XK']));
    for (const code of COUNTRIES) expect(isCountryCode(code), code).toBe(true);
    for (const code of ['EU', 'AP', 'A1', 'ZZ', 'UK']) expect(isCountryCode(code), code).toBe(false);
  });
});

describe('codes people mean: UK is GB (issue 14)', () => {
  test.each([
    ['UK', ['GB']],
    ['uk', ['GB']],
    ['EL', ['GR']],
    ['FX', ['FR']],
    ['YU', ['RS', 'ME']],
    ['AN', ['CW', 'SX', 'BQ']],
  ])('%s suggests %j', (code, meant) => {
    expect(regionSuggestion(code)).toEqual(meant);
  });

  test('real codes and unknown codes suggest nothing', () => {
    for (const code of ['GB', 'CN', 'US-CA', 'QQ']) expect(regionSuggestion(code), code).toEqual([]);
  });

  test('every exceptionally reserved ISO 3166-1 code that names a place has a suggestion, and every suggestion is a region', () => {
    const places = iso31661Reserved.filter((r) => r.state === 'exceptionally-reserved' && !['EU', 'EZ', 'UN'].includes(r.alpha2));
    for (const r of places) {
      const meant = regionSuggestion(r.alpha2);
      expect(meant.length, `${r.alpha2} (${r.name})`).toBeGreaterThan(0);
      for (const m of meant) expect(canonicalRegion(m), m).toBe(m);
    }
  });

  test('StaticResolver and geofeeds suggest GB for UK too', () => {
    expect(() => new StaticResolver({ '1.2.4.0/24': 'UK' })).toThrow(/did you mean "GB"\?/);
    expect(() => parseGeofeed('1.2.4.0/24,UK,,,\n')).toThrow(/country "UK" is not an ISO 3166-1 alpha-2 code \(did you mean "GB"\?\)/);
  });

  test('a restriction naming "UK" is refused suggesting GB, never CF-UK or IN-UK', () => {
    const doc = { id: 'r', authority: { name: 'Ofcom', jurisdiction: 'GB' }, regions: ['UK'], scope: { meetings: ['m'] } };
    let message = '';
    try {
      validateRestriction(doc);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/\$\.regions\[0\]: unknown region code "UK" \(did you mean "GB"\?/);
    expect(message).not.toMatch(/CF-UK|IN-UK/);
    expect(() => validateRestriction({ ...doc, authority: { name: 'x', jurisdiction: 'EL' }, regions: ['GR'] })).toThrow(/did you mean "GR"/);
  });
});

describe('replaced subdivision codes', () => {
  test('every source is absent from iso-3166 and every target present', () => {
    for (const [from, to] of Object.entries(replacedSubdivisionCodes)) {
      expect(ISO_CODES.has(from), from).toBe(false);
      expect(ISO_CODES.has(to), to).toBe(true);
      expect(from.slice(0, 2)).toBe(to.slice(0, 2));
    }
  });

  test('India 2023 codes canonicalise, in databases and documents', () => {
    expect(canonicalRegion('IN-TG')).toBe('IN-TS');
    expect(canonicalRegion('in-ct')).toBe('IN-CG');
    expect(canonicalRegion('IN-DD')).toBe('IN-DH');
    const geo = MaxMindResolver.fromBuffers([
      {
        name: 'city.mmdb',
        buffer: buildMmdb({ '1.2.4.0/24': { country: { iso_code: 'IN' }, subdivisions: [{ iso_code: 'UT' }] } }, { databaseType: 'GeoIP2-City' }),
      },
    ]);
    expect(geo.resolve('1.2.4.8').subdivisions).toEqual(['IN-UK']);
  });
});
