import { classify, compileCidr, echo, type IpValue, parseLiteral, PrefixTable } from '../address/ip.js';
import { ErrorCode, GeoadmitError } from '../errors/index.js';
import { plainDataSnapshot } from '../internal/objects.js';
import { describeValue, isArray, keysOf, optionValues } from '../internal/options.js';
import { resolveParsed } from './parsed.js';
import { canonicalRegion, countryOfRegion, regionSuggestion } from '../regions/index.js';
import type { GeoCapabilities, GeoResolver, GeoResolverMetadata, Location } from './types.js';
import { unknownLocation } from './location.js';

/** One row of a {@link StaticResolver} table: a country code, or a fuller record. */
export type StaticEntry =
  | string
  | {
      /** ISO 3166-1 alpha-2 code (any case; stored upper case). */
      country: string;
      /**
       * Full ISO 3166-2 codes inside `country`, most general first
       * (`['GB-ENG']`). Replaced codes are stored as their current code
       * (`CN-22` → `CN-JL`).
       */
      subdivisions?: readonly string[];
      /**
       * The prefix is an anonymiser (VPN, proxy, Tor, hosting): a boolean, or
       * flags by kind as the test database builders take them
       * (`{ vpn: true }`; an anonymiser when any flag is true).
       */
      anonymizer?: boolean | Readonly<Record<string, boolean | undefined>>;
      /** Older spelling of `anonymizer`, accepted so one table builds both a `StaticResolver` and a test `.mmdb`. */
      anonymous?: boolean | Readonly<Record<string, boolean | undefined>>;
    };

/** CIDR (or bare address) → location. */
export type StaticTable = Readonly<Record<string, StaticEntry>>;

/** Options for {@link StaticResolver}. */
export interface StaticResolverOptions {
  /** `metadata.name` and `Location.source` of answers. Default `static`. */
  name?: string;
}

/** ` (did you mean "GB"?)` for a code people commonly mean something by (`UK`), else nothing. */
function meantHint(code: string): string {
  const meant = regionSuggestion(code);
  return meant.length === 0 ? '' : ` (did you mean ${meant.map((c) => `"${c}"`).join(' or ')}?)`;
}

const STATIC_OPTION_KEYS = keysOf<StaticResolverOptions>({ name: true });
const SUBDIVISION = /^([A-Z]{2})-[A-Z0-9]{1,3}$/;
const ENTRY_KEYS = new Set(['country', 'subdivisions', 'anonymizer', 'anonymous']);
const ANONYMIZER_FLAGS = new Set(['vpn', 'tor', 'hosting', 'publicProxy', 'residentialProxy']);

/** The ISO 3166-1 alpha-2 code (or `XK`) `text` names, upper case; undefined when it names no country. */
function countryCode(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  const cc = canonicalRegion(text);
  return cc !== undefined && countryOfRegion(cc) === cc ? cc : undefined;
}

/**
 * The code to store for subdivision `text` of `country`: its current ISO
 * 3166-2 code (`CN-22` → `CN-JL`), or the code as written when it stands
 * for a territory with its own alpha-2 code (`CN-HK`, as databases write
 * it; matching treats it as `HK`). A string describing the fault otherwise.
 */
function subdivisionOf(country: string, text: unknown): { code: string } | { fault: string } {
  const upper = typeof text === 'string' ? text.toUpperCase() : '';
  const m = SUBDIVISION.exec(upper);
  if (m === null) return { fault: 'must be a full ISO 3166-2 code such as "CN-BJ"' };
  if (m[1] !== country) return { fault: `${upper} is not inside country ${country}` };
  const canonical = canonicalRegion(upper);
  if (canonical === undefined) return { fault: `${upper} is not an ISO 3166-2 subdivision code` };
  return { code: canonical.includes('-') ? canonical : upper };
}

/** `anonymizer` (or `anonymous`) of an entry as a boolean; a string describing the fault otherwise. */
function anonymizerOf(value: unknown): boolean | undefined | string {
  if (value === undefined || typeof value === 'boolean') return value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'anonymizer must be a boolean or an object of boolean flags';
  let any = false;
  for (const [flag, on] of Object.entries(value)) {
    if (!ANONYMIZER_FLAGS.has(flag)) return `anonymizer has unknown flag ${echo(flag)}`;
    if (on !== undefined && typeof on !== 'boolean') return `anonymizer.${flag} must be a boolean`;
    any ||= on === true;
  }
  return any;
}

const INVALID = unknownLocation('invalid-address');
const NON_GLOBAL = unknownLocation('non-global');
const NOT_FOUND = unknownLocation('not-in-database');

