import {
  ErrorCode,
  GeoadmitError,
  type GeoCapabilities,
  type GeoResolver,
  type GeoResolverMetadata,
  type Location,
  normalizeAddress,
  StaticResolver,
  type StaticTable,
  type UnknownCause,
} from '../index.js';
import { parseCidr } from '../address/index.js';
import { locateInPlan } from './internal/allocation.js';

/** `Location.source` of every answer from {@link testResolver}. */
export const SYNTHETIC_SOURCE = 'synthetic';

function unknown(cause: UnknownCause): Location {
  return Object.freeze({ subdivisions: Object.freeze([]) as readonly string[], source: 'unknown', unknown: cause });
}
const INVALID = unknown('invalid-address');
const NON_GLOBAL = unknown('non-global');
const NOT_FOUND = unknown('not-in-database');

// One frozen answer per network, shared by every resolver: lookups allocate nothing after the first.
const answers = new Map<string, Location>();

/** The synthetic plan's answer for an address, read off the plan (see addressIn). */
function synthetic(address: string): Location {
  const normalized = normalizeAddress(address);
  if (!normalized.ok) return INVALID;
  if (!normalized.global) return NON_GLOBAL;
  const placed = locateInPlan(normalized.address, normalized.family);
  if (placed === undefined) return NOT_FOUND;
  let answer = answers.get(placed.network);
  if (answer === undefined) {
    const { country, subdivisions } = placed.region;
    answer = Object.freeze({ country, subdivisions, source: SYNTHETIC_SOURCE, network: placed.network });
    answers.set(placed.network, answer);
  }
  return answer;
}

/** The synthetic plan under the test's overrides: an override covering an address answers for it. */
class TestResolver implements GeoResolver {
  readonly metadata: GeoResolverMetadata = Object.freeze({ name: SYNTHETIC_SOURCE });
  // A test resolver answers everything a restriction can ask, so no capability warning muddles a test;
  // anonymisers come from overrides.
  readonly capabilities: GeoCapabilities = Object.freeze({ countries: true, subdivisions: true, anonymizers: true });
  readonly #overrides: StaticResolver | undefined;

  constructor(overrides: StaticResolver | undefined) {
    this.#overrides = overrides;
  }

  resolve(address: string): Location {
    const answer = this.#overrides?.resolve(address);
    return answer !== undefined && answer.unknown !== 'not-in-database' ? answer : synthetic(address);
  }
}

/**
 * A resolver over the testing kit's **synthetic** table (see {@link addressIn}):
 * every ISO 3166-1 country and ISO 3166-2 subdivision, IPv4 and IPv6, with
 * `source: 'synthetic'`. These placements are not the real world's. Addresses
 * outside the table are `not-in-database`; special-purpose ones `non-global`,
 * exactly as with any resolver. Its `capabilities` are all `true`.
 *
 * `overrides` is a `StaticResolver` table — CIDR or bare address → country
 * code or `{ country, subdivisions?, anonymizer? }` — consulted first: an
 * override that covers an address answers for it (the most specific override
 * wins among overrides), anything else falls through to the synthetic table.
 * Use it to mark an anonymiser or to place a prefix of your own.
 * A key whose first address is special-purpose (`203.0.113.7`, `10.0.0.0/8`)
 * is refused: the gate never looks such addresses up, so the override
 * could never apply.
 *
 * Lookups read the region straight off the plan (no table is built), so a
 * resolver is ready at once; each call only compiles its overrides.
 *
 * @throws GeoadmitError `E_INVALID_CONFIG` naming the override at fault
 * (`overrides["…"]: …`), as `StaticResolver` does for its table.
 * @example
 * const geo = testResolver({ [addressIn('NL', 9)]: { country: 'NL', anonymizer: { vpn: true } } });
 * geo.resolve(addressIn('US-CA'));  // { country: 'US', subdivisions: ['US-CA'], source: 'synthetic', network: '22.26.5.0/24' }
 * geo.resolve(addressIn('NL', 9));  // { country: 'NL', subdivisions: [], anonymizer: true, ... }
 */
export function testResolver(overrides?: StaticTable): GeoResolver {
  return new TestResolver(overrides === undefined ? undefined : compileOverrides(overrides));
}

function compileOverrides(overrides: StaticTable): StaticResolver {
  let resolver: StaticResolver;
  try {
    resolver = new StaticResolver(overrides, { name: SYNTHETIC_SOURCE });
  } catch (error) {
    if (!(error instanceof GeoadmitError)) throw error;
    // StaticResolver names its argument `table`; here it is the overrides.
    const rename = (text: string) => text.replace(/^table/, 'overrides').replace(/^StaticResolver table/, 'testResolver overrides');
    throw new GeoadmitError(error.code, `testResolver: ${rename(error.message)}`, { argument: rename(error.argument ?? 'overrides'), cause: error });
  }
  for (const key of Object.keys(overrides)) {
    const first = parseCidr(key).network.split('/')[0] ?? key;
    const normalized = normalizeAddress(first);
    if (normalized.ok && !normalized.global) {
      const where = `overrides[${JSON.stringify(key)}]`;
      throw new GeoadmitError(
        ErrorCode.InvalidConfig,
        `testResolver: ${where}: ${first} is a special-purpose address the gate never looks up (its location is unknown: non-global); place a global address such as addressIn('CN') instead`,
        { argument: where },
      );
    }
  }
  return resolver;
}
