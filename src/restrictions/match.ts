import type { GeoCapabilities, Location } from '../geo/types.js';
import { isCountryRegion } from '../regions/index.js';
import { effectiveCountry, matchRegion } from './regions.js';
import { ReasonCode, type NormalizedRestriction, type RestrictionMatch } from './types.js';

// Preallocated answers: the gate calls matchRestriction for every join and restriction.
const ANONYMIZER: RestrictionMatch = Object.freeze({ code: ReasonCode.Anonymizer });
const NOT_ALLOWED: RestrictionMatch = Object.freeze({ code: ReasonCode.NotInAllowedRegions });
const SUBDIVISION_UNKNOWN: RestrictionMatch = Object.freeze({
  code: ReasonCode.UnknownLocation,
  message: 'subdivision unknown',
});
const UNKNOWN_BY_CAUSE = new Map<string, RestrictionMatch>();

function unknownMatch(location: Location): RestrictionMatch {
  if (location.country !== undefined) return SUBDIVISION_UNKNOWN;
  const cause = location.unknown ?? 'unknown';
  let match = UNKNOWN_BY_CAUSE.get(cause);
  if (match === undefined) {
    // An address that could not be read says so, rather than passing for any unknown location.
    const code = cause === 'invalid-address' ? ReasonCode.InvalidAddress : ReasonCode.UnknownLocation;
    match = Object.freeze({ code, message: cause });
    // Bounded: causes come from the UnknownCause table (plus the fallback).
    if (UNKNOWN_BY_CAUSE.size < 16) UNKNOWN_BY_CAUSE.set(cause, match);
  }
  return match;
}

/**
 * Whether restriction `r` applies to a participant at `location`, and why.
 * Pure and synchronous; the window (`isActive`) and scope
 * (`restrictionInScope`) are the caller's to check.
 *
 * Returns one reason, the first that applies in this order:
 * 1. `region-restricted` (with `region`): the location is confirmed inside one
 *    of `r.regions`; or `not-in-allowed-regions`: the location is confirmed
 *    outside every entry of `r.allowRegions`;
 * 2. `anonymizer`: the address is anonymising and `r.anonymizers` is `deny`;
 * 3. `unknown-location` (with the unknown cause, or `subdivision unknown`, as
 *    `message`): the location cannot settle the restriction — its country is
 *    unknown, or its country matches a subdivision region but its subdivision
 *    is unknown — and `r.unknownLocation` is `deny`; `invalid-address` (with
 *    that cause as `message`) instead when the address itself could not be read.
 *
 * `undefined` means the restriction does not touch this participant.
 *
 * @example
 * matchRestriction(r, { country: 'CN', subdivisions: [], source: 'static' })
 * // { code: 'region-restricted', region: 'CN' }
 */
export function matchRestriction(r: NormalizedRestriction, location: Location): RestrictionMatch | undefined {
  let unsettled = false;
  const country = effectiveCountry(location);
  const allow = r.allowRegions;
  if (allow === undefined) {
    const regions = r.regions;
    for (let i = 0; i < regions.length; i++) {
      const region = regions[i] as string;
      const m = matchRegion(location, region, country);
      if (m === 'yes') return { code: ReasonCode.RegionRestricted, region };
      if (m === 'unknown') unsettled = true;
    }
  } else {
    let allowed = false;
    for (let i = 0; i < allow.length && !allowed; i++) {
      const m = matchRegion(location, allow[i] as string, country);
      if (m === 'yes') allowed = true;
      else if (m === 'unknown') unsettled = true;
    }
    if (!allowed && !unsettled) return NOT_ALLOWED;
    if (allowed) unsettled = false;
  }
  if (location.anonymizer === true && r.anonymizers === 'deny') return ANONYMIZER;
  if (unsettled && r.unknownLocation === 'deny') return unknownMatch(location);
  return undefined;
}

// Scope lookups: the normalised arrays are frozen, so a Set per restriction can be cached safely.
const scopeSets = new WeakMap<NormalizedRestriction, { meetings: ReadonlySet<string>; accounts: ReadonlySet<string> }>();

/**
 * True when `r` applies to the meeting: its scope is `all`, or names
 * `meetingId` in `meetings`, or names `hostAccountId` in `hostAccounts`.
 */
export function restrictionInScope(r: NormalizedRestriction, meetingId: string, hostAccountId?: string): boolean {
  if (r.scope.all) return true;
  let sets = scopeSets.get(r);
  if (sets === undefined) {
    sets = { meetings: new Set(r.scope.meetings), accounts: new Set(r.scope.hostAccounts) };
    scopeSets.set(r, sets);
  }
  return sets.meetings.has(meetingId) || (hostAccountId !== undefined && sets.accounts.has(hostAccountId));
}

/** True when `now` (epoch ms) lies in the window `[validFrom, validUntil)`; open ends are unbounded. */
export function isActive(r: NormalizedRestriction, now: number): boolean {
  return (r.validFrom === undefined || now >= r.validFrom) && (r.validUntil === undefined || now < r.validUntil);
}

/**
 * Warnings for a restriction the resolver's data cannot fully answer, so it
 * is never silently ineffective: subdivision regions without subdivision
 * data, `anonymizers: "deny"` without anonymizer data, or a resolver that
 * cannot tell countries at all. Empty when the data suffices.
 */
export function describeCapabilityGaps(r: NormalizedRestriction, capabilities: GeoCapabilities): string[] {
  const warnings: string[] = [];
  const field = r.allowRegions === undefined ? 'regions' : 'allowRegions';
  const regions = r.allowRegions ?? r.regions;
  if (!capabilities.countries) {
    warnings.push(
      `restriction ${JSON.stringify(r.id)}: the configured geo data cannot tell countries; every participant is an unknown location to it (unknownLocation: ${r.unknownLocation})`,
    );
  }
  const subdivisions = regions.filter((code) => !isCountryRegion(code));
  if (subdivisions.length > 0 && !capabilities.subdivisions) {
    warnings.push(
      `restriction ${JSON.stringify(r.id)}: $.${field} names subdivisions (${subdivisions.slice(0, 5).join(', ')}${subdivisions.length > 5 ? ', …' : ''}) but the configured geo data has no subdivisions; participants in their countries are treated as unknown locations (unknownLocation: ${r.unknownLocation})`,
    );
  }
  if (r.anonymizers === 'deny' && !capabilities.anonymizers) {
    warnings.push(
      `restriction ${JSON.stringify(r.id)}: anonymizers: "deny" but the configured geo data cannot detect anonymising addresses; no participant will be denied as an anonymizer`,
    );
  }
  return warnings;
}
