/**
 * Hand-assembled MaxMind DB files for hostile-input tests and benchmarks
 * (test/geo-maxmind-hostile.test.ts, test/geo-crafted-databases.test.ts,
 * bench/cases/8-hostile.mjs): shapes our writer (`buildMmdb`) never produces,
 * built byte by byte from the MaxMind DB format (control bytes, pointers of
 * every width, a search tree of any length).
 *
 * - {@link fanOutMmdb}, {@link cycleMmdb}, {@link metadataFanOutMmdb}: one
 *   record (or the metadata) that decodes to 2^levels values, or to itself.
 * - {@link amplificationMmdb}: many small records, each pointing at one shared
 *   fan-out of tens of thousands of values; decoding every record is what
 *   would cost seconds and gigabytes.
 * - {@link markerConfusionMmdb}: a sound database whose real metadata begins
 *   with the tail of the metadata marker, so a backwards marker search that
 *   does not re-check the mismatching byte finds a planted marker earlier in
 *   the file, followed by a fan-out "metadata" map.
 */

/** The MaxMind DB metadata marker: `\xab\xcd\xef` then `MaxMind.com`. */
export const MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');

/** Control byte(s) for `type` with payload `size` (all sizes the format allows). */
function ctrl(type, size) {
  let lead;
  let extra = [];
  if (size < 29) lead = size;
  else if (size < 285) {
    lead = 29;
    extra = [size - 29];
  } else if (size < 65_821) {
    lead = 30;
    extra = [(size - 285) >> 8, (size - 285) & 255];
  } else {
    lead = 31;
    const n = size - 65_821;
    extra = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  return type <= 7 ? [(type << 5) | lead, ...extra] : [lead, type - 7, ...extra];
}

/** Encoders for the value types these fixtures need. */
export const enc = {
  str: (s) => [...ctrl(2, Buffer.byteLength(s)), ...Buffer.from(s)],
  uint16: (n) => [...ctrl(5, 2), n >> 8, n & 255],
  uint32: (n) => [...ctrl(6, 4), (n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255],
  uint64: (n) => [...ctrl(9, 4), (n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255],
  map: (pairs) => [...ctrl(7, pairs.length), ...pairs.flatMap(([k, v]) => [...enc.str(k), ...v])],
  array: (items) => [...ctrl(11, items.length), ...items.flat()],
  /** A pointer to `offset` (relative to the section's base), in the narrowest width that holds it. */
  ptr: (offset) => {
    if (offset < 2048) return [0x20 | (offset >> 8), offset & 255];
    if (offset < 526_336) {
      const n = offset - 2048;
      return [0x28 | (n >> 16), (n >> 8) & 255, n & 255];
    }
    if (offset < 134_744_064) {
      const n = offset - 526_336;
      return [0x30 | (n >> 24), (n >> 16) & 255, (n >> 8) & 255, n & 255];
    }
    return [0x38, (offset >>> 24) & 255, (offset >> 16) & 255, (offset >> 8) & 255, offset & 255];
  },
};

/** Metadata for an IPv4 GeoIP2-Country database of `nodeCount` 24-bit nodes, with extra pairs. */
function metadata(nodeCount = 1, extra = []) {
  return enc.map([
    ['binary_format_major_version', enc.uint16(2)],
    ['binary_format_minor_version', enc.uint16(0)],
    ['build_epoch', enc.uint64(1_700_000_000)],
    ['database_type', enc.str('GeoIP2-Country')],
    ['ip_version', enc.uint16(4)],
    ['languages', enc.array([enc.str('en')])],
    ['node_count', enc.uint32(nodeCount)],
    ['record_size', enc.uint16(24)],
    ...extra,
  ]);
}

/** Three big-endian bytes of a 24-bit record. */
const record24 = (value) => [(value >> 16) & 255, (value >> 8) & 255, value & 255];

/**
 * `levels` arrays, each pointing twice at the one before, above one short
 * string: the top decodes to 2^(levels+1) - 1 values. Pointers are relative
 * to `base` (the section start); the bytes are written at offset `base`.
 */
function fanOut(levels, base) {
  const bytes = enc.str('x');
  let previous = base;
  for (let i = 0; i < levels; i++) {
    const at = base + bytes.length;
    bytes.push(...enc.array([enc.ptr(previous), enc.ptr(previous)]));
    previous = at;
  }
  return { bytes, top: previous };
}

/** A record that locates (so only the hostile part can make the file unusable). */
const COUNTRY = ['country', enc.map([['iso_code', enc.str('CN')]])];

/** One node whose both records point at the data section's offset `record`. */
function assemble(data, record, meta) {
  const value = 1 + 16 + record;
  const side = record24(value);
  return Buffer.from([...side, ...side, ...new Array(16).fill(0), ...data, ...MARKER, ...meta]);
}

/** A ~400-byte database whose one record decodes to 2^levels nodes (`{ country, x: <fan-out> }`). */
export function fanOutMmdb(levels = 40) {
  const { bytes, top } = fanOut(levels, 0);
  const record = bytes.length;
  return assemble([...bytes, ...enc.map([COUNTRY, ['x', enc.ptr(top)]])], record, metadata());
}

/** A database whose record holds a value that points back at itself (`{ country, x: [<pointer to this array>] }`). */
export function cycleMmdb() {
  // offset 0: an array of one pointer to offset 0; then the record pointing at it.
  const cyclic = enc.array([enc.ptr(0)]);
  const record = cyclic.length;
  return assemble([...cyclic, ...enc.map([COUNTRY, ['x', enc.ptr(0)]])], record, metadata());
}

/** A database whose metadata map carries a fan-out (pointers in metadata are relative to its start). */
export function metadataFanOutMmdb(levels = 40) {
  // The map comes first (it is what the reader decodes); its length does not depend on the pointer's target.
  const probe = metadata(1, [['description', enc.ptr(0)]]);
  const { bytes, top } = fanOut(levels, probe.length);
  const meta = [...metadata(1, [['description', enc.ptr(top)]]), ...bytes];
  const data = enc.map([COUNTRY]);
  return assemble(data, 0, meta);
}

/** A well-formed database of the same shape, to show the fixtures themselves are sound. */
export function soundMmdb() {
  return assemble(enc.map([COUNTRY, ['x', enc.array([enc.str('x')])]]), 0, metadata());
}

/**
 * About `targetBytes` of database in which every tree node's right record
 * points at a record of its own, `{ country: <shared>, x: <fan-out top> }`,
 * and the fan-out top decodes to 2^(levels+1) - 1 values (levels 14: 32,767,
 * under the largest value a single record was ever allowed). The tree is a
 * chain (node i's left record is node i+1), so it is as long as the records
 * need, not 32 levels deep.
 */
export function amplificationMmdb(targetBytes, levels = 14) {
  const shared = fanOut(levels, 0);
  const countryAt = shared.bytes.length;
  const head = [...shared.bytes, ...enc.map([['iso_code', enc.str('CN')]])];
  // Each record: a 2-pair map with pointer values (keys inline), about 20 bytes, plus 6 of tree.
  // Every record has the same bytes, at its own offset (so each is a record of its own).
  const record = enc.map([
    ['country', enc.ptr(countryAt)],
    ['x', enc.ptr(shared.top)],
  ]);
  const sample = record.length;
  const count = Math.max(2, Math.floor((targetBytes - head.length - 200) / (sample + 6)));
  const meta = metadata(count);
  const treeBytes = count * 6;
  const out = Buffer.alloc(treeBytes + 16 + head.length + count * sample + MARKER.length + meta.length);
  let at = treeBytes + 16;
  out.set(head, at);
  at += head.length;
  for (let i = 0; i < count; i++) {
    const recordOffset = at - treeBytes - 16;
    const left = Math.min(i + 1, count); // the last: count, "no data"
    out.set([...record24(left), ...record24(count + 16 + recordOffset)], i * 6);
    out.set(record, at);
    at += record.length;
  }
  out.set(MARKER, at);
  out.set(meta, at + MARKER.length);
  return out;
}

/**
 * A sound one-node database (`{ country: { iso_code: 'CN' } }` for every
 * IPv4 address) padded to about `targetBytes`, in which a backwards marker
 * search that resets on a mismatch without re-checking that byte finds a
 * planted marker instead of the real one:
 *
 * - the real metadata is a valid map of 15 pairs, so its first bytes are
 *   `\xef` (map of 15), `\x4d` (a 13-byte string key) and then `axMind.com`:
 *   the marker's last twelve bytes. Scanning backwards, the search matches
 *   those twelve, fails on the real marker's last byte and moves past it;
 * - an earlier copy of the marker sits inside the data section (nothing
 *   points there), followed by a "metadata" map whose `description` points
 *   at a fan-out of `levels` levels (2^levels decoded values).
 */
export function markerConfusionMmdb(targetBytes = 18 * 1024, levels = 40) {
  const record = enc.map([['country', enc.map([['iso_code', enc.str('CN')]])]]);
  // Planted "metadata": pointers inside it are relative to its own start.
  const probe = metadata(1, [['description', enc.ptr(0)]]);
  const planted = fanOut(levels, probe.length);
  const plantedMeta = [...metadata(1, [['description', enc.ptr(planted.top)]]), ...planted.bytes];
  const padding = Math.max(0, targetBytes - 400 - record.length - plantedMeta.length);
  const data = [...record, ...new Array(padding).fill(0), ...MARKER, ...plantedMeta];
  // The real metadata: 15 pairs, the first key `axMind.com` plus three bytes found nowhere in the marker.
  const realMeta = metadata(1, [
    ['axMind.com___', enc.uint16(0)],
    ['description', enc.map([['en', enc.str('marker confusion')]])],
    ['p1', enc.uint16(1)],
    ['p2', enc.uint16(2)],
    ['p3', enc.uint16(3)],
    ['p4', enc.uint16(4)],
    ['p5', enc.uint16(5)],
  ]);
  // The metadata builder puts its own pairs first: move the crafted key to the front.
  const pairs = reorderFirstKey(realMeta, 'axMind.com___');
  const side = record24(1 + 16);
  return Buffer.from([...side, ...side, ...new Array(16).fill(0), ...data, ...MARKER, ...pairs]);
}

/** A metadata map (as `metadata()` encodes it) with the pair keyed `key` moved to the front. */
function reorderFirstKey(map, key) {
  const keyBytes = enc.str(key);
  const at = indexOf(map, keyBytes);
  // The crafted pair is a key and a uint16 (3 bytes).
  const pair = map.slice(at, at + keyBytes.length + 3);
  const rest = [...map.slice(1, at), ...map.slice(at + pair.length)];
  return [map[0], ...pair, ...rest];
}

function indexOf(haystack, needle) {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('crafted-mmdb: key not found');
}
