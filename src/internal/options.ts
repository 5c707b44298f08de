/**
 * The one way geoadmit reads options: every public factory and function
 * that takes an options object reads it through {@link optionValues}, which
 * refuses unknown keys (naming the closest known one), reads each known key
 * exactly once (a getter that throws, or a Proxy, is a configuration error,
 * never a bare error), and checks each value against its type with one
 * message style: `<where>: <option> must be <what>, not <value>`.
 *
 * The list of known keys comes from {@link keysOf}, a record typed by the
 * options interface itself: adding an option without listing it, or listing
 * one that does not exist, fails to compile.
 */
import { types } from 'node:util';
import { ErrorCode, GeoadmitError, isGeoadmitError } from '../errors/index.js';

/**
 * The keys of an options type, from a record that must name every one of
 * them (and nothing else): `keysOf<GateOptions>({ geo: true, ... })`.
 */
export function keysOf<T extends object>(keys: { readonly [K in keyof Required<T>]: true }): readonly (keyof T & string)[] {
  return Object.freeze(Object.keys(keys)) as readonly (keyof T & string)[];
}

/** Longest value text in a message; the rest is cut (a message is one line, not a dump). */
const MAX_SHOWN = 80;

/**
 * A short, safe description of any value for an error message: strings
 * quoted and cut, numbers as written (`NaN`, `Infinity`, `-0`), bigints with
 * `n`, symbols, functions and objects by kind (`a function`, `a Proxy`, `an
 * array of 3 entries`, `a Map`, `an object`). Never throws, never calls a
 * getter, a `toString` or a `toJSON`, never runs a Proxy's traps.
 */
export function describeValue(value: unknown): string {
  try {
    switch (typeof value) {
      case 'string': {
        const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
        return JSON.stringify(shown);
      }
      case 'number':
        return Object.is(value, -0) ? '-0' : String(value);
      case 'bigint':
        return `${value.toString()}n (a bigint)`;
      case 'boolean':
        return String(value);
      case 'undefined':
        return 'undefined';
      case 'symbol':
        return 'a symbol';
      case 'function':
        return types.isProxy(value) ? 'a Proxy' : 'a function';
      default:
        break;
    }
    if (value === null) return 'null';
    if (types.isProxy(value)) return 'a Proxy';
    if (Array.isArray(value)) return `an array of ${value.length} ${value.length === 1 ? 'entry' : 'entries'}`;
    if (value instanceof Uint8Array) return `a ${value.constructor === Buffer ? 'Buffer' : 'Uint8Array'} of ${value.length} bytes`;
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) return 'an object';
    // The constructor's name from its own data property only: no getter runs.
    const ctor = proto === null || typeof proto !== 'object' ? undefined : Object.getOwnPropertyDescriptor(proto, 'constructor')?.value;
    const name = typeof ctor === 'function' ? Object.getOwnPropertyDescriptor(ctor, 'name')?.value : undefined;
    return typeof name === 'string' && /^[A-Za-z_$][\w$]{0,40}$/.test(name) ? `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}` : 'an object';
  } catch {
    return 'a value that cannot be described';
  }
}

/**
 * `Array.isArray` that cannot throw: it throws for a revoked Proxy, which is
 * then no array (and is refused by whatever expected one).
 */
export function isArray(value: unknown): value is unknown[] {
  try {
    return Array.isArray(value);
  } catch {
    return false;
  }
}

/** The option's name as an error shows it: `audit.ip`, `rules[2]`. */
function joinName(prefix: string, key: string): string {
  return `${prefix}${key}`;
}

/** The `E_INVALID_CONFIG` error every option check throws: `<where>: <argument> <text>`. */
export function configError(where: string, argument: string, text: string, cause?: unknown): GeoadmitError {
  return new GeoadmitError(ErrorCode.InvalidConfig, `${where}: ${argument} ${text}`, { argument, ...(cause === undefined ? {} : { cause }) });
}

/** The `E_INVALID_CONFIG` error for a value of the wrong type: `<where>: <argument> must be <expected>, not <value>`. */
export function wrongValue(where: string, argument: string, expected: string, value: unknown): GeoadmitError {
  return configError(where, argument, `must be ${expected}, not ${describeValue(value)}`);
}

/** Own enumerable string keys of an object from outside, or why they cannot be read. */
function ownKeys(options: object, where: string, argument: string): string[] {
  try {
    return Object.keys(options);
  } catch (error) {
    throw configError(where, argument, 'could not be read (its keys threw)', error);
  }
}

/**
 * Refuses option keys the callee does not know, naming the closest known one:
 * a misspelt option (`trustedProxy`) silently ignored can turn enforcement off.
 *
 * @param options the options object as the caller passed it
 * @param known every key the callee accepts (from {@link keysOf})
 * @param where the function or option object, e.g. `createGate`
 * @param prefix prefix for the argument name in the error (`audit.`)
 */
