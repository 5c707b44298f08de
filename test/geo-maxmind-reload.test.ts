import { mkdir, open as openFile, rename, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { MaxMindResolver } from 'geoadmit';
import { buildMmdb } from 'geoadmit/mmdb';
import type { GeoResolverEvents } from 'geoadmit';
import { makeTempDir } from './helpers/temp-dir.js';

let dir: string;
let cleanup: () => void;
let opened: MaxMindResolver[] = [];
beforeEach(() => {
  ({ dir, cleanup } = makeTempDir('geoadmit-mm-reload-'));
});
afterEach(async () => {
  await Promise.all(opened.map((g) => g.close()));
  opened = [];
  cleanup();
});

const countryDb = (country: string, built: string, type = 'GeoLite2-Country') =>
  buildMmdb({ '1.2.4.0/24': { country: { iso_code: country } } }, { databaseType: type, buildEpoch: new Date(built) });

/** A resolver over one file in the temp dir holding a CN database, recording its events. */
async function setup(options: { watch?: boolean } = {}) {
  const file = join(dir, 'geo.mmdb');
  await writeFile(file, countryDb('CN', '2024-01-01T00:00:00Z'));
  const geo = await MaxMindResolver.open(file, { ...options, watchDebounceMs: 50, clock: () => 1_700_000_000_000 });
  opened.push(geo);
  const reloaded: GeoResolverEvents['geo.reloaded'][] = [];
  const errors: GeoResolverEvents['error'][] = [];
  geo.on('geo.reloaded', (e) => reloaded.push(e));
  geo.on('error', (e) => errors.push(e));
  return { file, geo, reloaded, errors };
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('reload()', () => {
  test('swaps in the new file and emits geo.reloaded with its build date', async () => {
    const { file, geo, reloaded, errors } = await setup();
    await writeFile(file, countryDb('HK', '2024-02-01T00:00:00Z'));
    expect(await geo.reload()).toEqual({ reloaded: [file], failed: [] });
    expect(geo.resolve('1.2.4.8')).toMatchObject({ country: 'HK', databaseBuilt: '2024-02-01T00:00:00.000Z' });
    expect(reloaded).toEqual([{ source: 'mmdb:GeoLite2-Country', file, databaseBuilt: '2024-02-01T00:00:00.000Z', time: 1_700_000_000_000 }]);
    expect(errors).toEqual([]);
  });

  test.each([
    ['missing', async (file: string) => unlink(file), 'E_DB_NOT_FOUND'],
    ['half-written', async (file: string) => writeFile(file, countryDb('HK', '2024-02-01T00:00:00Z').subarray(0, 40)), 'E_DB_CORRUPT'],
    ['corrupt', async (file: string) => writeFile(file, Buffer.from('not a database')), 'E_DB_CORRUPT'],
    [
      'replaced by an Anonymous-IP database',
      async (file: string) => writeFile(file, buildMmdb({ '1.2.4.0/24': { is_anonymous: true } }, { databaseType: 'GeoIP2-Anonymous-IP' })),
      'E_DB_WRONG_KIND',
    ],
  ])('a %s file keeps the previous database and emits error', async (_label, damage, code) => {
    const { file, geo, reloaded, errors } = await setup();
    await damage(file);
    const result = await geo.reload();
    expect(result.reloaded).toEqual([]);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]).toMatchObject({ file, error: { code, file } });
    expect(geo.resolve('1.2.4.8')).toMatchObject({ country: 'CN', databaseBuilt: '2024-01-01T00:00:00.000Z' });
    expect(reloaded).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ source: 'mmdb:GeoLite2-Country', file, time: 1_700_000_000_000 });
    expect(errors[0]?.error.message).toContain(file);
  });

  test('per file: a good file is swapped in even when another fails', async () => {
    const a = join(dir, 'a.mmdb');
    const b = join(dir, 'b.mmdb');
    await writeFile(a, countryDb('CN', '2024-01-01T00:00:00Z'));
    await writeFile(b, buildMmdb({ '8.8.8.0/24': { country_code: 'US' } }, { databaseType: 'country ipv4', ipVersion: 4 }));
    const geo = await MaxMindResolver.open([a, b]);
    opened.push(geo);
    await writeFile(a, countryDb('TW', '2024-03-01T00:00:00Z'));
    await writeFile(b, 'garbage');
    const result = await geo.reload();
    expect(result.reloaded).toEqual([a]);
    expect(result.failed.map((f) => f.file)).toEqual([b]);
    expect(geo.resolve('1.2.4.8').country).toBe('TW');
    expect(geo.resolve('8.8.8.8').country).toBe('US');
  });

  test('a throwing listener does not stop the others; unsubscribe works', async () => {
    const { file, geo, reloaded, errors } = await setup();
    const off = geo.on('geo.reloaded', () => {
      throw new Error('listener bug');
    });
    await writeFile(file, countryDb('HK', '2024-02-01T00:00:00Z'));
    await geo.reload();
    expect(reloaded).toHaveLength(1);
    expect(errors.map((e) => e.error.message)).toEqual(['listener bug']);
    off();
    await geo.reload();
    expect(reloaded).toHaveLength(2);
    expect(errors).toHaveLength(1);
  });

  test('lookups during reloads always see one whole database', async () => {
    const { file, geo } = await setup();
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      await writeFile(file, countryDb(i % 2 === 0 ? 'HK' : 'CN', `2024-01-${String(i + 2).padStart(2, '0')}T00:00:00Z`));
      const pending = geo.reload();
      const loc = geo.resolve('1.2.4.8');
      seen.add(`${loc.country}`);
      expect(loc.unknown).toBeUndefined();
      await pending;
    }
    expect([...seen].every((c) => c === 'CN' || c === 'HK')).toBe(true);
  });
});

