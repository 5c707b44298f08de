import type { GeoCapabilities } from '../types.js';
import { isCountryCode, looksLikeAlpha2, subdivisionByName, subdivisionCode } from '../../regions/index.js';

/**
 * Record layouts the MaxMind resolver understands. Detected per file from the
 * database type and from the records themselves.
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

/** What one database record says, reduced to what admission needs. Frozen and shared. */
export interface MappedRecord {
  readonly country?: string;
  readonly subdivisions: readonly string[];
  /** True when the record flags the address as anonymising; absent when it says nothing. */
  readonly anonymizer?: boolean;
}

type Rec = Record<string, unknown>;

function isObject(value: unknown): value is Rec {
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
const ANON_FLAGS = [
  'is_anonymous',
  'is_anonymous_vpn',
  'is_anonymous_proxy',
  'is_tor_exit_node',
  'is_hosting_provider',
  'is_public_proxy',
  'is_residential_proxy',
] as const;

function anonymizerFlag(source: unknown): boolean | undefined {
  if (!isObject(source)) return undefined;
  let seen = false;
  for (const flag of ANON_FLAGS) {
    const v = source[flag];
    if (v === true) return true;
    if (v === false) seen = true;
  }
  return seen ? false : undefined;
}

function freeze(country: string | undefined, subdivisions: string[], anonymizer: boolean | undefined): MappedRecord {
  const out: { country?: string; subdivisions: readonly string[]; anonymizer?: boolean } = {
    subdivisions: subdivisions.length === 0 ? NO_SUBDIVISIONS : Object.freeze(subdivisions),
  };
  if (country !== undefined) out.country = country;
  if (anonymizer !== undefined) out.anonymizer = anonymizer;
  return Object.freeze(out);
}

/** GeoIP2 / DB-IP shape. Only `country` is physical; registered/represented never count. */
function mapGeoIp2(rec: unknown): MappedRecord {
  if (!isObject(rec)) return freeze(undefined, [], undefined);
  const countryObj = rec['country'];
  const iso = isObject(countryObj) ? countryObj['iso_code'] : undefined;
  const country = isCountryCode(iso) ? iso : undefined;
  const subdivisions: string[] = [];
  const subs = rec['subdivisions'];
  if (country !== undefined && Array.isArray(subs)) {
    // Bounded: a hostile record cannot make one lookup do unbounded work.
    for (const sub of subs.slice(0, 8)) {
      if (!isObject(sub)) continue;
      let code = subdivisionCode(country, sub['iso_code']);
      if (code === undefined && isObject(sub['names'])) code = subdivisionByName(country, sub['names']['en']);
      if (code !== undefined && !subdivisions.includes(code)) subdivisions.push(code);
    }
  }
  return freeze(country, subdivisions, anonymizerFlag(rec['traits']));
}

function mapAnonymousIp(rec: unknown): MappedRecord {
  // A record in an Anonymous-IP database exists only for anonymising networks;
  // a record without any true flag says "not anonymous" for that network.
  return freeze(undefined, [], anonymizerFlag(rec) ?? false);
}

function mapIpInfoLite(rec: unknown): MappedRecord {
  if (!isObject(rec)) return freeze(undefined, [], undefined);
  const code = rec['country_code'];
  return freeze(isCountryCode(code) ? code : undefined, [], undefined);
}

function mapIpInfoCountry(rec: unknown): MappedRecord {
  if (!isObject(rec)) return freeze(undefined, [], undefined);
  // Some builds of this database carry `country_code` too; prefer it when it is a code.
  const code = looksLikeAlpha2(rec['country_code']) ? rec['country_code'] : rec['country'];
  return freeze(isCountryCode(code) ? code : undefined, [], undefined);
}

function mapIpLocationDb(rec: unknown): MappedRecord {
  if (!isObject(rec)) return freeze(undefined, [], undefined);
  const code = rec['country_code'];
  if (!isCountryCode(code)) return freeze(undefined, [], undefined);
  // state1 is a NAME ("California"); only an unambiguous ISO name match counts.
  const sub = subdivisionByName(code, rec['state1']);
  return freeze(code, sub === undefined ? [] : [sub], undefined);
}

/** The record mapper for a layout. */
export function mapperFor(layout: MaxMindLayout): (rec: unknown) => MappedRecord {
  switch (layout) {
    case 'geoip2-country':
    case 'geoip2-city':
    case 'dbip-country':
    case 'dbip-city':
      return mapGeoIp2;
    case 'geoip2-anonymous-ip':
      return mapAnonymousIp;
    case 'ipinfo-lite':
      return mapIpInfoLite;
    case 'ipinfo-country':
      return mapIpInfoCountry;
    case 'ip-location-db':
      return mapIpLocationDb;
  }
}

/**
 * Share of distinct subdivision names (among those a name-based database
 * ships) that must map to an ISO 3166-2 code before the database is said to
 * answer subdivisions. Below it, enough places stay unknown that a gate
 * should warn about subdivision restrictions rather than trust the database.
 */
export const NAME_COVERAGE_THRESHOLD = 0.95;

/** Distinct names remembered for the coverage figure; beyond this, new names are not counted. */
const MAX_NAMES_TRACKED = 100_000;

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

  /** Share of distinct subdivision names that mapped (1 when no name was seen). */
  get nameCoverage(): number {
    if (this.names.size === 0) return 1;
    let mapped = 0;
    for (const ok of this.names.values()) if (ok) mapped++;
    return mapped / this.names.size;
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

/** Outcome of layout detection. */
export type LayoutDetection = { ok: true; layout: MaxMindLayout; capabilities: GeoCapabilities } | { ok: false; kind: string };

/**
 * Decide a database's layout from its `database_type` and the evidence of its
 * records. Record evidence wins over the type name (types are free text and
 * third-party builders reuse MaxMind's); the name only breaks ties.
 *
 * `subdivisions` is claimed only when it holds up: for databases that name
 * subdivisions rather than code them (ip-location-db `state1`, DB-IP
 * `names.en`), at least {@link NAME_COVERAGE_THRESHOLD} of the distinct
 * names seen must map to ISO 3166-2 codes. Over-claiming would silence the
 * gate's warning while most places in a restricted subdivision stay unknown.
 */
export function detectLayout(databaseType: string, ev: LayoutEvidence): LayoutDetection {
  const type = databaseType.toLowerCase();
  const dbip = /db-?ip/.test(type);
  if (ev.geoIp2 > 0) {
    const city = ev.geoIp2Subdivisions > 0 || ev.names.size > 0 || /city|enterprise/.test(type);
    const namesHold = ev.nameCoverage >= NAME_COVERAGE_THRESHOLD;
    const layout: MaxMindLayout = dbip ? (city ? 'dbip-city' : 'dbip-country') : city ? 'geoip2-city' : 'geoip2-country';
    return {
      ok: true,
      layout,
      capabilities: { countries: true, subdivisions: ev.geoIp2Subdivisions > 0 && namesHold, anonymizers: ev.geoIp2AnonTraits > 0 },
    };
  }
  if (ev.anonTop > 0) {
    return { ok: true, layout: 'geoip2-anonymous-ip', capabilities: { countries: false, subdivisions: false, anonymizers: true } };
  }
  if (ev.countryCode > 0) {
    const ipinfo = ev.ipInfoHints > 0 || /ipinfo/.test(type);
    return {
      ok: true,
      layout: ipinfo ? 'ipinfo-lite' : 'ip-location-db',
      capabilities: { countries: true, subdivisions: !ipinfo && ev.countryCodeState > 0 && ev.nameCoverage >= NAME_COVERAGE_THRESHOLD, anonymizers: false },
    };
  }
  if (ev.countryIsCode > 0) {
    return { ok: true, layout: 'ipinfo-country', capabilities: { countries: true, subdivisions: false, anonymizers: false } };
  }
  if (ev.records === 0 && /anonymous/.test(type)) {
    // An empty anonymous-IP layer is still an anonymous-IP layer (nothing flagged).
    return { ok: true, layout: 'geoip2-anonymous-ip', capabilities: { countries: false, subdivisions: false, anonymizers: true } };
  }
  const named = /asn/.test(type) ? 'ASN' : /connection/.test(type) ? 'connection-type' : /isp/.test(type) ? 'ISP' : /domain/.test(type) ? 'domain' : undefined;
  const kind = [...ev.otherKinds][0] ?? named ?? (ev.records === 0 ? 'empty' : 'unrecognised');
  return { ok: false, kind };
}

/**
 * A layout from the database type name alone, for databases whose records
 * could not be inspected (only used when the full check is turned off).
 */
export function guessFromTypeName(databaseType: string): LayoutDetection {
  const type = databaseType.toLowerCase();
  const none = { countries: true, subdivisions: false, anonymizers: false };
  if (/anonymous/.test(type)) return { ok: true, layout: 'geoip2-anonymous-ip', capabilities: { countries: false, subdivisions: false, anonymizers: true } };
  if (/db-?ip/.test(type)) return { ok: true, layout: /city/.test(type) ? 'dbip-city' : 'dbip-country', capabilities: none };
  if (/geoip2|geolite2/.test(type)) return { ok: true, layout: /city|enterprise/.test(type) ? 'geoip2-city' : 'geoip2-country', capabilities: none };
  if (/ipinfo/.test(type)) return { ok: true, layout: 'ipinfo-lite', capabilities: none };
  return { ok: true, layout: 'ip-location-db', capabilities: none };
}
