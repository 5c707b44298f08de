import { describe, expect, test } from 'vitest';
import { GeoadmitError, MaxMindResolver } from 'geoadmit';
import { buildMmdb } from 'geoadmit/mmdb';
import type { MmdbRecord } from 'geoadmit/mmdb';

const BUILT = new Date('2024-05-01T00:00:00Z');

/** A database from a CIDR table, as an in-memory layer. */
function db(name: string, table: Record<string, MmdbRecord>, databaseType: string, ipVersion: 4 | 6 = 6) {
  return { name, buffer: buildMmdb(table, { databaseType, ipVersion, buildEpoch: BUILT }) };
}

function setup(...layers: ReturnType<typeof db>[]) {
  return MaxMindResolver.fromBuffers(layers);
}

const city = db(
  'city.mmdb',
  {
    '81.2.69.0/24': { country: { iso_code: 'GB' }, registered_country: { iso_code: 'GB' }, subdivisions: [{ iso_code: 'ENG' }, { iso_code: 'WSM' }] },
    '175.16.199.0/24': { country: { iso_code: 'CN' }, subdivisions: [{ iso_code: '22' }] },
    '2a02:db8:1234::/48': { country: { iso_code: 'DE' }, subdivisions: [{ iso_code: 'BY' }] },
    '5.5.5.0/24': { registered_country: { iso_code: 'CN' } },
    '6.6.6.0/24': { registered_country: { iso_code: 'US' }, traits: { is_anonymous_proxy: true } },
    '7.7.7.0/24': { continent: { code: 'EU' }, country: { iso_code: 'EU' } },
  },
  'GeoIP2-City',
);
const anonymous = db(
  'anon.mmdb',
  {
    '81.2.69.128/25': { is_anonymous: true, is_anonymous_vpn: true },
    '9.9.9.0/24': { is_anonymous: true, is_tor_exit_node: true },
    '175.16.199.0/24': { is_anonymous: false },
  },
  'GeoIP2-Anonymous-IP',
);

describe('GeoIP2 City', () => {
  test('country, full subdivision codes (GB-ENG, CN-22 → CN-JL), network, source, build date', () => {
    const geo = setup(city);
    expect(geo.resolve('81.2.69.160')).toEqual({
      country: 'GB',
      subdivisions: ['GB-ENG', 'GB-WSM'],
      source: 'mmdb:GeoIP2-City',
      network: '81.2.69.0/24',
      databaseBuilt: BUILT.toISOString(),
    });
    expect(geo.resolve('175.16.199.3')).toMatchObject({ country: 'CN', subdivisions: ['CN-JL'] });
    expect(geo.resolve('2a02:db8:1234:5::1')).toMatchObject({ country: 'DE', subdivisions: ['DE-BY'], network: '2a02:db8:1234::/48' });
    expect(geo.databases[0]).toEqual({ file: 'city.mmdb', databaseType: 'GeoIP2-City', layout: 'geoip2-city', buildDate: BUILT.toISOString(), ipVersion: 6 });
    expect(geo.capabilities).toEqual({ countries: true, subdivisions: true, anonymizers: false });
  });

  test('a record with only a registered country is no-physical-country (the record is still attributed)', () => {
    expect(setup(city).resolve('5.5.5.5')).toEqual({
      subdivisions: [],
      source: 'mmdb:GeoIP2-City',
      network: '5.5.5.0/24',
      databaseBuilt: BUILT.toISOString(),
      unknown: 'no-physical-country',
    });
  });

  test('an anonymous proxy without a country is no-physical-country and an anonymizer', () => {
    expect(setup(city).resolve('6.6.6.6')).toMatchObject({ unknown: 'no-physical-country', anonymizer: true });
    expect(setup(city).resolve('6.6.6.6').country).toBeUndefined();
  });

  test('a pseudo-country code (EU) is not a physical country', () => {
    expect(setup(city).resolve('7.7.7.7')).toMatchObject({ unknown: 'no-physical-country' });
  });

  test('no record is not-in-database with source unknown', () => {
    expect(setup(city).resolve('8.8.8.8')).toEqual({ subdivisions: [], source: 'unknown', unknown: 'not-in-database' });
  });
});