export function assertKnownKeys(options: unknown, known: readonly string[], where: string, prefix = ''): void {
  const self = prefix === '' ? 'options' : prefix.slice(0, -1);
  if (options === null || typeof options !== 'object' || isArray(options)) throw wrongValue(where, self, 'an object', options);
  for (const key of ownKeys(options, where, self)) {
    if (known.includes(key)) continue;
    const suggestion = closestName(key, known);
    throw new GeoadmitError(
      ErrorCode.InvalidConfig,
      `${where}: unknown option ${describeValue(joinName(prefix, key))}${suggestion !== undefined ? ` (did you mean ${JSON.stringify(joinName(prefix, suggestion))}?)` : ''}`,
      { argument: joinName(prefix, key) },
    );
  }
}

/**
 * Runs `fn`, the body of a public function whose arguments are read deep
 * inside it, and turns anything it throws that is not a `GeoadmitError` into
 * one: a getter or Proxy trap that throws while geoadmit reads an argument is
 * the caller's bad input (`code`, default `E_INVALID_CONFIG`, naming
 * `argument`), never a bare error. Promises are followed the same way.
 */
export function guardInput<T>(where: string, argument: string, fn: () => T, code: ErrorCode = ErrorCode.InvalidConfig): T {
  const wrap = (error: unknown): GeoadmitError => {
    if (isGeoadmitError(error)) return error;
    return new GeoadmitError(code, `${where}: ${argument} could not be read (${describeThrown(error)})`, { argument, cause: error });
  };
  let result: T;
  try {
    result = fn();
  } catch (error) {
    throw wrap(error);
  }
  if (result instanceof Promise) {
    return result.catch((error: unknown) => {
      throw wrap(error);
    }) as T;
  }
  return result;
}

/** An error's message for another message, safely (anything can be thrown). */
function describeThrown(error: unknown): string {
  try {
    if (error instanceof Error) {
      const message = Object.getOwnPropertyDescriptor(error, 'message')?.value;
      if (typeof message === 'string') return message.length > 200 ? `${message.slice(0, 200)}…` : message;
    }
  } catch {
    // a Proxy posing as an error
  }
  return describeValue(error);
}

/**
 * The arguments of an HTTP admission adapter: `gate` must be a gate, the
 * options a known-key object whose `join` is a function and whose other
 * members (`onError`, `onDenied`, `peerAddress`) are functions when given.
 */
export function adapterOptions<T extends object>(where: string, gate: unknown, options: unknown, known: readonly (keyof T & string)[]): OptionValues<T> {
  let admit: unknown;
  try {
    admit = gate === null || typeof gate !== 'object' ? undefined : (gate as { admit?: unknown }).admit;
  } catch {
    admit = undefined;
  }
  if (typeof admit !== 'function') throw wrongValue(where, 'gate', 'a gate (from createGate)', gate);
  const o = optionValues<T>(options, where, known);
  for (const key of known) {
    if (key === 'join') {
      if (typeof o.raw(key) !== 'function') throw o.wrong(key, 'a function returning { meetingId, participantId }');
    } else if (key !== 'gate' && key !== 'hook') o.func(key);
  }
  return o;
}

/** Most entries an option list may have (rules, sources, restriction documents at creation). */
const MAX_OPTION_LIST = 100_000;

/**
 * The values of an options object, each known key read exactly once, with
 * typed checks that throw `E_INVALID_CONFIG` in the one message style.
 * `undefined` for any key means "not given" (the default applies).
 */
export class OptionValues<T extends object> {
  readonly #values: Map<string, unknown>;
  /** The function the options belong to, e.g. `createGate`. */
  readonly where: string;
  readonly #prefix: string;

  constructor(values: Map<string, unknown>, where: string, prefix: string) {
    this.#values = values;
    this.where = where;
    this.#prefix = prefix;
  }

  /** The option's name as errors show it (`audit.ip`). */
  name(key: keyof T & string): string {
    return joinName(this.#prefix, key);
  }

  /** The value as given (read once), unchecked. */
  raw(key: keyof T & string): unknown {
    return this.#values.get(key);
  }

  /** The `E_INVALID_CONFIG` error for `key`: `<where>: <key> must be <expected>, not <value>`. */
  wrong(key: keyof T & string, expected: string, value: unknown = this.raw(key)): GeoadmitError {
    return wrongValue(this.where, this.name(key), expected, value);
  }

  /** One of `allowed` (strings), or `fallback` when not given. */
  oneOf<V extends string>(key: keyof T & string, allowed: readonly V[], fallback: V): V;
  oneOf<V extends string>(key: keyof T & string, allowed: readonly V[]): V | undefined;
  oneOf<V extends string>(key: keyof T & string, allowed: readonly V[], fallback?: V): V | undefined {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as V;
    throw this.wrong(key, allowed.map((a) => `'${a}'`).join(' or '));
  }

  /** A boolean, or `fallback` when not given. */
  boolean(key: keyof T & string, fallback: boolean): boolean {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    if (typeof value === 'boolean') return value;
    throw this.wrong(key, 'true or false');
  }

  /**
   * A finite number in `[min, max]` (an integer when `integer`), or
   * `fallback` when not given. Durations use {@link duration}.
   */
  number(key: keyof T & string, fallback: number, limits: { min?: number; max?: number; integer?: boolean; what?: string } = {}): number {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    const min = limits.min ?? Number.NEGATIVE_INFINITY;
    const max = limits.max ?? Number.POSITIVE_INFINITY;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (limits.integer === true && !Number.isInteger(value))) {
      const range = `${Number.isFinite(min) ? `from ${min} ` : ''}${Number.isFinite(max) ? `to ${max}` : ''}`.trim();
      throw this.wrong(key, limits.what ?? `a${limits.integer === true ? 'n integer' : ' number'}${range === '' ? '' : ` ${range}`}`);
    }
    return value;
  }

