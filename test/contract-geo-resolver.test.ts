/**
 * The `GeoResolver` contract (`geoResolverContract` of geoadmit/testing), run against
 * StaticResolver, MaxMindResolver (over a .mmdb the SDK's writer builds from the same table) and
 * OverlayResolver (a static correction layer over that database): the same answers, the same
 * unknown causes, never an exception, and capabilities that do not claim what the data cannot
 * answer; and the implementations agree on any input (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type GeoResolver, type Location, MaxMindResolver, OverlayResolver, StaticResolver } from 'geoadmit';
import { buildGeoIp2Mmdb, type GeoResolverFactory, geoResolverContract } from 'geoadmit/testing';
import { TABLE } from '../src/testing/contracts/geo-resolver.js';

type Implementation = { name: string; make: GeoResolverFactory };

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

/** Never throws, and answers a well-formed location. */
function resolveSafely(r: GeoResolver, address: string): Location {
  let l: Location;
  try {
    l = r.resolve(address);
  } catch (error) {
    throw new Error(`${r.metadata.name}.resolve(${JSON.stringify(address)}) threw: ${String(error)}`);
  }
  expect(typeof l.source).toBe('string');
  expect(l.country === undefined).toBe(l.unknown !== undefined);
  return l;
}

describe.each(IMPLEMENTATIONS)('GeoResolver contract: $name', ({ make }) => {
  geoResolverContract({ test, expect }, make);

  test('a located answer names its source', () => {
    expect(make(TABLE).resolve('1.2.4.8').source).toMatch(/^(static|mmdb:)/);
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
