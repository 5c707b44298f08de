/** What one database record says, reduced to what admission needs. Frozen and shared. */
export interface MappedRecord {
  readonly country?: string;
  readonly subdivisions: readonly string[];
  /** True when the record flags the address as anonymising; absent when it says nothing. */
  readonly anonymizer?: boolean;
}

/** A decoded `.mmdb` map. */
type Rec = Record<string, unknown>;

/** A decoded map (not an array, not a scalar). */
export function isObject(value: unknown): value is Rec {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const NO_SUBDIVISIONS: readonly string[] = Object.freeze([]);

/*
 * Flags that mean "the address hides where its user is". Hosting providers are
 * included (a VPS is the cheapest VPN). Not included: `is_satellite_provider`
 * (the user is somewhere in a large footprint but not hiding — MaxMind has
 * deprecated it and it says nothing about anonymity) and
 * `is_legitimate_proxy` (corporate proxies).
 */
export const ANON_FLAGS = [
  'is_anonymous',
  'is_anonymous_vpn',
  'is_anonymous_proxy',
  'is_tor_exit_node',
  'is_hosting_provider',
  'is_public_proxy',
  'is_residential_proxy',
] as const;

/** True when any anonymising flag is set, false when flags are present and all false, undefined when none is. */
export function anonymizerFlag(source: unknown): boolean | undefined {
  if (!isObject(source)) return undefined;
  let seen = false;
  for (const flag of ANON_FLAGS) {
    const v = source[flag];
    if (v === true) return true;
    if (v === false) seen = true;
  }
  return seen ? false : undefined;
}

/** The frozen mapped record (the empty subdivision list is one shared array). */
export function freeze(country: string | undefined, subdivisions: string[], anonymizer: boolean | undefined): MappedRecord {
  const out: { country?: string; subdivisions: readonly string[]; anonymizer?: boolean } = {
    subdivisions: subdivisions.length === 0 ? NO_SUBDIVISIONS : Object.freeze(subdivisions),
  };
  if (country !== undefined) out.country = country;
  if (anonymizer !== undefined) out.anonymizer = anonymizer;
  return Object.freeze(out);
}
