import { compileCidr } from '../address/internal/cidr.js';
import { echo, parseLiteral } from '../address/internal/literal.js';
import { classify } from '../address/internal/non-global.js';
import { PrefixTable } from '../address/internal/prefix-table.js';
import { GeoadmitError } from '../errors/index.js';
import type { GeoCapabilities, GeoResolver, GeoResolverMetadata, Location, UnknownCause } from './types.js';

/** One row of a {@link StaticResolver} table: a country code, or a fuller record. */
export type StaticEntry =
  | string
  | {
      /** ISO 3166-1 alpha-2 code (any case; stored upper case). */
      country: string;
      /** Full ISO 3166-2 codes inside `country`, most general first (`['GB-ENG']`). */
      subdivisions?: readonly string[];
      /** The prefix is an anonymiser (VPN, proxy, Tor, hosting). */
      anonymizer?: boolean;
    };

/** CIDR (or bare address) → location. */
export type StaticTable = Readonly<Record<string, StaticEntry>>;

/** Options for {@link StaticResolver}. */
export interface StaticResolverOptions {
  /** `metadata.name` and `Location.source` of answers. Default `static`. */
  name?: string;
}

const COUNTRY = /^[A-Z]{2}$/;
const SUBDIVISION = /^([A-Z]{2})-[A-Z0-9]{1,3}$/;
const ENTRY_KEYS = new Set(['country', 'subdivisions', 'anonymizer']);

function unknown(cause: UnknownCause): Location {
  return Object.freeze({ subdivisions: Object.freeze([]) as readonly string[], source: 'unknown', unknown: cause });
}
const INVALID = unknown('invalid-address');
const NON_GLOBAL = unknown('non-global');
const NOT_FOUND = unknown('not-in-database');

function configError(where: string, why: string): GeoadmitError {
  return new GeoadmitError('E_INVALID_CONFIG', `${where}: ${why}`, { argument: where });
}

/** Validate one table entry into a frozen, shareable location. */
function entryLocation(entry: unknown, network: string, source: string, where: string): Location {
  const record = typeof entry === 'string' ? { country: entry } : entry;
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    throw configError(where, 'must be a country code or { country, subdivisions?, anonymizer? }');
  }
  for (const key of Object.keys(record)) {
    if (!ENTRY_KEYS.has(key)) throw configError(where, `unknown field ${echo(key)}`);
  }
  const { country, subdivisions = [], anonymizer } = record as { country?: unknown; subdivisions?: unknown; anonymizer?: unknown };
  const cc = typeof country === 'string' ? country.toUpperCase() : undefined;
  if (cc === undefined || !COUNTRY.test(cc)) throw configError(where, 'country must be an ISO 3166-1 alpha-2 code such as "CN"');
  if (!Array.isArray(subdivisions)) throw configError(where, 'subdivisions must be an array of ISO 3166-2 codes');
  const subs = subdivisions.map((s: unknown, i) => {
    const code = typeof s === 'string' ? s.toUpperCase() : '';
    const m = SUBDIVISION.exec(code);
    if (m === null) throw configError(`${where}.subdivisions[${i}]`, 'must be a full ISO 3166-2 code such as "CN-BJ"');
    if (m[1] !== cc) throw configError(`${where}.subdivisions[${i}]`, `${code} is not inside country ${cc}`);
    return code;
  });
  if (anonymizer !== undefined && typeof anonymizer !== 'boolean') throw configError(where, 'anonymizer must be a boolean');
  const location: Location = { country: cc, subdivisions: Object.freeze(subs), source, network };
  if (anonymizer !== undefined) location.anonymizer = anonymizer;
  return Object.freeze(location);
}

