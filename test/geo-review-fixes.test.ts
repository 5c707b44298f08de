import { iso31662 } from 'iso-3166';
import { describe, expect, test } from 'vitest';
import { GeoadmitError } from '../src/errors/index.js';
import { subdivisionByName } from '../src/geo/internal/iso.js';
import { replacedSubdivisionCodes } from '../src/geo/internal/replaced-codes.js';
import { MaxMindResolver, OverlayResolver, parseGeofeed, StaticResolver } from '../src/geo/index.js';
import type { GeoResolver, Location } from '../src/geo/index.js';
import { buildMmdb } from '../src/mmdb/index.js';
import { canonicalRegion } from '../src/restrictions/regions.js';
import { buildGeoIp2Mmdb, buildIpLocationDbMmdb, staticResolver } from '../src/testing/index.js';

const ISO_CODES = new Set(iso31662.map((s) => s.code));

function configError(fn: () => unknown): GeoadmitError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GeoadmitError);
    expect((error as GeoadmitError).code).toBe('E_INVALID_CONFIG');
    return error as GeoadmitError;
  }
  throw new Error('expected a GeoadmitError');
}

describe('name-based subdivisions (ip-location-db state1, DB-IP names.en)', () => {
  test.each([
    ['CN', 'Tibet', 'CN-XZ'], ['CN', 'Beijing', 'CN-BJ'], ['CN', 'Guangdong', 'CN-GD'], ['CN', 'Xinjiang', 'CN-XJ'],
    ['CN', 'Inner Mongolia', 'CN-NM'], ['CN', 'Guangxi', 'CN-GX'], ['CN', 'Ningxia', 'CN-NX'], ['CN', 'Shaanxi', 'CN-SN'], ['CN', 'Shanxi', 'CN-SX'],
    ['UA', 'Crimea', 'UA-43'], ['RU', 'Moscow', 'RU-MOW'], ['RU', 'Moscow Oblast', 'RU-MOS'], ['RU', 'Tatarstan Republic', 'RU-TA'],
    ['DE', 'Bavaria', 'DE-BY'], ['DE', 'BAYERN', 'DE-BY'], ['ES', 'Catalonia', 'ES-CT'], ['ES', 'Madrid', 'ES-MD'],
    ['IN', 'Telangana', 'IN-TS'], ['MX', 'Mexico City', 'MX-CMX'], ['US', 'California', 'US-CA'],
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
    const { subdivisionExonyms } = await import('../src/geo/internal/iso.js');
    for (const [country, names] of Object.entries(subdivisionExonyms)) {
      for (const code of Object.values(names)) {
        expect(ISO_CODES.has(code), code).toBe(true);
        expect(code.startsWith(`${country}-`)).toBe(true);
      }
    }
  });

  test('the ip-location-db builder writes English names, and the resolver maps them', () => {
    const table = { '1.2.4.0/24': { country: 'CN', subdivisions: ['CN-XZ'] }, '1.2.5.0/24': { country: 'CN', subdivisions: ['CN-GD'] }, '5.0.0.0/24': { country: 'DE', subdivisions: ['DE-BY'] } };
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
    codes.forEach((code, i) => (table[`1.2.${i}.0/24`] = { country: 'CN', subdivisions: [code] }));
    names['CN-XZ'] = 'Xizang Province Region Nowhere'; // 1 of 10 unmapped: 90%
    const geo = MaxMindResolver.fromBuffers([{ name: 'iploc.mmdb', buffer: buildIpLocationDbMmdb(table, { names }) }]);
    expect(geo.capabilities).toEqual({ countries: true, subdivisions: false, anonymizers: false });
    expect(geo.resolve('1.2.3.4')).toMatchObject({ country: 'CN', subdivisions: [] });
    expect(geo.resolve('1.2.0.4')).toMatchObject({ country: 'CN', subdivisions: ['CN-BJ'] });
  });

  test('DB-IP style names without iso_code count the same way', () => {
    const rec = (name: string) => ({ country: { iso_code: 'CN' }, subdivisions: [{ names: { en: name } }] });
    const good = MaxMindResolver.fromBuffers([{ name: 'dbip.mmdb', buffer: buildMmdb({ '1.2.4.0/24': rec('Tibet'), '1.2.5.0/24': rec('Beijing') }, { databaseType: 'DBIP-City-Lite' }) }]);
    expect(good.capabilities.subdivisions).toBe(true);
    expect(good.resolve('1.2.4.8').subdivisions).toEqual(['CN-XZ']);
    const bad = MaxMindResolver.fromBuffers([{ name: 'dbip.mmdb', buffer: buildMmdb({ '1.2.4.0/24': rec('Tibet'), '1.2.5.0/24': rec('Atlantis') }, { databaseType: 'DBIP-City-Lite' }) }]);
    expect(bad.capabilities.subdivisions).toBe(false);
  });
});

describe('OverlayResolver capabilities are the AND of its layers', () => {
  test('a correction line with a subdivision does not hide that the database has none', () => {
    const corrections = StaticResolver.fromGeofeed('1.2.4.0/24,CN,CN-BJ,,\n');
    const db = staticResolver({ '1.2.0.0/16': 'CN' });
    expect(corrections.capabilities.subdivisions).toBe(true);
    expect(new OverlayResolver([corrections, db]).capabilities).toEqual({ countries: true, subdivisions: false, anonymizers: false });
    const rich = staticResolver({ '1.2.0.0/16': { country: 'CN', subdivisions: ['CN-BJ'], anonymizer: false } });
    expect(new OverlayResolver([corrections, rich]).capabilities).toEqual({ countries: true, subdivisions: true, anonymizers: false });
  });
});