describe('watch', () => {
  test('an atomic rename-replace is picked up', async () => {
    const { file, geo, reloaded } = await setup({ watch: true });
    const next = join(dir, 'geo.mmdb.next');
    await writeFile(next, countryDb('HK', '2024-02-01T00:00:00Z'));
    await rename(next, file);
    await until(() => reloaded.length > 0, 'geo.reloaded');
    expect(geo.resolve('1.2.4.8').country).toBe('HK');
  });

  test('an in-place rewrite is picked up; a half-written state keeps the old database', async () => {
    const { file, geo, reloaded, errors } = await setup({ watch: true });
    const bytes = countryDb('HK', '2024-02-01T00:00:00Z');
    // Write half, hold it well past the debounce, then finish: the half file must never be used.
    const handle = await openFile(file, 'r+');
    await handle.truncate(0);
    await handle.write(bytes, 0, bytes.length >> 1, 0);
    await handle.sync();
    await until(() => errors.length > 0, 'error for the half-written file');
    expect(geo.resolve('1.2.4.8')).toMatchObject({ country: 'CN' });
    expect(errors[0]?.error).toMatchObject({ code: 'E_DB_CORRUPT', file });
    await handle.write(bytes, bytes.length >> 1, bytes.length - (bytes.length >> 1), bytes.length >> 1);
    await handle.close();
    await until(() => reloaded.length > 0, 'geo.reloaded after the write completed');
    expect(geo.resolve('1.2.4.8')).toMatchObject({ country: 'HK', databaseBuilt: '2024-02-01T00:00:00.000Z' });
  });

  test('a Kubernetes-style ..data symlink swap is picked up', async () => {
    // ConfigMap/Secret volumes: geo.mmdb -> ..data/geo.mmdb, and an update re-points ..data.
    const v1 = join(dir, '..2024_01');
    const v2 = join(dir, '..2024_02');
    await mkdir(v1);
    await mkdir(v2);
    await writeFile(join(v1, 'geo.mmdb'), countryDb('CN', '2024-01-01T00:00:00Z'));
    await writeFile(join(v2, 'geo.mmdb'), countryDb('HK', '2024-02-01T00:00:00Z'));
    await symlink('..2024_01', join(dir, '..data'));
    const file = join(dir, 'k8s.mmdb');
    await symlink(join('..data', 'geo.mmdb'), file);
    const geo = await MaxMindResolver.open(file, { watch: true, watchDebounceMs: 50 });
    opened.push(geo);
    const reloaded: string[] = [];
    geo.on('geo.reloaded', (e) => reloaded.push(e.file));
    expect(geo.resolve('1.2.4.8').country).toBe('CN');
    await symlink('..2024_02', join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    await until(() => geo.resolve('1.2.4.8').country === 'HK', 'the swapped database');
    expect(reloaded).toContain(file);
  });

  test('a deleted file keeps the old database; close() stops watching', async () => {
    const { file, geo, reloaded, errors } = await setup({ watch: true });
    await unlink(file);
    await until(() => errors.length > 0, 'error for the deleted file');
    expect(errors[0]?.error).toMatchObject({ code: 'E_DB_NOT_FOUND' });
    expect(geo.resolve('1.2.4.8').country).toBe('CN');
    await geo.close();
    await writeFile(file, countryDb('HK', '2024-02-01T00:00:00Z'));
    await new Promise((r) => setTimeout(r, 300));
    expect(reloaded).toEqual([]);
    expect(geo.resolve('1.2.4.8').country).toBe('CN');
  });
});
