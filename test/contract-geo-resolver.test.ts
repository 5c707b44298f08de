/**
 * The `GeoResolver` contract (SPEC 3.2), run against StaticResolver, MaxMindResolver (over a
 * .mmdb the SDK's writer builds from the same table) and OverlayResolver (a static correction
 * layer over that database): the same answers, the same unknown causes, never an exception, and
 * capabilities that do not claim what the data cannot answer.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type GeoResolver, type Location, MaxMindResolver, OverlayResolver, StaticResolver } from 'geoadmit';
import { buildGeoIp2Mmdb } from 'geoadmit/testing';

/**
 * A table both `StaticResolver` and the test `.mmdb` builder take. (Spelled out rather than
 * `StaticTable`: the builder's `GeoTable` wants mutable `subdivisions` arrays, StaticTable rows are readonly.)
 */
type Table = Record<string, string | { country: string; subdivisions?: string[]; anonymizer?: boolean }>;

/** One table, every shape a row can have. */
const TABLE = {
  '1.2.4.0/24': { country: 'CN', subdivisions: ['CN-BJ'] },
  '2001:da8::/32': { country: 'CN', subdivisions: ['CN-BJ'] },
  '81.2.69.0/24': { country: 'GB', subdivisions: ['GB-ENG'], anonymizer: true },
  '8.8.8.0/24': { country: 'US', subdivisions: ['US-CA'] },
  '175.16.199.0/24': { country: 'CN', subdivisions: ['CN-JL'] },
} satisfies Table;

/** The same networks with countries only. */
const COUNTRIES_ONLY = Object.fromEntries(Object.entries(TABLE).map(([net, row]) => [net, row.country])) satisfies Table;

type Implementation = { name: string; make: (table: Table) => GeoResolver };

const IMPLEMENTATIONS: Implementation[] = [
  { name: 'StaticResolver', make: (table) => new StaticResolver(table) },
  {
    name: 'MaxMindResolver',
    make: (table) => MaxMindResolver.fromBuffers([{ name: 'contract.mmdb', buffer: buildGeoIp2Mmdb(table) }]),
  },
  {
    // An operator's correction for one network in front of the database holding the rest.
    name: 'OverlayResolver',
    make: (table) => {
      const [first, ...rest] = Object.entries(table);
      return new OverlayResolver([
        new StaticResolver(Object.fromEntries(first === undefined ? [] : [first])),
        MaxMindResolver.fromBuffers([{ name: 'contract.mmdb', buffer: buildGeoIp2Mmdb(Object.fromEntries(rest)) }]),
      ]);
    },
  },
];

/** What a location says, without who said it (source, build date): the part that must agree. */
function answer(l: Location) {
  return { country: l.country, subdivisions: [...l.subdivisions], anonymizer: l.anonymizer === true, network: l.network, unknown: l.unknown };
}

const known = (country: string, subdivisions: string[], network: string, anonymizer = false) => ({
  country,
  subdivisions,
  anonymizer,
  network,
  unknown: undefined,
});
const unknown = (cause: string) => ({ country: undefined, subdivisions: [], anonymizer: false, network: undefined, unknown: cause });

/** Inputs and the answer SPEC 3.1 / 3.2 gives for them. */
const CASES: [string, ReturnType<typeof known> | ReturnType<typeof unknown>][] = [
  ['1.2.4.8', known('CN', ['CN-BJ'], '1.2.4.0/24')],
  ['81.2.69.1', known('GB', ['GB-ENG'], '81.2.69.0/24', true)],
  ['2001:da8::1', known('CN', ['CN-BJ'], '2001:da8::/32')],
  ['8.8.8.8', known('US', ['US-CA'], '8.8.8.0/24')],
  ['175.16.199.1', known('CN', ['CN-JL'], '175.16.199.0/24')],
  // Embedded IPv4 is located by the IPv4 address, whatever the database aliases.
  ['::ffff:1.2.4.8', known('CN', ['CN-BJ'], '1.2.4.0/24')],
  ['64:ff9b::102:408', known('CN', ['CN-BJ'], '1.2.4.0/24')],
  ['2002:102:408::', known('CN', ['CN-BJ'], '1.2.4.0/24')],
  ['2001:0:4136:e378:8000:63bf:fefd:fbf7', known('CN', ['CN-BJ'], '1.2.4.0/24')], // Teredo client 1.2.4.8
  // Ports and zones are stripped.
  ['1.2.4.8:5000', known('CN', ['CN-BJ'], '1.2.4.0/24')],
  ['[2001:da8::1]:443', known('CN', ['CN-BJ'], '2001:da8::/32')],
  // Unknown, each with its own cause.
  ['9.9.9.9', unknown('not-in-database')],
  ['2a00::1', unknown('not-in-database')],
  ['10.1.2.3', unknown('non-global')],
  ['127.0.0.1', unknown('non-global')],
  ['100.64.0.1', unknown('non-global')],
  ['fe80::1%eth0', unknown('non-global')],
  ['2001:db8::1', unknown('non-global')],
  ['', unknown('invalid-address')],
  ['not an address', unknown('invalid-address')],
  ['0x7f.1', unknown('invalid-address')],
  ['01.2.4.8', unknown('invalid-address')],
  ['175.16.199', unknown('invalid-address')],
  ['2937112321', unknown('invalid-address')],
  ['1.2.4.8\n', unknown('invalid-address')],
  ['１.２.４.８', unknown('invalid-address')],
];

