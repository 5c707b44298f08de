import { describe, expect, test } from 'vitest';
import { detectLayout, LayoutEvidence, mapperFor } from '../src/geo/internal/layouts/index.js';
import type { MaxMindLayout } from 'geoadmit';
import { canonicalSubdivision } from '../src/regions/index.js';
import { iso31662 } from 'iso-3166';
import { MaxMindResolver } from 'geoadmit';
import { buildMmdb } from 'geoadmit/mmdb';
import { subdivisionByName } from '../src/regions/index.js';
import { buildIpLocationDbMmdb } from '../src/testing/index.js';

const ISO_CODES = new Set(iso31662.map((s) => s.code));

function setup(records: unknown[], databaseType = 'Test-DB') {
  const evidence = new LayoutEvidence();
  for (const r of records) evidence.add(r);
  return detectLayout(databaseType, evidence);
}

const map = (layout: MaxMindLayout, rec: unknown) => mapperFor(layout)(rec);

describe('GeoIP2 / GeoLite2 records', () => {
  test('physical country and full ISO 3166-2 subdivisions, most general first', () => {
    const rec = {
      country: { iso_code: 'GB', names: { en: 'United Kingdom' } },
      registered_country: { iso_code: 'GB' },
      subdivisions: [{ iso_code: 'ENG' }, { iso_code: 'WSM' }],
    };
    expect(map('geoip2-city', rec)).toEqual({ country: 'GB', subdivisions: ['GB-ENG', 'GB-WSM'] });
  });

  test('replaced Chinese numeric codes map to current codes', () => {
    expect(map('geoip2-city', { country: { iso_code: 'CN' }, subdivisions: [{ iso_code: '22' }] }).subdivisions).toEqual(['CN-JL']);
    expect(map('geoip2-city', { country: { iso_code: 'CN' }, subdivisions: [{ iso_code: '91' }] })).toEqual({ country: 'CN', subdivisions: ['CN-HK'] });
  });

  test('registered and represented countries never count as the location', () => {
    expect(map('geoip2-country', { registered_country: { iso_code: 'CN' } })).toEqual({ subdivisions: [] });
    expect(map('geoip2-country', { country: { iso_code: 'US' }, represented_country: { iso_code: 'DE', type: 'military' } }).country).toBe('US');
  });

  test('anonymising traits set anonymizer; satellite and legitimate proxies do not', () => {
    for (const flag of [
      'is_anonymous',
      'is_anonymous_vpn',
      'is_anonymous_proxy',
      'is_tor_exit_node',
      'is_hosting_provider',
      'is_public_proxy',
      'is_residential_proxy',
    ]) {
      expect(map('geoip2-city', { country: { iso_code: 'US' }, traits: { [flag]: true } }).anonymizer, flag).toBe(true);
    }
    expect(map('geoip2-city', { country: { iso_code: 'US' }, traits: { is_satellite_provider: true } }).anonymizer).toBeUndefined();
    expect(map('geoip2-city', { country: { iso_code: 'US' }, traits: { is_legitimate_proxy: true, is_anonymous: false } }).anonymizer).toBe(false);
    // An anonymous proxy with no physical country: anonymizer, no country.
    expect(map('geoip2-country', { registered_country: { iso_code: 'US' }, traits: { is_anonymous_proxy: true } })).toEqual({
      subdivisions: [],
      anonymizer: true,
    });
  });

  test('codes that are not ISO 3166-1 countries are not a physical country (XK is kept)', () => {
    for (const code of ['EU', 'AP', 'A1', 'ZZ', '--', 'cn', 'CHN', ''])
      expect(map('geoip2-country', { country: { iso_code: code } }).country, code).toBeUndefined();
    expect(map('geoip2-country', { country: { iso_code: 'XK' } }).country).toBe('XK');
  });

  test('hostile shapes are ignored, never thrown on', () => {
    for (const rec of [
      null,
      42,
      'CN',
      [],
      { country: 'CN' },
      { country: { iso_code: 7 } },
      { country: { iso_code: 'CN' }, subdivisions: 'JL' },
      { country: { iso_code: 'CN' }, subdivisions: [null, 5, { iso_code: 'TOOLONG' }, { iso_code: '../' }] },
    ]) {
      const out = map('geoip2-city', rec);
      expect(out.subdivisions).toEqual([]);
    }
  });

  test('mapped records are frozen (safe to share between lookups)', () => {
    const out = map('geoip2-city', { country: { iso_code: 'GB' }, subdivisions: [{ iso_code: 'ENG' }] });
    expect(Object.isFrozen(out)).toBe(true);
    expect(Object.isFrozen(out.subdivisions)).toBe(true);
  });
});

