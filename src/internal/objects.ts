/**
 * Shared primitives for reading values that came from outside (documents,
 * joins, options): below every other folder, exported by none.
 */
import { types } from 'node:util';

/**
 * The text of whatever was thrown, for another message: an `Error`'s
 * message, otherwise the value as a string. Never throws itself (a thrown
 * Proxy, a throwing `message` getter or an object without `toString`).
 */
export function errorText(error: unknown): string {
  try {
    if (error instanceof Error) {
      const text: unknown = error.message;
      if (typeof text === 'string') return text;
    }
    return String(error);
  } catch {
    return 'a value that cannot be shown as text';
  }
}

/** A non-null, non-array object. Says nothing about its prototype or accessors. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  try {
    return !Array.isArray(value);
  } catch {
    return false; // a revoked Proxy: nothing can be read from it
  }
}

/** A `{}` literal or an `Object.create(null)` object: false for class instances, Dates, arrays, Proxies' targets aside. */
export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Bounds for {@link plainDataSnapshot}. */
interface SnapshotLimits {
  /** Most bytes the value may take serialised as JSON (counted while walking, never by serialising). */
  readonly maxBytes: number;
  /** Most entries in any one array, and most keys in any one object. */
  readonly maxListLength: number;
  /** Deepest nesting of arrays and objects. Default 64. */
  readonly maxDepth?: number;
}

/** Why a value is not plain data, and where (path segments from the root). */
interface SnapshotRefusal {
  readonly ok: false;
  readonly path: readonly (string | number)[];
  /** `too-large`, `too-long`, `too-deep`, `cyclic`, `proxy`, `accessor`, `not-plain`, `unreadable`. */
  readonly reason: 'too-large' | 'too-long' | 'too-deep' | 'cyclic' | 'proxy' | 'accessor' | 'not-plain' | 'unreadable';
  /** One line for an error message (without the path). */
  readonly message: string;
}

/** A copy of plain data, and its size serialised (JSON.stringify's length, with strings counted unescaped). */
interface SnapshotCopy {
  readonly ok: true;
  readonly value: unknown;
  readonly bytes: number;
}

class Refused extends Error {
  constructor(
    readonly reason: SnapshotRefusal['reason'],
    readonly detail: string,
    readonly at: readonly (string | number)[],
  ) {
    super(detail);
  }
}

/**
 * Copy JSON-like data (plain objects, arrays, strings, finite numbers,
 * booleans, null; `undefined` properties are kept as absent-like values)
 * within bounds, or say why it cannot be. What is refused, never read further:
 * a Proxy (its traps run arbitrary code), an accessor property (a getter can
 * throw or answer differently each time), an object whose prototype is not
 * `Object.prototype` or `null` (Date, Map, class instances), functions,
 * symbols and bigints, cycles, nesting deeper than `maxDepth`, a list or
 * object longer than `maxListLength`, and anything over `maxBytes` serialised.
 *
 * Work stops at the first refusal, and size is counted as the walk goes, so a
 * 10 MB document is refused after reading about `maxBytes` of it. The copy
 * is what callers validate and keep: the original is never read again.
 *
 * @example
 * const snap = plainDataSnapshot(doc, { maxBytes: 1 << 20, maxListLength: 100_000 });
 * if (!snap.ok) throw new Error(`${snap.path.join('.')}: ${snap.message}`);
 */