describe('layering with GeoIP2 Anonymous IP', () => {
  test('location from the location database, anonymizer OR-ed across layers', () => {
    const geo = setup(city, anonymous);
    expect(geo.metadata.name).toBe('mmdb:GeoIP2-City+GeoIP2-Anonymous-IP');
    expect(geo.capabilities).toEqual({ countries: true, subdivisions: true, anonymizers: true });
    expect(geo.resolve('81.2.69.200')).toMatchObject({ country: 'GB', anonymizer: true, source: 'mmdb:GeoIP2-City', network: '81.2.69.0/24' });
    expect(geo.resolve('81.2.69.1')).toMatchObject({ country: 'GB', anonymizer: false });
    expect(geo.resolve('175.16.199.3')).toMatchObject({ country: 'CN', anonymizer: false });
    // Not located, but flagged: the cause stays not-in-database and the flag is kept.
    expect(geo.resolve('9.9.9.9')).toEqual({ subdivisions: [], source: 'unknown', unknown: 'not-in-database', anonymizer: true });
  });

  test('the anonymous layer may come first; the location database still names the source', () => {
    const geo = setup(anonymous, city);
    expect(geo.metadata.name).toBe('mmdb:GeoIP2-City+GeoIP2-Anonymous-IP');
    expect(geo.resolve('81.2.69.200')).toMatchObject({ country: 'GB', anonymizer: true, source: 'mmdb:GeoIP2-City' });
  });

  test('an Anonymous-IP database alone is refused (it cannot locate anyone)', () => {
    const error = (() => {
      try {
        setup(anonymous);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(GeoadmitError);
    expect(error).toMatchObject({ code: 'E_DB_WRONG_KIND', file: 'anon.mmdb' });
  });
});

describe('several location databases', () => {
  test('the first database with a physical country answers', () => {
    const first = db('a.mmdb', { '1.2.4.0/24': { country: { iso_code: 'CN' } }, '5.5.5.0/24': { registered_country: { iso_code: 'CN' } } }, 'GeoLite2-Country');
    const second = db(
      'b.mmdb',
      { '1.2.4.0/24': { country_code: 'HK' }, '8.8.8.0/24': { country_code: 'US' }, '5.5.5.0/24': { country_code: 'SG' } },
      'country ipv4',
      4,
    );
    const geo = setup(first, second);
    expect(geo.metadata.name).toBe('mmdb:GeoLite2-Country+country ipv4');
    expect(geo.resolve('1.2.4.8')).toMatchObject({ country: 'CN', source: 'mmdb:GeoLite2-Country' });
    expect(geo.resolve('8.8.8.8')).toMatchObject({ country: 'US', source: 'mmdb:country ipv4', network: '8.8.8.0/24' });
    expect(geo.resolve('5.5.5.5')).toMatchObject({ country: 'SG', source: 'mmdb:country ipv4' });
  });
});

describe('IPv4-only databases', () => {
  test('an IPv6 address gets no answer from an IPv4 tree; IPv4 works', () => {
    const v4 = db('v4.mmdb', { '0.0.0.0/1': { country: { iso_code: 'CN' } }, '128.0.0.0/1': { country: { iso_code: 'US' } } }, 'GeoLite2-Country', 4);
    const geo = setup(v4);
    expect(geo.databases[0]?.ipVersion).toBe(4);
    expect(geo.resolve('1.2.4.8')).toMatchObject({ country: 'CN', network: '0.0.0.0/1' });
    // The reader would walk the first 32 bits of the IPv6 address and answer with an IPv4 record.
    expect(geo.resolve('2001:da8::1')).toEqual({ subdivisions: [], source: 'unknown', unknown: 'not-in-database' });
    expect(geo.resolve('::ffff:1.2.4.8').country).toBe('CN');
  });
});

describe('other vendors', () => {
  test('DB-IP City Lite: subdivisions by name', () => {
    const geo = setup(
      db(
        'dbip.mmdb',
        {
          '1.0.0.0/24': {
            country: { iso_code: 'US', names: { en: 'United States' } },
            subdivisions: [{ names: { en: 'California' } }],
            city: { names: { en: 'Los Angeles' } },
          },
        },
        'DBIP-City-Lite',
      ),
    );
    expect(geo.databases[0]?.layout).toBe('dbip-city');
    expect(geo.resolve('1.0.0.1')).toMatchObject({ country: 'US', subdivisions: ['US-CA'], source: 'mmdb:DBIP-City-Lite' });
  });

  test('IPinfo Lite: country_code is the code', () => {
    const geo = setup(
      db(
        'ipinfo.mmdb',
        { '1.2.4.0/24': { asn: 'AS24151', as_name: 'CNNIC', country: 'China', country_code: 'CN', continent: 'Asia', continent_code: 'AS' } },
        'ipinfo lite.mmdb',
      ),
    );
    expect(geo.databases[0]?.layout).toBe('ipinfo-lite');
    expect(geo.resolve('1.2.4.8')).toMatchObject({ country: 'CN', subdivisions: [] });
  });

  test('older IPinfo country: country is the code', () => {
    const geo = setup(
      db('ipinfo-country.mmdb', { '202.181.0.0/24': { country: 'HK', country_name: 'Hong Kong', continent: 'AS' } }, 'ipinfo generic_country_free.mmdb'),
    );
    expect(geo.databases[0]?.layout).toBe('ipinfo-country');
    expect(geo.resolve('202.181.0.1')).toMatchObject({ country: 'HK' });
  });

  test('ip-location-db city: state1 name → ISO code', () => {
    const geo = setup(db('iplocdb.mmdb', { '8.8.8.0/24': { country_code: 'US', state1: 'California', city: 'Mountain View' } }, 'city ipv4', 4));
    expect(geo.databases[0]?.layout).toBe('ip-location-db');
    expect(geo.capabilities.subdivisions).toBe(true);
    expect(geo.resolve('8.8.8.8')).toMatchObject({ country: 'US', subdivisions: ['US-CA'] });
  });
});

describe('databases of the wrong kind are refused naming the file', () => {
  test.each([
    ['asn.mmdb', { '1.2.4.0/24': { autonomous_system_number: 24151, autonomous_system_organization: 'CNNIC' } }, 'GeoLite2-ASN', 'ASN'],
    ['ct.mmdb', { '1.2.4.0/24': { connection_type: 'Corporate' } }, 'GeoIP2-Connection-Type', 'connection-type'],
    ['isp.mmdb', { '1.2.4.0/24': { isp: 'CNNIC', organization: 'CNNIC', autonomous_system_number: 24151 } }, 'GeoIP2-ISP', 'ASN'],
    ['domain.mmdb', { '1.2.4.0/24': { domain: 'cnnic.cn' } }, 'GeoIP2-Domain', 'domain'],
  ] as const)('%s', (name, table, type, kind) => {
    let error: unknown;
    try {
      setup(db(name, table as Record<string, MmdbRecord>, type));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GeoadmitError);
    expect(error).toMatchObject({ code: 'E_DB_WRONG_KIND', file: name });
    expect((error as Error).message).toContain(name);
    expect((error as Error).message).toContain(kind);
  });
});