describe('DB-IP records', () => {
  test('subdivisions without iso_code are matched by their ISO name', () => {
    expect(map('dbip-city', { country: { iso_code: 'US' }, subdivisions: [{ names: { en: 'California' } }] }).subdivisions).toEqual(['US-CA']);
    expect(map('dbip-city', { country: { iso_code: 'US' }, subdivisions: [{ names: { en: 'Atlantis' } }] }).subdivisions).toEqual([]);
  });
});

describe('IPinfo and ip-location-db records', () => {
  test('IPinfo Lite: country_code is the code, country the name', () => {
    expect(map('ipinfo-lite', { country_code: 'HK', country: 'Hong Kong', continent_code: 'AS', asn: 'AS4760' })).toEqual({ country: 'HK', subdivisions: [] });
  });
  test('older IPinfo country: country is the code', () => {
    expect(map('ipinfo-country', { country: 'TW', country_name: 'Taiwan' })).toEqual({ country: 'TW', subdivisions: [] });
    expect(map('ipinfo-country', { country: 'Taiwan' }).country).toBeUndefined();
  });
  test('ip-location-db: state1 is a name mapped to its ISO code only when unambiguous', () => {
    expect(map('ip-location-db', { country_code: 'US', state1: 'California', city: 'Mountain View' })).toEqual({ country: 'US', subdivisions: ['US-CA'] });
    expect(map('ip-location-db', { country_code: 'CN', state1: 'Nowhere' })).toEqual({ country: 'CN', subdivisions: [] });
    expect(map('ip-location-db', { country_code: 'DE', state1: 'Bayern' }).subdivisions).toEqual(['DE-BY']);
    expect(map('ip-location-db', { country_code: 'ZZ' })).toEqual({ subdivisions: [] });
  });
});

