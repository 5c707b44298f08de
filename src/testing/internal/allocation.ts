import { iso31662 } from 'iso-3166';
import type { StaticEntry } from '../../index.js';
import { COUNTRIES, canonicalRegion, parentOfRegion } from '../../regions/index.js';

/**
 * The kit's synthetic address plan. These addresses are NOT where the real
 * world puts them: they are public (global unicast) addresses that only the
 * kit's own table places in a region, so tests never depend on real data.
 *
 * Country `AB` gets the number k = 26·(A−'A') + (B−'A') (0…675), so its block
 * depends only on its letters and never moves when ISO adds a country:
 *
 * - IPv4: the /16 `(20 + ⌊k/256⌋).(k mod 256).0.0/16` (inside 20.0.0.0–22.163.255.255,
 *   far from every IANA special-purpose range). Its first /24 (`…​.0.0/24`) is the
 *   country itself; its j-th subdivision (in code order, j = 1…) is `…​.j.0/24`.
 * - IPv6: the /32 `2a00:k::/32` (k in hex); the country is `2a00:k:0::/48`, its j-th
 *   subdivision `2a00:k:j::/48` (hex).
 *
 * Address `index` (0…253) is host `index + 1` of the region's /24 or /48, so a
 * region's addresses never end in `.0` or `.255`, and the gate's default audit
 * truncation (/24, /48) still tells which region a participant was in.
 */

/** First octet of the IPv4 plan. */
const V4_BASE = 20;
/** First hextet of the IPv6 plan. */
const V6_BASE = '2a00';
/** Highest `index` a region has addresses for (hosts 1…254 of a /24). */
export const MAX_INDEX = 253;

/** One region of the synthetic table. */
interface SyntheticRegion {
  /** Canonical region code (`CN`, `CN-XZ`, `GB-LND`). */
  readonly code: string;
  /** The country whose block holds it. */
  readonly country: string;
  /** The location's subdivisions: the ISO 3166-2 parent chain, most general first (empty for a country). */
  readonly subdivisions: readonly string[];
  /** Country number k (see above). */
  readonly k: number;
  /** 0 for the country, 1… for its subdivisions in code order. */
  readonly slot: number;
}

/** The synthetic plan: every region it covers, by canonical code. */
interface SyntheticPlan {
  readonly regions: ReadonlyMap<string, SyntheticRegion>;
}

let plan: SyntheticPlan | undefined;

/** The plan, built once on first use from the ISO lists. */
export function syntheticPlan(): SyntheticPlan {
  plan ??= buildPlan();
  return plan;
}

function countryNumber(code: string): number {
  return 26 * (code.charCodeAt(0) - 65) + (code.charCodeAt(1) - 65);
}

function buildPlan(): SyntheticPlan {
  const regions = new Map<string, SyntheticRegion>();
  // Sorted so the plan's iteration order (testRegions) does not depend on how the set was built.
  for (const alpha2 of [...COUNTRIES].sort()) {
    regions.set(alpha2, Object.freeze({ code: alpha2, country: alpha2, subdivisions: Object.freeze([]), k: countryNumber(alpha2), slot: 0 }));
  }
  // Only canonical codes: an alias (`CN-HK` is `HK`, `NL-AW` is `AW`) is located by its own country's block.
  const codes = iso31662.map((s) => s.code).filter((code) => canonicalRegion(code) === code && regions.has(code.slice(0, 2)));
  codes.sort();
  let slot = 0;
  let previousCountry = '';
  for (const code of codes) {
    const country = code.slice(0, 2);
    slot = country === previousCountry ? slot + 1 : 1;
    previousCountry = country;
    regions.set(code, Object.freeze({ code, country, subdivisions: Object.freeze(chainOf(code, country)), k: countryNumber(country), slot }));
  }
  return { regions };
}