describe('MaxMindResolver.resolve normalises like StaticResolver', () => {
  const table = { '1.2.4.0/24': 'CN', '8.8.8.0/24': 'US' };
  const mm = MaxMindResolver.fromBuffers([{ name: 'c.mmdb', buffer: buildGeoIp2Mmdb(table, { databaseType: 'GeoIP2-Country' }) }]);
  const st = staticResolver(table);
  const pick = (l: Location) => ({ country: l.country, unknown: l.unknown });

  test.each([
    ['64:ff9b::102:408', 'CN'], ['2002:102:408::1', 'CN'], ['2001:0:4136:e378:8000:63bf:fefd:fbf7', 'CN'],
    ['1.2.4.8:5000', 'CN'], ['[::ffff:1.2.4.8]:443', 'CN'], ['::ffff:8.8.8.8', 'US'], ['8.8.8.8', 'US'],
    ['10.0.0.1', undefined], ['fe80::1%eth0', undefined], ['127.0.0.1', undefined], ['2001:db8::1', undefined], ['[fe80::1%25eth0]:80', undefined],
    ['01.2.4.8', undefined], ['1.2.4', undefined], ['garbage', undefined], ['9.9.9.9', undefined],
  ])('%s', (input, country) => {
    const got = mm.resolve(input);
    expect(pick(got)).toEqual(pick(st.resolve(input)));
    expect(got.country).toBe(country);
  });

  test('non-global inputs say non-global', () => {
    for (const input of ['10.0.0.1', 'fe80::1%eth0', '192.168.1.1:80', '::1', '64:ff9b::a00:1']) expect(mm.resolve(input).unknown, input).toBe('non-global');
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
    const geo = MaxMindResolver.fromBuffers([{ name: 'city.mmdb', buffer: buildMmdb({ '1.2.4.0/24': { country: { iso_code: 'IN' }, subdivisions: [{ iso_code: 'UT' }] } }, { databaseType: 'GeoIP2-City' }) }]);
    expect(geo.resolve('1.2.4.8').subdivisions).toEqual(['IN-UK']);
  });
});

describe('StaticResolver and geofeeds validate codes against ISO 3166', () => {
  test('canonical codes are stored', () => {
    const geo = new StaticResolver({ '1.2.4.0/24': { country: 'cn', subdivisions: ['CN-22'] }, '1.2.5.0/24': { country: 'CN', subdivisions: ['CN-HK'] } });
    expect(geo.resolve('1.2.4.8')).toMatchObject({ country: 'CN', subdivisions: ['CN-JL'] });
    expect(geo.resolve('1.2.5.8').subdivisions).toEqual(['CN-HK']);
    expect(parseGeofeed('1.2.4.0/24,in,IN-TG,,\n')[0]).toMatchObject({ country: 'IN', region: 'IN-TS' });
    expect(StaticResolver.fromGeofeed('1.2.4.0/24,CN,CN-22,,\n').resolve('1.2.4.8').subdivisions).toEqual(['CN-JL']);
  });

  test('codes not in ISO 3166 are refused, naming the key or line', () => {
    expect(configError(() => new StaticResolver({ '1.2.4.0/24': 'ZZ' })).message).toContain('table["1.2.4.0/24"]');
    expect(configError(() => new StaticResolver({ '1.2.4.0/24': { country: 'CN', subdivisions: ['CN-QQ'] } })).message).toMatch(/table\["1\.2\.4\.0\/24"\]\.subdivisions\[0\].*CN-QQ/);
    expect(configError(() => parseGeofeed('# x\n1.2.4.0/24,EU,,,\n')).message).toMatch(/^geofeed line 2: country "EU"/);
    expect(configError(() => parseGeofeed('1.2.4.0/24,US,US-XX,,\n')).message).toMatch(/^geofeed line 1: region US-XX/);
    expect(configError(() => StaticResolver.fromGeofeed('1.2.4.0/24,US,CN-BJ,,\n')).message).toMatch(/^geofeed line 1: region CN-BJ is not inside country US/);
  });
});

describe('one table for StaticResolver and the test databases', () => {
  test('anonymizer and anonymous are both accepted by both', () => {
    for (const key of ['anonymizer', 'anonymous'] as const) {
      const table = { '81.2.69.0/24': { country: 'GB', [key]: { vpn: true } }, '8.8.8.0/24': { country: 'US', [key]: false } };
      const st: GeoResolver = staticResolver(table);
      const mm: GeoResolver = MaxMindResolver.fromBuffers([{ name: 'c.mmdb', buffer: buildGeoIp2Mmdb(table) }]);
      for (const geo of [st, mm]) {
        expect(geo.resolve('81.2.69.1'), key).toMatchObject({ country: 'GB', anonymizer: true });
        expect(geo.resolve('8.8.8.8'), key).toMatchObject({ country: 'US', anonymizer: false });
        expect(geo.capabilities.anonymizers).toBe(true);
      }
    }
  });

  test('bad anonymizer values are refused', () => {
    configError(() => staticResolver({ '1.2.4.0/24': { country: 'CN', anonymizer: 'yes' as unknown as boolean } }));
    configError(() => staticResolver({ '1.2.4.0/24': { country: 'CN', anonymizer: { vpn: true, warp: true } as unknown as boolean } }));
  });
});
