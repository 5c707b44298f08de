import { iso31661, iso31662 } from 'iso-3166';
import { ErrorCode, GeoadmitError } from '../errors/index.js';
import { subdivisionExonyms } from '../regions/index.js';
import { buildMmdb, type BuildMmdbOptions, type MmdbRecord } from '../mmdb/index.js';

/** Anonymiser flags of a {@link GeoTable} row, as GeoIP2 names them without the `is_` prefix. */
export interface GeoTableAnonymous {
  /** The address belongs to a VPN provider. */
  vpn?: boolean;
  /** The address is a Tor exit node. */
  tor?: boolean;
  /** The address belongs to a hosting or data-centre provider. */
  hosting?: boolean;
  /** The address is a public proxy. */
  publicProxy?: boolean;
  /** The address is a residential proxy. */
  residentialProxy?: boolean;
}

/** What one network of a {@link GeoTable} says: a country code, or the details. */
export type GeoTableValue =
  | string
  | {
      /** Physical country (ISO 3166-1 alpha-2). */
      country?: string;
      /** Registered country; defaults to `country`. */
      registeredCountry?: string;
      /** Represented country (e.g. a military base abroad). */
      representedCountry?: string;
      /** Full ISO 3166-2 codes (`CN-BJ`), most general first. */
      subdivisions?: string[];
      /**
       * `true`, or which kinds of anonymiser. Preferred spelling, the same as
       * `StaticResolver` tables use, so one table builds both.
       */
      anonymizer?: boolean | GeoTableAnonymous;
      /** Older spelling of {@link anonymizer} (accepted; `anonymizer` wins when both are given). */
      anonymous?: boolean | GeoTableAnonymous;
    };

/**
 * A compact table of networks to locations, e.g.
 * `{ '1.2.4.0/24': { country: 'CN', subdivisions: ['CN-BJ'] }, '8.8.8.0/24': 'US' }`.
 */
export type GeoTable = Record<string, GeoTableValue>;

/** Options of the test database builders: {@link BuildMmdbOptions} with a default `databaseType`. */
export type TestMmdbOptions = Omit<BuildMmdbOptions, 'databaseType'> & { databaseType?: string };

let countryNames: Map<string, string> | undefined;
let subdivisionNames: Map<string, string> | undefined;

function countryName(code: string): string | undefined {
  countryNames ??= new Map(iso31661.map((c) => [c.alpha2, c.name]));
  return countryNames.get(code.toUpperCase());
}

function subdivisionName(code: string): string | undefined {
  subdivisionNames ??= new Map(iso31662.map((s) => [s.code, s.name]));
  return subdivisionNames.get(code.toUpperCase());
}

type Row = Exclude<GeoTableValue, string>;

/** A row's anonymiser flags under either spelling. */
function anonymizerOf(row: Row): Row['anonymizer'] {
  return row.anonymizer ?? row.anonymous;
}

let englishNames: Map<string, string> | undefined;

/**
 * The English name databases ship for a subdivision (the first exonym listed
 * for it, title-cased: `CN-XZ` → `Tibet`), or its ISO name where none is listed.
 */
function englishSubdivisionName(code: string): string | undefined {
  if (englishNames === undefined) {
    englishNames = new Map();
    for (const names of Object.values(subdivisionExonyms)) {
      for (const [name, target] of Object.entries(names)) {
        if (!englishNames.has(target))
          englishNames.set(
            target,
            name.replace(/(^|\s)\p{Ll}/gu, (m) => m.toUpperCase()),
          );
      }
    }
  }
  const upper = code.toUpperCase();
  return englishNames.get(upper) ?? subdivisionName(upper)?.replace(/ (Sheng|Shi)$/, '');
}

function rows(table: GeoTable): [string, Row][] {
  if (typeof table !== 'object' || table === null || Array.isArray(table)) {
    throw new GeoadmitError(ErrorCode.InvalidDatabaseInput, 'table: must map networks to country codes or rows', { argument: 'table' });
  }
  return Object.entries(table).map(([network, value]) => {
    if (typeof value === 'string') return [network, { country: value }];
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return [network, value];
    const path = `table[${JSON.stringify(network)}]`;
    throw new GeoadmitError(ErrorCode.InvalidDatabaseInput, `${path}: must be a country code or an object`, { path });
  });
}

function geoIp2Country(code: string): MmdbRecord {
  const name = countryName(code);
  return name === undefined ? { iso_code: code } : { iso_code: code, names: { en: name } };
}

/** The GeoIP2 flag names set by a row's `anonymous`, with `is_anonymous` true when any is. */
function anonymousFlags(anonymous: Row['anonymous']): Record<string, boolean> | undefined {
  if (anonymous === undefined) return undefined;
  if (typeof anonymous === 'boolean') return { is_anonymous: anonymous };
  const flags: Record<string, boolean> = {};
  const names: [keyof GeoTableAnonymous, string][] = [
    ['vpn', 'is_anonymous_vpn'],
    ['tor', 'is_tor_exit_node'],
    ['hosting', 'is_hosting_provider'],
    ['publicProxy', 'is_public_proxy'],
    ['residentialProxy', 'is_residential_proxy'],
  ];
  for (const [key, flag] of names) {
    const value = anonymous[key];
    if (value !== undefined) flags[flag] = value;
  }
  return { is_anonymous: Object.values(flags).some(Boolean), ...flags };
}