/**
 * A {@link GeoResolver} over an in-memory CIDR table: for tests, and for
 * small deployments or operator corrections (see {@link OverlayResolver}).
 * The most specific prefix wins. Keys are CIDRs or bare addresses, strictly
 * spelled; an IPv4-mapped key (`::ffff:1.2.4.0/120`) is stored as its IPv4
 * equivalent; IPv4 and IPv6 are separate families (`::/0` does not cover
 * IPv4 addresses). Addresses given to `resolve` are normalised exactly as
 * `normalizeAddress` does (so `::ffff:1.2.4.8`, NAT64, 6to4 and Teredo
 * forms resolve by their embedded IPv4 address), and answers are frozen
 * objects shared per entry, so a lookup allocates nothing.
 *
 * @throws GeoadmitError `E_INVALID_CONFIG` naming the key at fault (invalid
 * CIDR, duplicate prefix, bad country or subdivision code, unknown field).
 * @example
 * const geo = new StaticResolver({
 *   '1.2.4.0/24': 'CN',
 *   '2001:da8::/32': { country: 'CN', subdivisions: ['CN-BJ'] },
 *   '81.2.69.0/24': { country: 'GB', anonymizer: true },
 * });
 * geo.resolve('1.2.4.8'); // { country: 'CN', subdivisions: [], source: 'static', network: '1.2.4.0/24' }
 */
export class StaticResolver implements GeoResolver {
  readonly metadata: GeoResolverMetadata;
  readonly capabilities: GeoCapabilities;
  readonly #table = new PrefixTable<Location>();

  constructor(table: StaticTable, options: StaticResolverOptions = {}) {
    if (table === null || typeof table !== 'object' || Array.isArray(table)) {
      throw new GeoadmitError('E_INVALID_CONFIG', 'StaticResolver table must be an object of CIDR → entry', { argument: 'table' });
    }
    const name = options.name ?? 'static';
    const keyOf = new Map<Location, string>();
    let subdivisions = false;
    let anonymizers = false;
    for (const key of Object.keys(table)) {
      const where = `table[${echo(key)}]`;
      let cidr;
      try {
        cidr = compileCidr(key);
      } catch (error) {
        throw new GeoadmitError('E_INVALID_CONFIG', `${where}: ${(error as Error).message}`, { argument: where, cause: error });
      }
      const location = entryLocation(table[key], cidr.network, name, where);
      const existing = this.#table.insert(cidr.ip, cidr.prefixLength, location);
      if (existing !== undefined) {
        throw configError(where, `prefix ${cidr.network} is already given by key ${echo(keyOf.get(existing) ?? '')}`);
      }
      keyOf.set(location, key);
      subdivisions ||= location.subdivisions.length > 0;
      anonymizers ||= location.anonymizer !== undefined;
    }
    this.metadata = Object.freeze({ name });
    this.capabilities = Object.freeze({ countries: true, subdivisions, anonymizers });
  }

  /**
   * Build a resolver from an RFC 8805 geofeed (`prefix,country,region,city,postal`).
   * Lines with an empty country carry no location and are skipped; a
   * `region` becomes the location's subdivision.
   *
   * @throws GeoadmitError `E_INVALID_CONFIG` naming the line at fault.
   */
  static fromGeofeed(csvText: string, options: StaticResolverOptions = {}): StaticResolver {
    const table: Record<string, StaticEntry> = Object.create(null) as Record<string, StaticEntry>;
    for (const entry of parseGeofeed(csvText)) {
      if (entry.country === undefined) continue;
      table[entry.prefix] = { country: entry.country, subdivisions: entry.region === undefined ? [] : [entry.region] };
    }
    return new StaticResolver(table, options);
  }

  /** Number of prefixes in the table. */
  get size(): number {
    return this.#table.size;
  }

  /**
   * Locate an address. Never throws: malformed input is
   * `unknown: 'invalid-address'`, special-purpose ranges `non-global`, and
   * addresses in no prefix `not-in-database` (all with `source: 'unknown'`).
   */
  resolve(address: string): Location {
    const literal = parseLiteral(address);
    if (!literal.ok) return INVALID;
    const { ip, global } = classify(literal.ip);
    if (!global) return NON_GLOBAL;
    return this.#table.lookup(ip) ?? NOT_FOUND;
  }
}