  /** A positive number of milliseconds a timer can wait (at most 2^31 - 1), or `fallback` when not given. */
  duration(key: keyof T & string, fallback: number): number {
    return this.number(key, fallback, { min: Number.MIN_VALUE, max: 2_147_483_647, what: 'a positive number of milliseconds (at most 2147483647)' });
  }

  /** A string (non-empty, at most `maxLength` characters), or undefined when not given. */
  string(key: keyof T & string, limits: { maxLength?: number; what?: string } = {}): string | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    const max = limits.maxLength ?? 4096;
    if (typeof value === 'string' && value.length > 0 && value.length <= max) return value;
    throw this.wrong(key, limits.what ?? `a non-empty string of at most ${max} characters`);
  }

  /** A function, or undefined when not given. */
  func<F extends (...args: never[]) => unknown>(key: keyof T & string, what = 'a function'): F | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value === 'function') return value as F;
    throw this.wrong(key, what);
  }

  /**
   * A plain list (an array without holes, accessors or Proxy, at most
   * 100,000 entries), copied; `[]` when not given.
   */
  list(key: keyof T & string, what = 'an array'): unknown[] {
    const value = this.raw(key);
    if (value === undefined) return [];
    return readList(value, this.where, this.name(key), what);
  }

  /**
   * A nested options object (`audit`), read the same way; keys named with
   * this option's name as prefix (`audit.ip`). `{}` when not given.
   */
  nested<N extends object>(key: keyof T & string, known: readonly (keyof N & string)[]): OptionValues<N> {
    const value = this.raw(key);
    return optionValues<N>(value === undefined ? {} : value, this.where, known, `${this.name(key)}.`);
  }
}

/**
 * An array from outside as a copy of its entries, or `E_INVALID_CONFIG`:
 * not an array, a Proxy, an array subclass, holes, accessor entries, or more
 * than 100,000 entries.
 */
export function readList(value: unknown, where: string, argument: string, what = 'an array'): unknown[] {
  if (!isArray(value)) throw wrongValue(where, argument, what, value);
  if (types.isProxy(value)) throw wrongValue(where, argument, `${what} (not a Proxy)`, value);
  if (Object.getPrototypeOf(value) !== Array.prototype) throw wrongValue(where, argument, `${what} (a plain array)`, value);
  const length = value.length;
  if (length > MAX_OPTION_LIST) throw configError(where, argument, `has ${length} entries (at most ${MAX_OPTION_LIST})`);
  const out: unknown[] = new Array(length);
  for (let i = 0; i < length; i++) {
    const d = Object.getOwnPropertyDescriptor(value, i);
    if (d === undefined) throw configError(where, `${argument}[${i}]`, `is missing (${argument} has a hole at index ${i})`);
    if (d.get !== undefined || d.set !== undefined) throw configError(where, `${argument}[${i}]`, 'is an accessor (getter or setter), not a value');
    out[i] = d.value;
  }
  return out;
}

/**
 * Reads an options object once: refuses a value that is not an object,
 * unknown keys (naming the closest known one), and keys whose reading throws;
 * the values are then checked through the returned {@link OptionValues}
 * (`o.string('url')`, `o.duration('timeoutMs', 5000)`, ...).
 */
export function optionValues<T extends object>(options: unknown, where: string, known: readonly (keyof T & string)[], prefix = ''): OptionValues<T> {
  assertKnownKeys(options, known, where, prefix);
  const values = new Map<string, unknown>();
  for (const key of known) {
    let value: unknown;
    try {
      value = (options as Record<string, unknown>)[key];
    } catch (error) {
      throw configError(where, joinName(prefix, key), 'could not be read (its getter threw)', error);
    }
    values.set(key, value);
  }
  return new OptionValues<T>(values, where, prefix);
}

/**
 * The candidate nearest to `name` by edit distance (case-insensitive), when it
 * is near enough to be a plausible typo: at most a third of the longer name's
 * length, or a prefix relation (`trustedProxy` → `trustedProxies`).
 */
function closestName(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    const distance = c.startsWith(lower) || lower.startsWith(c) ? Math.min(1, editDistance(lower, c)) : editDistance(lower, c);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.ceil(Math.max(name.length, best.length) / 3));
  return bestDistance <= limit ? best : undefined;
}

/** Levenshtein distance, two rows. Names are short (long ones are cut), so this stays cheap. */
function editDistance(a: string, b: string): number {
  const x = a.slice(0, 64);
  const y = b.slice(0, 64);
  let previous = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      const substitution = previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[y.length]!;
}
