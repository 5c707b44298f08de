import { ErrorCode, GeoadmitError } from '../index.js';
import { canonicalRegion } from '../regions/index.js';
import { isPlainObject } from '../internal/objects.js';
import { assertKnownKeys, describeValue } from '../internal/options.js';
import { MAX_INDEX, regionAddress, syntheticPlan } from './internal/allocation.js';

/** Options of {@link addressIn}. */
export interface AddressInOptions {
  /** An IPv6 address instead of IPv4 (default `false`). */
  ipv6?: boolean;
  /** Which of the region's addresses, 0…253 (default 0). Distinct indexes give distinct addresses. */
  index?: number;
}

/**
 * A public address that the testing kit's **synthetic** table places in
 * `region` — an ISO 3166-1 country (`CN`) or an ISO 3166-2 subdivision
 * (`US-CA`, `CN-XZ`) — for tests that must not care which real prefix sits
 * where. {@link testResolver} and `createTestGate` locate it there:
 * a country's address resolves to `{ country, subdivisions: [] }`, a
 * subdivision's to `{ country, subdivisions: [...its ISO 3166-2 parents, code] }`
 * (`['US-CA']`, `['GB-ENG', 'GB-LND']`).
 *
 * **Synthetic**: these addresses are not where the real world puts them; a
 * real database (GeoLite2…) will place them elsewhere. Never use them outside tests.
 *
 * Deterministic: the same arguments always give the same address, and the
 * `index` argument (0…253) gives up to 254 distinct addresses per region and
 * family. IPv4 by default; `{ ipv6: true }` for IPv6. Every address is global
 * unicast (`normalizeAddress(a).global`), never in an IANA special-purpose
 * range. Codes are read as `canonicalRegion` reads them (`cn-22` is `CN-JL`;
 * `CN-HK` is `HK`). Covered: every ISO 3166-1 country (plus `XK`) and every
 * ISO 3166-2 subdivision of the `iso-3166` data geoadmit validates against
 * (see {@link testRegions}).
 *
 * The plan (stable for countries, since it depends only on the code's letters):
 * country `AB` has k = 26·(A−'A') + (B−'A'); its IPv4 block is the /16
 * `(20 + ⌊k/256⌋).(k mod 256).0.0/16`, whose first /24 is the country and
 * whose j-th /24 is its j-th subdivision in code order; its IPv6 block is
 * `2a00:k::/32` (k in hex) split the same way into /48s. Address `index` is
 * host `index + 1` of that /24 or /48.
 *
 * @throws GeoadmitError `E_INVALID_CONFIG` (with `argument`) for a code that is
 * not a region, an index outside 0…253 or not an integer, or an unknown option.
 * @example
 * addressIn('CN');                      // '20.65.0.1'
 * addressIn('US-CA', 3);                // '22.26.5.4' (California is US's 5th subdivision)
 * addressIn('DE', { ipv6: true });      // '2a00:52::1'
 * addressIn('DE', { ipv6: true, index: 2 });
 */
export function addressIn(region: string, index?: number): string;
export function addressIn(region: string, options: AddressInOptions): string;
export function addressIn(region: string, indexOrOptions: number | AddressInOptions = 0): string {
  let index: unknown = indexOrOptions;
  let ipv6: unknown = false;
  if (typeof indexOrOptions !== 'number') {
    if (!isPlainObject(indexOrOptions)) {
      throw new GeoadmitError(ErrorCode.InvalidConfig, 'addressIn: the second argument must be an index (0…253) or { ipv6?, index? }', {
        argument: 'options',
      });
    }
    assertKnownKeys(indexOrOptions, ['ipv6', 'index'], 'addressIn');
    index = indexOrOptions.index ?? 0;
    ipv6 = indexOrOptions.ipv6 ?? false;
    if (typeof ipv6 !== 'boolean') throw new GeoadmitError(ErrorCode.InvalidConfig, 'addressIn: ipv6 must be a boolean', { argument: 'ipv6' });
  }
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > MAX_INDEX) {
    throw new GeoadmitError(ErrorCode.InvalidConfig, `addressIn: index must be an integer from 0 to ${MAX_INDEX}, got ${describeValue(index)}`, {
      argument: 'index',
    });
  }
  return regionAddress(syntheticRegion(region), index, ipv6 as boolean);
}

/** The synthetic plan's entry for `region`, or a clear error. */
function syntheticRegion(region: unknown) {
  const code = canonicalRegion(region);
  const found = code === undefined ? undefined : syntheticPlan().regions.get(code);
  if (found === undefined) {
    const shown = typeof region === 'string' ? JSON.stringify(region.slice(0, 64)) : typeof region;
    const why = code === undefined ? 'is not an ISO 3166 region code (e.g. "CN", "US-CA")' : `(${code}) is not in the testing kit's synthetic table`;
    throw new GeoadmitError(ErrorCode.InvalidConfig, `addressIn: ${shown} ${why}`, { argument: 'region' });
  }
  return found;
}

/**
 * Every region the synthetic table covers, as canonical codes: each ISO
 * 3166-1 country (plus `XK`) and each ISO 3166-2 subdivision except the codes
 * that stand for a territory with its own country code (`CN-HK` is `HK`).
 * Handy for property tests (`fc.constantFrom(...testRegions())`).
 *
 * @param kind `countries`, `subdivisions`, or every region (default).
 */
export function testRegions(kind: 'countries' | 'subdivisions' | 'all' = 'all'): string[] {
  const out: string[] = [];
  for (const region of syntheticPlan().regions.values()) {
    if (kind === 'all' || (kind === 'countries') === (region.slot === 0)) out.push(region.code);
  }
  return out;
}
