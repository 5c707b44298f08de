import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { isGeoadmitError, MaxMindResolver, type GeoadmitError } from 'geoadmit';
import { readerMetadataStart } from '../src/geo/internal/load.js';
import { makeTempDir, runCliProcess } from './helpers/cli.js';
import { amplificationMmdb, enc, MARKER, markerConfusionMmdb, soundMmdb } from '../bench/lib/crafted-mmdb.mjs';

const require = createRequire(import.meta.url);
/** The reader's own metadata parser, to pin our reproduction of its marker search. */
const { parseMetadata } = require('mmdb-lib/lib/metadata') as { parseMetadata(db: Buffer): { databaseType: string } };

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());

function write(name: string, bytes: Buffer): string {
  const file = join(tmp.dir, name);
  writeFileSync(file, bytes);
  return file;
}

/**
 * Runs `work` while a 5 ms timer measures the longest gap between its ticks:
 * how long the event loop was held at a stretch.
 */
async function withLoopProbe<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; worstGap: number }> {
  let last = performance.now();
  let worstGap = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    worstGap = Math.max(worstGap, now - last);
    last = now;
  }, 5);
  const started = performance.now();
  try {
    const value = await work();
    const end = performance.now();
    worstGap = Math.max(worstGap, end - last);
    return { value, ms: end - started, worstGap };
  } finally {
    clearInterval(ticker);
  }
}

async function refusedAtOpen(file: string): Promise<{ error: GeoadmitError; ms: number; worstGap: number }> {
  const { value, ms, worstGap } = await withLoopProbe(() =>
    MaxMindResolver.open(file).then(
      () => undefined,
      (e: unknown) => e,
    ),
  );
  expect(isGeoadmitError(value)).toBe(true);
  return { error: value as GeoadmitError, ms, worstGap };
}

// The two shapes of the report: a marker planted before real metadata that begins with the
// marker's tail (18 KB), and records that each reach one shared fan-out (700 KB and 3.9 MB;
// levels 14 is just under what one record was ever allowed, levels 8 far under it, so only the
// whole file's expansion gives it away).
const once = (make: () => Buffer): (() => Buffer) => {
  let bytes: Buffer | undefined;
  return () => (bytes ??= make());
};
const SHAPES = [
  ['marker confusion, 18 KB', 'confusion.mmdb', once(() => markerConfusionMmdb(18 * 1024)), /metadata marker is ambiguous/],
  ['fan-out amplification, 700 KB', 'amp-700k.mmdb', once(() => amplificationMmdb(700_000)), /fan-out/],
  ['fan-out amplification, 3.9 MB', 'amp-3900k.mmdb', once(() => amplificationMmdb(3_900_000)), /fan-out/],
  ['fan-out amplification with small records, 3.9 MB', 'amp-small-3900k.mmdb', once(() => amplificationMmdb(3_900_000, 8)), /fan-out/],
] as const;

describe('crafted databases are refused within a second, never blocking the event loop longer', () => {
  test('the generator makes the sizes it says', () => {
    expect(markerConfusionMmdb().length).toBeGreaterThan(17 * 1024);
    expect(markerConfusionMmdb().length).toBeLessThan(19 * 1024);
    expect((SHAPES[1][2]() as Buffer).length).toBeGreaterThan(690_000);
    expect((SHAPES[2][2]() as Buffer).length).toBeGreaterThan(3_850_000);
  });

  test('the marker-confusion file really confuses the reader: its search lands on the planted marker', () => {
    const bytes = markerConfusionMmdb();
    const last = bytes.lastIndexOf(MARKER);
    expect(bytes.indexOf(MARKER)).toBeLessThan(last);
    const readerStart = readerMetadataStart(bytes);
    expect(readerStart).toBeGreaterThan(0);
    expect(readerStart).not.toBe(last + MARKER.length);
    // The planted marker is the earlier one.
    expect(bytes.subarray(readerStart - MARKER.length, readerStart).equals(MARKER)).toBe(true);
  });

  test.each(SHAPES)('%s: MaxMindResolver.open refuses it with E_DB_CORRUPT naming the file', async (_what, name, make, why) => {
    const file = write(name, make());
    const { error, ms, worstGap } = await refusedAtOpen(file);
    expect(error.code).toBe('E_DB_CORRUPT');
    expect(error.file).toBe(file);
    expect(error.message).toMatch(why);
    // Generous bounds (the machine may be shared): refused within a second, loop never held that long.
    expect(ms).toBeLessThan(1000);
    expect(worstGap).toBeLessThan(1000);
  });

  test.each(SHAPES)('%s: fromBuffers refuses it synchronously with E_DB_CORRUPT', (_what, _name, make, why) => {
    const buffer = make();
    let thrown: unknown;
    const started = performance.now();
    try {
      MaxMindResolver.fromBuffers([{ name: 'crafted', buffer }]);
    } catch (error) {
      thrown = error;
    }
    expect(performance.now() - started).toBeLessThan(1000);
    expect(isGeoadmitError(thrown)).toBe(true);
    expect((thrown as GeoadmitError).code).toBe('E_DB_CORRUPT');
    expect((thrown as GeoadmitError).message).toMatch(why);
  });

  test.each(SHAPES)('%s: reload() keeps the previous database, reports the refusal, and never holds the loop a second', async (_what, name, make) => {
    const file = write(`reload-${name}`, soundMmdb());
    const geo = await MaxMindResolver.open(file);
    const errors: string[] = [];
    geo.on('error', (e) => errors.push((e.error as GeoadmitError).code));
    writeFileSync(file, make());
    const { value: result, ms, worstGap } = await withLoopProbe(() => geo.reload());
    expect(result.reloaded).toEqual([]);
    expect(result.failed.map((f) => f.error.code)).toEqual(['E_DB_CORRUPT']);
    expect(errors).toEqual(['E_DB_CORRUPT']);
    expect(ms).toBeLessThan(1000);
    expect(worstGap).toBeLessThan(1000);
    expect(geo.resolve('1.2.3.4').country).toBe('CN');
    await geo.close();
  });
});

