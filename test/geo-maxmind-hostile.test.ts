import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { GeoadmitError, MaxMindResolver } from 'geoadmit';
import { cycleMmdb, fanOutMmdb, metadataFanOutMmdb, soundMmdb } from '../bench/lib/crafted-mmdb.mjs';
import { makeTempDir, runCliProcess } from './helpers/cli.js';
import { GEOLITE2_COUNTRY } from './helpers/fixtures.js';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());

function write(name: string, bytes: Buffer): string {
  const file = join(tmp.dir, name);
  writeFileSync(file, bytes);
  return file;
}

async function refusal(promise: Promise<unknown>): Promise<{ error: GeoadmitError; ms: number }> {
  const started = performance.now();
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  const ms = performance.now() - started;
  expect(error).toBeInstanceOf(GeoadmitError);
  return { error: error as GeoadmitError, ms };
}

describe('crafted databases: decoding work is bounded', () => {
  test('the hand-assembled fixture format is sound: the same shape without the attack opens and answers', async () => {
    const geo = await MaxMindResolver.open(write('sound.mmdb', soundMmdb()));
    expect(geo.resolve('1.2.3.4')).toMatchObject({ country: 'CN', network: '0.0.0.0/1' });
  });

  test.each([
    ['pointer fan-out (2^40 decoded nodes from ~300 bytes)', 'fan-out.mmdb', () => fanOutMmdb(40), /fan-out/],
    ['a pointer cycle', 'cycle.mmdb', cycleMmdb, /cycle/],
    ['pointer fan-out in the metadata map', 'meta-fan-out.mmdb', () => metadataFanOutMmdb(40), /metadata/],
  ])('%s is refused at open with E_DB_CORRUPT naming the file, within a second', async (_what, name, make, why) => {
    const bytes = make();
    expect(bytes.length).toBeLessThan(1024);
    const file = write(name, bytes);
    const { error, ms } = await refusal(MaxMindResolver.open(file));
    expect(error.code).toBe('E_DB_CORRUPT');
    expect(error.file).toBe(file);
    expect(error.message).toMatch(why);
    // The promise: refused within a second (the measured figure is in bench/).
    expect(ms).toBeLessThan(1000);
  });

  test('fromBuffers refuses the same files synchronously', () => {
    for (const buffer of [fanOutMmdb(), cycleMmdb(), metadataFanOutMmdb()]) {
      expect(() => MaxMindResolver.fromBuffers([{ name: 'crafted', buffer }])).toThrow(
        expect.objectContaining({ code: 'E_DB_CORRUPT', file: 'crafted' }) as Error,
      );
    }
  });

  test('a crafted file reloaded in place is refused without blocking the event loop; the previous database keeps answering', async () => {
    const file = write('reloaded.mmdb', soundMmdb());
    const geo = await MaxMindResolver.open(file);
    const errors: string[] = [];
    geo.on('error', (e) => errors.push((e.error as GeoadmitError).code));
    writeFileSync(file, fanOutMmdb(40));
    let last = performance.now();
    let worstGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      worstGap = Math.max(worstGap, now - last);
      last = now;
    }, 5);
    const result = await geo.reload();
    clearInterval(ticker);
    expect(result.reloaded).toEqual([]);
    expect(result.failed.map((f) => f.error.code)).toEqual(['E_DB_CORRUPT']);
    expect(errors).toEqual(['E_DB_CORRUPT']);
    expect(worstGap).toBeLessThan(1000);
    expect(geo.resolve('1.2.3.4').country).toBe('CN');
    await geo.close();
  });

  test('reloading a real database (GeoLite2 country) yields to the event loop while it checks the file', async () => {
    const geo = await MaxMindResolver.open(GEOLITE2_COUNTRY);
    let last = performance.now();
    let worstGap = 0;
    let ticks = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      worstGap = Math.max(worstGap, now - last);
      last = now;
      ticks++;
    }, 2);
    const started = performance.now();
    const result = await geo.reload();
    const took = performance.now() - started;
    clearInterval(ticker);
    expect(result.reloaded).toEqual([GEOLITE2_COUNTRY]);
    // The check runs in slices: timers fire during it, and no stall approaches a second.
    if (took > 200) expect(ticks).toBeGreaterThan(1);
    expect(worstGap).toBeLessThan(1000);
    expect(geo.resolve('1.2.4.8').country).toBe('CN');
    await geo.close();
  });

  test('a watched database replaced by a crafted one: the error event arrives and lookups go on', async () => {
    const file = write('watched.mmdb', soundMmdb());
    const geo = await MaxMindResolver.open(file, { watch: true, watchDebounceMs: 20 });
    const failed = new Promise<string>((resolve) => geo.on('error', (e) => resolve((e.error as GeoadmitError).code)));
    writeFileSync(file, cycleMmdb());
    expect(await failed).toBe('E_DB_CORRUPT');
    expect(geo.resolve('1.2.3.4').country).toBe('CN');
    await geo.close();
  });

  test('geoadmit lookup --db <crafted file> exits 2 with a one-line reason, promptly', async () => {
    const file = write('cli-fan-out.mmdb', fanOutMmdb(40));
    const run = await runCliProcess(['lookup', '--db', file, '1.2.4.8'], { timeoutMs: 10_000 });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/not a usable MaxMind DB.*fan-out/);
    expect(run.stdout).toBe('');
  });
});

