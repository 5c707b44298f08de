import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import maxmind, { Reader } from 'maxmind';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { GeoadmitError } from 'geoadmit';
import { buildMmdb, writeMmdb, type BuildMmdbOptions, type MmdbEntries } from 'geoadmit/mmdb';
import { makeTempDir } from './helpers/temp-dir.js';

function setup(entries: MmdbEntries, options: Partial<BuildMmdbOptions> = {}) {
  const reader = new Reader(buildMmdb(entries, { databaseType: 'Test-Networks', ...options }));
  return { reader, lookup: (ip: string): [unknown, number] => reader.getWithPrefixLength(ip) };
}

function thrown(fn: () => unknown): GeoadmitError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GeoadmitError);
    return error as GeoadmitError;
  }
  throw new Error('expected a GeoadmitError');
}

describe('IPv4 data in an IPv6 database', () => {
  test('::ffff:1.2.4.8 and ::1.2.4.8 read the data of 1.2.4.0/24', () => {
    const { lookup } = setup({ '1.2.4.0/24': { c: 'CN' } });
    expect(lookup('1.2.4.8')).toEqual([{ c: 'CN' }, 24]);
    expect(lookup('::1.2.4.8')).toEqual([{ c: 'CN' }, 120]);
    expect(lookup('::ffff:1.2.4.8')).toEqual([{ c: 'CN' }, 120]);
    expect(lookup('::ffff:1.2.5.8')).toEqual([null, 120]);
  });

  test('the IPv4-mapped alias shares the IPv4 nodes instead of copying them', () => {
    const entries = Array.from({ length: 100 }, (_, i) => ({ network: `10.0.${i}.0/24`, data: { i } }));
    const withAlias = setup(entries).reader.metadata.nodeCount;
    const withoutAlias = setup(entries, { aliasIpv4Mapped: false }).reader.metadata.nodeCount;
    // Only the 16 nodes on the path to ::ffff:0:0/96 are added.
    expect(withAlias - withoutAlias).toBeLessThanOrEqual(16);
    expect(setup(entries, { aliasIpv4Mapped: false }).lookup('::ffff:10.0.5.1')[0]).toBeNull();
  });

  test('IPv4-mapped networks in the input are stored as IPv4', () => {
    const { lookup } = setup([{ network: '::ffff:1.2.4.0/120', data: { c: 'CN' } }]);
    expect(lookup('1.2.4.8')).toEqual([{ c: 'CN' }, 24]);
    expect(() =>
      setup([
        { network: '::ffff:1.2.4.0/120', data: {} },
        { network: '1.2.4.0/24', data: {} },
      ]),
    ).toThrow(/entries\[1\] \(1\.2\.4\.0\/24\) duplicates entries\[0\] \(::ffff:1\.2\.4\.0\/120\)/);
  });

  test('alias6to4 makes 2002:a.b.c.d::/48 answer for IPv4 a.b.c.d', () => {
    const { lookup } = setup({ '1.2.4.0/24': { c: 'CN' } }, { alias6to4: true });
    expect(lookup('2002:102:408::1')).toEqual([{ c: 'CN' }, 40]);
    expect(setup({ '1.2.4.0/24': { c: 'CN' } }).lookup('2002:102:408::1')[0]).toBeNull();
    expect(() => setup({ '1.2.4.0/24': {}, '2002:102::/32': {} }, { alias6to4: true })).toThrow(/2002::\/16 \(6to4 addresses\)/);
  });

  test('an IPv6 network covering ::ffff:0:0/96 conflicts with the alias', () => {
    const e = thrown(() => setup({ '1.2.4.0/24': {}, '::fffe:0:0/95': {} }));
    expect(e.code).toBe('E_INVALID_DB_INPUT');
    expect(e.path).toBe('entries["::fffe:0:0/95"]');
    expect(e.message).toContain('entries["::fffe:0:0/95"] (::fffe:0:0/95) overlaps ::ffff:0:0/96 (IPv4-mapped addresses)');
    // Without IPv4 data there is nothing to alias, so nothing conflicts.
    expect(setup({ '::fffe:0:0/95': { x: 1 } }).lookup('::ffff:1.2.4.8')[0]).toEqual({ x: 1 });
  });
});

