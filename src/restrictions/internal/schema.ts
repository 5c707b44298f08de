import { createRequire } from 'node:module';
import type { z as Zod } from 'zod';
import { INSTANT_RULE, parseInstant } from '../../internal/time.js';
import { canonicalRegion, regionSuggestion, subdivisionsWithSuffix } from '../../regions/index.js';

/** Caps against hostile documents: far above any real order, far below what hurts. */
export const LIMITS = Object.freeze({
  string: 256,
  reference: 4096,
  noticeText: 500,
  url: 2048,
  scopeIds: 10_000,
  regions: 1_000,
});

/** Shown in messages: the offending value, JSON-escaped and cut short. */
export function show(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

// Documents repeat a few region codes thousands of times (a node starting on a large store): each written
// form is worked out once. Only codes that are regions are kept, and at most MAX_REMEMBERED of them.
const MAX_REMEMBERED = 4096;
const remembered = new Map<string, string>();

/** `canonicalRegion` for a string, remembered. */
export function canonicalCode(code: string): string | undefined {
  const known = remembered.get(code);
  if (known !== undefined) return known;
  const canonical = canonicalRegion(code);
  if (canonical !== undefined) {
    if (remembered.size >= MAX_REMEMBERED) remembered.clear();
    remembered.set(code, canonical);
  }
  return canonical;
}

/**
 * Why `code` is not a region, or `undefined` when it is one. Distinguishes a
 * subdivision written without its country (`XZ`, `-CA`) from a plain unknown code.
 */
export function regionCodeProblem(code: string): string | undefined {
  if (canonicalCode(code) !== undefined) return undefined;
  // A code people commonly mean something by (UK, EL, ...) before any guess at a bare subdivision suffix.
  const meant = regionSuggestion(code);
  if (meant.length > 0) {
    return `unknown region code ${show(code)} (did you mean ${meant.map((c) => `"${c}"`).join(' or ')}? ${show(code)} is not an ISO 3166 code)`;
  }
  const bare = /^-?([A-Za-z0-9]{1,3})$/.exec(code);
  if (bare !== null) {
    const candidates = subdivisionsWithSuffix(bare[1] as string);
    if (code.startsWith('-') || candidates.length > 0) {
      const hint = candidates.length > 0 ? ` (did you mean ${candidates.map((c) => `"${c}"`).join(' or ')}?)` : '';
      return `subdivision ${show(code)} written without its country${hint}`;
    }
  }
  if (/^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$/.test(code) && canonicalRegion(code.slice(0, 2)) !== undefined) {
    return `unknown subdivision code ${show(code)}`;
  }
  return `unknown region code ${show(code)} (expected an ISO 3166-1 alpha-2 or ISO 3166-2 code such as "CN" or "US-CA")`;
}

/**
 * Why `value` is not an acceptable public URL, or `undefined` when it is one:
 * `https:` only, with a host, no user name or password, and nothing but
 * printable ASCII (it travels in a `Link` header, so no spaces, quotes or
 * angle brackets either).
 */
export function publicUrlProblem(value: string): string | undefined {
  if (!/^[\x21-\x7e]+$/.test(value) || /[<>"\\^`{|}]/.test(value)) {
    return 'must be a URL of printable ASCII characters without spaces, quotes, angle brackets or braces';
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `is not a URL (${show(value)})`;
  }
  if (url.protocol !== 'https:') return `must be an https: URL, not ${show(url.protocol)}`;
  if (url.hostname === '') return 'must name a host';
  if (url.username !== '' || url.password !== '') return 'must not carry a user name or password';
  return undefined;
}

/** Printable text: line breaks and tabs are fine, other control characters are not. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** The validation library's builder, typed; the library itself is loaded by {@link restrictionSchema}. */
type ZodApi = typeof Zod;

/** The schemas, built from the validation library once it is loaded. */
function buildSchemas(z: ZodApi) {
  const text = (max: number) =>
    z
      .string()
      .min(1, { error: 'must not be empty' })
      .max(max, { error: `is too long (at most ${max} characters)` });

  const regionCode = z.string().superRefine((value, ctx) => {
    const problem = regionCodeProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

  const regionList = z
    .array(regionCode)
    .min(1, { error: 'must list at least one region' })
    .max(LIMITS.regions, { error: `has too many regions (at most ${LIMITS.regions})` });

  const idList = z
    .array(text(LIMITS.string))
    .min(1, { error: 'must not be empty (omit it instead)' })
    .max(LIMITS.scopeIds, { error: `has too many entries (at most ${LIMITS.scopeIds})` });

  // One date rule for documents, --at and report periods (src/internal/time.ts).
  const instant = z.string({ error: `must be ${INSTANT_RULE}` }).refine((value) => parseInstant(value) !== undefined, {
    error: `must be ${INSTANT_RULE}`,
  });

  const choice = <const T extends readonly [string, ...string[]]>(values: T) =>
    z.enum(values, { error: `must be one of ${values.map((v) => `"${v}"`).join(', ')}` });

  const publicText = z.strictObject({
    text: text(LIMITS.noticeText)
      .refine((value) => !CONTROL.test(value), {
        error: 'must not contain control or text-direction characters',
      })
      .optional(),
    url: z
      .string()
      .max(LIMITS.url, { error: `is too long (at most ${LIMITS.url} characters)` })
      .superRefine((value, ctx) => {
        const problem = publicUrlProblem(value);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
  });

  // The document shape, field by field. Strict objects: any other key (including an own `__proto__`
  // key from `JSON.parse`) is an error. Rules that relate fields (kind vs authority, regions vs
  // allowRegions, scope, window) are checked separately so that every problem is reported, not just
  // the first layer's.
  const restriction = z.strictObject({
    id: text(LIMITS.string),
    kind: choice(['takedown', 'sanctions', 'host-policy'] as const).optional(),
    authority: z
      .strictObject({
        name: text(LIMITS.string),
        jurisdiction: regionCode,
      })
      .optional(),
    regions: regionList.optional(),
    allowRegions: regionList.optional(),
    scope: z.strictObject({
      meetings: idList.optional(),
      hostAccounts: idList.optional(),
      all: z.literal(true, { error: 'must be true (omit it otherwise)' }).optional(),
    }),
    mode: choice(['enforce', 'dry-run'] as const).optional(),
    validFrom: instant.optional(),
    validUntil: instant.optional(),
    unknownLocation: choice(['admit', 'deny'] as const).optional(),
    anonymizers: choice(['admit', 'deny'] as const).optional(),
    reference: z
      .string()
      .max(LIMITS.reference, { error: `is too long (at most ${LIMITS.reference} characters)` })
      .optional(),
    notice: publicText.optional(),
    appeal: publicText.optional(),
  });
  return { restriction };
}

let schemas: ReturnType<typeof buildSchemas> | undefined;

/**
 * The restriction document schema: strict objects, every field's type and
 * bounds, region codes and dates. The validation library is loaded and the
 * schema built the first time a document is validated, not when geoadmit is
 * imported (loading it costs more than the rest of the package). Loaded with
 * `require`, which both builds support, so that validation stays synchronous.
 */
export function restrictionSchema(): ReturnType<typeof buildSchemas>['restriction'] {
  if (schemas === undefined) {
    const { z } = createRequire(import.meta.url)('zod') as { z: ZodApi };
    schemas = buildSchemas(z);
  }
  return schemas.restriction;
}

/** A document that passed {@link restrictionSchema}. */
export type ParsedRestriction = Zod.output<ReturnType<typeof restrictionSchema>>;

const RESTRICTION_KEYS = new Set([
  'id',
  'kind',
  'authority',
  'regions',
  'allowRegions',
  'scope',
  'mode',
  'validFrom',
  'validUntil',
  'unknownLocation',
  'anonymizers',
  'reference',
  'notice',
  'appeal',
]);
const AUTHORITY_KEYS = new Set(['name', 'jurisdiction']);
const SCOPE_KEYS = new Set(['meetings', 'hostAccounts', 'all']);
const TEXT_KEYS = new Set(['text', 'url']);
const KINDS = new Set(['takedown', 'sanctions', 'host-policy']);
const MODES = new Set(['enforce', 'dry-run']);
const ADMIT_DENY = new Set(['admit', 'deny']);

/** A plain object whose own keys are all among `allowed` and none of whose values is `undefined`. */
function fastObject(value: unknown, allowed: ReadonlySet<string>): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const key of Object.keys(value)) if (!allowed.has(key) || (value as Record<string, unknown>)[key] === undefined) return false;
  return true;
}

const fastText = (value: unknown, max: number): value is string => typeof value === 'string' && value.length >= 1 && value.length <= max;
const fastRegion = (value: unknown): value is string => typeof value === 'string' && regionCodeProblem(value) === undefined;

/** A copy of `value` (frozen) when it is a list of `min`..`max` entries that all pass `item`. */
function fastList(value: unknown, max: number, item: (v: unknown) => boolean): string[] | undefined {
  if (!Array.isArray(value) || value.length < 1 || value.length > max) return undefined;
  for (let i = 0; i < value.length; i++) if (!item(value[i])) return undefined;
  return Object.freeze([...(value as string[])]) as string[];
}

const fastId = (v: unknown): boolean => fastText(v, LIMITS.string);

function fastPublicText(value: unknown): { text?: string; url?: string } | undefined {
  if (!fastObject(value, TEXT_KEYS)) return undefined;
  const out: { text?: string; url?: string } = {};
  if (value.text !== undefined) {
    if (!fastText(value.text, LIMITS.noticeText) || CONTROL.test(value.text)) return undefined;
    out.text = value.text;
  }
  if (value.url !== undefined) {
    if (typeof value.url !== 'string' || value.url.length > LIMITS.url || publicUrlProblem(value.url) !== undefined) return undefined;
    out.url = value.url;
  }
  return Object.freeze(out);
}

/**
 * The same field rules as {@link restrictionSchema}, written out for the
 * common case of a document that passes them all: returns what the schema
 * would return (the same fields in the same order; deep-frozen, lists
 * copied), or `undefined` at the
 * first doubt, and the caller then runs the schema, which names every
 * problem. Documents read back from a store at start arrive by the
 * thousand; running the general schema on each was most of a node's start.
 */
export function parseValidRestriction(raw: Record<string, unknown>): ParsedRestriction | undefined {
  if (!fastObject(raw, RESTRICTION_KEYS)) return undefined;
  const { id, kind, authority, regions, allowRegions, scope, mode, validFrom, validUntil, unknownLocation, anonymizers, reference, notice, appeal } = raw;
  if (!fastText(id, LIMITS.string)) return undefined;
  // Started empty: V8 keeps the first four fields of an empty literal inside the object (no separate property store).
  const out: Record<string, unknown> = {};
  out.id = id;
  if (kind !== undefined) {
    if (typeof kind !== 'string' || !KINDS.has(kind)) return undefined;
    out.kind = kind;
  }
  if (authority !== undefined) {
    if (!fastObject(authority, AUTHORITY_KEYS) || !fastText(authority.name, LIMITS.string) || !fastRegion(authority.jurisdiction)) return undefined;
    out.authority = Object.freeze({ name: authority.name, jurisdiction: authority.jurisdiction });
  }
  if (regions !== undefined) {
    const list = fastList(regions, LIMITS.regions, fastRegion);
    if (list === undefined) return undefined;
    out.regions = list;
  }
  if (allowRegions !== undefined) {
    const list = fastList(allowRegions, LIMITS.regions, fastRegion);
    if (list === undefined) return undefined;
    out.allowRegions = list;
  }
  if (!fastObject(scope, SCOPE_KEYS)) return undefined;
  const outScope: Record<string, unknown> = {};
  if (scope.meetings !== undefined) {
    const list = fastList(scope.meetings, LIMITS.scopeIds, fastId);
    if (list === undefined) return undefined;
    outScope.meetings = list;
  }
  if (scope.hostAccounts !== undefined) {
    const list = fastList(scope.hostAccounts, LIMITS.scopeIds, fastId);
    if (list === undefined) return undefined;
    outScope.hostAccounts = list;
  }
  if (scope.all !== undefined) {
    if (scope.all !== true) return undefined;
    outScope.all = true;
  }
  out.scope = Object.freeze(outScope);
  if (mode !== undefined) {
    if (typeof mode !== 'string' || !MODES.has(mode)) return undefined;
    out.mode = mode;
  }
  if (validFrom !== undefined) {
    if (typeof validFrom !== 'string' || parseInstant(validFrom) === undefined) return undefined;
    out.validFrom = validFrom;
  }
  if (validUntil !== undefined) {
    if (typeof validUntil !== 'string' || parseInstant(validUntil) === undefined) return undefined;
    out.validUntil = validUntil;
  }
  if (unknownLocation !== undefined) {
    if (typeof unknownLocation !== 'string' || !ADMIT_DENY.has(unknownLocation)) return undefined;
    out.unknownLocation = unknownLocation;
  }
  if (anonymizers !== undefined) {
    if (typeof anonymizers !== 'string' || !ADMIT_DENY.has(anonymizers)) return undefined;
    out.anonymizers = anonymizers;
  }
  if (reference !== undefined) {
    if (typeof reference !== 'string' || reference.length > LIMITS.reference) return undefined;
    out.reference = reference;
  }
  if (notice !== undefined) {
    const text = fastPublicText(notice);
    if (text === undefined) return undefined;
    out.notice = text;
  }
  if (appeal !== undefined) {
    const text = fastPublicText(appeal);
    if (text === undefined) return undefined;
    out.appeal = text;
  }
  // Frozen as built: the caller keeps it as the restriction's source without copying or walking it again.
  return Object.freeze(out) as ParsedRestriction;
}
