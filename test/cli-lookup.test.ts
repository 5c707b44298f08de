import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GEOLITE2_ATTRIBUTION } from 'geoadmit';
import { ADDR, GEOLITE2_COUNTRY } from './helpers/fixtures.js';
import { makeTempDir, runCliProcess } from './helpers/cli.js';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());

describe('geoadmit lookup', () => {
  it('locates real addresses with the default GeoLite2 database and says which database and prefix answered', async () => {
    const run = await runCliProcess(['lookup', ADDR.CN1, `[2001:da8::1]:443`, ADDR.US]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^1\.2\.4\.8 {2}CN {2}network 1\.2\.4\.0\/22, country ipvAll \(node_modules\/@ip-location-db\/geolite2-country-mmdb\/geolite2-country\.mmdb, built \d{4}-\d\d-\d\d\)$/,
    );
    expect(lines[1]).toMatch(/^\[2001:da8::1\]:443 → 2001:da8::1 {2}CN {2}network 2001:da8::\/\d+/);
    expect(lines[2]).toMatch(/^8\.8\.8\.8 {2}US /);
    // Human output: the attribution goes to stderr so stdout stays parseable.
    expect(run.stderr.trim()).toBe(GEOLITE2_ATTRIBUTION);
  });

  it('--json gives the normalised address, location, database and attribution as a field', async () => {
    const run = await runCliProcess(['lookup', '--json', '::ffff:1.2.4.8', '10.1.2.3']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout);
    expect(out.attribution).toBe(GEOLITE2_ATTRIBUTION);
    expect(out.results[0]).toMatchObject({
      input: '::ffff:1.2.4.8',
      address: '1.2.4.8',
      family: 4,
      location: { country: 'CN', network: '1.2.4.0/22', source: 'mmdb:country ipvAll' },
      database: { file: GEOLITE2_COUNTRY, type: 'country ipvAll' },
    });
    expect(out.results[1]).toMatchObject({ input: '10.1.2.3', address: '10.1.2.3', location: { unknown: 'non-global', source: 'unknown' } });
    expect(out.results[1].why).toMatch(/not a global address/);
    expect(out.results[1].location.country).toBeUndefined();
  });

  it('says why nothing was found: invalid spelling (exit 2, others still shown), private range, not in database', async () => {
    const db = join(tmp.dir, 'small.mmdb');
    const csv = join(tmp.dir, 'small.csv');
    writeFileSync(csv, '1.2.4.0/24,CN\n');
    expect((await runCliProcess(['build-db', csv, '-o', db])).code).toBe(0);
    const run = await runCliProcess(['lookup', '--db', db, '0x7f.1', '192.168.0.1', '9.9.9.9', '1.2.4.8']);
    expect(run.code).toBe(2);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^0x7f\.1 {2}invalid-address: hexadecimal IPv4 parts are ambiguous/);
    expect(lines[1]).toMatch(/^192\.168\.0\.1 {2}non-global: not a global address/);
    expect(lines[2]).toBe('9.9.9.9  not-in-database: the database has no record for this address');
    expect(lines[3]).toMatch(/^1\.2\.4\.8 {2}CN {2}network 1\.2\.4\.0\/24, GeoIP2-City/);
    // Our own database is not GeoLite2 data: no attribution.
    expect(run.stderr).toBe('');
  });

  it('refuses a database that is missing, a directory or not an .mmdb, in one line with exit 2', async () => {
    const junk = join(tmp.dir, 'junk.mmdb');
    writeFileSync(junk, 'not a database at all');
    for (const db of [join(tmp.dir, 'missing.mmdb'), tmp.dir, junk]) {
      const run = await runCliProcess(['lookup', '--db', db, '1.2.4.8']);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^geoadmit: Database file .* (does not exist|cannot be read|could not be loaded|is not)/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('shows a stack trace only with --debug', async () => {
    const run = await runCliProcess(['lookup', '--debug', '--db', join(tmp.dir, 'missing.mmdb'), '1.2.4.8']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/\n\s+at /);
  });
});
