import { readFileSync } from 'node:fs';
import { Reader } from 'maxmind';
import { describe, expect, test } from 'vitest';
import { MaxMindResolver } from 'geoadmit';
import { buildGeoIp2Mmdb, buildIpLocationDbMmdb } from '../src/testing/mmdb.js';
import { GEOLITE2_COUNTRY } from './helpers/fixtures.js';

const reader = (db: Buffer) => {
  const r = new Reader(db);
  return { metadata: r.metadata, get: (ip: string): unknown => r.get(ip) };
};

describe('buildGeoIp2Mmdb', () => {
  test('writes GeoIP2 City records: country, registered country, subdivisions as GeoIP2 stores them', () => {
    const db = reader(buildGeoIp2Mmdb({ '1.2.4.0/24': { country: 'CN', subdivisions: ['CN-BJ'] }, '8.8.8.0/24': 'US' }));
    expect(db.metadata.databaseType).toBe('GeoIP2-City');
    expect(db.metadata.languages).toEqual(['en']);
    expect(db.get('1.2.4.8')).toEqual({
      country: { iso_code: 'CN', names: { en: 'China' } },
      registered_country: { iso_code: 'CN', names: { en: 'China' } },
      subdivisions: [{ iso_code: 'BJ', names: { en: 'Beijing Shi' } }],
    });
    expect(db.get('::ffff:8.8.8.8')).toEqual({
      country: { iso_code: 'US', names: { en: 'United States of America' } },
      registered_country: { iso_code: 'US', names: { en: 'United States of America' } },
    });
  });

  test('registered-only, represented and anonymiser rows', () => {
    const db = reader(
      buildGeoIp2Mmdb(
        {
          '10.0.0.0/24': { registeredCountry: 'DE' },
          '10.0.1.0/24': { country: 'DE', representedCountry: 'US' },
          '10.0.2.0/24': { country: 'NL', anonymous: true },
          '10.0.3.0/24': { country: 'NL', anonymous: { vpn: true, tor: false } },
        },
        { databaseType: 'GeoIP2-Country', buildEpoch: 1_700_000_000 },
      ),
    );
    expect(db.metadata.databaseType).toBe('GeoIP2-Country');
    expect(db.metadata.buildEpoch).toEqual(new Date(1_700_000_000_000));
    expect(db.get('10.0.0.1')).toEqual({ registered_country: { iso_code: 'DE', names: { en: 'Germany' } } });
    expect(db.get('10.0.1.1')).toMatchObject({ represented_country: { iso_code: 'US', type: 'military' }, country: { iso_code: 'DE' } });
    expect(db.get('10.0.2.1')).toMatchObject({ traits: { is_anonymous: true } });
    expect(db.get('10.0.3.1')).toMatchObject({ traits: { is_anonymous: true, is_anonymous_vpn: true, is_tor_exit_node: false } });
  });

  test('Anonymous-IP databases hold the flat flags', () => {
    const db = reader(
      buildGeoIp2Mmdb({ '5.0.0.0/24': { anonymous: { tor: true } }, '5.0.1.0/24': { anonymous: false } }, { databaseType: 'GeoIP2-Anonymous-IP' }),
    );
    expect(db.get('5.0.0.1')).toEqual({ is_anonymous: true, is_tor_exit_node: true });
    expect(db.get('5.0.1.1')).toEqual({ is_anonymous: false });
  });

  test('bad rows are refused with the path of the row', () => {
    expect(() => buildGeoIp2Mmdb({ '1.2.4.0/24': 5 as never })).toThrow(/table\["1\.2\.4\.0\/24"\]: must be a country code or an object/);
    expect(() => buildGeoIp2Mmdb({ '1.2.4.8/24': 'CN' })).toThrow(/host bits set/);
  });

  test('MaxMindResolver reads the databases it writes', () => {
    const geo = MaxMindResolver.fromBuffers([
      { name: 'city.mmdb', buffer: buildGeoIp2Mmdb({ '1.2.4.0/24': { country: 'CN', subdivisions: ['CN-BJ'] }, '81.2.69.0/24': 'GB' }) },
      { name: 'anon.mmdb', buffer: buildGeoIp2Mmdb({ '81.2.69.0/24': { anonymous: { vpn: true } } }, { databaseType: 'GeoIP2-Anonymous-IP' }) },
    ]);
    expect(geo.resolve('1.2.4.8')).toMatchObject({ country: 'CN', subdivisions: ['CN-BJ'], network: '1.2.4.0/24' });
    expect(geo.resolve('81.2.69.1')).toMatchObject({ country: 'GB', anonymizer: true });
  });
});

describe('buildIpLocationDbMmdb', () => {
  test('writes ip-location-db records and, like those files, no IPv4-mapped alias', () => {
    const db = reader(buildIpLocationDbMmdb({ '1.2.4.0/24': { country: 'CN', subdivisions: ['CN-BJ'] }, '8.8.8.0/24': 'US' }));
    expect(db.metadata.databaseType).toBe('city ipvAll');
    expect(db.get('1.2.4.8')).toEqual({ country_code: 'CN', state1: 'Beijing' });
    expect(db.get('8.8.8.8')).toEqual({ country_code: 'US' });
    expect(db.get('::ffff:8.8.8.8')).toBeNull();
    expect(reader(buildIpLocationDbMmdb({ '8.8.8.0/24': 'US' })).metadata.databaseType).toBe('country ipvAll');
  });

  test('matches the shape of the installed @ip-location-db package', () => {
    const real = reader(readFileSync(GEOLITE2_COUNTRY));
    const ours = reader(buildIpLocationDbMmdb({ '1.2.4.0/24': 'CN' }));
    expect(Object.keys(ours.get('1.2.4.8') as object)).toEqual(Object.keys(real.get('1.2.4.8') as object));
    expect(ours.metadata.databaseType).toBe(real.metadata.databaseType);
    expect(ours.get('::ffff:1.2.4.8')).toBe(real.get('::ffff:1.2.4.8'));
  });

  test('MaxMindResolver reads it, subdivision by name', () => {
    const geo = MaxMindResolver.fromBuffers([
      { name: 'ild.mmdb', buffer: buildIpLocationDbMmdb({ '1.2.4.0/24': { country: 'CN', subdivisions: ['CN-BJ'] } }) },
    ]);
    expect(geo.resolve('1.2.4.8')).toMatchObject({ country: 'CN', subdivisions: ['CN-BJ'] });
  });
});
