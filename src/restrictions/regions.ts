/**
 * Where a location lies relative to a region: the matching rules restrictions
 * use. The region codes themselves (ISO lists, replaced codes, territories,
 * containment) live in `src/regions/`, below geo and restrictions.
 */
import type { Location } from '../geo/types.js';
import { canonicalLocationCode, canonicalRegion, containsCanonical, COUNTRIES, countryOfRegion, countryOfSubdivision } from '../regions/index.js';

/**
 * The country a location is really in: its `country`, unless one of its
 * subdivisions is filed under that country but is a territory with its own
 * code (a record saying `CN` / `CN-HK` is in `HK`; `NO` / `NO-21` in `SJ`). @internal
 */
export function effectiveCountry(location: Location): string | undefined {
  const country = location.country;
  if (country === undefined) return undefined;
  const subs = location.subdivisions;
  for (let i = 0; i < subs.length; i++) {
    const s = subs[i] as string;
    // Only codes under the stated country: an inconsistent record must not move the location.
    if (!s.startsWith(country) || s.charCodeAt(country.length) !== 45 /* - */) continue;
    const c = canonicalLocationCode(s);
    const territory = c === undefined ? undefined : countryOfRegion(c);
    if (territory !== undefined && territory !== country) return territory;
  }
  return country;
}

/**
 * How a location relates to one region: `yes`, `no`, or `unknown` (its
 * country is unknown, or the country matches but its subdivision is not
 * known precisely enough to tell). @internal
 */
export type RegionMatch = 'yes' | 'no' | 'unknown';

/**
 * Match a location against a canonical region. `unknown` when the location's
 * country is unknown, or when the region is a subdivision of the location's
 * country and the location's subdivisions do not settle it. `country` is
 * the location's {@link effectiveCountry}, passed in when matching many regions. @internal
 */
export function matchRegion(location: Location, region: string, country = effectiveCountry(location)): RegionMatch {
  if (country === undefined) return 'unknown';
  if (COUNTRIES.has(region)) return country === region ? 'yes' : 'no';
  if (countryOfSubdivision(region) !== country) return 'no';
  const subs = location.subdivisions;
  let unsettled = subs.length === 0;
  for (let i = 0; i < subs.length; i++) {
    const s = canonicalLocationCode(subs[i] as string);
    if (s === undefined) {
      unsettled = true; // a code we cannot place says nothing either way
      continue;
    }
    if (containsCanonical(region, s)) return 'yes';
    // Known only at a coarser level (FR-ARA for a region FR-01): cannot tell.
    if (containsCanonical(s, region)) unsettled = true;
  }
  return unsettled ? 'unknown' : 'no';
}

/**
 * True when the location is confirmed to be in `region`: its country equals
 * the region, or the region is a subdivision of its country and one of its
 * subdivisions is that subdivision or lies inside it. A location whose
 * country or subdivision is unknown does not match.
 *
 * @example locationMatchesRegion({ country: 'US', subdivisions: ['US-CA'], source: 'static' }, 'US-CA') // true
 */
export function locationMatchesRegion(location: Location, region: string): boolean {
  const r = canonicalRegion(region);
  return r !== undefined && matchRegion(location, r) === 'yes';
}