describe('IPv4-only databases', () => {
  test('store IPv4 networks in a 32-bit tree', () => {
    const { reader, lookup } = setup({ '1.2.4.0/24': { c: 'CN' }, '0.0.0.0/1': { c: 'low' } }, { ipVersion: 4, overlap: 'most-specific-wins' });
    expect(reader.metadata.ipVersion).toBe(4);
    expect(lookup('1.2.4.8')).toEqual([{ c: 'CN' }, 24]);
    // The /1 was split around the /24, so the reader reports the depth of the split (2), not 1.
    expect(lookup('100.0.0.1')).toEqual([{ c: 'low' }, 2]);
    expect(lookup('200.0.0.1')).toEqual([null, 1]);
  });

  test('refuse IPv6 networks, naming the entry', () => {
    const e = thrown(() =>
      setup(
        [
          { network: '1.2.4.0/24', data: {} },
          { network: '2001:db8::/32', data: {} },
        ],
        { ipVersion: 4 },
      ),
    );
    expect(e.code).toBe('E_INVALID_DB_INPUT');
    expect(e.path).toBe('entries[1].network');
    expect(e.message).toContain('IPv6 network 2001:db8::/32 cannot be stored in an IPv4 database');
  });

  test('0.0.0.0/0 covers everything', () => {
    const { lookup } = setup({ '0.0.0.0/0': { all: true } }, { ipVersion: 4 });
    expect(lookup('255.255.255.255')[0]).toEqual({ all: true });
    expect(lookup('0.0.0.0')[0]).toEqual({ all: true });
  });
});

describe('overlapping networks', () => {
  test("refused by default, naming both networks and the entry's path", () => {
    const e = thrown(() =>
      setup([
        { network: '10.0.0.0/8', data: { a: 1 } },
        { network: '8.8.8.0/24', data: { b: 1 } },
        { network: '10.1.0.0/16', data: { c: 1 } },
      ]),
    );
    expect(e.code).toBe('E_INVALID_DB_INPUT');
    expect(e.path).toBe('entries[2].network');
    expect(e.message).toContain('entries[2] (10.1.0.0/16) overlaps entries[0] (10.0.0.0/8)');
    expect(e.message).toContain("overlap: 'most-specific-wins'");
  });

  test('refused when the more specific network comes first', () => {
    const e = thrown(() => setup({ '2001:db8:1::/48': {}, '2001:db8::/32': {} }));
    expect(e.message).toContain('entries["2001:db8::/32"] (2001:db8::/32) overlaps entries["2001:db8:1::/48"] (2001:db8:1::/48)');
  });

  test('duplicates are refused in both modes', () => {
    for (const overlap of ['error', 'most-specific-wins'] as const) {
      const e = thrown(() =>
        setup(
          [
            { network: '1.2.4.0/24', data: {} },
            { network: '1.2.4.0/24', data: { other: true } },
          ],
          { overlap },
        ),
      );
      expect(e.message).toContain('entries[1] (1.2.4.0/24) duplicates entries[0] (1.2.4.0/24)');
    }
  });

  test('most-specific-wins: the narrower network answers inside its range, the wider one elsewhere, in any input order', () => {
    const nets = [
      { network: '10.0.0.0/8', data: { n: 8 } },
      { network: '10.1.0.0/16', data: { n: 16 } },
      { network: '10.1.2.0/24', data: { n: 24 } },
      { network: '10.1.2.3', data: { n: 32 } },
    ];
    for (const order of [nets, [...nets].reverse(), [nets[2]!, nets[0]!, nets[3]!, nets[1]!]]) {
      const { lookup } = setup(order, { overlap: 'most-specific-wins' });
      expect(lookup('10.200.0.1')[0]).toEqual({ n: 8 });
      expect(lookup('10.1.200.1')[0]).toEqual({ n: 16 });
      expect(lookup('10.1.2.200')[0]).toEqual({ n: 24 });
      expect(lookup('10.1.2.3')).toEqual([{ n: 32 }, 32]);
      expect(lookup('11.0.0.1')[0]).toBeNull();
    }
  });

  test('most-specific-wins with ::/0 and IPv4 data keeps the IPv4-mapped alias', () => {
    const { lookup } = setup({ '::/0': { n: 'all' }, '1.2.4.0/24': { n: 'v4' } }, { overlap: 'most-specific-wins' });
    expect(lookup('1.2.4.8')[0]).toEqual({ n: 'v4' });
    expect(lookup('::ffff:1.2.4.8')[0]).toEqual({ n: 'v4' });
    expect(lookup('8.8.8.8')[0]).toEqual({ n: 'all' });
    expect(lookup('::ffff:8.8.8.8')[0]).toEqual({ n: 'all' });
    expect(lookup('2001:db8::1')[0]).toEqual({ n: 'all' });
  });
});

