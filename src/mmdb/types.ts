/**
 * The numeric types of the MaxMind DB format that a value can be forced into
 * with {@link MmdbNumber} (plain numbers and bigints get a type chosen for them).
 */
export type MmdbNumberType = 'uint16' | 'uint32' | 'int32' | 'uint64' | 'uint128' | 'double' | 'float';

/**
 * A number with an explicit MaxMind DB type, for when the default choice
 * (see {@link MmdbValue}) is not the one a reader expects — e.g. `uint16` or
 * `float` fields copied from another database. The range is checked when the
 * database is built, so the error can name the JSON path.
 *
 * @example
 * buildMmdb({ '1.2.4.0/24': { accuracy_radius: new MmdbNumber('uint16', 100) } }, { databaseType: 'Demo' })
 */
export class MmdbNumber {
  /**
   * @param type the MaxMind DB type to write
   * @param value the number; `uint64` and `uint128` also accept a bigint
   */
  constructor(
    readonly type: MmdbNumberType,
    readonly value: number | bigint,
  ) {}
}

/**
 * A value the writer can store. Plain numbers that are integers in
 * `[0, 2^32)` are written as `uint32`, negative integers in `[-2^31, 0)` as
 * `int32`, every other finite number as `double`; a bigint as `uint64` (below
 * 2^64) or `uint128` (below 2^128). `Uint8Array` (and `Buffer`) are `bytes`.
 * Objects must be plain (`{}` or `Object.create(null)`); arrays must not have
 * holes. `null`, `undefined`, functions, symbols, `NaN`, infinities, class
 * instances (other than {@link MmdbNumber}) and cycles are refused.
 */
export type MmdbValue = string | number | bigint | boolean | Uint8Array | MmdbNumber | MmdbValue[] | { [key: string]: MmdbValue };

/** The record stored for one network. */
export type MmdbRecord = { [key: string]: MmdbValue };

/** One network of a database and the record stored for it. */
export interface MmdbEntry {
  /** A CIDR (`1.2.4.0/24`, `2001:da8::/32`) or a bare address (a /32 or /128). */
  network: string;
  /** The record a lookup inside `network` returns. */
  data: MmdbRecord;
}

/** How {@link buildMmdb} lays out a database. */
export interface BuildMmdbOptions {
  /**
   * `database_type` in the metadata, e.g. `GeoIP2-City`, `GeoLite2-Country`,
   * `GeoIP2-Anonymous-IP`, `DBIP-City-Lite`, `country ipvAll`. Readers (and
   * geoadmit's own resolver) use it to recognise the record layout.
   */
  databaseType: string;
  /**
   * `6` (default): a 128-bit tree; IPv4 networks are stored at `::a.b.c.d`
   * (`::/96`, where readers look IPv4 addresses up) and, unless
   * `aliasIpv4Mapped` is false, also reachable as `::ffff:a.b.c.d`.
   * `4`: a 32-bit tree that accepts only IPv4 networks.
   */
  ipVersion?: 4 | 6;
  /** `description` in the metadata: language code to text. Default: an English line naming geoadmit. */
  description?: Record<string, string>;
  /** `languages` in the metadata (locale codes the records are localised to). Default `[]`. */
  languages?: string[];
  /** Build time (`build_epoch`): seconds since the Unix epoch, or a Date. Default: now. */
  buildEpoch?: number | Date;
  /** Bits per search-tree record. Default: the smallest of 24, 28, 32 that can address the tree and data section. */
  recordSize?: 24 | 28 | 32;
  /**
   * What to do when input networks overlap.
   * - `'error'` (default): refuse, naming both networks.
   * - `'most-specific-wins'`: inside a more specific network its record
   *   answers; the less specific network answers for the rest of its range.
   * Two entries for exactly the same network are refused in both modes
   * (neither is more specific, so which one should win is unknowable).
   */
  overlap?: 'error' | 'most-specific-wins';
  /**
   * IPv6 databases only: point `::ffff:0:0/96` (IPv4-mapped addresses) at the
   * IPv4 data, as MaxMind's own files do. Default `true`. Set `false` to build
   * a file like those of ip-location-db, which lack the alias.
   */
  aliasIpv4Mapped?: boolean;
  /**
   * IPv6 databases only: also point `2002::/16` (6to4) at the IPv4 data, as
   * MaxMind's own files do. Default `false`: geoadmit decodes 6to4 addresses
   * itself before it looks them up, so the alias only matters to other readers.
   */
  alias6to4?: boolean;
}

/** The entries given to {@link buildMmdb}: a list of entries, or a table from network to record. */
export type MmdbEntries = Iterable<MmdbEntry> | Record<string, MmdbRecord>;
