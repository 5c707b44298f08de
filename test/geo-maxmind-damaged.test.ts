import { writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Reader } from 'maxmind';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GeoadmitError, MaxMindResolver } from 'geoadmit';
import { makeTempDir } from './helpers/temp-dir.js';

const REAL_DB = 'node_modules/@ip-location-db/geolite2-country-mmdb/geolite2-country.mmdb';
const real = readFileSync(REAL_DB);
const meta = new Reader(real).metadata;
const MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');
const markerAt = real.lastIndexOf(MARKER);
const treeSize = meta.searchTreeSize;

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = makeTempDir('geoadmit-mm-damaged-'));
});
afterAll(() => cleanup());

async function openBytes(bytes: Buffer, name = 'damaged.mmdb'): Promise<unknown> {
  const file = join(dir, name);
  await writeFile(file, bytes);
  return MaxMindResolver.open(file).then(
    () => undefined,
    (error: unknown) => error,
  );
}

function expectDbError(error: unknown, code: string, file?: string): void {
  expect(error).toBeInstanceOf(GeoadmitError);
  expect((error as GeoadmitError).code).toBe(code);
  if (file !== undefined) {
    expect((error as GeoadmitError).file).toBe(file);
    expect((error as GeoadmitError).message).toContain(file);
  }
}

describe('opening refuses what it cannot trust', () => {
  test('a missing file is E_DB_NOT_FOUND naming the file', async () => {
    const file = join(dir, 'nope.mmdb');
    expectDbError(await MaxMindResolver.open(file).catch((e: unknown) => e), 'E_DB_NOT_FOUND', file);
  });

  test('an unreadable file (through the fs seam) is E_DB_NOT_FOUND with the reason', async () => {
    const fs = { readFile: () => Promise.reject(Object.assign(new Error('denied'), { code: 'EACCES' })) };
    const error = await MaxMindResolver.open('/db/GeoIP2-City.mmdb', { fs }).catch((e: unknown) => e);
    expectDbError(error, 'E_DB_NOT_FOUND', '/db/GeoIP2-City.mmdb');
    expect((error as Error).message).toContain('EACCES');
  });

  test('the fs seam is used for reading', async () => {
    const reads: string[] = [];
    const geo = await MaxMindResolver.open('virtual.mmdb', { fs: { readFile: async (p) => (reads.push(p), real) } });
    expect(reads).toEqual(['virtual.mmdb']);
    expect(geo.resolve('1.2.4.8').country).toBe('CN');
  });

  test.each([
    ['not an mmdb at all', Buffer.from('{"hello": "world"}\n')],
    ['an empty file', Buffer.alloc(0)],
    ['truncated in the middle of the tree', real.subarray(0, Math.floor(real.length / 2))],
    ['truncated inside the metadata', real.subarray(0, real.length - 20)],
    ['the search tree cut out (metadata kept)', Buffer.concat([real.subarray(0, 4096), real.subarray(markerAt)])],
    ['random bytes around a metadata marker', Buffer.concat([Buffer.alloc(1000, 7), MARKER, Buffer.alloc(50, 0xe7)])],
  ])('%s is E_DB_CORRUPT naming the file', async (_label, bytes) => {
    expectDbError(await openBytes(bytes), 'E_DB_CORRUPT', join(dir, 'damaged.mmdb'));
  });

  test('a tree record pointing outside the data section is refused at open', async () => {
    const bytes = Buffer.from(real);
    bytes.fill(0xff, 0, 6); // node 0: both records → 0xffffff, far past the data section
    expectDbError(await openBytes(bytes), 'E_DB_CORRUPT');
  });

  test('an undecodable data record is refused at open', async () => {
    const bytes = Buffer.from(real);
    bytes.fill(0, treeSize + 16, markerAt); // every control byte becomes an invalid extended type
    expectDbError(await openBytes(bytes), 'E_DB_CORRUPT');
  });

  test('a damaged separator is refused at open', async () => {
    const bytes = Buffer.from(real);
    bytes[treeSize + 3] = 1;
    expectDbError(await openBytes(bytes), 'E_DB_CORRUPT');
  });
});

describe('lookups on a damaged database that slipped past (verify: false) never throw', () => {
  test('tree full of out-of-range pointers → lookup-error', () => {
    const bytes = Buffer.from(real);
    bytes.fill(0xff, 0, treeSize);
    const geo = MaxMindResolver.fromBuffers([{ name: 'bad', buffer: bytes }], { verify: false });
    for (const ip of ['1.2.4.8', '8.8.8.8', '2001:da8::1']) {
      expect(geo.resolve(ip)).toEqual({ subdivisions: [], source: 'unknown', unknown: 'lookup-error' });
    }
  });

  test('undecodable data → lookup-error', () => {
    const bytes = Buffer.from(real);
    bytes.fill(0, treeSize + 16, markerAt);
    const geo = MaxMindResolver.fromBuffers([{ name: 'bad', buffer: bytes }], { verify: false });
    expect(geo.resolve('1.2.4.8').unknown).toBe('lookup-error');
  });

  test('random byte flips in the tree: open refuses or answers; unchecked lookups answer or report lookup-error', () => {
    const ips = Array.from({ length: 300 }, (_, i) => `${1 + ((i * 37) % 223)}.${(i * 91) % 256}.${(i * 13) % 256}.${i % 256}`);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(treeSize - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 40 }), (flips) => {
        const bytes = Buffer.from(real);
        for (const [at, x] of flips) bytes[at] = (bytes[at] as number) ^ x;
        try {
          MaxMindResolver.fromBuffers([{ name: 'flipped', buffer: bytes }]);
        } catch (error) {
          expect((error as GeoadmitError).code).toBe('E_DB_CORRUPT');
        }
        const geo = MaxMindResolver.fromBuffers([{ name: 'flipped', buffer: bytes }], { verify: false });
        for (const ip of ips) {
          const loc = geo.resolve(ip);
          expect(loc.country === undefined ? loc.unknown : 'ok').toMatch(/^(ok|not-in-database|lookup-error|no-physical-country|non-global)$/);
        }
      }),
      { numRuns: 12, seed: 20200604 },
    );
  });
});
