import { Reader } from 'maxmind';
import { ErrorCode, GeoadmitError } from '../../errors/index.js';
import type { GeoCapabilities } from '../types.js';
import { detectLayout, guessFromTypeName, LayoutEvidence, mapperFor, roleOf } from './layouts/index.js';
import type { MappedRecord, MaxMindLayout } from './layouts/index.js';
import { TwoGenerationMemo } from './memo.js';
import { SearchTree } from './tree.js';
import { BoundedData, UnboundedDataError } from './bounded.js';

const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');
const DATA_SEPARATOR = 16;

/** One opened, checked database. Immutable once built; a reload builds a new one. */
export interface LoadedDatabase {
  readonly file: string;
  readonly reader: Reader<never>;
  readonly databaseType: string;
  readonly layout: MaxMindLayout;
  /** `location` databases answer country/subdivisions; `anonymizer` layers only flag. */
  readonly role: 'location' | 'anonymizer';
  readonly ipVersion: 4 | 6;
  readonly buildDate: string;
  /** `mmdb:<database_type>`. */
  readonly source: string;
  readonly capabilities: GeoCapabilities;
  /** The search tree, walked directly from a parsed address. */
  readonly tree: SearchTree;
  /**
   * The mapped record a data pointer (a walk's result) refers to, memoised per
   * pointer (bounded by `cacheSize`; country databases hold a few hundred
   * distinct records). Throws on a pointer outside the data section or an
   * undecodable record, which only an unchecked damaged file can have.
   */
  readonly recordAt: (pointer: number) => MappedRecord;
  /** How long the full check took, in milliseconds (0 when skipped). */
  readonly checkMs: number;
}

/** Options for {@link loadDatabase}. */
interface LoadOptions {
  /** Walk the whole search tree and decode every record before use (default true). */
  verify?: boolean;
  /** Mapped records memoised per database (bounded; default 20 000). */
  cacheSize?: number;
}

function corrupt(file: string, what: string, cause?: unknown): GeoadmitError {
  return new GeoadmitError(ErrorCode.DatabaseCorrupt, `Database file ${file} is not a usable MaxMind DB: ${what}`, {
    file,
    ...(cause === undefined ? {} : { cause }),
  });
}

interface RawMetadata {
  binaryFormatMajorVersion: unknown;
  buildEpoch: Date;
  databaseType: unknown;
  ipVersion: unknown;
  nodeCount: unknown;
  recordSize: unknown;
  searchTreeSize: number;
}

/** Reads one record of node `node` (0 = left, 1 = right) for the three record sizes MaxMind DB allows. */
function recordReader(buf: Buffer, recordSize: 24 | 28 | 32): (offset: number, right: boolean) => number {
  switch (recordSize) {
    case 24:
      return (o, right) => buf.readUIntBE(right ? o + 3 : o, 3);
    case 28:
      return (o, right) =>
        right
          ? ((buf[o + 3] as number) & 0x0f) * 0x1000000 + buf.readUIntBE(o + 4, 3)
          : (((buf[o + 3] as number) & 0xf0) >>> 4) * 0x1000000 + buf.readUIntBE(o, 3);
    case 32:
      return (o, right) => buf.readUInt32BE(right ? o + 4 : o);
  }
}

/** Work allowed for measuring the metadata map (a real one is a few dozen nodes). */
const METADATA_WORK = 100_000;
/**
 * Values the check may decode in the data section. The check decodes each
 * pointer target once and shares it between the records that point there, so
 * its work is the number of distinct values it meets: in a database written
 * by any real writer every value occupies at least one byte of its own and is
 * met at most twice (as a record and as a pointer target), so twice the
 * section's size is what a genuine database of that size could need. The
 * fixed part covers tiny files.
 */
const dataWork = (bytes: number): number => 100_000 + 2 * bytes;
/**
 * Values the records may expand to in total, counting a shared target once
 * per record that reaches it (what lookups decode, one record each). Real
 * databases expand to a few values per byte of data section; more than this
 * is a file built to amplify, refused at open rather than decoded.
 */
