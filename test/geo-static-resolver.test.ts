import { describe, expect, it, test } from 'vitest';
import { GeoadmitError } from 'geoadmit';
import { StaticResolver, type StaticTable } from 'geoadmit';
import { staticResolver } from '../src/testing/index.js';
import { MaxMindResolver, parseGeofeed } from 'geoadmit';
import type { GeoResolver, Location } from 'geoadmit';
import { buildGeoIp2Mmdb } from '../src/testing/index.js';

function setup(extra: StaticTable = {}) {
  return new StaticResolver({
    '1.2.4.0/22': 'cn',
    '1.2.4.0/24': { country: 'CN', subdivisions: ['CN-BJ'] },
    '1.2.4.8': { country: 'CN', subdivisions: ['cn-sh'] },
    '2001:da8::/32': { country: 'CN', subdivisions: ['CN-BJ'] },
    '2001:da8:8000::/33': 'CN',
    '81.2.69.0/24': { country: 'GB', subdivisions: ['GB-ENG'], anonymizer: true },
    '::ffff:9.9.9.0/120': 'US',
    ...extra,
  });
}

function expectConfigError(fn: () => unknown, pattern: RegExp) {
  try {
    fn();
    expect.unreachable();
  } catch (e) {
    expect(e).toBeInstanceOf(GeoadmitError);
    expect((e as GeoadmitError).code).toBe('E_INVALID_CONFIG');
    expect((e as Error).message).toMatch(pattern);
  }
}

describe('StaticResolver', () => {
  it('answers with the most specific prefix', () => {
    const geo = setup();
    expect(geo.resolve('1.2.5.1')).toEqual({ country: 'CN', subdivisions: [], source: 'static', network: '1.2.4.0/22' });
    expect(geo.resolve('1.2.4.9')).toEqual({ country: 'CN', subdivisions: ['CN-BJ'], source: 'static', network: '1.2.4.0/24' });
    expect(geo.resolve('1.2.4.8')).toEqual({ country: 'CN', subdivisions: ['CN-SH'], source: 'static', network: '1.2.4.8/32' });
    expect(geo.resolve('2001:da8::1')).toMatchObject({ subdivisions: ['CN-BJ'], network: '2001:da8::/32' });
    expect(geo.resolve('2001:da8:8000::1')).toMatchObject({ subdivisions: [], network: '2001:da8:8000::/33' });
    expect(geo.resolve('81.2.69.160')).toEqual({ country: 'GB', subdivisions: ['GB-ENG'], anonymizer: true, source: 'static', network: '81.2.69.0/24' });
  });

  it('normalises its input like normalizeAddress', () => {
    const geo = setup();
    for (const spelling of [
      '::ffff:1.2.4.8',
      '::ffff:102:408',
      '[::ffff:1.2.4.8]:443',
      '1.2.4.8:5000',
      '64:ff9b::102:408',
      '2002:102:408::1',
      '2001:0:4136:e378:8000:63bf:fefd:fbf7',
    ]) {
      expect(geo.resolve(spelling), spelling).toMatchObject({ network: '1.2.4.8/32' });
    }
    // An IPv4-mapped key is stored as IPv4.
    expect(geo.resolve('9.9.9.9')).toMatchObject({ country: 'US', network: '9.9.9.0/24' });
  });

  it('reports invalid, non-global and missing addresses distinctly', () => {
    const geo = setup({ '10.0.0.0/8': 'CN' });
    expect(geo.resolve('01.2.4.8')).toEqual({ subdivisions: [], source: 'unknown', unknown: 'invalid-address' });
    expect(geo.resolve('10.1.1.1')).toEqual({ subdivisions: [], source: 'unknown', unknown: 'non-global' });
    expect(geo.resolve('::ffff:192.168.0.1')).toEqual({ subdivisions: [], source: 'unknown', unknown: 'non-global' });
    expect(geo.resolve('8.8.8.8')).toEqual({ subdivisions: [], source: 'unknown', unknown: 'not-in-database' });
    expect(geo.resolve(undefined as never)).toMatchObject({ unknown: 'invalid-address' });
  });

  it('returns frozen, shared locations', () => {
    const geo = setup();
    const a = geo.resolve('1.2.4.9');
    expect(geo.resolve('1.2.4.10')).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.subdivisions)).toBe(true);
    expect(geo.resolve('8.8.8.8')).toBe(geo.resolve('8.8.4.4'));
  });

  it('derives metadata and capabilities from the table', () => {
    expect(setup().metadata.name).toBe('static');
    expect(setup().capabilities).toEqual({ countries: true, subdivisions: true, anonymizers: true });
    expect(new StaticResolver({ '1.2.4.0/24': 'CN' }).capabilities).toEqual({ countries: true, subdivisions: false, anonymizers: false });
    expect(new StaticResolver({ '1.2.4.0/24': { country: 'CN', anonymizer: false } }).capabilities.anonymizers).toBe(true);
    expect(new StaticResolver({ '1.2.4.0/24': 'CN' }, { name: 'corrections' }).resolve('1.2.4.1').source).toBe('corrections');
    expect(setup().size).toBe(7);
  });

  it('refuses invalid keys and entries, naming the key', () => {
    expectConfigError(() => new StaticResolver({ '1.2.4.8/24': 'CN' }), /table\["1\.2\.4\.8\/24"\].*beyond the prefix/);
    expectConfigError(() => new StaticResolver({ '01.2.4.0/24': 'CN' }), /table\["01\.2\.4\.0\/24"\]/);
    expectConfigError(() => new StaticResolver({ 'example.com': 'CN' }), /example\.com/);
    expectConfigError(() => new StaticResolver({ '1.2.4.0/24': 'China' }), /alpha-2/);
    expectConfigError(() => new StaticResolver({ '1.2.4.0/24': { country: 'CN', subdivisions: ['BJ'] } }), /subdivisions\[0\].*ISO 3166-2/);
    expectConfigError(() => new StaticResolver({ '1.2.4.0/24': { country: 'CN', subdivisions: ['HK-KW'] } }), /not inside country CN/);
    expectConfigError(() => new StaticResolver({ '1.2.4.0/24': { country: 'CN', region: 'x' } as never }), /unknown field "region"/);
    expectConfigError(() => new StaticResolver({ '1.2.4.0/24': { country: 'CN', anonymizer: 'yes' } as never }), /anonymizer/);
    expectConfigError(() => new StaticResolver({ '1.2.4.0/24': 'CN', '::ffff:1.2.4.0/120': 'US' }), /already given by key "1\.2\.4\.0\/24"/);
    expectConfigError(() => new StaticResolver(JSON.parse('{"__proto__": "CN"}') as StaticTable), /__proto__/);
    expectConfigError(() => new StaticResolver(null as never), /table/);
  });

  it('has a testing shortcut', () => {
    const geo = staticResolver({ '1.2.4.0/24': 'CN' });
    expect(geo).toBeInstanceOf(StaticResolver);
    expect(geo.resolve('1.2.4.8').country).toBe('CN');
  });
});

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