describe('only regular files are opened', () => {
  const fifo = join(tmp.dir, 'db.fifo');
  execFileSync('mkfifo', [fifo]);
  const dir = join(tmp.dir, 'a-directory.mmdb');
  mkdirSync(dir);

  test.each([
    ['a FIFO (a read would block forever)', fifo, /a FIFO/],
    ['a character device (/dev/zero never ends)', '/dev/zero', /a character device/],
    ['a directory', dir, /a directory/],
  ])('%s is refused with E_DB_NOT_FOUND naming it', async (_what, path, kind) => {
    const { error } = await refusal(MaxMindResolver.open(path));
    expect(error.code).toBe('E_DB_NOT_FOUND');
    expect(error.file).toBe(path);
    expect(error.message).toMatch(kind);
    expect(error.message).toMatch(/not a regular file/);
  });

  test.each([
    ['lookup', ['lookup', '1.2.4.8']],
    ['check', ['check', '--restrictions', 'none.json', '--meeting', 'm', '--ip', '1.2.4.8']],
    ['validate', ['validate', 'none.json']],
    ['replay', ['replay', 'none.jsonl', '--restrictions', 'none.json']],
    ['build-db', ['build-db', 'none.csv', '-o', 'out.mmdb']],
    ['report', ['report', 'none.jsonl']],
    ['audit verify', ['audit', 'verify', 'none.jsonl']],
  ])('geoadmit %s --db <FIFO> exits 2 without blocking', async (_name, args) => {
    const run = await runCliProcess([...args, '--db', fifo], { cwd: tmp.dir, timeoutMs: 10_000 });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/is not a regular file \(a FIFO\)/);
  });

  test('geoadmit lookup --db /dev/zero exits 2 promptly', async () => {
    const run = await runCliProcess(['lookup', '--db', '/dev/zero', '1.2.4.8'], { timeoutMs: 10_000 });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/is not a regular file \(a character device\)/);
  });
});

describe('MaxMindResolver options', () => {
  test('an unknown option key is refused with E_INVALID_CONFIG naming the closest known one', async () => {
    const file = write('options.mmdb', soundMmdb());
    const { error } = await refusal(MaxMindResolver.open(file, { wacth: true } as never));
    expect(error.code).toBe('E_INVALID_CONFIG');
    expect(error.message).toMatch(/"wacth".*"watch"/);
    expect(() => MaxMindResolver.fromBuffers([{ name: 'x', buffer: soundMmdb() }], { watch: true } as never)).toThrow(/unknown option "watch"/);
  });
});
