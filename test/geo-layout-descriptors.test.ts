import { describe, expect, test } from 'vitest';
import { MaxMindLayout } from 'geoadmit';
import { detectLayout, guessFromTypeName, LAYOUTS, LayoutEvidence, mapperFor, roleOf } from '../src/geo/internal/layouts/index.js';

// One descriptor per vendor layout: these tests keep the list whole (every public id has exactly one
// descriptor, none shadowed by another) and pin the precedence its order encodes.

/** A database each layout must be detected from (type name, records): adding a layout means adding a row. */
const DETECTED: Record<MaxMindLayout, { type: string; records: unknown[] }> = {
  'geoip2-anonymous-ip': { type: 'GeoIP2-Anonymous-IP', records: [{ is_anonymous: true, is_anonymous_vpn: true }] },
  'dbip-city': { type: 'DBIP-City-Lite', records: [{ country: { iso_code: 'US' }, subdivisions: [{ names: { en: 'Texas' } }] }] },
  'dbip-country': { type: 'DBIP-Country-Lite', records: [{ country: { iso_code: 'US' } }] },
  'geoip2-city': { type: 'GeoLite2-City', records: [{ country: { iso_code: 'GB' }, subdivisions: [{ iso_code: 'ENG' }] }] },
  'geoip2-country': { type: 'GeoLite2-Country', records: [{ country: { iso_code: 'CN' } }] },
  'ipinfo-lite': { type: 'ipinfo lite.mmdb', records: [{ country_code: 'US', country: 'United States', continent_code: 'NA', asn: 'AS15169' }] },
  'ip-location-db': { type: 'country ipv4', records: [{ country_code: 'DE', state1: 'Bayern' }] },
  'ipinfo-country': { type: 'ipinfo generic_country_free_ipv4_ipv6.mmdb', records: [{ country: 'TW', country_name: 'Taiwan' }] },
};

function detect(type: string, records: unknown[]) {
  const evidence = new LayoutEvidence();
  for (const r of records) evidence.add(r);
  return detectLayout(type, evidence);
}

describe('the list of layout descriptors', () => {
  test('every public layout id has exactly one descriptor, and every descriptor a public id', () => {
    const ids = LAYOUTS.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(Object.values(MaxMindLayout).sort());
  });

  test('every descriptor is reachable: no earlier one claims its databases', () => {
    for (const d of LAYOUTS) {
      const { type, records } = DETECTED[d.id];
      expect(detect(type, records), d.id).toMatchObject({ ok: true, layout: d.id });
    }
  });

  test('every descriptor with a name test is reachable by name, and the catch-all comes last of them', () => {
    const named = LAYOUTS.filter((d) => d.named !== undefined);
    for (const d of named) expect(guessFromTypeName(DETECTED[d.id].type), d.id).toMatchObject({ ok: true, layout: d.id });
    const catchAll = named.findIndex((d) => d.named?.('') === true);
    expect(catchAll).toBe(named.length - 1);
  });

  test('mapperFor hands out the descriptor’s own function (no wrapper on the per-record path)', () => {
    for (const d of LAYOUTS) expect(mapperFor(d.id)).toBe(d.map);
  });

  test('role and capabilities agree: an anonymizer layer never answers places, a location database always answers countries', () => {
    for (const d of LAYOUTS) {
      const { type, records } = DETECTED[d.id];
      const detected = detect(type, records);
      const guessed = guessFromTypeName(type);
      expect(roleOf(d.id)).toBe(d.role);
      for (const result of [detected, guessed]) {
        if (!result.ok || result.layout !== d.id) continue;
        expect(result.capabilities.countries, d.id).toBe(d.role === 'location');
        if (d.role === 'anonymizer') expect(result.capabilities).toEqual({ countries: false, subdivisions: false, anonymizers: true });
      }
    }
    expect(LAYOUTS.filter((d) => d.role === 'anonymizer').map((d) => d.id)).toEqual([MaxMindLayout.GeoIp2AnonymousIp]);
  });
});

describe('precedence the order encodes', () => {
  test('a file mixing record shapes is read as its richest: GeoIP2 objects, then anonymity flags, then country_code, then a code in country', () => {
    const geoip2 = { country: { iso_code: 'US' } };
    const flags = { is_anonymous: true };
    const countryCode = { country_code: 'US' };
    const codeInCountry = { country: 'US' };
    expect(detect('x', [codeInCountry, countryCode, flags, geoip2])).toMatchObject({ layout: 'geoip2-country' });
    expect(detect('x', [codeInCountry, countryCode, flags])).toMatchObject({ layout: 'geoip2-anonymous-ip' });
    expect(detect('ipinfo', [codeInCountry, countryCode])).toMatchObject({ layout: 'ipinfo-lite' });
    expect(detect('x', [codeInCountry, countryCode])).toMatchObject({ layout: 'ip-location-db' });
    expect(detect('x', [codeInCountry])).toMatchObject({ layout: 'ipinfo-country' });
  });

  test('within a shape the type name breaks ties: DB-IP before GeoIP2, city before country', () => {
    const country = [{ country: { iso_code: 'US' } }];
    expect(detect('DBIP-City-Lite', country)).toMatchObject({ layout: 'dbip-city' });
    expect(detect('GeoIP2-Enterprise', country)).toMatchObject({ layout: 'geoip2-city' });
    expect(detect('DB-IP Enterprise', country)).toMatchObject({ layout: 'dbip-city' });
    expect(detect('GeoIP2-Anonymous-IP', country)).toMatchObject({ layout: 'geoip2-country' });
  });

  test('by name alone the anonymous-IP name comes first, DB-IP before GeoIP2, and ip-location-db takes the rest', () => {
    expect(guessFromTypeName('GeoIP2-Anonymous-IP')).toMatchObject({ layout: 'geoip2-anonymous-ip' });
    expect(guessFromTypeName('DBIP-GeoIP2-City')).toMatchObject({ layout: 'dbip-city' });
    expect(guessFromTypeName('DB-IP Enterprise')).toMatchObject({ layout: 'dbip-country' });
    expect(guessFromTypeName('GeoIP2-Enterprise')).toMatchObject({ layout: 'geoip2-city' });
    expect(guessFromTypeName('GeoLite2-ipinfo')).toMatchObject({ layout: 'geoip2-country' });
    expect(guessFromTypeName('anything else')).toEqual({
      ok: true,
      layout: 'ip-location-db',
      capabilities: { countries: true, subdivisions: false, anonymizers: false },
    });
  });

  test('an empty file is an anonymous-IP layer only when its name says so', () => {
    expect(detect('GeoIP2-Anonymous-IP', [])).toEqual({
      ok: true,
      layout: 'geoip2-anonymous-ip',
      capabilities: { countries: false, subdivisions: false, anonymizers: true },
    });
    expect(detect('GeoIP2-City', [])).toEqual({ ok: false, kind: 'empty' });
  });
});
