import { isCountryCode, looksLikeAlpha2, subdivisionByName, subdivisionCode } from '../../../regions/index.js';
import { mapGeoIp2 } from './geoip2-shape.js';
import { ANON_FLAGS, isObject } from './record.js';

/**
 * Share of distinct subdivision names (among those a name-based database
 * ships) that must map to an ISO 3166-2 code before the database is said to
 * answer subdivisions. Below it, enough places stay unknown that a gate
 * should warn about subdivision restrictions rather than trust the database.
 */
const NAME_COVERAGE_THRESHOLD = 0.95;

/** Distinct names remembered for the coverage figure; beyond this, new names are not counted. */
const MAX_NAMES_TRACKED = 100_000;

/**
 * The shape of record that decides a database's layout: GeoIP2 objects
 * (`country`, `subdivisions`, ...), top-level anonymity flags, a top-level
 * `country_code`, or a code in a top-level `country`.
 */
export type RecordShape = 'geoip2' | 'anonymity-flags' | 'country-code' | 'code-in-country';

/** Evidence gathered from a database's records to decide its layout and capabilities. */
export class LayoutEvidence {
  records = 0;
  geoIp2 = 0;
  geoIp2Subdivisions = 0;
  geoIp2AnonTraits = 0;
  anonTop = 0;
  countryCode = 0;
  countryCodeState = 0;
  countryIsCode = 0;
  ipInfoHints = 0;
  readonly otherKinds = new Set<string>();
  /** Distinct `CC|name` subdivision names seen (by-name layouts) → whether the name mapped to a code. */
  readonly names = new Map<string, boolean>();

  /**
   * The shape that decides the layout: the first, in the order of
   * {@link RecordShape}, that any record had (a file mixing shapes is read as
   * its richest one); undefined when no record had any.
   */
  get shape(): RecordShape | undefined {
    if (this.geoIp2 > 0) return 'geoip2';
    if (this.anonTop > 0) return 'anonymity-flags';
    if (this.countryCode > 0) return 'country-code';
    if (this.countryIsCode > 0) return 'code-in-country';
    return undefined;
  }

  /** Share of distinct subdivision names that mapped (1 when no name was seen). */
  get nameCoverage(): number {
    if (this.names.size === 0) return 1;
    let mapped = 0;
    for (const ok of this.names.values()) if (ok) mapped++;
    return mapped / this.names.size;
  }

  /** Whether names seen map well enough ({@link NAME_COVERAGE_THRESHOLD}) to claim subdivisions from them. */
  get namesHold(): boolean {
    return this.nameCoverage >= NAME_COVERAGE_THRESHOLD;
  }

  #name(country: string, name: unknown): void {
    if (typeof name !== 'string' || name.length === 0) return;
    const key = `${country}|${name}`;
    if (this.names.has(key) || this.names.size >= MAX_NAMES_TRACKED) return;
    this.names.set(key, subdivisionByName(country, name) !== undefined);
  }

  /** Inspect one decoded record. */
  add(rec: unknown): void {
    this.records++;
    if (!isObject(rec)) return;
    if (isObject(rec['country']) || isObject(rec['registered_country']) || isObject(rec['continent']) || Array.isArray(rec['subdivisions'])) {
      this.geoIp2++;
      const mapped = mapGeoIp2(rec);
      if (mapped.subdivisions.length > 0) this.geoIp2Subdivisions++;
      const subs = rec['subdivisions'];
      if (mapped.country !== undefined && Array.isArray(subs)) {
        // Subdivisions known only by name (DB-IP) count towards name coverage.
        for (const sub of subs.slice(0, 8)) {
          if (isObject(sub) && subdivisionCode(mapped.country, sub['iso_code']) === undefined && isObject(sub['names']))
            this.#name(mapped.country, sub['names']['en']);
        }
      }
      const traits = rec['traits'];
      // The deprecated is_anonymous_proxy alone (GeoLite2 Country) is no anonymiser capability.
      if (isObject(traits) && ANON_FLAGS.some((f) => f !== 'is_anonymous_proxy' && typeof traits[f] === 'boolean')) this.geoIp2AnonTraits++;
      return;
    }
    if (ANON_FLAGS.some((f) => typeof rec[f] === 'boolean')) {
      this.anonTop++;
      return;
    }
    if (typeof rec['country_code'] === 'string') {
      this.countryCode++;
      if ('continent_code' in rec || 'asn' in rec || 'as_name' in rec || 'as_domain' in rec) this.ipInfoHints++;
      if (typeof rec['state1'] === 'string') {
        this.countryCodeState++;
        if (isCountryCode(rec['country_code'])) this.#name(rec['country_code'], rec['state1']);
      }
      return;
    }
    if (looksLikeAlpha2(rec['country'])) {
      this.countryIsCode++;
      return;
    }
    if ('autonomous_system_number' in rec || 'asn' in rec) this.otherKinds.add('ASN');
    else if ('connection_type' in rec) this.otherKinds.add('connection-type');
    else if ('isp' in rec || 'organization' in rec) this.otherKinds.add('ISP');
    else if ('domain' in rec) this.otherKinds.add('domain');
    else if ('user_count' in rec) this.otherKinds.add('user-count');
  }
}

/**
 * What a database no layout claimed holds instead (`ASN`, `connection-type`,
 * `ISP`, `domain`, `user-count`), from its records first and its lower-cased
 * type name second; `empty` or `unrecognised` when neither says.
 */
export function otherKind(type: string, ev: LayoutEvidence): string {
  const named = /asn/.test(type) ? 'ASN' : /connection/.test(type) ? 'connection-type' : /isp/.test(type) ? 'ISP' : /domain/.test(type) ? 'domain' : undefined;
  return [...ev.otherKinds][0] ?? named ?? (ev.records === 0 ? 'empty' : 'unrecognised');
}
