import { describe, expect, it } from 'vitest';
import { GeoadmitError } from '../src/errors/index.js';
import { StaticResolver, type StaticTable } from '../src/geo/index.js';
import { staticResolver } from '../src/testing/index.js';

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
    for (const spelling of ['::ffff:1.2.4.8', '::ffff:102:408', '[::ffff:1.2.4.8]:443', '1.2.4.8:5000', '64:ff9b::102:408', '2002:102:408::1', '2001:0:4136:e378:8000:63bf:fefd:fbf7']) {
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