const dataNodes = (bytes: number): number => 1_000_000 + 16 * bytes;
/** Longest stretch of loading work between two yields to the event loop (async loads). */
const SLICE_MS = 25;
/** Measured values between two looks at the clock while decoding records (a look costs about as much as a few values). */
const STEPS_PER_CLOCK_CHECK = 2_048;

/**
 * Where the `maxmind` reader starts decoding the metadata: its own backwards
 * search for the marker, reproduced byte for byte. That search resets on a
 * mismatch without re-checking the mismatching byte, so metadata that begins
 * with the marker's tail makes it pass over the real marker to an earlier
 * one. Returns -1 where it would find none.
 */
export function readerMetadataStart(buffer: Uint8Array): number {
  const last = METADATA_MARKER.length - 1;
  let found = 0;
  let at = buffer.length - 1;
  while (found <= last && at-- > 0) found += buffer[at] === METADATA_MARKER[last - found] ? 1 : -found;
  return found > last ? at + found : -1;
}

/**
 * A decoder cache that holds pointer targets only while the check runs: the
 * reader then decodes each shared value once (a fan-out costs what its bytes
 * do), and lookups afterwards decode uncached, one bounded record at a time.
 */
class CheckCache {
  readonly #values = new Map<number, unknown>();
  #active = true;
  constructor(readonly isTarget: (offset: number) => boolean) {}
  get(offset: number): unknown {
    return this.#active ? this.#values.get(offset) : undefined;
  }
  set(offset: number, value: unknown): void {
    if (this.#active && this.isTarget(offset)) this.#values.set(offset, value);
  }
  /** Drop every value and stop caching (the check is over). */
  end(): void {
    this.#active = false;
    this.#values.clear();
  }
}

/**
 * Open `buffer` (the whole content of `file`) as a MaxMind DB, check it and
 * detect its layout, synchronously. Throws `GeoadmitError` `E_DB_CORRUPT` for
 * anything that is not a complete, well-formed database (including data whose
 * decoding would take unbounded work: pointer cycles and fan-out) and
 * `E_DB_WRONG_KIND` for a database whose records cannot locate anyone (ASN,
 * connection type, ...).
 *
 * The full check (the default) visits every search-tree node and decodes every
 * record the tree points to, so a database that passes cannot make a later
 * lookup read outside the file, fail to decode, or decode for long.
 */
export function loadDatabase(buffer: Buffer, file: string, options: LoadOptions = {}): LoadedDatabase {
  const steps = loadSteps(buffer, file, options);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/**
 * {@link loadDatabase}, yielding to the event loop between slices of at most
 * about {@link SLICE_MS} ms: a reload of a large database (or an open next to
 * live traffic) never holds admissions up for the length of the whole check.
 */
export async function loadDatabaseAsync(buffer: Buffer, file: string, options: LoadOptions = {}): Promise<LoadedDatabase> {
  const steps = loadSteps(buffer, file, options);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** The loader as a generator: it yields whenever it has worked for a slice, so its driver decides whether to wait. */
function* loadSteps(buffer: Buffer, file: string, options: LoadOptions): Generator<void, LoadedDatabase> {
  const verify = options.verify ?? true;
  const cacheSize = Math.max(1, options.cacheSize ?? 20_000);
  const started = performance.now();
  let sliceStart = started;
  /** True when the current slice is used up (checked every few thousand steps, so cheap). */
  const sliceOver = (): boolean => {
    const now = performance.now();
    if (now - sliceStart < SLICE_MS) return false;
    sliceStart = now;
    return true;
  };
  const markerAt = buffer.lastIndexOf(METADATA_MARKER);
  if (markerAt < 0) throw corrupt(file, 'no metadata section (not an .mmdb file, or truncated)');
  const metadataStart = markerAt + METADATA_MARKER.length;
  // The reader finds its metadata with a search of its own: it must decode exactly the bytes checked here.
  const readerStart = readerMetadataStart(buffer);
  if (readerStart !== metadataStart) {
    throw corrupt(
      file,
      `its metadata marker is ambiguous (the metadata after the last marker, at offset ${metadataStart}, is not what a MaxMind reader would decode${readerStart < 0 ? '' : `, at offset ${readerStart}`})`,
    );
  }
  // The reader decodes the metadata map without limits: prove it bounded first.
  let bounded: BoundedData | undefined;
  try {
    new BoundedData(buffer, metadataStart, metadataStart, buffer.length, METADATA_WORK).measure(metadataStart);
  } catch (error) {
    if (error instanceof UnboundedDataError) throw corrupt(file, `metadata cannot be decoded safely (${error.message})`, error);
    throw error;
  }

  let reader: Reader<never>;
  // Pointer targets decoded once while the check runs; lookups later memoise the much smaller mapped record instead.
  const cache = new CheckCache((offset) => bounded?.isPointerTarget(offset) === true);
  try {
    reader = new Reader<never>(buffer, { cache });
  } catch (error) {
    throw corrupt(file, `metadata cannot be read (${(error as Error).message})`, error);
  }
  const md = reader.metadata as unknown as RawMetadata;
  if (md.binaryFormatMajorVersion !== 2) throw corrupt(file, `unsupported binary format version ${String(md.binaryFormatMajorVersion)}`);
  const nodeCount = md.nodeCount;
  if (typeof nodeCount !== 'number' || !Number.isSafeInteger(nodeCount) || nodeCount <= 0) throw corrupt(file, 'metadata node_count is missing or invalid');
  const recordSize = md.recordSize;
  if (recordSize !== 24 && recordSize !== 28 && recordSize !== 32) throw corrupt(file, 'metadata record_size is not 24, 28 or 32');
  const ipVersion = md.ipVersion;
  if (ipVersion !== 4 && ipVersion !== 6) throw corrupt(file, 'metadata ip_version is not 4 or 6');
  const databaseType = md.databaseType;
  if (typeof databaseType !== 'string' || databaseType.length === 0 || databaseType.length > 200)
    throw corrupt(file, 'metadata database_type is missing or invalid');
  if (!(md.buildEpoch instanceof Date) || !Number.isFinite(md.buildEpoch.getTime())) throw corrupt(file, 'metadata build_epoch is missing or invalid');
  const treeSize = md.searchTreeSize;
  if (treeSize + DATA_SEPARATOR > markerAt) throw corrupt(file, `search tree (${nodeCount} nodes) does not fit in the file (truncated?)`);

  const evidence = new LayoutEvidence();
  if (verify) {
    for (let i = treeSize; i < treeSize + DATA_SEPARATOR; i++) {
      if (buffer[i] !== 0) throw corrupt(file, 'data section separator is not 16 zero bytes');
    }
  }
  // Walk every node: node links must stay inside the tree, data pointers inside the data section.
  const readRecord = recordReader(buffer, recordSize);
  const nodeBytes = recordSize / 4;
  const dataPointers = new Set<number>();
  const dataStart = treeSize + DATA_SEPARATOR;
  for (let node = 0, offset = 0; node < nodeCount; node++, offset += nodeBytes) {
    if ((node & 0xfff) === 0xfff && sliceOver()) yield;
    for (let side = 0; side < 2; side++) {
      const value = readRecord(offset, side === 1);
      if (value <= nodeCount) continue; // another node, or "no data"
      const at = value - nodeCount + treeSize;
      if (at < dataStart || at >= markerAt) {
        if (verify) throw corrupt(file, `search tree node ${node} points outside the data section`);
        continue;
      }
      dataPointers.add(value);
    }
  }
  // Decode each record once, to prove every lookup can decode.
  // mmdb-lib exposes no public "decode at pointer"; its Reader's resolveDataPointer is the
  // exact code path lookups use, so it is the right thing to exercise (maxmind pinned exactly).
  const probe = reader as unknown as { resolveDataPointer(pointer: number): unknown };
  const decoded = new Map<number, unknown>();
  // Measure before decoding: the reader's decoder would follow a pointer cycle or fan-out forever.
  const sectionBytes = markerAt - dataStart;
  const data = new BoundedData(buffer, dataStart, dataStart, markerAt, dataWork(sectionBytes));
  bounded = data;
  let nodesLeft = dataNodes(sectionBytes);
  const measure = (pointer: number): void => {
    try {
      nodesLeft -= data.measure(pointer - nodeCount + treeSize);
    } catch (error) {
      if (error instanceof UnboundedDataError) throw corrupt(file, `record at data pointer ${pointer} cannot be decoded safely (${error.message})`, error);
      throw error;
    }
    if (nodesLeft < 0) throw corrupt(file, 'its records decode to far more values than its size allows (pointer fan-out)');
  };
  yield; // after the tree walk, before measuring
  // First every record is measured (cheap: no values are built), so a file built to amplify is
  // refused after a pass over its bytes, before the reader has decoded anything.
  const unusable = new Set<number>();
  let clockCheckedAt = 0;
  for (const pointer of dataPointers) {
    // Paced by work done, not by records: one record may be a value of thousands.
    if (data.steps - clockCheckedAt >= STEPS_PER_CLOCK_CHECK) {
      clockCheckedAt = data.steps;
      if (sliceOver()) yield;
    }
    try {
      measure(pointer);
    } catch (error) {
      if (verify) throw error;
      unusable.add(pointer);
    }
  }
  // Then decoded, each pointer target once (the check's cache), so this pass costs what the
  // measuring did. The clock is looked at every few records: a record is at most a bounded value.
  let count = 0;
  for (const pointer of dataPointers) {
    if ((++count & 7) === 0 && sliceOver()) yield;
    if (unusable.has(pointer)) continue;
    let rec: unknown;
    try {
      rec = probe.resolveDataPointer(pointer);
    } catch (error) {
      if (verify) throw corrupt(file, `record at data pointer ${pointer} cannot be decoded (${(error as Error).message})`, error);
      continue;
    }
    evidence.add(rec);
    if (decoded.size < cacheSize) decoded.set(pointer, rec);
  }
  cache.end();

  let detection = detectLayout(databaseType, evidence);
  if (!detection.ok && !verify && (detection.kind === 'empty' || detection.kind === 'unrecognised')) {
    // Unchecked (test) path with no decodable records: trust the type name rather than refuse.
    detection = guessFromTypeName(databaseType);
  }
  if (!detection.ok) {
    throw new GeoadmitError(
      ErrorCode.DatabaseWrongKind,
      `Database file ${file} (${databaseType}) is a${/^[aeiou]/i.test(detection.kind) ? 'n' : ''} ${detection.kind} database, not a location database`,
      { file },
    );
  }
  const mapper = mapperFor(detection.layout);
  yield; // the jump tables below are a slice of their own
  const tree = new SearchTree(buffer, nodeCount, recordSize, ipVersion, treeSize, markerAt);
  // Mapped records per data pointer, filled from the check's decoding so the first lookups are hits.
  const memo = new TwoGenerationMemo<MappedRecord>(cacheSize * 2);
  for (const [pointer, rec] of decoded) memo.set(pointer, mapper(rec));
  const recordAt = (pointer: number): MappedRecord => {
    let mapped = memo.get(pointer);
    if (mapped === undefined) {
      tree.dataOffset(pointer); // bounds check before the decoder reads anything
      // A checked file measured every record at load; an unchecked one is measured now.
      if (!verify) data.measure(pointer - nodeCount + treeSize);
      mapped = mapper(probe.resolveDataPointer(pointer));
      memo.set(pointer, mapped);
    }
    return mapped;
  };
  return Object.freeze({
    file,
    reader,
    databaseType,
    layout: detection.layout,
    role: roleOf(detection.layout),
    ipVersion,
    buildDate: md.buildEpoch.toISOString(),
    source: `mmdb:${databaseType}`,
    capabilities: Object.freeze({ ...detection.capabilities }),
    tree,
    recordAt,
    checkMs: verify ? performance.now() - started : 0,
  });
}
