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

/**
 * Why `code` is not a region, or `undefined` when it is one. Distinguishes a
 * subdivision written without its country (`XZ`, `-CA`) from a plain unknown code.
 */
export function regionCodeProblem(code: string): string | undefined {
  if (canonicalRegion(code) !== undefined) return undefined;
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
