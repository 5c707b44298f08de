import { iso31661, iso31662 } from 'iso-3166';
import { canonicalSubdivision, replacedSubdivisionCodes } from './replaced.js';

/**
 * Countries: ISO 3166-1 alpha-2 codes in state `assigned`, plus `XK`
 * (Kosovo). `XK` is user-assigned, not ISO, but every major GeoIP database
 * reports Kosovo as `XK`; without it Kosovo could be neither targeted nor
 * protected by code.
 */
export const COUNTRIES: ReadonlySet<string> = new Set([...iso31661.filter((c) => c.state === 'assigned').map((c) => c.alpha2), 'XK']);

/**
 * ISO 3166-2 lists some territories as subdivisions of another country even
 * though they have their own ISO 3166-1 alpha-2 code (or are subdivisions of
 * such a territory). Databases locate people there by that separate code, so
 * for matching and containment the subdivision code is an alias of it: a
 * location in `HK` never matches `CN`, and a `CN` authority cannot target
 * `CN-HK`. The iso-3166 package does not carry this relation, so it is
 * written out here (checked against iso-3166 4.4.0 in the tests).
 */
const TERRITORY_ALIASES: ReadonlyMap<string, string> = new Map([
  ['CN-HK', 'HK'],
  ['CN-MO', 'MO'],
  ['CN-TW', 'TW'],
  ['US-AS', 'AS'],
  ['US-GU', 'GU'],
  ['US-MP', 'MP'],
  ['US-PR', 'PR'],
  ['US-UM', 'UM'],
  ['US-VI', 'VI'],
  ['FR-971', 'GP'],
  ['FR-972', 'MQ'],
  ['FR-973', 'GF'],
  ['FR-974', 'RE'],
  ['FR-976', 'YT'],
  ['FR-BL', 'BL'],
  ['FR-MF', 'MF'],
  ['FR-NC', 'NC'],
  ['FR-PF', 'PF'],
  ['FR-PM', 'PM'],
  ['FR-TF', 'TF'],
  ['FR-WF', 'WF'],
  ['NL-AW', 'AW'],
  ['NL-CW', 'CW'],
  ['NL-SX', 'SX'],
  // The Caribbean Netherlands islands are also subdivisions of BQ.
  ['NL-BQ1', 'BQ-BO'],
  ['NL-BQ2', 'BQ-SA'],
  ['NL-BQ3', 'BQ-SE'],
  ['FI-01', 'AX'],
  // Databases report Kosovo as XK (see COUNTRIES); same reasoning as CN-HK.
  ['RS-KM', 'XK'],
]);

/**
 * Subdivisions that are only part of a territory with its own alpha-2 code
 * (Svalbard and Jan Mayen together are `SJ`): they keep their code but sit
 * inside that territory, not inside the country ISO 3166-2 files them under.
 */
const TERRITORY_PARENTS: ReadonlyMap<string, string> = new Map([
  ['NO-21', 'SJ'],
  ['NO-22', 'SJ'],
]);

/** The shape of a region code, before validation against the lists. */
const REGION_SHAPE = /^[A-Za-z]{2}(?:-[A-Za-z0-9]{1,3})?$/;

const PARENT_RAW: ReadonlyMap<string, string> = new Map(iso31662.map((s) => [s.code, s.parent]));

/** Canonical code for an upper-case candidate, from the lists and tables (no cache). */
function canonicalUpper(code: string): string | undefined {
  if (COUNTRIES.has(code)) return code;
  const current = canonicalSubdivision(code);
  const aliased = TERRITORY_ALIASES.get(current) ?? current;
  if (COUNTRIES.has(aliased)) return aliased;
  return PARENT_RAW.has(aliased) && !TERRITORY_ALIASES.has(aliased) ? aliased : undefined;
}

/** Canonical subdivision code → canonical parent region (a country or a subdivision). */
const PARENT = new Map<string, string>();
/** Canonical subdivision code → the country it is ultimately inside. */
const COUNTRY_OF = new Map<string, string>();
/**
 * Every accepted upper-case spelling (current, replaced, alias) → canonical
 * code. Lets hot-path matching canonicalise location subdivisions with one
 * lookup and no string allocation.
 */
const CANONICAL = new Map<string, string>();

