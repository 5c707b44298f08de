import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { MaxMindResolver } from 'geoadmit';

const REAL_DB = 'node_modules/@ip-location-db/geolite2-country-mmdb/geolite2-country.mmdb';

let shared: Promise<MaxMindResolver> | undefined;
/** One resolver over the installed GeoLite2 (ip-location-db build) country database. */
function setup(): Promise<MaxMindResolver> {
  shared ??= MaxMindResolver.open(REAL_DB);
  return shared;
}

describe('the installed GeoLite2 country database', () => {
  test('is detected as ip-location-db, country-only, IPv6 tree', async () => {
    const geo = await setup();
    expect(geo.databases).toHaveLength(1);
    expect(geo.databases[0]).toMatchObject({ file: REAL_DB, layout: 'ip-location-db', ipVersion: 6 });
    expect(geo.databases[0]?.buildDate).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(geo.capabilities).toEqual({ countries: true, subdivisions: false, anonymizers: false });
    expect(geo.metadata.name).toBe(`mmdb:${geo.databases[0]?.databaseType}`);
  });

  test.each([
    ['1.2.4.8', 'CN'],
    ['202.181.0.1', 'HK'],
    ['8.8.8.8', 'US'],
    ['2001:da8::1', 'CN'],
  ])('%s is in %s', async (address, country) => {
    const geo = await setup();
    const loc = geo.resolve(address);
    expect(loc.country).toBe(country);
    expect(loc.unknown).toBeUndefined();
    expect(loc.source).toBe(geo.metadata.name);
    expect(loc.databaseBuilt).toBe(geo.databases[0]?.buildDate);
    expect(Object.isFrozen(loc)).toBe(true);
  });

  test('network is the canonical prefix that answered', async () => {
    const geo = await setup();
    const loc = geo.resolve('1.2.4.8');
    expect(loc.network).toMatch(/^1\.2\.\d+\.0\/\d+$/);
    const [net, len] = (loc.network as string).split('/');
    expect(Number(len)).toBeGreaterThan(8);
    expect(Number(len)).toBeLessThanOrEqual(32);
    // Every address inside the answering prefix gets the same answer.
    expect(geo.resolve(net as string).network).toBe(loc.network);
    expect(geo.resolve('2001:da8::1').network).toMatch(/^2001:da8::\/\d+$|^2001:d[0-9a-f]{2}::\/\d+$/);
  });

  test('IPv4-mapped IPv6 text is looked up as its IPv4 address', async () => {
    const geo = await setup();
    // This file has no ::ffff:0:0/96 alias: without unmapping, the lookup would miss.
    expect(geo.resolve('::ffff:1.2.4.8')).toEqual(geo.resolve('1.2.4.8'));
    expect(geo.resolve('::FFFF:102:408')).toEqual(geo.resolve('1.2.4.8'));
  });

  test('addresses outside the data and malformed input are unknown with a cause, never a throw', async () => {
    const geo = await setup();
    expect(geo.resolve('10.0.0.1')).toEqual({ subdivisions: [], source: 'unknown', unknown: 'non-global' });
    for (const bad of ['', 'garbage', '1.2.4', '01.2.4.8', '0x7f.1', '2937112321', '1.2.4.8\n', '١.٢.٣.٤', 'a'.repeat(10_000), null, 42]) {
      expect(geo.resolve(bad as string), String(bad).slice(0, 20)).toEqual({ subdivisions: [], source: 'unknown', unknown: 'invalid-address' });
    }
  });

  test('resolve stays fast on random public IPv4 (hot path)', async () => {
    const geo = await setup();
    const ips: string[] = [];
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) & 0xff;
    for (let i = 0; i < 100_000; i++) ips.push(`${1 + (rnd() % 223)}.${rnd()}.${rnd()}.${rnd()}`);
    let countries = 0;
    const started = performance.now();
    for (const ip of ips) if (geo.resolve(ip).country !== undefined) countries++;
    const nsPerOp = ((performance.now() - started) * 1e6) / ips.length;
    expect(countries).toBeGreaterThan(50_000);
    // Generous bound for slow CI; measured ~1.7 µs/op on the development machine.
    expect(nsPerOp).toBeLessThan(50_000);
  });
});

test('fromBuffers gives the same answers as open', async () => {
  const geo = MaxMindResolver.fromBuffers([{ name: 'geolite2-country', buffer: readFileSync(REAL_DB) }]);
  expect(geo.resolve('202.181.0.1').country).toBe('HK');
  expect(geo.databases[0]?.file).toBe('geolite2-country');
  expect(await geo.reload()).toEqual({ reloaded: [], failed: [] });
});