describe('invalid networks', () => {
  test.each([
    ['1.2.4.8/24', /host bits set below \/24 \(did you mean 1\.2\.4\.0\/24\?\)/],
    ['2001:db8::1/32', /host bits set below \/32 \(did you mean 2001:db8::\/32\?\)/],
    ['01.2.4.0/24', /invalid IPv4 address/],
    ['1.2.4/24', /invalid IPv4 address/],
    ['0x1.2.4.0/24', /invalid IPv4 address/],
    ['1.2.4.0/024', /invalid prefix length/],
    ['1.2.4.0/', /invalid prefix length/],
    ['1.2.4.0/33', /too long for IPv4/],
    ['2001:db8::/129', /too long for IPv6/],
    ['1.2.4.0/ 24', /invalid prefix length/],
    [' 1.2.4.0/24', /invalid IPv4 address/],
    ['fe80::1%eth0', /invalid IPv6 address/],
    ['[2001:db8::]/32', /invalid IPv6 address/],
    ['2001:db8:::/32', /invalid IPv6 address/],
    ['١.2.4.0/24', /invalid IPv4 address/],
    ['', /invalid IPv4 address/],
  ])('%j is refused', (network, message) => {
    const e = thrown(() =>
      setup([
        { network: '8.8.8.0/24', data: {} },
        { network, data: {} },
      ]),
    );
    expect(e.code).toBe('E_INVALID_DB_INPUT');
    expect(e.path).toBe('entries[1].network');
    expect(e.message).toMatch(/^entries\[1\]\.network: /);
    expect(e.message).toMatch(message);
  });

  test('a network that is not a string, or an entry that is not an object', () => {
    expect(thrown(() => setup([{ network: 42 as unknown as string, data: {} }])).message).toBe('entries[0].network: network must be a string, got number');
    expect(thrown(() => setup([null as never])).message).toBe('entries[0]: must be an object { network, data }');
    expect(thrown(() => buildMmdb('1.2.4.0/24' as never, { databaseType: 'x' })).argument).toBe('entries');
  });

  test('bare addresses are /32 and /128', () => {
    const { lookup } = setup({ '1.2.4.8': { a: 1 }, '2001:db8::1': { b: 1 } });
    expect(lookup('1.2.4.8')).toEqual([{ a: 1 }, 32]);
    expect(lookup('1.2.4.9')[0]).toBeNull();
    expect(lookup('2001:db8::1')).toEqual([{ b: 1 }, 128]);
  });
});

describe('options', () => {
  test.each([
    [{ databaseType: '' }, 'options.databaseType'],
    [{ databaseType: 'x', ipVersion: 5 }, 'options.ipVersion'],
    [{ databaseType: 'x', recordSize: 16 }, 'options.recordSize'],
    [{ databaseType: 'x', overlap: 'last-wins' }, 'options.overlap'],
    [{ databaseType: 'x', buildEpoch: -1 }, 'options.buildEpoch'],
    [{ databaseType: 'x', buildEpoch: 1.5 }, 'options.buildEpoch'],
    [{ databaseType: 'x', buildEpoch: new Date('nope') }, 'options.buildEpoch'],
    [{ databaseType: 'x', languages: [1] }, 'options.languages'],
    [{ databaseType: 'x', description: { en: 1 } }, 'options.description'],
    [{ databaseType: 'x', ipVersion: 4, alias6to4: true }, 'options.alias6to4'],
  ])('%j is refused', (options, argument) => {
    const e = thrown(() => buildMmdb({}, options as unknown as BuildMmdbOptions));
    expect(e.code).toBe('E_INVALID_DB_INPUT');
    expect(e.argument).toBe(argument);
    expect(e.message.startsWith(`${argument}: `)).toBe(true);
  });
});

describe('writeMmdb', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = makeTempDir('geoadmit-mmdb-'));
  });
  afterEach(() => cleanup());

  test('writes a file maxmind.open reads, replacing an old one and leaving no temporary file', async () => {
    const path = join(dir, 'test.mmdb');
    await writeFile(path, 'old contents');
    await writeMmdb(path, { '1.2.4.0/24': { c: 'CN' } }, { databaseType: 'Written' });
    const reader = await maxmind.open<never>(path);
    expect(reader.get('1.2.4.8')).toEqual({ c: 'CN' });
    expect(reader.metadata.databaseType).toBe('Written');
    expect(await readdir(dir)).toEqual(['test.mmdb']);
  });

  test('bad input writes nothing; an unwritable location is E_DB_WRITE naming the file', async () => {
    const path = join(dir, 'bad.mmdb');
    await expect(writeMmdb(path, { nope: {} }, { databaseType: 'x' })).rejects.toMatchObject({ code: 'E_INVALID_DB_INPUT' });
    expect(await readdir(dir)).toEqual([]);
    const missing = join(dir, 'no-such-dir', 'x.mmdb');
    await expect(writeMmdb(missing, {}, { databaseType: 'x' })).rejects.toMatchObject({ code: 'E_DB_WRITE', file: missing });
  });
});
