import { classify, type IpValue, ipv4NetworkText, ipv6NetworkTextFromWords, nonGlobalRange, parseIPv4, parseIpv6Words, parseLiteral } from '../address/ip.js';
import { ErrorCode, GeoadmitError } from '../errors/index.js';
import { readRegularFile } from '../internal/files.js';
import { finiteClock } from '../internal/time.js';
import { readList, wrongValue } from '../internal/options.js';
import type { GeoCapabilities, GeoResolver, GeoResolverEvents, GeoResolverMetadata, Location } from './types.js';
import { unknownLocation } from './location.js';
import type { LoadedDatabase } from './internal/load.js';
import type { MappedRecord, MaxMindLayout } from './internal/layouts/index.js';
import type { DirectAnswerMemo, DirectAnswerMemo6 } from './internal/memo.js';
import { asGeoadmitError, loadFile, loadFileAsync, readDatabase } from './internal/read.js';
import { errorText, member } from '../internal/objects.js';
import { SafeEmitter } from '../internal/emitter.js';
import { FROM_BUFFERS_OPTION_KEYS, OPEN_OPTION_KEYS, readResolverOptions } from './internal/options.js';
import { buildState, type ResolverState, requireLocationLayer } from './internal/state.js';
import { DatabaseWatcher } from './internal/watch.js';
import { resolveParsed } from './parsed.js';

export { MaxMindLayout } from './internal/layouts/index.js';

/**
 * The file-system seam the resolver reads through (tests stub it). The
 * default stats each path before opening it and refuses anything that is not
 * a regular file (a FIFO would block the read forever, `/dev/zero` never
 * ends), then opens it non-blocking and checks again through the handle.
 */
export interface MaxMindFs {
  /** Read a whole file. Rejections with `code: 'ENOENT'` (or any other) become `E_DB_NOT_FOUND`. */
  readFile(path: string): Promise<Buffer>;
}

/** Options for {@link MaxMindResolver.open} and {@link MaxMindResolver.fromBuffers}. */
export interface MaxMindResolverOptions {
  /**
   * Reload a file when it changes on disk (watches its directory, so an atomic
   * rename-replace is seen as well as an in-place rewrite). Default `false`.
   */
  watch?: boolean;
  /** Quiet period after the last change before a watched file is reloaded, in ms. Default 200. */
  watchDebounceMs?: number;
  /** File-system seam used to read databases (open and reload). */
  fs?: MaxMindFs;
  /** Time source for event timestamps (ms since epoch). Default `Date.now`. */
  clock?: () => number;
  /** Distinct database records kept decoded per database (memoised by data pointer; at most twice this many are held). Default 20 000. */
  cacheSize?: number;
  /**
   * Check every database completely before use: walk every search-tree node
   * and decode every record (default `true`). Turning it off is for tests of
   * the runtime safety net only; an unchecked damaged file may answer wrongly.
   */
  verify?: boolean;
}

/** A database a resolver has open. */
export interface MaxMindDatabaseInfo {
  /** The path it was read from (or the name given to `fromBuffers`). */
  readonly file: string;
  /** `database_type` from its metadata, e.g. `GeoLite2-Country`. */
  readonly databaseType: string;
  /** The record layout detected. */
  readonly layout: MaxMindLayout;
  /** Build time from its metadata (ISO 8601). */
  readonly buildDate: string;
  /** `4` for an IPv4-only tree, `6` for a tree holding both. */
  readonly ipVersion: 4 | 6;
}

/** Outcome of {@link MaxMindResolver.reload}: what was swapped in and what kept its previous version. */
export interface MaxMindReloadResult {
  /** Files whose new content is now in use. */
  readonly reloaded: readonly string[];
  /** Files that could not be reloaded; their previous database stays in use. */
  readonly failed: readonly { readonly file: string; readonly error: GeoadmitError }[];
}

