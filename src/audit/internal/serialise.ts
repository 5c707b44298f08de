import { canonicalJson } from '../../internal/canonical-json.js';

/**
 * Canonical JSON of the event shapes the sink records, written directly: the
 * keys of each known shape are sorted once, here, instead of per event (the
 * general {@link canonicalJson} sorts every object's keys and walks every
 * value generically). Output is byte-for-byte the canonical form — a property
 * test checks it for every event type — because the hash chain hashes it.
 *
 * Anything outside the known shapes (an unknown key, an object where a string
 * belongs, a `toJSON`, a nested object of unknown shape) makes the whole event
 * fall back to {@link canonicalJson}, so hostile or future events are still
 * serialised exactly as before, only slower.
 */
export function serialiseRecord(record: object): string {
  const shape = typeof (record as { type?: unknown }).type === 'string' ? SHAPES.get((record as { type: string }).type) : undefined;
  if (shape === undefined || hasToJson(record)) return canonicalJson(record);
  irregular = false;
  const text = writeShape(record, shape);
  return irregular ? canonicalJson(record) : text;
}

/** Set by a writer that met something outside its shape; the caller then falls back. */
let irregular = false;

type Writer = (value: unknown) => string;

interface Shape {
  /** Keys in canonical (sorted) order. */
  readonly keys: readonly string[];
  /** `"key":` for each key, precomputed. */
  readonly quoted: readonly string[];
  readonly writers: readonly Writer[];
  /** key → index in `keys`. */
  readonly index: ReadonlyMap<string, number>;
  /** The last own-key list seen and its plan (see {@link planOf}). */
  last?: { keys: readonly string[]; plan: readonly number[] };
}

function shape(fields: Record<string, Writer>): Shape {
  const keys = Object.keys(fields).sort();
  return {
    keys,
    quoted: keys.map((k) => `${JSON.stringify(k)}:`),
    writers: keys.map((k) => fields[k] as Writer),
    index: new Map(keys.map((k, i) => [k, i])),
  };
}

function hasToJson(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/**
 * The indices (into the shape's sorted keys) of an object's own keys, in
 * canonical order; `undefined` when it has a key outside the shape. The gate
 * builds each event type with the same keys in the same order, so the plan
 * for the last key list seen is kept and reused when the next one is equal.
 */
function planOf(own: readonly string[], s: Shape): readonly number[] | undefined {
  const last = s.last;
  if (last !== undefined && last.keys.length === own.length) {
    let same = true;
    for (let i = 0; i < own.length; i++) {
      if (last.keys[i] !== own[i]) {
        same = false;
        break;
      }
    }
    if (same) return last.plan;
  }
  const plan: number[] = [];
  for (const key of own) {
    const at = s.index.get(key);
    if (at === undefined) return undefined;
    plan.push(at);
  }
  plan.sort((a, b) => a - b);
  s.last = { keys: own, plan };
  return plan;
}

function writeShape(value: object, s: Shape): string {
  const plan = planOf(Object.keys(value), s);
  if (plan === undefined) {
    irregular = true;
    return '';
  }
  let out = '{';
  let first = true;
  for (let k = 0; k < plan.length; k++) {
    const i = plan[k] as number;
    const v = (value as Record<string, unknown>)[s.keys[i] as string];
    // JSON drops undefined and function members from objects.
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    const text = (s.writers[i] as Writer)(v);
    out += first ? s.quoted[i] + text : `,${s.quoted[i]}${text}`;
    first = false;
  }
  return `${out}}`;
}

/** Characters JSON escapes (and lone surrogates, which it writes as escapes): strings without them are quoted as they are. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify` of a string, without its escaping pass for the common case of nothing to escape. */
function quote(v: string): string {
  return v.length < 256 && !NEEDS_ESCAPE.test(v) ? `"${v}"` : JSON.stringify(v);
}

/** A primitive; an object or array outside a known shape is irregular. */
const scalar: Writer = (v) => {
  switch (typeof v) {
    case 'string':
      return quote(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      if (v === null) return 'null';
      irregular = true;
      return '';
  }
};

function arrayOf(element: Writer): Writer {
  return (v) => {
    if (!Array.isArray(v)) {
      irregular = true;
      return '';
    }
    let out = '[';
    for (let i = 0; i < v.length; i++) {
      const e: unknown = v[i];
      // JSON writes null for holes, undefined and functions in arrays.
      const text = e === undefined || typeof e === 'function' || typeof e === 'symbol' ? 'null' : element(e);
      out += i === 0 ? text : `,${text}`;
    }
    return `${out}]`;
  };
}

function objectOf(s: Shape): Writer {
  return (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || hasToJson(v)) {
      irregular = true;
      return '';
    }
    return writeShape(v, s);
  };
}

/** A record of numbers (`audit.gap` types): keys sorted per record. */
const numberRecord: Writer = (v) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || hasToJson(v)) {
    irregular = true;
    return '';
  }
  let out = '{';
  let first = true;
  for (const key of Object.keys(v).sort()) {
    const n = (v as Record<string, unknown>)[key];
    if (n === undefined || typeof n === 'function' || typeof n === 'symbol') continue;
    out += `${first ? '' : ','}${quote(key)}:${scalar(n)}`;
    first = false;
  }
  return `${out}}`;
};