/** `code` with its ISO 3166-2 ancestors inside `country`, most general first (`['FR-ARA', 'FR-01']`). */
function chainOf(code: string, country: string): string[] {
  const chain = [code];
  // The ISO hierarchy is at most three levels deep; the bound guards against a cycle in the data.
  for (let parent = parentOfRegion(code), depth = 0; parent?.startsWith(`${country}-`) && depth < 8; parent = parentOfRegion(parent), depth++) {
    chain.unshift(parent);
  }
  return chain;
}

/** The address `index` of `region`, IPv4 or IPv6 (canonical text). */
export function regionAddress(region: SyntheticRegion, index: number, ipv6: boolean): string {
  return ipv6 ? `${v6Prefix(region)}${(index + 1).toString(16)}` : `${v4Prefix(region)}${index + 1}`;
}

function v4Prefix({ k, slot }: SyntheticRegion): string {
  return `${V4_BASE + (k >> 8)}.${k & 255}.${slot}.`;
}

function v6Prefix({ k, slot }: SyntheticRegion): string {
  // RFC 5952 text: the longest run of zero hextets is the one compressed, so a country's slot 0 joins it.
  return slot === 0 ? `${V6_BASE}:${k.toString(16)}::` : `${V6_BASE}:${k.toString(16)}:${slot.toString(16)}::`;
}

/** The region's IPv4 /24 and IPv6 /48, as table keys. */
function regionNetworks(region: SyntheticRegion): [v4: string, v6: string] {
  return [`${v4Prefix(region)}0/24`, `${v6Prefix(region)}/48`];
}

/** The region by its place in the plan: country number k, slot j. */
function regionAt(k: number, slot: number): SyntheticRegion | undefined {
  byPlace ??= new Map([...syntheticPlan().regions.values()].map((r) => [r.k * 256 + r.slot, r]));
  return byPlace.get(k * 256 + slot);
}
let byPlace: Map<number, SyntheticRegion> | undefined;

/**
 * The region and network holding a canonical global address (as
 * `normalizeAddress` writes it), read straight off the plan: no table to
 * build, so a resolver over the plan is ready at once.
 */
export function locateInPlan(address: string, family: 4 | 6): { region: SyntheticRegion; network: string } | undefined {
  if (family === 4) {
    const parts = address.split('.');
    const k = (Number(parts[0]) - V4_BASE) * 256 + Number(parts[1]);
    const slot = Number(parts[2]);
    if (k < 0 || k > 675) return undefined;
    const region = regionAt(k, slot);
    return region === undefined ? undefined : { region, network: regionNetworks(region)[0] };
  }
  const hextets = expandIpv6(address);
  if (hextets[0] !== 0x2a00) return undefined;
  const k = hextets[1]!;
  const slot = hextets[2]!;
  if (k > 675 || slot > 255) return undefined;
  const region = regionAt(k, slot);
  return region === undefined ? undefined : { region, network: regionNetworks(region)[1] };
}

/** The first three hextets of canonical IPv6 text (`::` expanded), enough to place it in the plan. */
function expandIpv6(text: string): number[] {
  const [head = '', tail] = text.split('::');
  const front = head === '' ? [] : head.split(':');
  const back = tail === undefined || tail === '' ? [] : tail.split(':');
  const all = tail === undefined ? front : [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back];
  return all.slice(0, 3).map((h) => Number.parseInt(h, 16));
}

/**
 * The whole plan as a `StaticResolver` / `buildGeoIp2Mmdb` table (about
 * 10,600 prefixes): what the plan says, written out, for cross-checks.
 */
export function syntheticTable(): Record<string, StaticEntry> {
  const rows: Record<string, StaticEntry> = {};
  for (const region of syntheticPlan().regions.values()) {
    const entry: StaticEntry = region.slot === 0 ? region.country : { country: region.country, subdivisions: region.subdivisions };
    for (const network of regionNetworks(region)) rows[network] = entry;
  }
  return rows;
}