describe('MaxMindResolver.resolve normalises like StaticResolver', () => {
  const table = { '1.2.4.0/24': 'CN', '8.8.8.0/24': 'US' };
  const mm = MaxMindResolver.fromBuffers([{ name: 'c.mmdb', buffer: buildGeoIp2Mmdb(table, { databaseType: 'GeoIP2-Country' }) }]);
  const st = staticResolver(table);
  const pick = (l: Location) => ({ country: l.country, unknown: l.unknown });

  test.each([
    ['64:ff9b::102:408', 'CN'],
    ['2002:102:408::1', 'CN'],
    ['2001:0:4136:e378:8000:63bf:fefd:fbf7', 'CN'],
    ['1.2.4.8:5000', 'CN'],
    ['[::ffff:1.2.4.8]:443', 'CN'],
    ['::ffff:8.8.8.8', 'US'],
    ['8.8.8.8', 'US'],
    ['10.0.0.1', undefined],
    ['fe80::1%eth0', undefined],
    ['127.0.0.1', undefined],
    ['2001:db8::1', undefined],
    ['[fe80::1%25eth0]:80', undefined],
    ['01.2.4.8', undefined],
    ['1.2.4', undefined],
    ['garbage', undefined],
    ['9.9.9.9', undefined],
  ])('%s', (input, country) => {
    const got = mm.resolve(input);
    expect(pick(got)).toEqual(pick(st.resolve(input)));
    expect(got.country).toBe(country);
  });

  test('non-global inputs say non-global', () => {
    for (const input of ['10.0.0.1', 'fe80::1%eth0', '192.168.1.1:80', '::1', '64:ff9b::a00:1']) expect(mm.resolve(input).unknown, input).toBe('non-global');
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
    expect(configError(() => new StaticResolver({ '1.2.4.0/24': { country: 'CN', subdivisions: ['CN-QQ'] } })).message).toMatch(
      /table\["1\.2\.4\.0\/24"\]\.subdivisions\[0\].*CN-QQ/,
    );
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
