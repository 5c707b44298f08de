import { describe, expect, it, test, vi } from 'vitest';
import { GeoadmitError } from 'geoadmit';
import { OverlayResolver, parseGeofeed, StaticResolver, type GeoResolver, type Location } from 'geoadmit';
import { staticResolver } from '../src/testing/index.js';

const FEED = `# corrections, RFC 8805
192.0.2.0/24,US,US-CA,San Francisco,
\uFEFF
1.2.4.0/24,hk,,,
2001:da8:1::/48,CN,cn-bj,"Beijing, Haidian",100080
198.51.100.0/24,,,,
`;

describe('parseGeofeed', () => {
  it('parses lines, skipping comments and blanks', () => {
    expect(parseGeofeed(FEED)).toEqual([
      { line: 2, prefix: '192.0.2.0/24', country: 'US', region: 'US-CA', city: 'San Francisco' },
      { line: 4, prefix: '1.2.4.0/24', country: 'HK' },
      { line: 5, prefix: '2001:da8:1::/48', country: 'CN', region: 'CN-BJ', city: 'Beijing, Haidian', postal: '100080' },
      { line: 6, prefix: '198.51.100.0/24' },
    ]);
    expect(parseGeofeed('1.2.4.0/24,CN\r\n2001:da8::/32,CN')).toHaveLength(2);
  });

  it('refuses bad lines with their line number', () => {
    const cases: Array<[string, RegExp]> = [
      ['# ok\n1.2.4.8/24,CN', /^geofeed line 2: .*beyond the prefix/],
      ['1.2.4.0/24,CHN', /^geofeed line 1: country "CHN"/],
      ['1.2.4.0/24,US,CA', /^geofeed line 1: region "CA"/],
      ['1.2.4.0/24,US,CN-BJ', /not inside country US/],
      ['1.2.4.0/24,,US-CA', /not inside country \(empty\)/],
      ['1.2.4.0/24,CN\n1.2.4.0/24,HK', /^geofeed line 2: prefix 1\.2\.4\.0\/24 already appears on line 1/],
      ['1.2.4.0/24,CN,,"unterminated', /unbalanced quotes/],
      ['1.2.4.0/24,CN,,,,extra', /at most 5/],
      ['1.2.4.0/24,CN,,ci\u0007ty', /control character/],
    ];
    for (const [feed, pattern] of cases) {
      expect(() => parseGeofeed(feed), feed).toThrow(pattern);
      expect(() => parseGeofeed(feed)).toThrow(GeoadmitError);
    }
  });

  it('builds a StaticResolver', () => {
    const geo = StaticResolver.fromGeofeed(FEED);
    expect(geo.resolve('2001:da8:1::5')).toEqual({ country: 'CN', subdivisions: ['CN-BJ'], source: 'static', network: '2001:da8:1::/48' });
    expect(geo.resolve('1.2.4.8')).toMatchObject({ country: 'HK' });
    expect(geo.size).toBe(3);
    expect(geo.capabilities.subdivisions).toBe(true);
  });
});

describe('OverlayResolver', () => {
  const base = new StaticResolver({ '1.2.4.0/22': 'CN', '8.8.8.0/24': { country: 'US', anonymizer: true } });
  const corrections = StaticResolver.fromGeofeed('1.2.4.0/24,HK,,,\n', { name: 'geofeed' });

  it('lets the first layer that knows an address answer', () => {
    const geo = new OverlayResolver([corrections, base]);
    expect(geo.resolve('1.2.4.8')).toMatchObject({ country: 'HK', source: 'geofeed', network: '1.2.4.0/24' });
    expect(geo.resolve('1.2.5.8')).toMatchObject({ country: 'CN', source: 'static', network: '1.2.4.0/22' });
    expect(geo.resolve('9.9.9.9')).toMatchObject({ unknown: 'not-in-database' });
    expect(geo.resolve('10.0.0.1')).toMatchObject({ unknown: 'non-global' });
    expect(geo.resolve('1.2.4')).toMatchObject({ unknown: 'invalid-address' });
    // AND of the layers: neither the geofeed nor the table below has subdivisions.
    expect(geo.capabilities).toEqual({ countries: true, subdivisions: false, anonymizers: false });
    expect(geo.metadata.name).toBe('overlay(geofeed,static)');
  });

  it('does not paper over an earlier layer that failed', () => {
    const broken: GeoResolver = {
      metadata: { name: 'broken' },
      capabilities: { countries: true, subdivisions: false, anonymizers: false },
      resolve: (): Location => ({ subdivisions: [], source: 'broken', unknown: 'lookup-error' }),
    };
    expect(new OverlayResolver([broken, base]).resolve('1.2.4.8')).toMatchObject({ unknown: 'lookup-error', source: 'broken' });
    const throwing: GeoResolver = {
      ...broken,
      resolve: () => {
        throw new Error('boom');
      },
    };
    expect(new OverlayResolver([throwing, base]).resolve('1.2.4.8')).toMatchObject({ unknown: 'lookup-error', source: 'broken' });
  });

  it('forwards on and close to the layers', async () => {
    const off = vi.fn();
    const eventful: GeoResolver = {
      metadata: { name: 'eventful' },
      capabilities: { countries: true, subdivisions: false, anonymizers: false },
      resolve: () => ({ subdivisions: [], source: 'unknown', unknown: 'not-in-database' }),
      on: vi.fn(() => off),
      close: vi.fn(async () => {}),
    };
    const geo = new OverlayResolver([base, eventful]);
    const listener = () => {};
    const unsubscribe = geo.on('geo.reloaded', listener);
    expect(eventful.on).toHaveBeenCalledWith('geo.reloaded', listener);
    unsubscribe();
    expect(off).toHaveBeenCalledOnce();
    await geo.close();
    expect(eventful.close).toHaveBeenCalledOnce();
  });

  it('refuses an empty or bogus layer list', () => {
    expect(() => new OverlayResolver([])).toThrow(GeoadmitError);
    expect(() => new OverlayResolver([base, {} as never])).toThrow(/layers\[1\]/);
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