const INVALID = unknownLocation('invalid-address');
const NOT_FOUND = unknownLocation('not-in-database');
const NOT_FOUND_NOT_ANONYMOUS = unknownLocation('not-in-database', false);
const LOOKUP_ERROR = unknownLocation('lookup-error');
const NON_GLOBAL = unknownLocation('non-global');

// Reused by every lookup: resolve() is synchronous, so one buffer is never shared by two calls.
const words = new Uint32Array(4);
const bytes = new Uint8Array(16);
const scratchIp6: IpValue = { family: 6, bytes };

/** `words` → `bytes` (network order), so the IPv6 value can be classified without allocating. */
function wordsToBytes(): void {
  for (let k = 0; k < 4; k++) {
    const x = words[k] as number;
    bytes[4 * k] = x >>> 24;
    bytes[4 * k + 1] = (x >>> 16) & 255;
    bytes[4 * k + 2] = (x >>> 8) & 255;
    bytes[4 * k + 3] = x & 255;
  }
}

/** `bytes` of a classified IPv6 value → `words`. */
function bytesToWords(b: Uint8Array): void {
  for (let k = 0; k < 4; k++) {
    words[k] = ((b[4 * k] as number) * 0x1000000 + (((b[4 * k + 1] as number) << 16) | ((b[4 * k + 2] as number) << 8) | (b[4 * k + 3] as number))) >>> 0;
  }
}

// Stat before open: a FIFO would block the read forever and /dev/zero never ends.
const defaultFs: MaxMindFs = { readFile: (path) => readRegularFile(path) };

/** Held only by this module: what lets `open`/`fromBuffers` call the constructor. */
const CONSTRUCT: unique symbol = Symbol('MaxMindResolver.construct');

/**
 * A {@link GeoResolver} over MaxMind DB (`.mmdb`) files: GeoIP2/GeoLite2 City
 * and Country, GeoIP2 Anonymous IP (as a layer), DB-IP, IPinfo and
 * ip-location-db, detected per file. Files are read whole into memory and
 * checked completely before use; lookups do no I/O and never throw.
 *
 * Layering: the first location database with a physical country answers
 * `country`, `subdivisions`, `network`, `databaseBuilt` and `source`;
 * `anonymizer` is true when any database flags the address.
 *
 * @example
 * const geo = await MaxMindResolver.open(['GeoIP2-City.mmdb', 'GeoIP2-Anonymous-IP.mmdb'], { watch: true });
 * geo.on('error', (e) => log.warn(e.error.message));
 * geo.resolve('1.2.4.8'); // { country: 'CN', subdivisions: [], network: '1.2.4.0/22', source: 'mmdb:GeoIP2-City', ... }
 */