const strings = arrayOf(scalar);

const reason = objectOf(shape({ code: scalar, restrictionId: scalar, region: scalar, rule: scalar, message: scalar }));
const reasons = arrayOf(reason);

const location = objectOf(
  shape({
    country: scalar,
    subdivisions: strings,
    anonymizer: scalar,
    source: scalar,
    network: scalar,
    databaseBuilt: scalar,
    unknown: scalar,
  }),
);

const authority = objectOf(shape({ name: scalar, jurisdiction: scalar }));
const scope = objectOf(shape({ meetings: strings, hostAccounts: strings, all: scalar }));
const previous = objectOf(shape({ file: scalar, seq: scalar, hash: scalar }));

const store = shape({
  type: scalar,
  time: scalar,
  node: scalar,
  store: scalar,
  message: scalar,
  version: scalar,
  missing: strings,
  missingExemptions: strings,
});

/** Every event type the gate emits and every record the log writes about itself. */
const SHAPES: ReadonlyMap<string, Shape> = new Map<string, Shape>([
  [
    'decision',
    shape({
      type: scalar,
      time: scalar,
      node: scalar,
      meetingId: scalar,
      hostAccountId: scalar,
      participantId: scalar,
      outcome: scalar,
      reasons,
      dryRun: reasons,
      restrictionIds: strings,
      location,
      address: scalar,
    }),
  ],
  [
    'removal',
    shape({
      type: scalar,
      time: scalar,
      node: scalar,
      meetingId: scalar,
      hostAccountId: scalar,
      participantId: scalar,
      restrictionId: scalar,
      reasons,
      location,
      address: scalar,
      status: scalar,
    }),
  ],
  [
    'restriction.accepted',
    shape({
      type: scalar,
      time: scalar,
      node: scalar,
      restrictionId: scalar,
      digest: scalar,
      kind: scalar,
      authority,
      regions: strings,
      allowRegions: strings,
      scope,
      mode: scalar,
      validFrom: scalar,
      validUntil: scalar,
      reference: scalar,
      warnings: strings,
      meetingsReached: scalar,
      meetingsUndisturbed: scalar,
      reachedMeetings: strings,
      undisturbedMeetings: strings,
      removed: scalar,
    }),
  ],
  [
    'restriction.refused',
    shape({
      type: scalar,
      time: scalar,
      node: scalar,
      restrictionId: scalar,
      digest: scalar,
      kind: scalar,
      authority,
      regions: strings,
      code: scalar,
      reason: scalar,
      path: scalar,
      reference: scalar,
    }),
  ],
  ['restriction.lifted', shape({ type: scalar, time: scalar, node: scalar, restrictionId: scalar, digest: scalar, kind: scalar, authority, expired: scalar })],
  [
    'exemption.granted',
    shape({
      type: scalar,
      time: scalar,
      node: scalar,
      exemptionId: scalar,
      restrictionId: scalar,
      restrictionDigest: scalar,
      kind: scalar,
      authority,
      participants: strings,
      hostAccounts: strings,
      networks: scalar,
      reason: scalar,
      validUntil: scalar,
    }),
  ],
  [
    'exemption.revoked',
    shape({ type: scalar, time: scalar, node: scalar, exemptionId: scalar, restrictionId: scalar, kind: scalar, authority, expired: scalar }),
  ],
  ['geo.reloaded', shape({ type: scalar, time: scalar, node: scalar, source: scalar, file: scalar, databaseBuilt: scalar })],
  ['store.disconnected', store],
  ['store.reconnected', store],
  ['store.resynced', store],
  ['store.regressed', store],
  ['warning', shape({ type: scalar, time: scalar, node: scalar, code: scalar, message: scalar, peer: scalar })],
  [
    'error',
    shape({
      type: scalar,
      time: scalar,
      node: scalar,
      context: scalar,
      message: scalar,
      code: scalar,
      meetingId: scalar,
      participantId: scalar,
      rule: scalar,
      file: scalar,
    }),
  ],
  ['audit.start', shape({ type: scalar, time: scalar, version: scalar, previous })],
  ['audit.gap', shape({ type: scalar, time: scalar, dropped: scalar, from: scalar, to: scalar, types: numberRecord })],
  ['audit.checkpoint', shape({ type: scalar, time: scalar, seq: scalar, hash: scalar, signature: scalar, publicKeyFingerprint: scalar })],
]);

/** Event types with a direct serialiser (tests enumerate them). */
export const SERIALISED_TYPES: readonly string[] = [...SHAPES.keys()];