for (const c of COUNTRIES) CANONICAL.set(c, c);
for (const [code, rawParent] of PARENT_RAW) {
  const canonical = canonicalUpper(code);
  if (canonical === undefined) continue;
  CANONICAL.set(code, canonical);
  if (canonical !== code) continue; // an alias: its target carries the parent
  const parent = TERRITORY_PARENTS.get(code) ?? canonicalUpper(rawParent);
  if (parent !== undefined) PARENT.set(code, parent);
}
for (const code of Object.keys(replacedSubdivisionCodes)) {
  // Replaced codes are not in the current list; register them from the table.
  const canonical = canonicalUpper(code);
  if (canonical !== undefined) CANONICAL.set(code, canonical);
}
for (const code of PARENT.keys()) {
  let cur: string | undefined = code;
  // The ISO hierarchy is at most three levels deep; the bound guards against a cycle in the data.
  for (let i = 0; i < 8 && cur !== undefined && !COUNTRIES.has(cur); i++) cur = PARENT.get(cur);
  if (cur !== undefined && COUNTRIES.has(cur)) COUNTRY_OF.set(code, cur);
}

/**
 * The canonical form of a region code, or `undefined` when `code` is not a
 * region. Codes are accepted case-insensitively (`us-ca` → `US-CA`);
 * replaced subdivision codes map to the current ones (`CN-22` → `CN-JL`);
 * subdivision codes of territories with their own alpha-2 code map to it
 * (`CN-HK` → `HK`, `US-PR` → `PR`). Whitespace is not trimmed.
 *
 * @example canonicalRegion('cn-22') // 'CN-JL'
 */
export function canonicalRegion(code: unknown): string | undefined {
  if (typeof code !== 'string' || !REGION_SHAPE.test(code)) return undefined;
  const upper = code.toUpperCase();
  return CANONICAL.get(upper) ?? canonicalUpper(upper);
}

/** True when canonical `code` is a country (not a subdivision). @internal */
export function isCountryRegion(code: string): boolean {
  return COUNTRIES.has(code);
}

/** The country a canonical region is in (itself for a country). @internal */
export function countryOfRegion(code: string): string | undefined {
  return COUNTRIES.has(code) ? code : COUNTRY_OF.get(code);
}

/** Parent of a canonical region (`undefined` for a country). @internal */
export function parentOfRegion(code: string): string | undefined {
  return PARENT.get(code);
}

/** Both arguments canonical: is `inner` equal to `outer` or inside it? @internal */
export function containsCanonical(outer: string, inner: string): boolean {
  let cur: string | undefined = inner;
  for (let i = 0; i < 8 && cur !== undefined; i++) {
    if (cur === outer) return true;
    cur = PARENT.get(cur);
  }
  return false;
}

/**
 * True when region `inner` equals region `outer` or lies inside it, following
 * the ISO 3166-2 parent chain (`FR` contains `FR-ARA` contains `FR-01`).
 * `HK`, `MO` and `TW` (and `CN-HK` etc., their aliases) are not inside `CN`;
 * see {@link canonicalRegion} for the other territories treated the same way.
 * False when either code is not a region.
 *
 * @example regionContains('CN', 'CN-XZ') // true
 * @example regionContains('CN', 'HK')    // false
 */
export function regionContains(outer: string, inner: string): boolean {
  const o = canonicalRegion(outer);
  const i = canonicalRegion(inner);
  return o !== undefined && i !== undefined && containsCanonical(o, i);
}

/** Canonical form of a location's subdivision code, without allocating for well-formed codes. @internal */
export function canonicalLocationCode(code: string): string | undefined {
  return CANONICAL.get(code) ?? canonicalRegion(code);
}

/** The country a canonical subdivision is ultimately inside (`undefined` for a country or an unknown code). @internal */
export function countryOfSubdivision(code: string): string | undefined {
  return COUNTRY_OF.get(code);
}

/**
 * Full subdivision codes whose part after the hyphen is `suffix`, for the
 * "subdivision written without its country" message (`XZ` → `CN-XZ`). @internal
 */
export function subdivisionsWithSuffix(suffix: string, limit = 3): string[] {
  const wanted = suffix.toUpperCase();
  const out: string[] = [];
  for (const code of PARENT.keys()) {
    if (code.slice(3) === wanted) out.push(code);
    if (out.length >= limit) break;
  }
  return out;
}

/** The alias table, exposed for tests and documentation. @internal */
export const territoryAliases: ReadonlyMap<string, string> = TERRITORY_ALIASES;
/** The re-parented subdivisions, exposed for tests and documentation. @internal */
export const territoryParents: ReadonlyMap<string, string> = TERRITORY_PARENTS;
