import { iso31661, iso31662 } from 'iso-3166';
import { canonicalSubdivision } from './replaced-codes.js';

/**
 * Country codes a database may put in `Location.country`: ISO 3166-1 assigned
 * alpha-2 codes plus `XK` (Kosovo, user-assigned but used by every major
 * database; dropping it would misreport Kosovo as "no physical country").
 * Pseudo-codes such as `EU`, `AP`, `A1`, `ZZ` or `--` do not name a country.
 */
const COUNTRIES: ReadonlySet<string> = new Set([...iso31661.map((c) => c.alpha2), 'XK']);

/** True when `code` is an alpha-2 code that names a country (see {@link COUNTRIES}). */
export function isCountryCode(code: unknown): code is string {
  return typeof code === 'string' && COUNTRIES.has(code);
}

/** Two upper-case ASCII letters (the shape of an alpha-2 code, assigned or not). */
export function looksLikeAlpha2(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Z]{2}$/.test(value);
}

/** Shape of the part after the hyphen in an ISO 3166-2 code. */
const SUBDIVISION_SUFFIX = /^[A-Z0-9]{1,3}$/;

/**
 * Full canonical ISO 3166-2 code from a country and the suffix a database
 * stores (`GB` + `ENG` → `GB-ENG`, `CN` + `22` → `CN-JL`). Also accepts a
 * suffix that already carries the country prefix. `undefined` for anything
 * that is not shaped like a subdivision code.
 */
export function subdivisionCode(country: string, suffix: unknown): string | undefined {
  if (typeof suffix !== 'string') return undefined;
  let s = suffix.trim().toUpperCase();
  if (s.startsWith(`${country}-`)) s = s.slice(country.length + 1);
  if (!SUBDIVISION_SUFFIX.test(s)) return undefined;
  return canonicalSubdivision(`${country}-${s}`);
}

function normaliseName(name: string): string {
  // Databases and ISO spell names with and without diacritics ("Zürich"/"Zurich").
  return name.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

let byName: Map<string, Map<string, string | null>> | undefined;

/**
 * ISO 3166-2 code of the top-level subdivision of `country` whose ISO name is
 * `name` (e.g. `US` + `California` → `US-CA`). `undefined` when no name
 * matches or the name is ambiguous within the country — never a guess.
 */
export function subdivisionByName(country: string, name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) return undefined;
  if (byName === undefined) {
    // Built lazily: only name-based layouts (ip-location-db, DB-IP) need it.
    byName = new Map();
    for (const entry of iso31662) {
      let names = byName.get(entry.parent);
      if (names === undefined) byName.set(entry.parent, (names = new Map()));
      const key = normaliseName(entry.name);
      // null marks an ambiguous name: two subdivisions of one country share it.
      names.set(key, names.has(key) ? null : entry.code);
    }
  }
  const code = byName.get(country)?.get(normaliseName(name));
  return code === null || code === undefined ? undefined : canonicalSubdivision(code);
}
