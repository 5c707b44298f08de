import { types } from 'node:util';
import type { core } from 'zod';
import { ErrorCode } from '../../errors/index.js';
import { isPlainObject, plainDataSnapshot } from '../../internal/objects.js';
import { parseInstant } from '../../internal/time.js';
import { containsCanonical } from '../../regions/index.js';
import type { NormalizedRestriction, PublicText, Restriction, RestrictionKind, ValidateRestrictionOptions } from '../types.js';
import { canonicalCode, LIMITS, type ParsedRestriction, parseValidRestriction, restrictionSchema, show } from './schema.js';

/** One problem with one document; `path` segments are relative to the document. */
export interface DocIssue {
  path: readonly PropertyKey[];
  message: string;
  code: ErrorCode;
}

/** Outcome of checking one document. */
export interface DocResult {
  restriction?: NormalizedRestriction;
  /** The document's id when readable (a non-empty string of at most 256 characters). */
  id?: string;
  issues: DocIssue[];
}

/**
 * Hostile input: a document over 1 MiB serialised, or with a list over 100,000
 * entries, is refused before schema validation (real orders are a few KB).
 */
export const DOCUMENT_LIMITS = Object.freeze({ maxBytes: 1024 * 1024, maxListLength: 100_000 });

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `$.regions[1]`, `$[2].scope`, `$["odd key"]`. */
export function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const key = String(seg);
      out += IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** Own properties only: a polluted `Object.prototype` must not supply fields. */
function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const t = typeof value;
  return t === 'object' ? 'an object' : t === 'undefined' ? 'missing' : `a ${t}`;
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string',
  array: 'an array',
  object: 'an object',
  number: 'a number',
  boolean: 'a boolean',
};

/** Turn one zod issue into our issues (an unknown-keys issue becomes one per key). */
function fromZod(issue: core.$ZodIssue): DocIssue[] {
  const code = ErrorCode.InvalidRestriction;
  const path = issue.path;
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: [...path, key], message: `unknown field ${show(key)}`, code }));
    case 'invalid_type': {
      if (issue.input === undefined) return [{ path, message: 'is required', code }];
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      return [{ path, message: `must be ${expected}, not ${typeName(issue.input)}`, code }];
    }
    default:
      return [{ path, message: issue.message, code }];
  }
}

// The lists and the authority of a normalised restriction are its source's own (frozen) ones wherever
// normalising changes nothing: a node holding thousands of restrictions keeps one copy of each, not two.

function canonicalList(list: readonly string[]): readonly string[] {
  // One region is the common case: no set needed to deduplicate it.
  if (list.length === 1) {
    const code = canonicalCode(list[0] as string) as string; // validated by the schema
    return code === list[0] ? list : Object.freeze([code]);
  }
  const out = new Set<string>();
  let same = true;
  for (const code of list) {
    const canonical = canonicalCode(code) as string;
    if (canonical !== code) same = false;
    out.add(canonical);
  }
  return same && out.size === list.length ? list : Object.freeze([...out]);
}

/** Shared by every normalised restriction without a list (frozen, so sharing it is safe). */
const NONE: readonly string[] = Object.freeze([]);