export class MaxMindResolver implements GeoResolver {
  #state: ResolverState;
  // A listener that throws is reported as an `error` event (not from an `error` listener: no loops).
  readonly #emitter = new SafeEmitter<GeoResolverEvents>((error, event) => {
    if (event !== 'error') this.#emitError(undefined, error instanceof Error ? error : new Error(errorText(error)));
  });
  readonly #paths: readonly string[];
  readonly #fs: MaxMindFs;
  readonly #clock: () => number;
  readonly #loadOptions: { verify: boolean; cacheSize?: number };
  /** Watches the files for replacement (internal/watch.ts). */
  readonly #watcher: DatabaseWatcher;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  /**
   * Not for callers: use {@link MaxMindResolver.open} or {@link MaxMindResolver.fromBuffers}.
   * JavaScript has no `#` constructor: TypeScript's `private` keeps `new MaxMindResolver()` from
   * compiling, and a token only this module holds refuses it at run time (plain JavaScript callers).
   */
  // biome-ignore lint/plugin: the one place `private` is the only way to say it (see above)
  private constructor(token: typeof CONSTRUCT, layers: readonly LoadedDatabase[], paths: readonly string[], options: MaxMindResolverOptions) {
    if (token !== CONSTRUCT) {
      throw new GeoadmitError(ErrorCode.InvalidConfig, 'MaxMindResolver: use MaxMindResolver.open() or MaxMindResolver.fromBuffers()', { argument: 'token' });
    }
    this.#state = buildState(layers);
    this.#paths = paths;
    this.#fs = options.fs ?? defaultFs;
    this.#clock = finiteClock(options.clock);
    this.#loadOptions = { verify: options.verify ?? true, ...(options.cacheSize === undefined ? {} : { cacheSize: options.cacheSize }) };
    this.#watcher = new DatabaseWatcher(
      options.watchDebounceMs ?? 200,
      (file) => void this.#enqueue([file]),
      (dir, error) => this.#emitError(dir, asGeoadmitError(error, dir)),
    );
  }

  /**
   * Read, check and open one or more databases (in layering order). Rejects
   * with `GeoadmitError`: `E_INVALID_CONFIG` (an unknown option key, naming
   * the closest known one), `E_DB_NOT_FOUND` (missing, unreadable, or not a
   * regular file: FIFO, device, directory), `E_DB_CORRUPT` (truncated,
   * damaged, not an `.mmdb`, or data whose decoding would take unbounded work:
   * pointer cycles or fan-out), `E_DB_WRONG_KIND` (ASN,
   * connection-type, ISP, domain; or only Anonymous-IP databases), each with
   * `file` set.
   */
  static async open(paths: string | readonly string[], options: MaxMindResolverOptions = {}): Promise<MaxMindResolver> {
    const where = 'MaxMindResolver.open';
    const list = typeof paths === 'string' ? [paths] : readList(paths, where, 'paths', 'a path or a list of paths');
    if (list.length === 0) throw wrongValue(where, 'paths', 'at least one database path', paths);
    list.forEach((p, i) => {
      if (typeof p !== 'string' || p.length === 0) throw wrongValue(where, `paths[${i}]`, 'a non-empty string (a database path)', p);
    });
    options = readResolverOptions(options, where, OPEN_OPTION_KEYS);
    const fs = options.fs ?? defaultFs;
    const layers: LoadedDatabase[] = [];
    for (const file of list) {
      const buffer = await readDatabase(fs, file as string);
      layers.push(await loadFileAsync(buffer, file as string, options));
    }
    requireLocationLayer(layers, list[list.length - 1] as string);
    const resolver = new MaxMindResolver(CONSTRUCT, layers, list as string[], options);
    if (options.watch === true) resolver.#watcher.watch(resolver.#paths);
    return resolver;
  }

  /**
   * Open databases already in memory (tests, embedded data). Each `name` is
   * used as the `file` in errors and {@link databases}. Throws like
   * {@link open}. `reload()` has nothing to re-read for these.
   */
  static fromBuffers(buffers: readonly { name: string; buffer: Buffer }[], options: Omit<MaxMindResolverOptions, 'watch' | 'fs'> = {}): MaxMindResolver {
    const where = 'MaxMindResolver.fromBuffers';
    options = readResolverOptions(options, where, FROM_BUFFERS_OPTION_KEYS);
    const entries = readList(buffers, where, 'buffers', 'a list of { name, buffer }');
    if (entries.length === 0) throw wrongValue(where, 'buffers', 'at least one database', buffers);
    const names: string[] = [];
    const layers = entries.map((entry, i) => {
      const name = member(entry, 'name');
      const buffer = member(entry, 'buffer');
      if (typeof name !== 'string' || name.length === 0) throw wrongValue(where, `buffers[${i}].name`, 'a non-empty string', name);
      if (!Buffer.isBuffer(buffer)) throw wrongValue(where, `buffers[${i}].buffer`, 'a Buffer', buffer);
      names.push(name);
      return loadFile(buffer, name, options);
    });
    requireLocationLayer(layers, names[names.length - 1] as string);
    return new MaxMindResolver(CONSTRUCT, layers, [], options);
  }

  /** `mmdb:<database_type>` of the location database(s), then layers joined by `+`, e.g. `mmdb:GeoIP2-City+GeoIP2-Anonymous-IP`. */
  get metadata(): GeoResolverMetadata {
    return { name: this.#state.name };
  }

  /** What the open databases can answer (derived from the layouts detected; may change on reload). */
  get capabilities(): GeoCapabilities {
    return this.#state.capabilities;
  }

  /** The databases in use, in layering order. */
  get databases(): readonly MaxMindDatabaseInfo[] {
    return this.#state.databases;
  }

  /**
   * Locate an address. Input is normalised exactly as `normalizeAddress`
   * and `StaticResolver` do: a port (`1.2.4.8:5000`), brackets and a
   * zone id (`fe80::1%eth0`) are dropped; IPv6 forms that embed an IPv4
   * address (`::ffff:`, NAT64 `64:ff9b::/96`, 6to4, Teredo) are looked up
   * by that IPv4 address; special-purpose ranges (private, loopback,
   * link-local, ...) are `unknown: 'non-global'`. Canonical dotted-quad and
   * bare IPv6 text take a fast path. Never throws: a malformed address is
   * `invalid-address`, a failing lookup `lookup-error`.
   */
  resolve(address: string): Location {
    try {
      return this.#lookup(address);
    } catch {
      return LOOKUP_ERROR;
    }
  }

  #lookup(input: string): Location {
    if (typeof input !== 'string') return INVALID;
    let v4 = parseIPv4(input);
    let family: 4 | 6 = 4;
    if (v4 >= 0) {
      // Fast path: strict dotted-quad text, what sockets report. Only the range check remains.
      if (nonGlobalRange({ family: 4, v4 }) !== undefined) return NON_GLOBAL;
    } else if (parseIpv6Words(input, words)) {
      // Fast path: bare IPv6 text (no brackets, zone or port). Embedded IPv4 forms
      // (mapped, NAT64, 6to4, Teredo, ...) are looked up by their IPv4 address.
      wordsToBytes();
      const { ip, global } = classify(scratchIp6);
      if (!global) return NON_GLOBAL;
      if (ip.family === 4) v4 = ip.v4;
      else family = 6;
    } else {
      // Anything else is normalised exactly as normalizeAddress and StaticResolver do:
      // ports, brackets and zone ids dropped, other spellings refused.
      const literal = parseLiteral(input);
      if (!literal.ok) return INVALID;
      const { ip, global } = classify(literal.ip);
      if (!global) return NON_GLOBAL;
      if (ip.family === 4) v4 = ip.v4;
      else {
        bytesToWords(ip.bytes);
        family = 6;
      }
    }
    return this.#locateValue(family, v4);
  }

  /**
   * The gate's lookup (see `resolveParsed`): `ip` is global with embedded
   * IPv4 decoded, as client-address resolution gives it, so only the walk is
   * left. Answers exactly as `resolve(address)`.
   * @internal
   */
  [resolveParsed](ip: IpValue, _address: string): Location {
    try {
      if (ip.family === 4) return this.#locateValue(4, ip.v4);
      bytesToWords(ip.bytes);
      return this.#locateValue(6, 0);
    } catch {
      return LOOKUP_ERROR;
    }
  }

  /** Locate a global address: `v4` for IPv4, the module's `words` for IPv6. */
  #locateValue(family: 4 | 6, v4: number): Location {
    const state = this.#state; // one read: the whole lookup uses one generation of databases
    if (family === 4 && state.answers !== undefined) return this.#lookupSingle4(state.answers, state.locationLayers[0] as LoadedDatabase, v4);
    if (family === 6 && state.answers6 !== undefined) return this.#lookupSingle6(state.answers6, state.locationLayers[0] as LoadedDatabase);

    let answer: { db: LoadedDatabase; rec: MappedRecord; prefix: number } | undefined;
    let noCountry: { db: LoadedDatabase; rec: MappedRecord; prefix: number } | undefined;
    let failed = false;
    let anonymizer: boolean | undefined;
    for (const db of state.locationLayers) {
      // An IPv4-only tree would answer an IPv6 address with an IPv4 record.
      if (family === 6 && db.ipVersion === 4) continue;
      let rec: MappedRecord;
      let prefix: number;
      try {
        const hit = family === 4 ? db.tree.walk4(v4) : db.tree.walk6(words);
        if (!db.tree.isData(hit)) continue;
        prefix = db.tree.depth;
        rec = db.recordAt(hit);
      } catch {
        failed = true;
        continue;
      }
      if (rec.anonymizer === true) anonymizer = true;
      if (rec.country !== undefined) {
        answer = { db, rec, prefix };
        break;
      }
      noCountry ??= { db, rec, prefix };
    }

    let anonymizerUnknown = false;
    for (const db of state.anonymizerLayers) {
      if (family === 6 && db.ipVersion === 4) continue;
      try {
        const hit = family === 4 ? db.tree.walk4(v4) : db.tree.walk6(words);
        if (db.tree.isData(hit) && db.recordAt(hit).anonymizer === true) anonymizer = true;
      } catch {
        anonymizerUnknown = true;
      }
    }
    // With an anonymizer-capable layer that answered, "not flagged" is a real `false`.
    if (anonymizer === undefined && state.capabilities.anonymizers && !anonymizerUnknown) anonymizer = false;

    const chosen = answer ?? noCountry;
    if (chosen === undefined) {
      if (failed) return LOOKUP_ERROR;
      if (anonymizer === undefined) return NOT_FOUND;
      return anonymizer ? unknownLocation('not-in-database', true) : NOT_FOUND_NOT_ANONYMOUS;
    }
    return makeLocation(chosen.db, chosen.rec, family === 4 ? ipv4NetworkText(v4, chosen.prefix) : ipv6NetworkTextFromWords(words, chosen.prefix), anonymizer);
  }

  /**
   * IPv4 with one location database: the answer is a function of the tree
   * record the walk ends on, so it is memoised per record slot. The memo is
   * checked against the address (prefix and network) rather than trusted, so
   * even a database whose tree reaches one slot by two paths cannot make it
   * answer with another network.
   */
  #lookupSingle4(answers: DirectAnswerMemo<Location>, db: LoadedDatabase, v4: number): Location {
    const tree = db.tree;
    const hit = tree.walk4(v4);
    // A database that can flag anonymisers says "not flagged" for addresses it has no record of.
    if (!tree.isData(hit)) return db.capabilities.anonymizers ? NOT_FOUND_NOT_ANONYMOUS : NOT_FOUND;
    const prefix = tree.depth;
    const net = prefix === 0 ? 0 : (v4 & (0xffffffff << (32 - prefix))) >>> 0;
    const slot = tree.slot;
    const memo = answers.get(slot, net, prefix);
    if (memo !== undefined) return memo;
    let rec: MappedRecord;
    try {
      rec = db.recordAt(hit);
    } catch {
      return LOOKUP_ERROR;
    }
    const location = makeLocation(db, rec, ipv4NetworkText(v4, prefix), rec.anonymizer === true ? true : db.capabilities.anonymizers ? false : undefined);
    answers.set(slot, net, prefix, location);
    return location;
  }

  /** As {@link lookupSingle4} for IPv6 (the address in the module's `words`), in a database holding IPv6. */
  #lookupSingle6(answers: DirectAnswerMemo6<Location>, db: LoadedDatabase): Location {
    const tree = db.tree;
    const hit = tree.walk6(words);
    if (!tree.isData(hit)) return db.capabilities.anonymizers ? NOT_FOUND_NOT_ANONYMOUS : NOT_FOUND;
    const prefix = tree.depth;
    const slot = tree.slot;
    const memo = answers.get(slot, words, prefix);
    if (memo !== undefined) return memo;
    let rec: MappedRecord;
    try {
      rec = db.recordAt(hit);
    } catch {
      return LOOKUP_ERROR;
    }
    const location = makeLocation(
      db,
      rec,
      ipv6NetworkTextFromWords(words, prefix),
      rec.anonymizer === true ? true : db.capabilities.anonymizers ? false : undefined,
    );
    answers.set(slot, words, prefix, location);
    return location;
  }

  /**
   * Re-read every file now. Each file is read and checked completely before it
   * replaces the database in use; all replacements are swapped in at once.
   * A file that is missing, truncated, corrupt or of the wrong kind keeps its
   * previous database and is reported as an `error` event and in the result.
   * Emits `geo.reloaded` per file reloaded. Never rejects.
   */
  reload(): Promise<MaxMindReloadResult> {
    return this.#enqueue(this.#paths);
  }

  /**
   * Subscribe to `geo.reloaded` or `error`. Returns an unsubscribe function.
   * A listener that throws does not stop the others (its error is reported
   * as an `error` event, except from an `error` listener, where it is dropped).
   */
  on<E extends keyof GeoResolverEvents>(event: E, listener: (payload: GeoResolverEvents[E]) => void): () => void {
    return this.#emitter.on(event, listener);
  }

  /** Stop watching files and cancel pending reloads. Lookups keep working on the databases in memory. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#watcher.close();
    await this.#queue.catch(() => undefined);
  }

  #enqueue(files: readonly string[]): Promise<MaxMindReloadResult> {
    const run = this.#queue.then(() => this.#reloadFiles(files));
    this.#queue = run.catch(() => undefined);
    // reloadFiles reports failures in its result; this guard keeps even a bug from becoming an unhandled rejection.
    return run.catch((error: unknown) => ({ reloaded: [], failed: [{ file: '', error: asGeoadmitError(error, '(reload)') }] }));
  }

  async #reloadFiles(files: readonly string[]): Promise<MaxMindReloadResult> {
    if (this.#closed || files.length === 0) return { reloaded: [], failed: [] };
    const fresh = new Map<string, LoadedDatabase>();
    const failed: { file: string; error: GeoadmitError }[] = [];
    for (const file of new Set(files)) {
      try {
        const buffer = await readDatabase(this.#fs, file);
        // Checked in slices: a reload never holds admissions up for the whole check.
        fresh.set(file, await loadFileAsync(buffer, file, this.#loadOptions));
      } catch (error) {
        failed.push({ file, error: asGeoadmitError(error, file) });
      }
    }
    let layers = this.#state.layers.map((l) => fresh.get(l.file) ?? l);
    for (const [file] of fresh) {
      try {
        requireLocationLayer(layers, file);
      } catch (error) {
        // Replacing the only location database with an Anonymous-IP one would leave nothing that locates.
        fresh.delete(file);
        failed.push({ file, error: asGeoadmitError(error, file) });
        layers = this.#state.layers.map((l) => fresh.get(l.file) ?? l);
      }
    }
    if (fresh.size > 0) this.#state = buildState(layers); // the atomic swap
    const time = this.#clock();
    for (const [file, db] of fresh) {
      this.#emitter.emit('geo.reloaded', { source: db.source, file, databaseBuilt: db.buildDate, time });
    }
    for (const { file, error } of failed) this.#emitError(file, error);
    return { reloaded: [...fresh.keys()], failed };
  }

  #emitError(file: string | undefined, error: Error): void {
    this.#emitter.emit('error', { source: this.#state.name, ...(file === undefined ? {} : { file }), error, time: this.#clock() });
  }
}

/** The frozen location for a record of `db` that answered from `network`. */
function makeLocation(db: LoadedDatabase, rec: MappedRecord, network: string, anonymizer: boolean | undefined): Location {
  const location: Location = { subdivisions: rec.subdivisions, source: db.source, network, databaseBuilt: db.buildDate };
  if (rec.country !== undefined) location.country = rec.country;
  else location.unknown = 'no-physical-country';
  if (anonymizer !== undefined) location.anonymizer = anonymizer;
  return Object.freeze(location);
}