/** Never throws, and answers a well-formed location. */
function resolveSafely(r: GeoResolver, address: string): Location {
  let l: Location;
  try {
    l = r.resolve(address);
  } catch (error) {
    throw new Error(`${r.metadata.name}.resolve(${JSON.stringify(address)}) threw: ${String(error)}`);
  }
  expect(typeof l.source).toBe('string');
  expect(Array.isArray(l.subdivisions)).toBe(true);
  expect(l.country === undefined).toBe(l.unknown !== undefined); // exactly one of country and cause
  return l;
}

describe.each(IMPLEMENTATIONS)('GeoResolver contract: $name', ({ make }) => {
  const geo = make(TABLE);

  test.each(CASES)('%j', (address, expected) => {
    const l = resolveSafely(geo, address);
    expect(answer(l)).toEqual(expected);
    if (l.unknown === undefined) expect(l.source).toMatch(/^(static|mmdb:)/);
    else expect(l.source).toBe('unknown');
  });

  test('a returned location cannot change later answers', () => {
    const first = geo.resolve('1.2.4.8');
    try {
      (first.subdivisions as string[]).push('CN-XZ');
      (first as { country?: string }).country = 'US';
    } catch {
      // frozen: fine
    }
    expect(answer(geo.resolve('1.2.4.8'))).toEqual(known('CN', ['CN-BJ'], '1.2.4.0/24'));
  });

  test('capabilities are honest: each one claimed is answered for every row that has the data', () => {
    const caps = geo.capabilities;
    expect(caps.countries).toBe(true);
    for (const [network, row] of Object.entries(TABLE)) {
      const address = network.includes(':') ? network.replace(/::\/\d+$/, '::1') : network.replace(/0\/24$/, '1');
      const l = geo.resolve(address);
      expect(l.country, address).toBe(row.country);
      if (caps.subdivisions) expect(l.subdivisions, address).toEqual(row.subdivisions);
      if (caps.anonymizers) expect(l.anonymizer === true, address).toBe('anonymizer' in row);
    }
  });

  test('over country-only data, nothing claims subdivisions or anonymizers', () => {
    const countries = make(COUNTRIES_ONLY);
    expect(countries.capabilities).toEqual({ countries: true, subdivisions: false, anonymizers: false });
    expect(answer(countries.resolve('1.2.4.8'))).toEqual(known('CN', [], '1.2.4.0/24'));
  });
});

describe('GeoResolver contract: the implementations agree', () => {
  const resolvers = IMPLEMENTATIONS.map(({ make }) => make(TABLE));

  test('on any string, any IPv4 and any IPv6 address: the same answer, never an exception', () => {
    const inputs = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.ipV4(),
      fc.ipV4Extended(),
      fc.ipV6(),
      // Addresses inside and around the table's networks.
      fc.tuple(fc.constantFrom('1.2.4', '81.2.69', '8.8.8', '175.16.199', '1.2.5'), fc.nat(255)).map(([p, n]) => `${p}.${n}`),
      fc.tuple(fc.constantFrom('2001:da8', '2001:db8', '64:ff9b:', '2002:102'), fc.nat(0xffff)).map(([p, n]) => `${p}::${n.toString(16)}`),
    );
    fc.assert(
      fc.property(inputs, (address) => {
        const [first, ...others] = resolvers.map((r) => answer(resolveSafely(r, address)));
        for (const other of others) expect(other, address).toEqual(first);
      }),
      { numRuns: 2000 },
    );
  });

  test('capabilities of an overlay are those every layer has', () => {
    const overlay = IMPLEMENTATIONS.find((i) => i.name === 'OverlayResolver')!.make(TABLE) as OverlayResolver;
    for (const key of ['countries', 'subdivisions', 'anonymizers'] as const) {
      expect(overlay.capabilities[key]).toBe(overlay.layers.every((l) => l.capabilities[key]));
    }
  });
});
