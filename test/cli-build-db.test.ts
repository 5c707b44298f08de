import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MaxMindResolver } from 'geoadmit';
import { parseGeoCsv } from '../src/cli/internal/build-db.js';
import { makeTempDir, runCliProcess } from './helpers/cli.js';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());
const file = (name: string, content: string): string => {
  const path = join(tmp.dir, name);
  writeFileSync(path, content);
  return path;
};

// Global addresses: documentation ranges are non-global and never reach a database.
const GEOFEED = [
  '# RFC 8805 geofeed for example networks',
  '5.5.5.0/24,US,US-CA,San Francisco,94107',
  '6.6.6.0/24,GB,GB-ENG,"London, City of",',
  '2a0a:1::/48,CN,CN-22,,', // replaced ISO code: written as the current CN-JL
  '7.7.7.0/25,DE,,,',
  '7.7.7.128/25,,,,', // empty country: do not geolocate
  '',
].join('\r\n');

describe('geoadmit build-db', () => {
  it('writes a GeoIP2-City database from a geofeed that MaxMindResolver reads with subdivisions', async () => {
    const out = join(tmp.dir, 'feed.mmdb');
    const run = await runCliProcess(['build-db', file('feed.csv', GEOFEED), '-o', out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`wrote ${out}: 4 networks (GeoIP2-City layout)\n`);
    expect(run.stderr).toBe('skipped line 6: empty country (do not geolocate)\n');
    const geo = await MaxMindResolver.open(out);
    expect(geo.capabilities.subdivisions).toBe(true);
    expect(geo.resolve('5.5.5.77')).toMatchObject({ country: 'US', subdivisions: ['US-CA'], network: '5.5.5.0/24', source: 'mmdb:GeoIP2-City' });
    expect(geo.resolve('6.6.6.1')).toMatchObject({ country: 'GB', subdivisions: ['GB-ENG'] });
    expect(geo.resolve('2a0a:1::5')).toMatchObject({ country: 'CN', subdivisions: ['CN-JL'] });
    expect(geo.resolve('7.7.7.1')).toMatchObject({ country: 'DE', subdivisions: [] });
    expect(geo.resolve('7.7.7.200').country).toBeUndefined();
    await geo.close();

    // The database serves lookups from the CLI too (not GeoLite2 data: no attribution).
    const lookup = await runCliProcess(['lookup', '--db', out, '8.8.8.8', '--json']);
    expect(lookup.code).toBe(0);
    expect(JSON.parse(lookup.stdout)).toEqual({ results: [expect.objectContaining({ location: expect.objectContaining({ unknown: 'not-in-database' }) })] });
  });

  it('reads a simple cidr,country[,subdivision] table with a header, subdivisions written with or without the country', async () => {
    const out = join(tmp.dir, 'simple.mmdb');
    const run = await runCliProcess([
      'build-db',
      file('simple.csv', 'cidr,country,subdivision\n1.2.4.0/24,cn,xz\n36.110.0.0/16,CN,CN-XZ\n'),
      '-o',
      out,
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ networks: 2, skipped: [], databaseType: 'GeoIP2-City' });
    const geo = await MaxMindResolver.open(out);
    expect(geo.resolve('1.2.4.8')).toMatchObject({ country: 'CN', subdivisions: ['CN-XZ'] });
    await geo.close();
  });

  it('refuses overlapping prefixes naming both input lines, unless --most-specific-wins', async () => {
    const csv = file('overlap.csv', '10.0.0.0/8,US\n# comment\n1.2.0.0/16,CN\n1.2.4.0/24,HK\n');
    const out = join(tmp.dir, 'overlap.mmdb');
    const run = await runCliProcess(['build-db', csv, '-o', out]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')).toEqual([
      expect.stringMatching(/^geoadmit: .*overlap\.csv: 1 bad row; nothing was written$/),
      '  line 4: 1.2.4.0/24 overlaps line 3 (1.2.0.0/16) (pass --most-specific-wins to let the more specific prefix win)',
      '',
    ]);
    expect(existsSync(out)).toBe(false);

    const allowed = await runCliProcess(['build-db', csv, '-o', out, '--most-specific-wins']);
    expect(allowed.code).toBe(0);
    const geo = await MaxMindResolver.open(out);
    expect(geo.resolve('1.2.4.8').country).toBe('HK');
    expect(geo.resolve('1.2.5.8').country).toBe('CN');
    await geo.close();
  });

  it('refuses unknown codes, bad prefixes and malformed rows with their line numbers; writes nothing', async () => {
    const csv = file(
      'bad.csv',
      ['1.2.3.0/24,ZZ', '1.2.4.0/24,US,US-XX', '1.2.5.0/24,US,GB-ENG', '1.2.6.0/24,"US', 'justone', '1.2.7.0/24,CN,CN-HK', '1.2.8.0/24,US'].join('\n'),
    );
    const out = join(tmp.dir, 'bad.mmdb');
    const run = await runCliProcess(['build-db', csv, '-o', out]);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')).toEqual([
      expect.stringMatching(/^geoadmit: .*bad\.csv: 6 bad rows; nothing was written$/),
      '  line 1: country "ZZ" is not an ISO 3166-1 alpha-2 code',
      '  line 2: region "US-XX" is not an ISO 3166-2 subdivision code',
      '  line 3: region GB-ENG is not in country US',
      '  line 4: unterminated quoted field',
      '  line 5: expected at least two columns: prefix,country',
      '  line 6: region "CN-HK" is the territory HK, which has its own country code: write HK as the country',
      '',
    ]);
    expect(existsSync(out)).toBe(false);

    const badPrefix = await runCliProcess(['build-db', file('prefix.csv', '1.2.3.0/24,US\n1.2.3.4/33,US\n'), '-o', out]);
    expect(badPrefix.code).toBe(2);
    expect(badPrefix.stderr).toMatch(/^geoadmit: .*prefix\.csv: 1 bad row; nothing was written\n {2}line 2: .*1\.2\.3\.4\/33/);
  });

  it('refuses empty, binary and missing inputs and a missing -o', async () => {
    const cases: [string[], RegExp][] = [
      [['build-db', file('empty.csv', ''), '-o', join(tmp.dir, 'x.mmdb')], /CSV file .*empty\.csv is empty/],
      [['build-db', file('comments.csv', '# nothing\n'), '-o', join(tmp.dir, 'x.mmdb')], /no rows with a prefix and a country/],
      [['build-db', file('bin.csv', '\u0000\u0001'), '-o', join(tmp.dir, 'x.mmdb')], /is not a text file/],
      [['build-db', join(tmp.dir, 'none.csv'), '-o', join(tmp.dir, 'x.mmdb')], /cannot read CSV file .*none\.csv: no such file/],
      [['build-db', file('ok.csv', '1.2.3.0/24,US\n')], /required option '-o, --output <file>'/],
    ];
    for (const [args, message] of cases) {
      const run = await runCliProcess(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
    }
  });
});

describe('parseGeoCsv', () => {
  it('keeps quoted commas and doubled quotes inside fields', () => {
    const parsed = parseGeoCsv('"192.0.2.0/24","US","US-CA","San ""Fran"", CA",\n');
    expect(parsed.problems).toEqual([]);
    expect(parsed.entries).toEqual([{ network: '192.0.2.0/24', data: { country: { iso_code: 'US' }, subdivisions: [{ iso_code: 'CA' }] } }]);
  });
});
