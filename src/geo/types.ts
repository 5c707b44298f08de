/**
 * Why nothing is known about where a participant is. Each cause is reported
 * distinctly in decisions and audit events, never folded into another.
 */
export const UnknownCause = {
  /** The address (or forwarded header) could not be parsed, or was spelled ambiguously. */
  InvalidAddress: 'invalid-address',
  /** Private, loopback, link-local, CGNAT, documentation, multicast, ... */
  NonGlobal: 'non-global',
  /** The databases have no record for the address. */
  NotInDatabase: 'not-in-database',
  /** The record only names a registered country, not where the address is used. */
  NoPhysicalCountry: 'no-physical-country',
  /** The lookup failed (e.g. a damaged database). */
  LookupError: 'lookup-error',
} as const;
export type UnknownCause = (typeof UnknownCause)[keyof typeof UnknownCause];

/** What is known about where a participant is. */
export interface Location {
  /** ISO 3166-1 alpha-2 code of the physical country, upper case. */
  country?: string;
  /** Full ISO 3166-2 codes (`GB-ENG`), most general first. */
  subdivisions: readonly string[];
  /** The databases mark the address as anonymising (VPN, proxy, Tor, hosting). */
  anonymizer?: boolean;
  /** The resolver that answered: `mmdb:<databaseType>`, `static`, `unknown`, ... */
  source: string;
  /** The database prefix that answered, e.g. `1.2.4.0/22`. */
  network?: string;
  /** The answering database's build date (ISO 8601), where known. */
  databaseBuilt?: string;
  /** Why nothing is known, when `country` is undefined. */
  unknown?: UnknownCause;
}

/** What a resolver's data can answer. */
export interface GeoCapabilities {
  /** True when the data can tell the physical country. */
  countries: boolean;
  /** True when the data can tell ISO 3166-2 subdivisions; restrictions on subdivisions are otherwise accepted with a warning. */
  subdivisions: boolean;
  /** True when the data marks anonymising addresses (VPN, proxy, Tor); `anonymizers: 'deny'` is otherwise accepted with a warning. */
  anonymizers: boolean;
}

/** Metadata describing a resolver. */
export interface GeoResolverMetadata {
  /** Short name used as `Location.source` prefix, e.g. `mmdb:GeoLite2-Country`. */
  readonly name: string;
}

/**
 * Turns a normalised address (the canonical text `normalizeAddress` returns:
 * dotted-quad IPv4 or compressed lower-case IPv6, global unicast) into a
 * {@link Location}. Must never throw: failures are `unknown: 'lookup-error'`.
 */
export interface GeoResolver {
  /** Identifies the resolver; its name prefixes `Location.source`. */
  readonly metadata: GeoResolverMetadata;
  /** What its data can answer; restrictions it cannot enforce are accepted only with warnings. */
  readonly capabilities: GeoCapabilities;
  /** Look up a normalised address; never throws (failures give `unknown: 'lookup-error'`). */
  resolve(address: string): Location;
  /** Subscribe to resolver events (`geo.reloaded`, `error`). Returns an unsubscribe function. */
  on?<E extends keyof GeoResolverEvents>(event: E, listener: (payload: GeoResolverEvents[E]) => void): () => void;
  /** Release files, watchers and timers. */
  close?(): Promise<void> | void;
}

/** Events a resolver may emit. */
export interface GeoResolverEvents {
  /** A database file was (re)loaded; `time` in milliseconds since the epoch. */
  'geo.reloaded': { source: string; file: string; databaseBuilt?: string; time: number };
  /** Loading or reloading a database failed; `time` in milliseconds since the epoch. */
  error: { source: string; file?: string; error: Error; time: number };
}
