import { ErrorCode, GeoadmitError } from '../../errors/index.js';
import { MmdbNumber } from '../types.js';
import { describe } from './network.js';
import { isPlainRecord as isPlainObject } from '../../internal/objects.js';

/**
 * Input values are validated and turned into this form once: leaves carry
 * their complete encoding (control bytes and payload), containers their
 * children, and every node a `key` that is equal exactly for values that
 * encode identically — the data section uses it to store repeats once.
 */
export type EncodedNode =
  | { readonly kind: 'leaf'; readonly key: string; readonly bytes: Uint8Array }
  | { readonly kind: 'map'; readonly key: string; readonly children: readonly EncodedNode[] }
  | { readonly kind: 'array'; readonly key: string; readonly children: readonly EncodedNode[] };

/** Data type numbers from the MaxMind DB spec, section "Output Data Section". */
export const DataType = {
  Pointer: 1,
  Utf8String: 2,
  Double: 3,
  Bytes: 4,
  Uint16: 5,
  Uint32: 6,
  Map: 7,
  Int32: 8,
  Uint64: 9,
  Uint128: 10,
  Array: 11,
  Boolean: 14,
  Float: 15,
} as const;

/** Largest payload size (or map/array length) a control byte can express. */
const MAX_FIELD_SIZE = 65_821 + 0xff_ffff;
// Real records nest a handful of levels; a hostile or cyclic-looking document
// must not be able to exhaust the stack.
const MAX_DEPTH = 64;
const FLOAT32_MAX = 3.4028234663852886e38;

/** Control byte(s) for a field of `type` whose size (bytes, or entries for maps/arrays) is `size`. */
export function controlBytes(type: number, size: number): number[] {
  const out: number[] = [];
  const typeBits = type <= 7 ? type << 5 : 0;
  let sizeBits: number;
  const extra: number[] = [];
  if (size < 29) sizeBits = size;
  else if (size < 285) {
    sizeBits = 29;
    extra.push(size - 29);
  } else if (size < 65_821) {
    sizeBits = 30;
    const v = size - 285;
    extra.push(v >> 8, v & 0xff);
  } else {
    sizeBits = 31;
    const v = size - 65_821;
    extra.push(v >> 16, (v >> 8) & 0xff, v & 0xff);
  }
  out.push(typeBits | sizeBits);
  // Extended types (8 and up) put `type - 7` in the byte after the control byte.
  if (type > 7) out.push(type - 7);
  out.push(...extra);
  return out;
}

function leaf(key: string, type: number, payload: Uint8Array | number[], size = payload.length): EncodedNode {
  const head = controlBytes(type, size);
  const bytes = new Uint8Array(head.length + payload.length);
  bytes.set(head, 0);
  bytes.set(payload, head.length);
  return { kind: 'leaf', key, bytes };
}

