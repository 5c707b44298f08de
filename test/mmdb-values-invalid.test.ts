import { describe, expect, test } from 'vitest';
import { GeoadmitError } from 'geoadmit';
import { buildMmdb, MmdbNumber } from 'geoadmit/mmdb';

function refusal(data: unknown, network = '1.2.4.0/24'): GeoadmitError {
  try {
    buildMmdb(
      [
        { network: '8.8.8.0/24', data: { ok: true } },
        { network, data: data as never },
      ],
      { databaseType: 'Test-Invalid' },
    );
  } catch (error) {
    expect(error).toBeInstanceOf(GeoadmitError);
    expect((error as GeoadmitError).code).toBe('E_INVALID_DB_INPUT');
    return error as GeoadmitError;
  }
  throw new Error('expected the input to be refused');
}

class Point {
  x = 1;
}

describe('unsupported values are refused with the JSON path at fault', () => {
  test.each([
    ['undefined', { country: { iso_code: undefined } }, 'entries[1].data.country.iso_code', /unsupported value: undefined/],
    ['null', { country: { iso_code: null } }, 'entries[1].data.country.iso_code', /unsupported value: null/],
    ['a function', { f: () => 1 }, 'entries[1].data.f', /unsupported value: function/],
    ['a symbol', { s: Symbol('x') }, 'entries[1].data.s', /unsupported value: symbol/],
    ['NaN', { n: Number.NaN }, 'entries[1].data.n', /unsupported number NaN/],
    ['Infinity', { n: Number.POSITIVE_INFINITY }, 'entries[1].data.n', /unsupported number Infinity/],
    ['a Date', { when: new Date(0) }, 'entries[1].data.when', /an instance of Date/],
    ['a Map', { m: new Map() }, 'entries[1].data.m', /an instance of Map/],
    ['a class instance', { p: new Point() }, 'entries[1].data.p', /an instance of Point/],
    ['a negative bigint', { b: -1n }, 'entries[1].data.b', /negative bigint/],
    ['a bigint over 128 bits', { b: 1n << 128n }, 'entries[1].data.b', /does not fit in uint128/],
    ['an array hole', { list: [1, , 3] }, 'entries[1].data.list[1]', /unsupported value: undefined/],
    ['an odd key', { 'two words': { 'x-y': undefined } }, 'entries[1].data["two words"]["x-y"]', /unsupported value/],
    ['a lone surrogate', { s: 'a\ud800b' }, 'entries[1].data.s', /lone UTF-16 surrogate/],
    ['a lone surrogate in a key', { ['\udc00']: 1 }, 'entries[1].data["\\udc00"]', /lone UTF-16 surrogate/],
    ['a __proto__ key', JSON.parse('{"__proto__": {"polluted": true}}'), 'entries[1].data.__proto__', /"__proto__" cannot be read back/],
    ['uint16 out of range', { u: new MmdbNumber('uint16', 65_536) }, 'entries[1].data.u', /uint16 value 65536 is out of range/],
    ['int32 out of range', { i: new MmdbNumber('int32', 2 ** 31) }, 'entries[1].data.i', /int32 value 2147483648 is out of range/],
    ['uint32 not an integer', { u: new MmdbNumber('uint32', 1.5) }, 'entries[1].data.u', /uint32 value 1.5 is not an integer/],
    ['float out of range', { f: new MmdbNumber('float', 1e39) }, 'entries[1].data.f', /out of the binary32 range/],
    ['double given a bigint', { d: new MmdbNumber('double', 1n) }, 'entries[1].data.d', /must be a finite number/],
    ['an unknown MmdbNumber type', { d: new MmdbNumber('int64' as never, 1) }, 'entries[1].data.d', /unknown MmdbNumber type "int64"/],
  ])('%s', (_name, data, path, message) => {
    const e = refusal(data);
    expect(e.path).toBe(path);
    expect(e.message.startsWith(`${path}: `)).toBe(true);
    expect(e.message).toMatch(message);
  });

  test('a record that is not a plain object', () => {
    expect(refusal('CN').message).toBe('entries[1].data: record must be a plain object, got string');
    expect(refusal([1]).path).toBe('entries[1].data');
    expect(refusal(undefined).message).toMatch(/got undefined/);
  });

  test('cycles are refused rather than overflowing the stack', () => {
    const node: Record<string, unknown> = { name: 'loop' };
    node['self'] = node;
    expect(refusal({ node }).message).toBe('entries[1].data.node.self: value refers to itself (cycle)');
    const list: unknown[] = [];
    list.push(list);
    expect(refusal({ list }).path).toBe('entries[1].data.list[0]');
  });

  test('very deep nesting is refused', () => {
    let deep: Record<string, unknown> = { end: true };
    for (let i = 0; i < 100; i++) deep = { d: deep };
    expect(refusal(deep).message).toMatch(/nest more than 64 levels deep/);
  });

  test('the same object may appear twice without being a cycle, and Object.create(null) maps are fine', () => {
    const shared = { iso_code: 'CN' };
    const bare = Object.create(null) as Record<string, string>;
    bare['k'] = 'v';
    expect(() => buildMmdb({ '1.2.4.0/24': { country: shared, registered_country: shared, bare } }, { databaseType: 'x' })).not.toThrow();
  });

  test('paths in a network table name the network', () => {
    try {
      buildMmdb({ '1.2.4.0/24': { country: { iso_code: undefined as never } } }, { databaseType: 'x' });
      expect.unreachable();
    } catch (error) {
      expect((error as GeoadmitError).path).toBe('entries["1.2.4.0/24"].country.iso_code');
    }
  });
});

describe('types', () => {
  test('the compiler refuses values the writer cannot store', () => {
    // @ts-expect-error functions are not MmdbValues
    expect(() => buildMmdb({ '1.2.4.0/24': { f: () => 1 } }, { databaseType: 'x' })).toThrow(GeoadmitError);
    // @ts-expect-error null is not an MmdbValue
    expect(() => buildMmdb({ '1.2.4.0/24': { n: null } }, { databaseType: 'x' })).toThrow(GeoadmitError);
    // @ts-expect-error databaseType is required
    expect(() => buildMmdb({}, {})).toThrow(/options\.databaseType/);
    expect(() => buildMmdb(new Date() as never, { databaseType: 'x' })).toThrow(/^entries: /);
  });
});
