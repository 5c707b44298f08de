/**
 * Hand-assembled MaxMind DB files for hostile-input tests and benchmarks
 * (test/geo-maxmind-hostile.test.ts, bench/cases/8-hostile.mjs): our writer never
 * produces pointer cycles or fan-out, so these are built byte by byte from
 * the MaxMind DB format (control bytes, pointers, a one-node search tree).
 */

const MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');

/** Control byte(s) for `type` with a payload `size` below 29 (all these fixtures need). */
function ctrl(type, size) {
  if (size >= 29) throw new Error('fixture values stay small');
  return type <= 7 ? [(type << 5) | size] : [size, type - 7];
}

export const enc = {
  str: (s) => [...ctrl(2, Buffer.byteLength(s)), ...Buffer.from(s)],
  uint16: (n) => [...ctrl(5, 2), n >> 8, n & 255],
  uint32: (n) => [...ctrl(6, 4), (n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255],
  uint64: (n) => [...ctrl(9, 4), (n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255],
  map: (pairs) => [...ctrl(7, pairs.length), ...pairs.flatMap(([k, v]) => [...enc.str(k), ...v])],
  array: (items) => [...ctrl(11, items.length), ...items.flat()],
  /** A 2-byte pointer (targets below 2048). */
  ptr: (offset) => {
    if (offset >= 2048) throw new Error('fixture pointers stay small');
    return [0x20 | (offset >> 8), offset & 255];
  },
};

/** A record that locates (so only the hostile part can make the file unusable). */
const COUNTRY = ['country', enc.map([['iso_code', enc.str('CN')]])];

function metadata(extra = []) {
  return enc.map([
    ['binary_format_major_version', enc.uint16(2)],
    ['binary_format_minor_version', enc.uint16(0)],
    ['build_epoch', enc.uint64(1_700_000_000)],
    ['database_type', enc.str('GeoIP2-Country')],
    ['ip_version', enc.uint16(4)],
    ['languages', enc.array([enc.str('en')])],
    ['node_count', enc.uint32(1)],
    ['record_size', enc.uint16(24)],
    ...extra,
  ]);
}

/** One node whose both records point at the data section's offset `record`. */
function assemble(data, record, meta) {
  const value = 1 + 16 + record;
  const side = [(value >> 16) & 255, (value >> 8) & 255, value & 255];
  return Buffer.from([...side, ...side, ...new Array(16).fill(0), ...data, ...MARKER, ...meta]);
}

/**
 * `levels` values, each an array pointing twice at the one before: decoding
 * the last expands to 2^levels nodes from a few bytes a level. Returns the
 * bytes and the offset of the last level (pointers relative to `base`).
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
  const probe = metadata([['description', enc.ptr(0)]]);
  const { bytes, top } = fanOut(levels, probe.length);
  const meta = [...metadata([['description', enc.ptr(top)]]), ...bytes];
  const data = enc.map([COUNTRY]);
  return assemble(data, 0, meta);
}

/** A well-formed database of the same shape, to show the fixtures themselves are sound. */
export function soundMmdb() {
  return assemble(enc.map([COUNTRY, ['x', enc.array([enc.str('x')])]]), 0, metadata());
}