function geoIp2Record(row: Row): MmdbRecord {
  const record: MmdbRecord = {};
  if (row.country !== undefined) record['country'] = geoIp2Country(row.country);
  const registered = row.registeredCountry ?? row.country;
  if (registered !== undefined) record['registered_country'] = geoIp2Country(registered);
  if (row.representedCountry !== undefined) record['represented_country'] = { ...geoIp2Country(row.representedCountry), type: 'military' };
  if (row.subdivisions !== undefined && row.subdivisions.length > 0) {
    record['subdivisions'] = row.subdivisions.map((code): MmdbRecord => {
      // GeoIP2 stores only the part after the hyphen ("BJ" for CN-BJ).
      const hyphen = code.indexOf('-');
      const name = subdivisionName(code);
      const iso = hyphen === -1 ? code : code.slice(hyphen + 1);
      return name === undefined ? { iso_code: iso } : { iso_code: iso, names: { en: name } };
    });
  }
  const traits = anonymousFlags(anonymizerOf(row));
  if (traits !== undefined) record['traits'] = traits;
  return record;
}

/**
 * Builds a GeoIP2-shaped `.mmdb` in memory (City layout by default) from a
 * compact table, for tests: each row becomes
 * `{ country: { iso_code, names: { en } }, registered_country, represented_country?,
 * subdivisions?: [{ iso_code: 'BJ', names }], traits?: { is_anonymous, is_anonymous_vpn, ... } }`.
 * With a `databaseType` containing `Anonymous-IP`, rows become the flat
 * Anonymous-IP records (`{ is_anonymous: true, is_tor_exit_node: true }`).
 * A row with only `registeredCountry` has no `country`, as in real data for
 * some networks.
 *
 * @example
 * const db = buildGeoIp2Mmdb({ '1.2.4.0/24': { country: 'CN', subdivisions: ['CN-BJ'] }, '8.8.8.0/24': 'US' });
 * const geo = MaxMindResolver.fromBuffers([{ name: 'test.mmdb', buffer: db }]);
 */
export function buildGeoIp2Mmdb(table: GeoTable, options: TestMmdbOptions = {}): Buffer {
  const databaseType = options.databaseType ?? 'GeoIP2-City';
  const anonymousIp = /anonymous-ip/i.test(databaseType);
  const entries: Record<string, MmdbRecord> = {};
  for (const [network, row] of rows(table)) {
    entries[network] = anonymousIp ? (anonymousFlags(anonymizerOf(row)) ?? { is_anonymous: false }) : geoIp2Record(row);
  }
  return buildMmdb(entries, { ...options, databaseType, languages: options.languages ?? (anonymousIp ? [] : ['en']) });
}

/** Options of {@link buildIpLocationDbMmdb}. */
export interface IpLocationDbMmdbOptions extends TestMmdbOptions {
  /**
   * The `state1` name to write per subdivision code (`{ 'CN-XZ': 'Xizang' }`),
   * overriding the default English name; for tests of names a resolver
   * cannot map.
   */
  names?: Readonly<Record<string, string>>;
}

/**
 * Builds an `.mmdb` shaped like the ip-location-db packages
 * (`@ip-location-db/*-mmdb`): records `{ country_code: 'CN', state1?: 'Tibet' }`
 * where `state1` is the English name of the first subdivision, as those
 * databases ship it (an English exonym where geoadmit knows one, such as
 * `Tibet` for CN-XZ or `Bavaria` for DE-BY; otherwise the ISO 3166-2 name,
 * without "Sheng"/"Shi" for China), or `options.names[code]`. Like those
 * files, it does not alias `::ffff:0:0/96` unless `aliasIpv4Mapped: true`;
 * the database type defaults to `country ipvAll` (`city ipvAll` when any row
 * has subdivisions).
 *
 * @example
 * buildIpLocationDbMmdb({ '1.2.4.0/24': { country: 'CN', subdivisions: ['CN-XZ'] } }); // state1: 'Tibet'
 */
export function buildIpLocationDbMmdb(table: GeoTable, options: IpLocationDbMmdbOptions = {}): Buffer {
  const { names, ...mmdbOptions } = options;
  const entries: Record<string, MmdbRecord> = {};
  let withStates = false;
  for (const [network, row] of rows(table)) {
    const record: MmdbRecord = {};
    if (row.country !== undefined) record['country_code'] = row.country;
    const first = row.subdivisions?.[0];
    const override = first !== undefined && names !== undefined && Object.hasOwn(names, first) ? names[first] : undefined;
    const state = first === undefined ? undefined : (override ?? englishSubdivisionName(first));
    if (state !== undefined) {
      record['state1'] = state;
      withStates = true;
    }
    entries[network] = record;
  }
  return buildMmdb(entries, {
    aliasIpv4Mapped: false,
    ...mmdbOptions,
    databaseType: mmdbOptions.databaseType ?? (withStates ? 'city ipvAll' : 'country ipvAll'),
  });
}