function configError(where: string, why: string): GeoadmitError {
  return new GeoadmitError(ErrorCode.InvalidConfig, `${where}: ${why}`, { argument: where });
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
  const fields = record as { country?: unknown; subdivisions?: unknown; anonymizer?: unknown; anonymous?: unknown };
  const { country, subdivisions = [] } = fields;
  const cc = countryCode(country);
  if (cc === undefined)
    throw configError(where, `country must be an ISO 3166-1 alpha-2 code such as "CN"${typeof country === 'string' ? meantHint(country) : ''}`);
  if (!Array.isArray(subdivisions)) throw configError(where, 'subdivisions must be an array of ISO 3166-2 codes');
  const subs: string[] = [];
  subdivisions.forEach((s: unknown, i) => {
    const sub = subdivisionOf(cc, s);
    if ('fault' in sub) throw configError(`${where}.subdivisions[${i}]`, sub.fault);
    if (!subs.includes(sub.code)) subs.push(sub.code);
  });
  // `anonymizer` is the documented spelling; `anonymous` (the test builders' older one) is its alias.
  const anonymizer = anonymizerOf(fields.anonymizer ?? fields.anonymous);
  if (typeof anonymizer === 'string') throw configError(where, anonymizer);
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
 * Country and subdivision codes are checked against ISO 3166 (the country
 * list plus `XK`) and stored in their current form (`CN-22` → `CN-JL`).
 *
 * @throws GeoadmitError `E_INVALID_CONFIG` naming the key at fault (invalid
 * CIDR, duplicate prefix, country or subdivision code not in ISO 3166,
 * unknown field).
 * @example
 * const geo = new StaticResolver({
 *   '1.2.4.0/24': 'CN',
 *   '2001:da8::/32': { country: 'CN', subdivisions: ['CN-BJ'] },
 *   '81.2.69.0/24': { country: 'GB', anonymizer: true },
 * });
 * geo.resolve('1.2.4.8'); // { country: 'CN', subdivisions: [], source: 'static', network: '1.2.4.0/24' }
 */
export class StaticResolver implements GeoResolver {
  /** The resolver's name (`options.name`, default `static`), used as the `Location.source` of its answers. */
  readonly metadata: GeoResolverMetadata;
  /** Always countries; subdivisions and anonymizers when some entry gives them. */
  readonly capabilities: GeoCapabilities;
  readonly #table = new PrefixTable<Location>();

  constructor(table: StaticTable, options: StaticResolverOptions = {}) {
    if (table === null || typeof table !== 'object' || isArray(table)) {
      throw new GeoadmitError(ErrorCode.InvalidConfig, `StaticResolver table must be an object of CIDR → entry, not ${describeValue(table)}`, {
        argument: 'table',
      });
    }
    const o = optionValues<StaticResolverOptions>(options, 'StaticResolver', STATIC_OPTION_KEYS);
    const name = o.string('name', { maxLength: 200 }) ?? 'static';
    // Read once, as plain data: a Proxy, a getter, a cycle or a BigInt in the table is refused here, by path.
    const snapshot = plainDataSnapshot(table, { maxBytes: 256 * 1024 * 1024, maxListLength: 10_000_000 });
    if (!snapshot.ok) {
      const at = `table${snapshot.path.map((p) => `[${typeof p === 'number' ? p : echo(p)}]`).join('')}`;
      throw configError(at, snapshot.message);
    }
    table = snapshot.value as StaticTable;
    const keyOf = new Map<Location, string>();
    let subdivisions = false;
    let anonymizers = false;
    for (const key of Object.keys(table)) {
      const where = `table[${echo(key)}]`;
      let cidr;
      try {
        cidr = compileCidr(key);
      } catch (error) {
        throw new GeoadmitError(ErrorCode.InvalidConfig, `${where}: ${(error as Error).message}`, { argument: where, cause: error });
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

  /** The gate's lookup of an address it parsed (see `resolveParsed`): answers exactly as `resolve(address)`. @internal */
  [resolveParsed](ip: IpValue, _address: string): Location {
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
  /** City name from the feed, when given (not used for admission). */
  readonly city?: string;
  /** Postal code from the feed, when given (not used for admission). */
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
 * checked strictly (as `parseCidr`), the country as an ISO 3166-1 alpha-2
 * code (or `XK`), the region as an ISO 3166-2 code inside the country, stored
 * as its current code (`CN-22` → `CN-JL`). Duplicate prefixes are refused.
 *
 * @throws GeoadmitError `E_INVALID_CONFIG` whose message starts `geofeed line N:`.
 * @example
 * parseGeofeed('# ours\n192.0.2.0/24,US,US-CA,San Francisco,\n')
 * // [{ line: 2, prefix: '192.0.2.0/24', country: 'US', region: 'US-CA', city: 'San Francisco' }]
 */
export function parseGeofeed(csvText: string): GeofeedEntry[] {
  if (typeof csvText !== 'string') throw new GeoadmitError(ErrorCode.InvalidConfig, 'geofeed must be a string', { argument: 'csvText' });
  const entries: GeofeedEntry[] = [];
  const seen = new Map<string, number>();
  const lines = csvText.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const fail = (why: string) => new GeoadmitError(ErrorCode.InvalidConfig, `geofeed line ${line}: ${why}`, { argument: `line ${line}` });
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
    const country = countryText === '' ? undefined : countryCode(countryText);
    if (countryText !== '' && country === undefined) throw fail(`country ${echo(countryText)} is not an ISO 3166-1 alpha-2 code${meantHint(countryText)}`);
    let region: string | undefined;
    if (regionText !== '') {
      if (!SUBDIVISION.test(regionText.toUpperCase())) throw fail(`region ${echo(regionText)} is not a full ISO 3166-2 code such as "US-CA"`);
      if (country === undefined) throw fail(`region ${regionText.toUpperCase()} is not inside country (empty)`);
      const sub = subdivisionOf(country, regionText);
      if ('fault' in sub) throw fail(`region ${sub.fault}`);
      region = sub.code;
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