function uniqueList(list: readonly string[] | undefined): readonly string[] {
  if (list === undefined || list.length === 0) return NONE;
  if (list.length === 1) return list;
  const unique = new Set(list);
  return unique.size === list.length ? list : Object.freeze([...unique]);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function isDuplicate(id: string, existing: ValidateRestrictionOptions['existingIds']): boolean {
  if (existing === undefined) return false;
  return typeof existing === 'function' ? existing(id) === true : existing.has(id);
}

const WORDINGS = ['notice', 'appeal'] as const;

/** Rules that relate several fields; reads the raw document defensively (it may be invalid). */
function crossFieldIssues(raw: Record<string, unknown>, options: ValidateRestrictionOptions): DocIssue[] {
  const issues: DocIssue[] = [];
  const add = (path: PropertyKey[], message: string) => issues.push({ path, message, code: ErrorCode.InvalidRestriction });
  const rawKind = own(raw, 'kind');
  const kind = rawKind === undefined ? 'takedown' : rawKind;
  const has = (key: string) => own(raw, key) !== undefined;

  if ((kind === 'takedown' || kind === 'sanctions') && !has('authority')) {
    add(['authority'], `is required for a ${kind} restriction`);
  }
  if (kind === 'takedown' || kind === 'sanctions') {
    if (has('allowRegions')) add(['allowRegions'], `only host-policy restrictions may use allowRegions (a ${kind} lists regions)`);
    else if (!has('regions')) add(['regions'], 'is required');
  } else if (kind === 'host-policy') {
    if (has('regions') && has('allowRegions')) add(['allowRegions'], 'give either regions (deny list) or allowRegions (allow list), not both');
    else if (!has('regions') && !has('allowRegions')) add(['regions'], 'a host policy needs regions (deny list) or allowRegions (allow list)');
  }

  const scope = own(raw, 'scope');
  if (isPlainObject(scope)) {
    const all = own(scope, 'all');
    const lists = own(scope, 'meetings') !== undefined || own(scope, 'hostAccounts') !== undefined;
    if (all === true && lists) add(['scope'], 'all: true cannot be combined with meetings or hostAccounts');
    else if (all === undefined && !lists) add(['scope'], 'empty scope: give meetings, hostAccounts or all: true');
    if (all === true && kind === 'takedown') add(['scope', 'all'], 'a takedown cannot apply to all meetings; name the meetings or host accounts');
  }

  const from = own(raw, 'validFrom');
  const until = own(raw, 'validUntil');
  if (typeof from === 'string' && typeof until === 'string') {
    const a = parseInstant(from) ?? Number.NaN;
    const b = parseInstant(until) ?? Number.NaN;
    if (Number.isFinite(a) && Number.isFinite(b) && b <= a) add(['validUntil'], `must be after validFrom (${show(from)})`);
  }

  for (const key of WORDINGS) {
    const wording = own(raw, key);
    if (isPlainObject(wording) && own(wording, 'text') === undefined && own(wording, 'url') === undefined) {
      add([key], 'give text, url or both (omit it otherwise)');
    }
  }

  const id = own(raw, 'id');
  if (typeof id === 'string' && isDuplicate(id, options.existingIds)) {
    add(['id'], `duplicate restriction id ${show(id)}`);
  }
  return issues;
}

/** Containment (takedowns only): every region equals the jurisdiction or lies inside it. */
function containmentIssues(doc: ParsedRestriction, kind: RestrictionKind): DocIssue[] {
  if (kind !== 'takedown' || doc.authority === undefined || doc.regions === undefined) return [];
  const written = doc.authority.jurisdiction;
  const jurisdiction = canonicalCode(written) as string;
  const issues: DocIssue[] = [];
  for (let i = 0; i < doc.regions.length; i++) {
    const code = doc.regions[i] as string;
    const region = canonicalCode(code) as string;
    if (containsCanonical(jurisdiction, region)) continue;
    const shown = region === code ? show(code) : `${show(code)} (${region})`;
    const shownJ = jurisdiction === written ? show(written) : `${show(written)} (${jurisdiction})`;
    issues.push({
      path: ['regions', i],
      message: `region ${shown} is outside the authority's jurisdiction ${shownJ}`,
      code: ErrorCode.OutOfJurisdiction,
    });
  }
  return issues;
}

/** `frozen`: `doc` is already deep-frozen (the field-by-field check's result); the schema's result is frozen here. */
function normalize(doc: ParsedRestriction, kind: RestrictionKind, frozen: boolean): NormalizedRestriction {
  // The parsed document is already this call's own copy (of the input, or of its bounded copy): frozen, not copied again.
  const source = frozen ? (doc as Restriction) : deepFreeze(doc as Restriction);
  const allow = doc.allowRegions;
  const scope = doc.scope;
  const id = doc.id;
  const regions = doc.regions === undefined ? NONE : canonicalList(doc.regions);
  const normalScope = Object.freeze({
    meetings: uniqueList(scope.meetings),
    hostAccounts: uniqueList(scope.hostAccounts),
    all: scope.all === true,
  });
  const mode = doc.mode ?? 'enforce';
  // An allow list exists to keep everyone else out: unknown locations are denied unless admitted explicitly.
  const unknownLocation = doc.unknownLocation ?? (allow === undefined ? 'admit' : 'deny');
  const anonymizers = doc.anonymizers ?? 'admit';
  const written = doc.authority;
  type Out = { -readonly [K in keyof NormalizedRestriction]: NormalizedRestriction[K] };
  let out: Out;
  if (written === undefined) out = { id, kind, regions, scope: normalScope, mode, unknownLocation, anonymizers, source };
  else {
    const jurisdiction = canonicalCode(written.jurisdiction) as string;
    // The parsed authority has exactly these two fields, in this order. Written in the literal (not added
    // afterwards) so the object keeps every field inside itself.
    const authority = jurisdiction === written.jurisdiction ? written : Object.freeze({ name: written.name, jurisdiction });
    out = { id, kind, regions, scope: normalScope, mode, unknownLocation, anonymizers, source, authority };
  }
  if (allow !== undefined) out.allowRegions = canonicalList(allow);
  if (doc.validFrom !== undefined) out.validFrom = parseInstant(doc.validFrom) as number; // checked by the schema
  if (doc.validUntil !== undefined) out.validUntil = parseInstant(doc.validUntil) as number;
  if (doc.reference !== undefined) out.reference = doc.reference;
  if (doc.notice !== undefined) out.notice = publicText(doc.notice);
  if (doc.appeal !== undefined) out.appeal = publicText(doc.appeal);
  return Object.freeze(out);
}

function publicText(given: { text?: string | undefined; url?: string | undefined }): Readonly<PublicText> {
  const out: PublicText = {};
  if (given.text !== undefined) out.text = given.text;
  // The parsed form: what a Link header and a browser will read.
  if (given.url !== undefined) out.url = new URL(given.url).href;
  return Object.freeze(out);
}

/**
 * The id of a refused document when it can be read without running any of
 * its code (an own data property of a non-Proxy object), so the refusal
 * still names the restriction.
 */
function readableId(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== 'object' || types.isProxy(raw)) return undefined;
  const d = Object.getOwnPropertyDescriptor(raw, 'id');
  const id: unknown = d === undefined || 'get' in d ? undefined : d.value;
  return typeof id === 'string' && id.length > 0 && id.length <= LIMITS.string ? id : undefined;
}