describe('layout detection', () => {
  test('GeoIP2 Country vs City (by subdivisions or type), DB-IP by type', () => {
    expect(setup([{ country: { iso_code: 'CN' } }], 'GeoLite2-Country')).toMatchObject({
      ok: true,
      layout: 'geoip2-country',
      capabilities: { countries: true, subdivisions: false, anonymizers: false },
    });
    expect(setup([{ country: { iso_code: 'GB' }, subdivisions: [{ iso_code: 'ENG' }] }], 'GeoIP2-City')).toMatchObject({
      layout: 'geoip2-city',
      capabilities: { subdivisions: true },
    });
    expect(setup([{ country: { iso_code: 'US' } }], 'DBIP-Country-Lite')).toMatchObject({ layout: 'dbip-country' });
    expect(setup([{ country: { iso_code: 'US' }, subdivisions: [{ names: { en: 'Texas' } }] }], 'DBIP-City-Lite')).toMatchObject({
      layout: 'dbip-city',
      capabilities: { subdivisions: true },
    });
  });
  test('record evidence wins over the type name', () => {
    expect(setup([{ country_code: 'CN' }], 'GeoLite2-Country')).toMatchObject({ ok: true, layout: 'ip-location-db' });
  });
  test('GeoIP2 traits beyond the deprecated is_anonymous_proxy make an anonymizer capability', () => {
    expect(setup([{ country: { iso_code: 'US' }, traits: { is_anonymous_proxy: true } }])).toMatchObject({ capabilities: { anonymizers: false } });
    expect(setup([{ country: { iso_code: 'US' }, traits: { is_anonymous: true, is_anonymous_vpn: true } }], 'GeoIP2-Enterprise')).toMatchObject({
      layout: 'geoip2-city',
      capabilities: { anonymizers: true },
    });
  });
  test('Anonymous IP, IPinfo variants, ip-location-db', () => {
    expect(setup([{ is_anonymous: true, is_tor_exit_node: true }], 'GeoIP2-Anonymous-IP')).toMatchObject({
      layout: 'geoip2-anonymous-ip',
      capabilities: { countries: false, anonymizers: true },
    });
    expect(setup([{ country_code: 'US', country: 'United States', continent_code: 'NA', asn: 'AS15169' }], 'ipinfo lite.mmdb')).toMatchObject({
      layout: 'ipinfo-lite',
    });
    expect(setup([{ country: 'US', country_name: 'United States' }], 'ipinfo generic_country_free_ipv4_ipv6.mmdb')).toMatchObject({ layout: 'ipinfo-country' });
    expect(setup([{ country_code: 'US', state1: 'California' }], 'city ipv4')).toMatchObject({
      layout: 'ip-location-db',
      capabilities: { subdivisions: true },
    });
  });
  test('ASN, connection-type, ISP and domain databases are the wrong kind', () => {
    expect(setup([{ autonomous_system_number: 4134, autonomous_system_organization: 'Chinanet' }], 'GeoLite2-ASN')).toEqual({ ok: false, kind: 'ASN' });
    expect(setup([{ connection_type: 'Cable/DSL' }], 'GeoIP2-Connection-Type')).toEqual({ ok: false, kind: 'connection-type' });
    expect(setup([{ isp: 'Example', organization: 'Example' }], 'GeoIP2-ISP')).toEqual({ ok: false, kind: 'ISP' });
    expect(setup([{ domain: 'example.com' }], 'GeoIP2-Domain')).toEqual({ ok: false, kind: 'domain' });
    expect(setup([], 'GeoLite2-ASN')).toEqual({ ok: false, kind: 'ASN' });
    expect(setup([], 'whatever')).toEqual({ ok: false, kind: 'empty' });
  });
});

describe('canonicalSubdivision', () => {
  test('every replaced Chinese code maps to a current code; others unchanged', () => {
    expect(canonicalSubdivision('CN-11')).toBe('CN-BJ');
    expect(canonicalSubdivision('CN-54')).toBe('CN-XZ');
    expect(canonicalSubdivision('CN-71')).toBe('CN-TW');
    expect(canonicalSubdivision('US-CA')).toBe('US-CA');
    expect(canonicalSubdivision('__proto__')).toBe('__proto__');
    expect(canonicalSubdivision('constructor')).toBe('constructor');
  });
});

