import { Reader } from 'maxmind';
import { describe, expect, test } from 'vitest';
import { buildMmdb, MmdbNumber, type BuildMmdbOptions, type MmdbEntries } from 'geoadmit/mmdb';

function setup(entries: MmdbEntries, options: Partial<BuildMmdbOptions> = {}) {
  const db = buildMmdb(entries, { databaseType: 'Test-Types', buildEpoch: 1_600_000_000, ...options });
  const reader = new Reader(db);
  return {
    db,
    reader,
    get: (ip: string): unknown => reader.get(ip),
    withPrefix: (ip: string): [unknown, number] => reader.getWithPrefixLength(ip),
  };
}

describe('data types round-trip through the maxmind reader', () => {
  test('maps, arrays, strings, integers, doubles, booleans and bytes', () => {
    const record = {
      utf8: 'Zürich 北京 🌏',
      empty: '',
      uint32: 4_294_967_295,
      zero: 0,
      int32: -2_147_483_648,
      negativeSmall: -1,
      double: 3.141592653589793,
      negativeZero: -0,
      bigDouble: 2 ** 53,
      uint64: 18_446_744_073_709_551_615n,
      uint128: (1n << 128n) - 1n,
      smallBigint: 5n,
      yes: true,
      no: false,
      bytes: Uint8Array.from([0, 1, 2, 254, 255]),
      emptyMap: {},
      emptyArray: [],
      nested: { list: [1, 'two', { three: [3.5] }], 'key with spaces': 'ok' },
    };
    const { get } = setup({ '1.2.4.0/24': record });
    const back = get('1.2.4.8') as Record<string, unknown>;
    expect(back).toEqual({ ...record, bytes: Buffer.from([0, 1, 2, 254, 255]) });
    expect(Object.is(back['negativeZero'], -0)).toBe(true);
    expect(typeof back['uint64']).toBe('bigint');
    expect(typeof back['smallBigint']).toBe('bigint');
  });

  test('forced numeric types: uint16, uint32, int32, uint64, uint128, double, float', () => {
    const { get } = setup({
      '1.2.4.0/24': {
        u16: new MmdbNumber('uint16', 65_535),
        u32: new MmdbNumber('uint32', 7),
        i32: new MmdbNumber('int32', 123_456),
        i32neg: new MmdbNumber('int32', -5),
        u64: new MmdbNumber('uint64', 42),
        u128: new MmdbNumber('uint128', 1n << 100n),
        dbl: new MmdbNumber('double', 1),
        flt: new MmdbNumber('float', 1.5),
        fltLossy: new MmdbNumber('float', 0.1),
      },
    });
    expect(get('1.2.4.8')).toEqual({
      u16: 65_535,
      u32: 7,
      i32: 123_456,
      i32neg: -5,
      u64: 42n,
      u128: 1n << 100n,
      dbl: 1,
      flt: 1.5,
      fltLossy: Math.fround(0.1),
    });
  });

  test.each([
    ['29-byte (one extra size byte)', 29],
    ['284-byte boundary', 284],
    ['285-byte (two extra size bytes)', 285],
    ['65,820-byte boundary', 65_820],
    ['long string over 65,821 bytes (three extra size bytes)', 70_000],
  ])('%s string', (_name, length) => {
    const text = 'é'.repeat(Math.floor(length / 2)) + (length % 2 === 1 ? 'x' : '');
    expect(Buffer.byteLength(text)).toBe(length);
    const { get } = setup({ '1.2.4.0/24': { text, list: Array.from({ length: 300 }, (_, i) => i) } });
    expect(get('1.2.4.8')).toEqual({ text, list: Array.from({ length: 300 }, (_, i) => i) });
  });

  test('metadata is read back', () => {
    const { reader } = setup(
      { '1.2.4.0/24': { a: 1 } },
      {
        databaseType: 'GeoLite2-Country',
        description: { en: 'Test', 'zh-CN': '测试' },
        languages: ['en', 'zh-CN'],
        buildEpoch: new Date('2024-05-06T07:08:09Z'),
      },
    );
    expect(reader.metadata).toMatchObject({
      binaryFormatMajorVersion: 2,
      binaryFormatMinorVersion: 0,
      databaseType: 'GeoLite2-Country',
      description: { en: 'Test', 'zh-CN': '测试' },
      languages: ['en', 'zh-CN'],
      ipVersion: 6,
      recordSize: 24,
      buildEpoch: new Date('2024-05-06T07:08:09Z'),
    });
  });

  test('defaults: IPv6 tree, build time now, a description naming geoadmit', () => {
    const before = Math.floor(Date.now() / 1000);
    const reader = new Reader(buildMmdb([], { databaseType: 'Empty' }));
    expect(reader.metadata.ipVersion).toBe(6);
    expect(reader.metadata.buildEpoch.getTime() / 1000).toBeGreaterThanOrEqual(before);
    expect(reader.metadata.description).toEqual({ en: 'Empty database written by geoadmit' });
    expect(reader.get('1.2.4.8')).toBeNull();
    expect(reader.get('2001:db8::1')).toBeNull();
  });
});