/**
 * Whether JSON data (as `JSON.parse` makes it) is within the bounded copy's
 * limits: at most `maxBytes` counted as the copy counts them, no list or
 * object longer than `DOCUMENT_LIMITS.maxListLength`, no nesting past 64, only
 * finite numbers. False at the first doubt, never an error: the caller then
 * takes the copying path, which says precisely what is wrong.
 */
function withinLimits(value: unknown, maxBytes: number): boolean {
  let bytes = 0;
  const walk = (v: unknown, depth: number): boolean => {
    switch (typeof v) {
      case 'string':
        bytes += v.length + 2;
        return bytes <= maxBytes;
      case 'boolean':
        bytes += v ? 4 : 5;
        return bytes <= maxBytes;
      case 'number':
        if (!Number.isFinite(v)) return false;
        bytes += String(v).length;
        return bytes <= maxBytes;
      case 'object':
        break;
      default:
        return false;
    }
    if (v === null) {
      bytes += 4;
      return bytes <= maxBytes;
    }
    if (depth >= 64) return false;
    if (Array.isArray(v)) {
      if (v.length > DOCUMENT_LIMITS.maxListLength) return false;
      bytes += 2 + Math.max(0, v.length - 1);
      for (const item of v) if (!walk(item, depth + 1)) return false;
      return bytes <= maxBytes;
    }
    // Own keys as Object.keys lists them, without building that list for every object of every document.
    let count = 0;
    for (const key in v) {
      if (!Object.hasOwn(v, key)) continue;
      if (++count > DOCUMENT_LIMITS.maxListLength) return false;
      bytes += key.length + 3;
      if (!walk((v as Record<string, unknown>)[key], depth + 1)) return false;
    }
    bytes += 2 + Math.max(0, count - 1);
    return bytes <= maxBytes;
  };
  return walk(value, 0);
}

