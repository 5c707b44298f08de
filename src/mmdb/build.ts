import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ErrorCode, GeoadmitError } from '../errors/index.js';
import { guardInput } from '../internal/options.js';
import { DataSectionWriter } from './internal/data-section.js';
import { parseNetwork } from './internal/network.js';
import { SearchTree } from './internal/tree.js';
import { isPlainObject, ValueEncoder } from './internal/values.js';
import { MmdbNumber, type BuildMmdbOptions, type MmdbEntries } from './types.js';

const METADATA_MARKER = Buffer.concat([Buffer.from([0xab, 0xcd, 0xef]), Buffer.from('MaxMind.com', 'ascii')]);
const DATA_SECTION_SEPARATOR = Buffer.alloc(16);
const MAX_METADATA_SIZE = 128 * 1024;
const RECORD_SIZES = [24, 28, 32] as const;
// The IPv4 space of an IPv6 tree, and the ranges that can be pointed at it.
const IPV4_IN_IPV6 = new Uint8Array(16);
const IPV4_MAPPED = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0]);
const SIX_TO_FOUR = Uint8Array.from([0x20, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

interface ResolvedOptions {
  databaseType: string;
  ipVersion: 4 | 6;
  description: Record<string, string>;
  languages: string[];
  buildEpoch: number;
  recordSize: 24 | 28 | 32 | undefined;
  mostSpecificWins: boolean;
  aliasIpv4Mapped: boolean;
  alias6to4: boolean;
}

function badOption(argument: string, message: string): never {
  throw new GeoadmitError(ErrorCode.InvalidDatabaseInput, `${argument}: ${message}`, { argument });
}

function resolveOptions(options: BuildMmdbOptions): ResolvedOptions {
  if (!isPlainObject(options)) badOption('options', 'must be an object with at least databaseType');
  const { databaseType, ipVersion = 6, description, languages = [], buildEpoch, recordSize, overlap = 'error' } = options;
  const { aliasIpv4Mapped = true, alias6to4 = false } = options;
  if (typeof databaseType !== 'string' || databaseType.length === 0) badOption('options.databaseType', 'must be a non-empty string');
  if (ipVersion !== 4 && ipVersion !== 6) badOption('options.ipVersion', 'must be 4 or 6');
  if (recordSize !== undefined && !RECORD_SIZES.includes(recordSize)) badOption('options.recordSize', 'must be 24, 28 or 32');
  if (overlap !== 'error' && overlap !== 'most-specific-wins') badOption('options.overlap', "must be 'error' or 'most-specific-wins'");
  if (typeof aliasIpv4Mapped !== 'boolean') badOption('options.aliasIpv4Mapped', 'must be a boolean');
  if (typeof alias6to4 !== 'boolean') badOption('options.alias6to4', 'must be a boolean');
  if (alias6to4 && ipVersion === 4) badOption('options.alias6to4', 'applies only to IPv6 databases (ipVersion 6)');
  if (!Array.isArray(languages) || !languages.every((l) => typeof l === 'string')) badOption('options.languages', 'must be an array of strings');
  if (description !== undefined) {
    if (!isPlainObject(description) || !Object.values(description).every((d) => typeof d === 'string')) {
      badOption('options.description', 'must map language codes to strings');
    }
  }
  let epoch: number;
  if (buildEpoch === undefined) epoch = Math.floor(Date.now() / 1000);
  else if (buildEpoch instanceof Date) {
    const ms = buildEpoch.getTime();
    if (!Number.isFinite(ms) || ms < 0) badOption('options.buildEpoch', 'must be a valid date after 1970-01-01');
    epoch = Math.floor(ms / 1000);
  } else if (typeof buildEpoch === 'number' && Number.isSafeInteger(buildEpoch) && buildEpoch >= 0) epoch = buildEpoch;
  else badOption('options.buildEpoch', 'must be a Date or a non-negative whole number of seconds since the Unix epoch');
  return {
    databaseType,
    ipVersion,
    description: description ?? { en: `${databaseType} database written by geoadmit` },
    languages,
    buildEpoch: epoch,
    recordSize,
    mostSpecificWins: overlap === 'most-specific-wins',
    aliasIpv4Mapped,
    alias6to4,
  };
}

interface RawEntry {
  network: unknown;
  data: unknown;
  /** JSON path of the entry; the network is at `networkPath`, the record at `dataPath`. */
  path: string;
  networkPath: string;
  dataPath: string;
}

function* rawEntries(entries: MmdbEntries): Generator<RawEntry> {
  if (typeof entries !== 'object' || entries === null) {
    badOption('entries', 'must be an iterable of { network, data } or an object mapping networks to records');
  }
  if (Symbol.iterator in entries) {
    let i = 0;
    for (const entry of entries as Iterable<unknown>) {
      const path = `entries[${i++}]`;
      if (!isPlainObject(entry)) {
        throw new GeoadmitError(ErrorCode.InvalidDatabaseInput, `${path}: must be an object { network, data }`, { path });
      }
      yield { network: entry.network, data: entry.data, path, networkPath: `${path}.network`, dataPath: `${path}.data` };
    }
    return;
  }
  if (!isPlainObject(entries)) badOption('entries', 'must be an iterable of { network, data } or a plain object mapping networks to records');
  for (const [network, data] of Object.entries(entries)) {
    const path = `entries[${JSON.stringify(network)}]`;
    yield { network, data, path, networkPath: path, dataPath: path };
  }
}

/**
 * Builds a MaxMind DB (format 2.0) file in memory from a table of networks,
 * readable by the `maxmind` package and MaxMind's own readers.
 *
 * - IPv6 databases (the default) store IPv4 networks at `::a.b.c.d` and, as
 *   MaxMind's files do, also answer IPv4-mapped addresses (`::ffff:a.b.c.d`)
 *   from the same nodes; `alias6to4` adds `2002::/16` the same way.
 * - Identical records are stored once, as are repeated strings, maps and
 *   arrays (via pointers), so a table of many networks with few distinct
 *   records stays small.
 * - Overlapping networks are refused unless `overlap: 'most-specific-wins'`.
 *
 * Every problem is a `GeoadmitError` with code `E_INVALID_DB_INPUT` whose
 * message and `path` name the entry (`entries[3].data.country.iso_code`) or
 * `argument` names the option.
 *
 * @example
 * const db = buildMmdb(
 *   { '1.2.4.0/24': { country: { iso_code: 'CN' } }, '2001:db8::/32': { country: { iso_code: 'US' } } },
 *   { databaseType: 'GeoLite2-Country' },
 * );
 * new Reader(db).get('1.2.4.8'); // { country: { iso_code: 'CN' } }
 */
export function buildMmdb(entries: MmdbEntries, options: BuildMmdbOptions): Buffer {
  // Entries are read deep inside: a getter or Proxy trap that throws there is bad input, not a crash.
  return guardInput('buildMmdb', 'entries', () => buildUnguarded(entries, options), ErrorCode.InvalidDatabaseInput);
}

function buildUnguarded(entries: MmdbEntries, options: BuildMmdbOptions): Buffer {
  const opts = resolveOptions(options);
  const labels: string[] = [];
  const networkPaths: string[] = [];
  const tree = new SearchTree(opts.mostSpecificWins, {
    label: (entry) => labels[entry] as string,
    path: (entry) => networkPaths[entry] as string,
  });
  const values = new ValueEncoder();
  const data = new DataSectionWriter(true);
  const dataOffsets: number[] = [];
  let hasIpv4 = false;

  let entry = 0;
  for (const raw of rawEntries(entries)) {
    const network = parseNetwork(raw.network, raw.networkPath);
    labels.push(`${raw.path} (${String(raw.network)})`);
    networkPaths.push(raw.networkPath);
    let bytes = network.bytes;
    let prefix = network.prefix;
    if (network.family === 6 && opts.ipVersion === 4) {
      throw new GeoadmitError(
        ErrorCode.InvalidDatabaseInput,
        `${raw.networkPath}: IPv6 network ${String(raw.network)} cannot be stored in an IPv4 database (ipVersion 4)`,
        { path: raw.networkPath },
      );
    }
    if (network.family === 4) {
      hasIpv4 = true;
      if (opts.ipVersion === 6) {
        // IPv4 lives in the first 2^32 addresses of an IPv6 tree (::/96).
        bytes = new Uint8Array(16);
        bytes.set(network.bytes, 12);
        prefix += 96;
      }
    }
    dataOffsets.push(data.writeRecord(values.record(raw.data, raw.dataPath)));
    tree.insert(bytes, prefix, entry++);
  }

  if (opts.ipVersion === 6 && hasIpv4) {
    if (opts.aliasIpv4Mapped) tree.alias(IPV4_MAPPED, 96, '::ffff:0:0/96 (IPv4-mapped addresses)', IPV4_IN_IPV6, 96);
    if (opts.alias6to4) tree.alias(SIX_TO_FOUR, 16, '2002::/16 (6to4 addresses)', IPV4_IN_IPV6, 96);
  }

  const nodeCount = tree.nodeCount;
  // Data records are addressed as node_count + 16 + offset; the largest must fit a record.
  const largestRecord = nodeCount + DATA_SECTION_SEPARATOR.length + data.size;
  const fits = (bits: number): boolean => largestRecord < 2 ** bits;
  const recordSize = opts.recordSize ?? RECORD_SIZES.find(fits);
  if (recordSize === undefined || !fits(recordSize)) {
    badOption('options.recordSize', `${recordSize ?? 32}-bit records cannot address ${nodeCount} nodes and a ${data.size}-byte data section`);
  }
  const treeBytes = tree.serialize(recordSize, (e) => nodeCount + DATA_SECTION_SEPARATOR.length + (dataOffsets[e] as number));
  const metadata = encodeMetadata(opts, nodeCount, recordSize);
  return Buffer.concat([treeBytes, DATA_SECTION_SEPARATOR, data.bytes(), METADATA_MARKER, metadata]);
}

function encodeMetadata(opts: ResolvedOptions, nodeCount: number, recordSize: number): Buffer {
  const map = {
    binary_format_major_version: new MmdbNumber('uint16', 2),
    binary_format_minor_version: new MmdbNumber('uint16', 0),
    build_epoch: new MmdbNumber('uint64', BigInt(opts.buildEpoch)),
    database_type: opts.databaseType,
    description: opts.description,
    ip_version: new MmdbNumber('uint16', opts.ipVersion),
    languages: opts.languages,
    node_count: new MmdbNumber('uint32', nodeCount),
    record_size: new MmdbNumber('uint16', recordSize),
  };
  // No pointers in the metadata: readers decode it relative to the marker, not the data section.
  const writer = new DataSectionWriter(false);
  writer.writeRecord(new ValueEncoder().record(map, 'options'));
  const bytes = writer.bytes();
  if (bytes.length + METADATA_MARKER.length > MAX_METADATA_SIZE) {
    badOption('options.description', `the metadata would take ${bytes.length} bytes; the format allows 128 KiB`);
  }
  return Buffer.from(bytes);
}

/**
 * Builds a database with {@link buildMmdb} and writes it to `path`
 * atomically: the bytes go to a temporary file in the same directory, are
 * flushed to disk, and the file is renamed over `path`, so a reader watching
 * `path` never sees a half-written database.
 *
 * Rejects with `E_INVALID_DB_INPUT` for bad input (nothing is written) and
 * with `E_DB_NOT_FOUND` (naming `file`) when the file cannot be written.
 */
export async function writeMmdb(path: string, entries: MmdbEntries, options: BuildMmdbOptions): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) badOption('path', 'must be a non-empty file path');
  const buffer = buildMmdb(entries, options);
  const target = resolve(path);
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx', 0o644);
    try {
      await handle.writeFile(buffer);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new GeoadmitError(ErrorCode.DatabaseWrite, `cannot write database file ${target}: ${(error as Error).message}`, {
      file: target,
      cause: error,
    });
  }
}