export function plainDataSnapshot(value: unknown, limits: SnapshotLimits): SnapshotCopy | SnapshotRefusal {
  const maxDepth = limits.maxDepth ?? 64;
  let bytes = 0;
  const ancestors = new Set<object>();
  const path: (string | number)[] = [];
  const refuse = (reason: SnapshotRefusal['reason'], detail: string): never => {
    throw new Refused(reason, detail, [...path]);
  };
  const spend = (n: number): void => {
    bytes += n;
    if (bytes > limits.maxBytes) refuse('too-large', `larger than ${limits.maxBytes} bytes serialised`);
  };

  const copy = (v: unknown, depth: number): unknown => {
    switch (typeof v) {
      case 'string':
        spend(v.length + 2);
        return v;
      case 'number':
        if (!Number.isFinite(v)) return refuse('not-plain', `${String(v)} is not a JSON number`);
        spend(String(v).length);
        return v;
      case 'boolean':
        spend(v ? 4 : 5);
        return v;
      case 'undefined':
        return undefined;
      case 'object':
        break;
      default:
        return refuse('not-plain', `a ${typeof v} is not JSON data`);
    }
    if (v === null) {
      spend(4);
      return null;
    }
    if (types.isProxy(v)) return refuse('proxy', 'a Proxy is not plain data');
    if (ancestors.has(v)) return refuse('cyclic', 'the value contains itself (a cycle)');
    if (depth >= maxDepth) return refuse('too-deep', `nested deeper than ${maxDepth} levels`);
    ancestors.add(v);
    try {
      return Array.isArray(v) ? copyArray(v, depth) : copyObject(v, depth);
    } finally {
      ancestors.delete(v);
    }
  };

  const property = (o: object, key: string | number): unknown => {
    let d: PropertyDescriptor | undefined;
    try {
      d = Object.getOwnPropertyDescriptor(o, key);
    } catch (error) {
      return refuse('unreadable', `could not be read (${errorText(error)})`);
    }
    if (d === undefined) return undefined; // an array hole
    if (d.get !== undefined || d.set !== undefined) return refuse('accessor', 'an accessor property (getter or setter) is not plain data');
    return d.value;
  };

  const copyArray = (a: unknown[], depth: number): unknown[] => {
    if (Object.getPrototypeOf(a) !== Array.prototype) refuse('not-plain', 'an array subclass is not plain data');
    const length = a.length;
    if (length > limits.maxListLength) refuse('too-long', `a list of ${length} entries (at most ${limits.maxListLength})`);
    spend(2 + Math.max(0, length - 1));
    const out: unknown[] = new Array(length);
    for (let i = 0; i < length; i++) {
      path.push(i);
      out[i] = copy(property(a, i), depth + 1);
      path.pop();
    }
    return out;
  };

  const copyObject = (o: object, depth: number): Record<string, unknown> => {
    const proto = Object.getPrototypeOf(o) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const name = (o as { constructor?: { name?: unknown } }).constructor?.name;
      refuse('not-plain', `${typeof name === 'string' && name !== '' ? `a ${name}` : 'an object with a prototype'} is not plain data`);
    }
    const keys = Object.keys(o);
    if (keys.length > limits.maxListLength) refuse('too-long', `an object with ${keys.length} keys (at most ${limits.maxListLength})`);
    spend(2 + Math.max(0, keys.length - 1));
    const entries: [string, unknown][] = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      path.push(key);
      spend(key.length + 3);
      entries[i] = [key, copy(property(o, key), depth + 1)];
      path.pop();
    }
    // Built by defining each property, never by assigning it: a key named __proto__ is stored as data, and a
    // setter someone put on Object.prototype is never called. (An object built this way stays a fast object;
    // one made with a null prototype and given one afterwards does not, and every later read of it is slower.)
    return Object.fromEntries(entries) as Record<string, unknown>;
  };

  try {
    const result = copy(value, 0);
    return { ok: true, value: result, bytes };
  } catch (error) {
    if (error instanceof Refused) return { ok: false, path: error.at, reason: error.reason, message: error.detail };
    // A stack overflow or a host object's own throw: unreadable, never a bare error to the caller.
    return { ok: false, path: [...path], reason: 'unreadable', message: `could not be read (${errorText(error)})` };
  }
}

/**
 * The entries of an array that came from outside, copied shallowly (each
 * entry still to be checked by the caller, within its own limits), or why
 * it cannot be read: a Proxy, an array subclass, more than `maxListLength`
 * entries, an accessor entry.
 */
export function plainListEntries(value: readonly unknown[], maxListLength: number): { ok: true; entries: unknown[] } | SnapshotRefusal {
  const refuse = (reason: SnapshotRefusal['reason'], message: string, path: (string | number)[] = []): SnapshotRefusal => ({
    ok: false,
    path,
    reason,
    message,
  });
  if (types.isProxy(value)) return refuse('proxy', 'a Proxy is not plain data');
  if (Object.getPrototypeOf(value) !== Array.prototype) return refuse('not-plain', 'an array subclass is not plain data');
  if (value.length > maxListLength) return refuse('too-long', `a list of ${value.length} entries (at most ${maxListLength})`);
  const entries: unknown[] = new Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const d = Object.getOwnPropertyDescriptor(value, i);
    if (d !== undefined && (d.get !== undefined || d.set !== undefined))
      return refuse('accessor', 'an accessor property (getter or setter) is not plain data', [i]);
    entries[i] = d?.value;
  }
  return { ok: true, entries };
}

/** `value[key]` for a value from outside, or undefined when reading it throws (a hostile Proxy or getter). */
export function member(value: unknown, key: string): unknown {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return undefined;
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}