describe('record sizes', () => {
  test.each([24, 28, 32] as const)('forced %i-bit records read back', (recordSize) => {
    const { reader, get, withPrefix } = setup({ '1.2.4.0/24': { c: 'CN' }, '8.8.8.0/24': { c: 'US' }, '2001:da8::/32': { c: 'CN6' } }, { recordSize });
    expect(reader.metadata.recordSize).toBe(recordSize);
    expect(get('1.2.4.8')).toEqual({ c: 'CN' });
    expect(get('8.8.8.8')).toEqual({ c: 'US' });
    expect(withPrefix('2001:da8::1')).toEqual([{ c: 'CN6' }, 32]);
    expect(get('9.9.9.9')).toBeNull();
  });

  test('a data section past 2^24 bytes needs 28-bit records, chosen automatically; forcing 24 is refused', () => {
    // One record larger than 16 MiB pushes the next record's address past what 24 bits can hold.
    const big = new Uint8Array(16_800_000).fill(7);
    const entries = { '1.0.0.0/24': { big }, '2.0.0.0/24': { small: 'here' } };
    const { reader, get } = setup(entries);
    expect(reader.metadata.recordSize).toBe(28);
    expect(get('2.0.0.1')).toEqual({ small: 'here' });
    expect((get('1.0.0.1') as { big: Buffer }).big.length).toBe(16_800_000);
    expect(() => setup(entries, { recordSize: 24 })).toThrow(/options\.recordSize: 24-bit records cannot address/);
  });
});

describe('deduplication', () => {
  test('the same record on 1,000 networks is stored once', () => {
    const record = { country: { iso_code: 'CN', names: { en: 'China', de: 'China', fr: 'Chine' } }, long: 'x'.repeat(500) };
    const one = buildMmdb({ '10.0.0.0/24': record }, { databaseType: 'Dedup' });
    const many = buildMmdb(
      Array.from({ length: 1000 }, (_, i) => ({ network: `10.${i >> 8}.${i & 255}.0/24`, data: { ...record } })),
      { databaseType: 'Dedup' },
    );
    const distinct = buildMmdb(
      Array.from({ length: 1000 }, (_, i) => ({ network: `10.${i >> 8}.${i & 255}.0/24`, data: { ...record, long: `${i}${record.long}` } })),
      { databaseType: 'Dedup' },
    );
    // The tree grows with the networks; the data section does not.
    const dataBytes = (db: Buffer) => {
      const meta = new Reader(db).metadata;
      return db.length - meta.searchTreeSize;
    };
    expect(dataBytes(many) - dataBytes(one)).toBeLessThan(16);
    expect(dataBytes(distinct)).toBeGreaterThan(400_000);
    const reader = new Reader(many);
    expect(reader.get('10.3.231.9')).toEqual(record);
  });

  test('repeated strings and sub-maps inside different records are shared through pointers', () => {
    const names = { en: 'Beijing', 'zh-CN': '北京市', de: 'Peking', fr: 'Pékin', ja: '北京市' };
    const entries = Array.from({ length: 200 }, (_, i) => ({
      network: `10.0.${i}.0/24`,
      data: { city: { names }, id: i, description: 'a fairly long repeated description string' },
    }));
    const db = buildMmdb(entries, { databaseType: 'Pointers' });
    const reader = new Reader(db);
    expect(db.length - reader.metadata.searchTreeSize).toBeLessThan(200 * 20);
    for (const i of [0, 77, 199]) {
      expect(reader.get(`10.0.${i}.1`)).toEqual({ city: { names }, id: i, description: 'a fairly long repeated description string' });
    }
  });
});