// Moved from the review-fixes grab-bag: layouts that name subdivisions instead of coding them.
describe('name-based subdivisions (ip-location-db state1, DB-IP names.en)', () => {
  test.each([
    ['CN', 'Tibet', 'CN-XZ'],
    ['CN', 'Beijing', 'CN-BJ'],
    ['CN', 'Guangdong', 'CN-GD'],
    ['CN', 'Xinjiang', 'CN-XJ'],
    ['CN', 'Inner Mongolia', 'CN-NM'],
    ['CN', 'Guangxi', 'CN-GX'],
    ['CN', 'Ningxia', 'CN-NX'],
    ['CN', 'Shaanxi', 'CN-SN'],
    ['CN', 'Shanxi', 'CN-SX'],
    ['UA', 'Crimea', 'UA-43'],
    ['RU', 'Moscow', 'RU-MOW'],
    ['RU', 'Moscow Oblast', 'RU-MOS'],
    ['RU', 'Tatarstan Republic', 'RU-TA'],
    ['DE', 'Bavaria', 'DE-BY'],
    ['DE', 'BAYERN', 'DE-BY'],
    ['ES', 'Catalonia', 'ES-CT'],
    ['ES', 'Madrid', 'ES-MD'],
    ['IN', 'Telangana', 'IN-TS'],
    ['MX', 'Mexico City', 'MX-CMX'],
    ['US', 'California', 'US-CA'],
  ])('%s %s → %s', (country, name, code) => {
    expect(subdivisionByName(country, name)).toBe(code);
  });

  test('unknown, ambiguous or cross-country names stay unknown', () => {
    expect(subdivisionByName('CN', 'Nowhere')).toBeUndefined();
    expect(subdivisionByName('RU', 'Crimea')).toBeUndefined();
    expect(subdivisionByName('CN', 'Sheng')).toBeUndefined();
    expect(subdivisionByName('CN', '__proto__')).toBeUndefined();
  });

  test('every exonym target is an ISO 3166-2 code', async () => {
    const { subdivisionExonyms } = await import('../src/regions/index.js');
    for (const [country, names] of Object.entries(subdivisionExonyms)) {
      for (const code of Object.values(names)) {
        expect(ISO_CODES.has(code), code).toBe(true);
        expect(code.startsWith(`${country}-`)).toBe(true);
      }
    }
  });

  test('the ip-location-db builder writes English names, and the resolver maps them', () => {
    const table = {
      '1.2.4.0/24': { country: 'CN', subdivisions: ['CN-XZ'] },
      '1.2.5.0/24': { country: 'CN', subdivisions: ['CN-GD'] },
      '5.0.0.0/24': { country: 'DE', subdivisions: ['DE-BY'] },
    };
    const geo = MaxMindResolver.fromBuffers([{ name: 'iploc.mmdb', buffer: buildIpLocationDbMmdb(table) }]);
    expect(geo.resolve('1.2.4.8')).toMatchObject({ country: 'CN', subdivisions: ['CN-XZ'] });
    expect(geo.resolve('1.2.5.8')).toMatchObject({ country: 'CN', subdivisions: ['CN-GD'] });
    expect(geo.resolve('5.0.0.1')).toMatchObject({ country: 'DE', subdivisions: ['DE-BY'] });
    expect(geo.capabilities.subdivisions).toBe(true);
  });

  test('subdivisions are not claimed when fewer than 95% of distinct names map', () => {
    const table: Record<string, { country: string; subdivisions: string[] }> = {};
    const names: Record<string, string> = {};
    const codes = ['CN-BJ', 'CN-SH', 'CN-GD', 'CN-XZ', 'CN-SC', 'CN-YN', 'CN-ZJ', 'CN-JS', 'CN-HE', 'CN-HA'];
    for (const [i, code] of codes.entries()) table[`1.2.${i}.0/24`] = { country: 'CN', subdivisions: [code] };
    names['CN-XZ'] = 'Xizang Province Region Nowhere'; // 1 of 10 unmapped: 90%
    const geo = MaxMindResolver.fromBuffers([{ name: 'iploc.mmdb', buffer: buildIpLocationDbMmdb(table, { names }) }]);
    expect(geo.capabilities).toEqual({ countries: true, subdivisions: false, anonymizers: false });
    expect(geo.resolve('1.2.3.4')).toMatchObject({ country: 'CN', subdivisions: [] });
    expect(geo.resolve('1.2.0.4')).toMatchObject({ country: 'CN', subdivisions: ['CN-BJ'] });
  });

  test('DB-IP style names without iso_code count the same way', () => {
    const rec = (name: string) => ({ country: { iso_code: 'CN' }, subdivisions: [{ names: { en: name } }] });
    const good = MaxMindResolver.fromBuffers([
      { name: 'dbip.mmdb', buffer: buildMmdb({ '1.2.4.0/24': rec('Tibet'), '1.2.5.0/24': rec('Beijing') }, { databaseType: 'DBIP-City-Lite' }) },
    ]);
    expect(good.capabilities.subdivisions).toBe(true);
    expect(good.resolve('1.2.4.8').subdivisions).toEqual(['CN-XZ']);
    const bad = MaxMindResolver.fromBuffers([
      { name: 'dbip.mmdb', buffer: buildMmdb({ '1.2.4.0/24': rec('Tibet'), '1.2.5.0/24': rec('Atlantis') }, { databaseType: 'DBIP-City-Lite' }) },
    ]);
    expect(bad.capabilities.subdivisions).toBe(false);
  });
});