/** One data line of an RFC 8805 geofeed. */
export interface GeofeedEntry {
  /** 1-based line number in the feed. */
  readonly line: number;
  /** Canonical prefix, e.g. `192.0.2.0/24`. */
  readonly prefix: string;
  /** ISO 3166-1 alpha-2, upper case; undefined when the feed leaves it empty. */
  readonly country?: string;
  /** Full ISO 3166-2 code inside `country` (`US-CA`). */
  readonly region?: string;
  readonly city?: string;
  readonly postal?: string;
}

/** Split one CSV line (RFC 4180 quoting) into fields; undefined when a quote is unbalanced. */
function csvFields(line: string): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return undefined;
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      if (i < line.length && line[i] !== ',') return undefined;
    } else {
      const comma = line.indexOf(',', i);
      field = line.slice(i, comma < 0 ? line.length : comma);
      if (field.includes('"')) return undefined;
      i = comma < 0 ? line.length : comma;
    }
    fields.push(field.trim());
    if (i >= line.length) return fields;
    i++; // skip the comma
  }
}

/**
 * Parse an RFC 8805 self-published geofeed: CSV lines
 * `ip_prefix,alpha2code,region,city,postal_code`, `#` comments and blank
 * lines ignored, trailing fields optional, fields may be empty. The prefix is
 * checked strictly (as `parseCidr`), the country as an alpha-2 code, the
 * region as a full ISO 3166-2 code inside the country. Duplicate prefixes
 * are refused.
 *
 * @throws GeoadmitError `E_INVALID_CONFIG` whose message starts `geofeed line N:`.
 * @example
 * parseGeofeed('# ours\n192.0.2.0/24,US,US-CA,San Francisco,\n')
 * // [{ line: 2, prefix: '192.0.2.0/24', country: 'US', region: 'US-CA', city: 'San Francisco' }]
 */
export function parseGeofeed(csvText: string): GeofeedEntry[] {
  if (typeof csvText !== 'string') throw new GeoadmitError('E_INVALID_CONFIG', 'geofeed must be a string', { argument: 'csvText' });
  const entries: GeofeedEntry[] = [];
  const seen = new Map<string, number>();
  const lines = csvText.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const fail = (why: string) => new GeoadmitError('E_INVALID_CONFIG', `geofeed line ${line}: ${why}`, { argument: `line ${line}` });
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) return;
    if (/[\u0000-\u001f\u007f]/.test(text)) throw fail('contains a control character');
    const fields = csvFields(text);
    if (fields === undefined) throw fail('unbalanced quotes');
    if (fields.length > 5) throw fail(`has ${fields.length} fields; at most 5 (prefix,country,region,city,postal)`);
    const [prefixText = '', countryText = '', regionText = '', city = '', postal = ''] = fields;
    let prefix: string;
    try {
      prefix = compileCidr(prefixText).network;
    } catch (error) {
      throw fail((error as Error).message);
    }
    const country = countryText === '' ? undefined : countryText.toUpperCase();
    if (country !== undefined && !COUNTRY.test(country)) throw fail(`country ${echo(countryText)} is not an ISO 3166-1 alpha-2 code`);
    const region = regionText === '' ? undefined : regionText.toUpperCase();
    if (region !== undefined) {
      const m = SUBDIVISION.exec(region);
      if (m === null) throw fail(`region ${echo(regionText)} is not a full ISO 3166-2 code such as "US-CA"`);
      if (m[1] !== country) throw fail(`region ${region} is not inside country ${country ?? '(empty)'}`);
    }
    const previous = seen.get(prefix);
    if (previous !== undefined) throw fail(`prefix ${prefix} already appears on line ${previous}`);
    seen.set(prefix, line);
    const entry: { -readonly [K in keyof GeofeedEntry]: GeofeedEntry[K] } = { line, prefix };
    if (country !== undefined) entry.country = country;
    if (region !== undefined) entry.region = region;
    if (city !== '') entry.city = city;
    if (postal !== '') entry.postal = postal;
    entries.push(entry);
  });
  return entries;
}