function unsignedBytes(value: bigint): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 0n) {
    out.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

function unsignedLeaf(type: number, value: bigint): EncodedNode {
  return leaf(`u${type}:${value};`, type, unsignedBytes(value));
}

function int32Leaf(value: number): EncodedNode {
  // Readers decode fewer than four bytes as unsigned, so negatives always take four.
  if (value >= 0) return leaf(`i:${value};`, DataType.Int32, unsignedBytes(BigInt(value)));
  const payload = new Uint8Array(4);
  new DataView(payload.buffer).setInt32(0, value);
  return leaf(`i:${value};`, DataType.Int32, payload);
}

function doubleLeaf(value: number): EncodedNode {
  const payload = new Uint8Array(8);
  new DataView(payload.buffer).setFloat64(0, value);
  return leaf(`d:${Object.is(value, -0) ? '-0' : value};`, DataType.Double, payload);
}

function floatLeaf(value: number): EncodedNode {
  const payload = new Uint8Array(4);
  new DataView(payload.buffer).setFloat32(0, value);
  return leaf(`f:${Object.is(value, -0) ? '-0' : value};`, DataType.Float, payload);
}

const TRUE_LEAF = leaf('T', DataType.Boolean, [], 1);
const FALSE_LEAF = leaf('F', DataType.Boolean, [], 0);
// Lone surrogates have no UTF-8 encoding; Buffer would silently write U+FFFD.
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Validates input values and converts them to {@link EncodedNode}s, reporting
 * the JSON path of anything it cannot store. Repeated strings are converted once.
 */
export class ValueEncoder {
  readonly #strings = new Map<string, EncodedNode>();
  // The containers being converted, outermost first: a value found here again is a cycle.
  readonly #stack: object[] = [];

  /** Converts a record (a plain object) found at `path`. */
  record(value: unknown, path: string): EncodedNode {
    if (!isPlainObject(value)) this.#fail(path, `record must be a plain object, got ${describe(value)}`);
    return this.value(value, path, 0);
  }

  /** Converts a UTF-8 string (also used for metadata). */
  string(value: string, path: string): EncodedNode {
    const cached = this.#strings.get(value);
    if (cached) return cached;
    if (LONE_SURROGATE.test(value)) this.#fail(path, 'string contains a lone UTF-16 surrogate (not valid UTF-8)');
    const payload = Buffer.from(value, 'utf8');
    if (payload.length > MAX_FIELD_SIZE) this.#fail(path, `string is ${payload.length} bytes long; the format allows at most ${MAX_FIELD_SIZE}`);
    const node = leaf(JSON.stringify(value), DataType.Utf8String, payload);
    this.#strings.set(value, node);
    return node;
  }

  /** Converts any storable value found at `path`. */
  value(value: unknown, path: string, depth: number): EncodedNode {
    switch (typeof value) {
      case 'string':
        return this.string(value, path);
      case 'boolean':
        return value ? TRUE_LEAF : FALSE_LEAF;
      case 'number':
        return this.#number(value, path);
      case 'bigint':
        return this.#bigint(value, path);
      case 'object':
        if (value === null) break;
        return this.#object(value, path, depth);
      default:
        break;
    }
    this.#fail(path, `unsupported value: ${describe(value)}`);
  }

  #number(value: number, path: string): EncodedNode {
    if (!Number.isFinite(value)) this.#fail(path, `unsupported number ${String(value)} (only finite numbers can be stored)`);
    if (Number.isInteger(value) && !Object.is(value, -0)) {
      if (value >= 0 && value < 2 ** 32) return unsignedLeaf(DataType.Uint32, BigInt(value));
      if (value < 0 && value >= -(2 ** 31)) return int32Leaf(value);
    }
    return doubleLeaf(value);
  }

  #bigint(value: bigint, path: string): EncodedNode {
    if (value < 0n) this.#fail(path, `negative bigint ${value} cannot be stored (uint64/uint128 are unsigned)`);
    if (value < 1n << 64n) return unsignedLeaf(DataType.Uint64, value);
    if (value < 1n << 128n) return unsignedLeaf(DataType.Uint128, value);
    this.#fail(path, `bigint ${value} does not fit in uint128`);
  }

  #typed(value: MmdbNumber, path: string): EncodedNode {
    const { type, value: raw } = value;
    const asBigint = (): bigint => {
      if (typeof raw === 'bigint') return raw;
      if (!Number.isSafeInteger(raw)) this.#fail(path, `${type} value ${String(raw)} is not an integer`);
      return BigInt(raw);
    };
    const asNumber = (): number => {
      if (typeof raw !== 'number' || !Number.isFinite(raw)) this.#fail(path, `${type} value must be a finite number, got ${describe(raw)}`);
      return raw;
    };
    const inRange = (v: bigint, min: bigint, max: bigint): bigint => {
      if (v < min || v > max) this.#fail(path, `${type} value ${v} is out of range [${min}, ${max}]`);
      return v;
    };
    switch (type) {
      case 'uint16':
        return unsignedLeaf(DataType.Uint16, inRange(asBigint(), 0n, 0xffffn));
      case 'uint32':
        return unsignedLeaf(DataType.Uint32, inRange(asBigint(), 0n, 0xffff_ffffn));
      case 'uint64':
        return unsignedLeaf(DataType.Uint64, inRange(asBigint(), 0n, (1n << 64n) - 1n));
      case 'uint128':
        return unsignedLeaf(DataType.Uint128, inRange(asBigint(), 0n, (1n << 128n) - 1n));
      case 'int32':
        return int32Leaf(Number(inRange(asBigint(), -(1n << 31n), (1n << 31n) - 1n)));
      case 'double':
        return doubleLeaf(asNumber());
      case 'float': {
        const v = asNumber();
        if (Math.abs(v) > FLOAT32_MAX) this.#fail(path, `float value ${v} is out of the binary32 range`);
        return floatLeaf(v);
      }
      default:
        this.#fail(path, `unknown MmdbNumber type ${JSON.stringify(type as unknown)}`);
    }
  }

  #object(value: object, path: string, depth: number): EncodedNode {
    if (value instanceof MmdbNumber) return this.#typed(value, path);
    if (value instanceof Uint8Array) {
      if (value.length > MAX_FIELD_SIZE) this.#fail(path, `bytes value is ${value.length} bytes long; the format allows at most ${MAX_FIELD_SIZE}`);
      return leaf(`b${Buffer.from(value.buffer, value.byteOffset, value.length).toString('base64')};`, DataType.Bytes, value);
    }
    if (this.#stack.includes(value)) this.#fail(path, 'value refers to itself (cycle)');
    if (depth >= MAX_DEPTH) this.#fail(path, `values nest more than ${MAX_DEPTH} levels deep`);
    const isArray = Array.isArray(value);
    if (!isArray && !isPlainObject(value)) this.#fail(path, `unsupported value: ${describe(value)}`);
    this.#stack.push(value);
    try {
      return isArray ? this.#array(value, path, depth) : this.#map(value as Record<string, unknown>, path, depth);
    } finally {
      this.#stack.pop();
    }
  }

  #array(value: readonly unknown[], path: string, depth: number): EncodedNode {
    if (value.length > MAX_FIELD_SIZE) this.#fail(path, `array has ${value.length} items; the format allows at most ${MAX_FIELD_SIZE}`);
    const children: EncodedNode[] = [];
    let key = 'a[';
    for (let i = 0; i < value.length; i++) {
      // `i in value` tells a hole from an explicit undefined; both are refused.
      const child = this.value(i in value ? value[i] : undefined, `${path}[${i}]`, depth + 1);
      children.push(child);
      key += child.key;
    }
    return { kind: 'array', key: `${key}]`, children };
  }

  #map(value: Record<string, unknown>, path: string, depth: number): EncodedNode {
    const keys = Object.keys(value);
    if (keys.length > MAX_FIELD_SIZE) this.#fail(path, `map has ${keys.length} keys; the format allows at most ${MAX_FIELD_SIZE}`);
    const children: EncodedNode[] = [];
    let key = 'm{';
    for (const k of keys) {
      const childPath = `${path}${/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`}`;
      // Readers build records with `obj[key] = value`; this key would replace
      // the record's prototype instead of becoming a field.
      if (k === '__proto__') this.#fail(childPath, 'the key "__proto__" cannot be read back as a field');
      const keyNode = this.string(k, childPath);
      const valueNode = this.value(value[k], childPath, depth + 1);
      children.push(keyNode, valueNode);
      key += `${keyNode.key}:${valueNode.key},`;
    }
    return { kind: 'map', key: `${key}}`, children };
  }

  #fail(path: string, message: string): never {
    throw new GeoadmitError(ErrorCode.InvalidDatabaseInput, `${path}: ${message}`, { path });
  }
}

/** True for `{}`-literals and `Object.create(null)` objects; false for class instances, arrays, etc. (one definition, shared). */
export { isPlainObject };