/**
 * Check one document completely: schema, cross-field rules, duplicate id,
 * then (only when all of that passed) jurisdictional containment. `fromJson`:
 * the document is known to be the fresh result of `JSON.parse` (plain data).
 */
export function checkDocument(raw: unknown, options: ValidateRestrictionOptions = {}, fromJson = false): DocResult {
  if (fromJson && isPlainObject(raw)) {
    // Plain data by construction (see parsed-json.ts): no copy needed before reading it. A document that passes
    // every field rule and every bound is checked on as it is; any other takes the full path below, so its
    // refusal is word for word the one a copy would have given.
    const valid = parseValidRestriction(raw);
    if (valid !== undefined && withinLimits(raw, DOCUMENT_LIMITS.maxBytes)) return checkParsed(raw, valid, options);
  }
  // Bounded copy first: a 10 MB document, a Proxy, a throwing getter or a cycle is refused here,
  // in milliseconds, before the schema reads anything; the schema then sees only the plain copy.
  const snapshot = plainDataSnapshot(raw, DOCUMENT_LIMITS);
  if (!snapshot.ok) {
    const result: DocResult = {
      issues: [{ path: snapshot.path, message: `the document is not acceptable plain data: ${snapshot.message}`, code: ErrorCode.InvalidRestriction }],
    };
    const id = readableId(raw);
    if (id !== undefined) result.id = id;
    return result;
  }
  const doc = snapshot.value;
  if (!isPlainObject(doc)) {
    return { issues: [{ path: [], message: `a restriction must be an object, not ${typeName(doc)}`, code: ErrorCode.InvalidRestriction }] };
  }
  return checkObject(doc, options);
}

/** {@link checkObject} for a document that has passed every field rule (`doc`: what the schema would return). */
function checkParsed(raw: Record<string, unknown>, doc: ParsedRestriction, options: ValidateRestrictionOptions): DocResult {
  const rawId = own(raw, 'id');
  const kind: RestrictionKind = doc.kind ?? 'takedown';
  const cross = crossFieldIssues(raw, options);
  const issues = cross.length > 0 ? cross : containmentIssues(doc, kind);
  const result: DocResult = { issues };
  if (typeof rawId === 'string' && rawId.length > 0 && rawId.length <= LIMITS.string) result.id = rawId;
  if (issues.length === 0) result.restriction = normalize(doc, kind, true);
  return result;
}

function checkObject(raw: Record<string, unknown>, options: ValidateRestrictionOptions): DocResult {
  const rawId = own(raw, 'id');
  const id = typeof rawId === 'string' && rawId.length > 0 && rawId.length <= LIMITS.string ? rawId : undefined;
  // The schema (and its library) only for a document the field-by-field check doubts: it names every problem.
  const valid = parseValidRestriction(raw);
  const parsed = valid !== undefined ? ({ success: true, data: valid } as const) : restrictionSchema().safeParse(raw, { reportInput: true });
  const issues: DocIssue[] = parsed.success ? [] : parsed.error.issues.flatMap(fromZod);
  issues.push(...crossFieldIssues(raw, options));
  const result: DocResult = { issues };
  if (id !== undefined) result.id = id;
  if (!parsed.success || issues.length > 0) return result;

  const doc = parsed.data;
  const kind: RestrictionKind = doc.kind ?? 'takedown';
  issues.push(...containmentIssues(doc, kind));
  if (issues.length === 0) result.restriction = normalize(doc, kind, valid !== undefined);
  return result;
}
