/**
 * The `GeoResolver` contract: what a gate relies on from any resolver. The same answers for the
 * same table (embedded IPv4 located by its IPv4 address, ports and zones stripped), one unknown
 * cause for each kind of unanswerable input, never an exception, locations that later calls cannot
 * change, and capabilities that claim nothing the data cannot answer. The project runs it against
 * `StaticResolver`, `MaxMindResolver` and `OverlayResolver`; authors of another resolver run it
 * against theirs.
 */
import { type GeoResolver, type Location, StaticResolver } from '../../index.js';
import type { ContractRunner } from './runner.js';

/**
 * The table a resolver under test is built from: CIDR network to country code, or to a row with
 * subdivisions (ISO 3166-2) and the anonymizer flag.
 */
export type GeoResolverContractTable = Record<string, string | { country: string; subdivisions?: string[]; anonymizer?: boolean }>;

/** Builds the resolver under test over `table`: the same networks and rows, in its own format. */
export type GeoResolverFactory = (table: GeoResolverContractTable) => GeoResolver;

/** One table, every shape a row can have (the implementations' own tests reuse it). */
export const TABLE = {
  '1.2.4.0/24': { country: 'CN', subdivisions: ['CN-BJ'] },
  '2001:da8::/32': { country: 'CN', subdivisions: ['CN-BJ'] },
  '81.2.69.0/24': { country: 'GB', subdivisions: ['GB-ENG'], anonymizer: true },
  '8.8.8.0/24': { country: 'US', subdivisions: ['US-CA'] },
  '175.16.199.0/24': { country: 'CN', subdivisions: ['CN-JL'] },
} satisfies GeoResolverContractTable;

/** The same networks with countries only. */
const COUNTRIES_ONLY: GeoResolverContractTable = Object.fromEntries(Object.entries(TABLE).map(([net, row]) => [net, row.country]));

interface Answer {
  country: string | undefined;
  subdivisions: string[];
  anonymizer: boolean;
  network: string | undefined;
  unknown: string | undefined;
}

/** What a location says, without who said it (source, build date): the part that must agree. */
function answer(l: Location): Answer {
  return { country: l.country, subdivisions: [...l.subdivisions], anonymizer: l.anonymizer === true, network: l.network, unknown: l.unknown };
}

const known = (country: string, subdivisions: string[], network: string, anonymizer = false): Answer => ({
  country,
  subdivisions,
  anonymizer,
  network,
  unknown: undefined,
});
const unknown = (cause: string): Answer => ({ country: undefined, subdivisions: [], anonymizer: false, network: undefined, unknown: cause });

/** Inputs and the answer every resolver gives for them over `TABLE`. */
const CASES: [string, Answer][] = [
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

/** Inputs in and around the table's networks and anywhere else, the same on every run (a fixed seed). */
function sweep(count: number): string[] {
  let seed = 0x26;
  const next = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const near = ['1.2.4', '81.2.69', '8.8.8', '175.16.199', '1.2.5'];
  const near6 = ['2001:da8', '2001:db8', '64:ff9b:', '2002:102'];
  const odd = ['', ' ', '1.2.4.8 ', '1.2.4.8/24', '::', '::1', '0.0.0.0', '255.255.255.255', '1..2.4', 'localhost', '[1.2.4.8]', '1.2.4.8:'];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    switch (i % 5) {
      case 0:
        out.push(`${near[next(near.length)]}.${next(256)}`);
        break;
      case 1:
        out.push(`${near6[next(near6.length)]}::${next(0x10000).toString(16)}`);
        break;
      case 2:
        out.push(`${next(256)}.${next(256)}.${next(256)}.${next(256)}`);
        break;
      case 3:
        out.push(Array.from({ length: 8 }, () => next(0x10000).toString(16)).join(':'));
        break;
      default:
        out.push(odd[next(odd.length)]!);
    }
  }
  return out;
}

/**
 * Registers the contract's tests for one `GeoResolver` implementation (call inside a `describe`).
 * Subdivisions and the anonymizer flag are compared only where the resolver's capabilities claim
 * them.
 *
 * @param runner the runner's `test` and `expect` (vitest's)
 * @param make builds the resolver under test over a table the contract chooses
 *
 * @example
 * import { describe, expect, test } from 'vitest';
 * import { StaticResolver } from 'geoadmit';
 * import { geoResolverContract } from 'geoadmit/testing';
 *
 * describe('my resolver', () => {
 *   geoResolverContract({ test, expect }, (table) => new StaticResolver(table));
 * });
 */
export function geoResolverContract(runner: ContractRunner, make: GeoResolverFactory): void {
  const { test, expect } = runner;
  const geo = make(TABLE);

  /** What the resolver under test can be asked about: the rest is not compared. */
  const claimed = (a: Answer, resolver: GeoResolver): Answer => ({
    ...a,
    subdivisions: resolver.capabilities.subdivisions ? a.subdivisions : [],
    anonymizer: resolver.capabilities.anonymizers ? a.anonymizer : false,
  });

  /** Never throws, and answers a well-formed location. */
  const resolveSafely = (r: GeoResolver, address: string): Location => {
    let l: Location;
    try {
      l = r.resolve(address);
    } catch (error) {
      throw new Error(`${r.metadata.name}.resolve(${JSON.stringify(address)}) threw: ${String(error)}`);
    }
    expect(typeof l.source, address).toBe('string');
    expect(Array.isArray(l.subdivisions), address).toBe(true);
    expect(l.country === undefined, address).toBe(l.unknown !== undefined); // exactly one of country and cause
    return l;
  };

  test('answers the same as every resolver for each kind of input, and never throws', () => {
    for (const [address, expected] of CASES) {
      const l = resolveSafely(geo, address);
      expect(claimed(answer(l), geo), JSON.stringify(address)).toEqual(claimed(expected, geo));
      if (l.unknown !== undefined) expect(l.source, JSON.stringify(address)).toBe('unknown');
    }
  });

  test('a returned location cannot change later answers', () => {
    const first = geo.resolve('1.2.4.8');
    try {
      (first.subdivisions as string[]).push('CN-XZ');
      (first as { country?: string }).country = 'US';
    } catch {
      // frozen: fine
    }
    expect(claimed(answer(geo.resolve('1.2.4.8')), geo)).toEqual(claimed(known('CN', ['CN-BJ'], '1.2.4.0/24'), geo));
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

  test('agrees with StaticResolver over the same table on 2,000 inputs, and never throws', () => {
    const reference = new StaticResolver(TABLE);
    for (const address of sweep(2000)) {
      const want = claimed(answer(reference.resolve(address)), geo);
      expect(claimed(answer(resolveSafely(geo, address)), geo), JSON.stringify(address)).toEqual(want);
    }
  });
}
