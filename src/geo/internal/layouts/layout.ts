import type { GeoCapabilities } from '../../types.js';
import type { LayoutEvidence } from './evidence.js';
import type { MappedRecord } from './record.js';

/**
 * Record layouts the MaxMind resolver understands. Detected per file from the
 * database type and from the records themselves; each has one descriptor in
 * this folder.
 */
export const MaxMindLayout = {
  /** GeoIP2/GeoLite2 Country: `country.iso_code`, `registered_country`, `traits`. */
  GeoIp2Country: 'geoip2-country',
  /** GeoIP2/GeoLite2 City (and Enterprise): as Country plus `subdivisions[].iso_code`. */
  GeoIp2City: 'geoip2-city',
  /** DB-IP country databases (GeoIP2-compatible shape). */
  DbIpCountry: 'dbip-country',
  /** DB-IP city databases: GeoIP2 shape, subdivisions often by name only. */
  DbIpCity: 'dbip-city',
  /** GeoIP2 Anonymous IP: top-level `is_anonymous`, `is_tor_exit_node`, ... (a layer only). */
  GeoIp2AnonymousIp: 'geoip2-anonymous-ip',
  /** IPinfo Lite: `country_code` is the code, `country` the name. */
  IpInfoLite: 'ipinfo-lite',
  /** Older IPinfo free country database: `country` is the code, `country_name` the name. */
  IpInfoCountry: 'ipinfo-country',
  /** ip-location-db (sapics): `country_code`, optional `state1` (a name). */
  IpLocationDb: 'ip-location-db',
} as const;
export type MaxMindLayout = (typeof MaxMindLayout)[keyof typeof MaxMindLayout];

/** `location` databases answer country and subdivisions; `anonymizer` layers only flag addresses. */
export type LayoutRole = 'location' | 'anonymizer';

/**
 * Everything about one vendor layout, in one place: which layout it is, how a
 * database is recognised as it, what a record of it means and what role the
 * database plays. The list in `index.ts` orders the descriptors; the first to
 * claim a database has it.
 */
export interface LayoutDescriptor {
  readonly id: MaxMindLayout;
  readonly role: LayoutRole;
  /**
   * Claims a database from the evidence of its records (`type` is the
   * lower-cased `database_type`, used only to break ties): what the database
   * can answer, or `undefined` when it is not this layout.
   */
  readonly detect: (type: string, evidence: LayoutEvidence) => GeoCapabilities | undefined;
  /**
   * Claims a database from its lower-cased type name alone, for a file whose
   * records were not inspected. Absent when a name never says this layout.
   */
  readonly named?: (type: string) => boolean;
  /**
   * One decoded record, reduced to what admission needs. Called once per
   * distinct record (the loader memoises per data pointer): keep it free of
   * allocations beyond the frozen result.
   */
  readonly map: (rec: unknown) => MappedRecord;
}