describe('the command line refuses them too', () => {
  test.each([SHAPES[0], SHAPES[2]])('%s: geoadmit lookup --db exits 2 with a one-line reason, promptly', async (_what, name, make, why) => {
    const file = write(`cli-${name}`, make());
    const run = await runCliProcess(['lookup', '--db', file, '1.2.4.8'], { timeoutMs: 20_000 });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/not a usable MaxMind DB/);
    expect(run.stderr).toMatch(why);
    expect(run.stdout).toBe('');
  });
});

describe('the metadata the reader decodes is the metadata checked', () => {
  /** Metadata that a reader accepts, told apart by `database_type`; optionally beginning with the marker's tail. */
  const meta = (name: string, tail: boolean): number[] => {
    const pairs: [string, number[]][] = [
      ['database_type', enc.str(name)],
      ['record_size', enc.uint16(24)],
    ];
    if (!tail) return enc.map(pairs);
    // 15 pairs, the first keyed `axMind.com` + 3 bytes: the map then begins with the marker's last 12 bytes.
    const filler = Array.from({ length: 12 }, (_, i): [string, number[]] => [`f${i}`, enc.uint16(i)]);
    return enc.map([['axMind.com___', enc.uint16(0)], ...pairs, ...filler]);
  };

  test("our reproduction of the reader's marker search agrees with the reader on adversarial layouts", () => {
    const junkByte = fc.constantFrom(...MARKER, 0x00, 0x41);
    const segment = fc.record({ junk: fc.array(junkByte, { maxLength: 20 }), tail: fc.boolean(), cut: fc.nat(14) });
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.array(junkByte, { maxLength: 6 }), (segments, trailer) => {
        const bytes: number[] = [];
        const starts = new Map<number, string>();
        segments.forEach((s, i) => {
          bytes.push(...s.junk);
          // Sometimes only a part of the marker: a near miss the search must not take.
          const marker = s.cut === 0 ? [...MARKER] : [...MARKER.subarray(s.cut)];
          bytes.push(...marker);
          if (s.cut === 0) starts.set(bytes.length, `K${i}`);
          bytes.push(...meta(`K${i}`, s.tail));
        });
        bytes.push(...trailer);
        const buffer = Buffer.from(bytes);
        const ours = readerMetadataStart(buffer);
        let theirs: string | undefined;
        try {
          theirs = parseMetadata(buffer).databaseType;
        } catch {
          theirs = undefined;
        }
        // Where we say the reader starts, it decodes that metadata; where we say it finds none, it fails.
        if (ours < 0) expect(theirs).toBeUndefined();
        else if (starts.has(ours)) expect(theirs).toBe(starts.get(ours));
        else expect(theirs).not.toBe(starts.get(bytes.length));
      }),
      { seed: 28, numRuns: 300 },
    );
  });

  test('a file whose only marker ends it (empty metadata) is refused, not handed to the reader', () => {
    const sound = soundMmdb();
    const cut = sound.subarray(0, sound.lastIndexOf(MARKER) + MARKER.length);
    expect(() => MaxMindResolver.fromBuffers([{ name: 'cut', buffer: cut }])).toThrow(expect.objectContaining({ code: 'E_DB_CORRUPT' }) as Error);
  });
});
