import { ErrorCode, GeoadmitError, type GeoadmitErrorContext } from '../errors/index.js';
import { plainListEntries } from '../internal/objects.js';
import { isArray } from '../internal/options.js';
import { checkDocument, DOCUMENT_LIMITS, type DocIssue, type DocResult, formatPath } from './internal/validate.js';
import { takeParsedJson } from './parsed-json.js';
import type { NormalizedRestriction, RestrictionProblem, RestrictionsValidation, ValidateRestrictionOptions } from './types.js';

export type * from './types.js';
export { locationMatchesRegion } from './regions.js';
export { matchRestriction, restrictionInScope, isActive, describeCapabilityGaps } from './match.js';
export { markParsedJson } from './parsed-json.js';

/** Most issues listed on one error or for one document: a hostile document cannot make reports unbounded. */
const MAX_ISSUES = 100;

/**
 * Validate a restriction document (docs/restrictions.md) and return it normalised:
 * defaults filled in, region codes canonicalised (upper case, `CN-22` →
 * `CN-JL`, `CN-HK` → `HK`) and deduplicated, scope lists deduplicated,
 * `validFrom` / `validUntil` as epoch milliseconds; the result is frozen.
 * Region codes are accepted in any letter case; a subdivision must carry its
 * country (`XZ` alone is refused, naming `CN-XZ`; `CA` is Canada, never
 * California). Host policies written with
 * `allowRegions` default to `unknownLocation: "deny"` (an allow list keeps
 * everyone unconfirmed out unless told to admit them); everything else
 * defaults to `admit`.
 *
 * @throws GeoadmitError `E_INVALID_RESTRICTION` for any malformed input: the
 *   message names the first JSON path at fault (`$.regions[1]: unknown region
 *   code "XX" …`), `path` holds it, `issues` lists every problem found and
 *   `restrictionId` the id when readable.
 * @throws GeoadmitError `E_OUT_OF_JURISDICTION` when the document is otherwise
 *   valid but a takedown targets a region outside `authority.jurisdiction`
 *   (`path` is `$.regions[i]`). Containment applies to takedowns only.
 *
 * @example
 * const r = validateRestriction({
 *   id: 'req-1', authority: { name: 'Example Authority', jurisdiction: 'CN' },
 *   regions: ['CN'], scope: { meetings: ['m-1001'] },
 * });
 * r.kind; // 'takedown'
 */
export function validateRestriction(doc: unknown, options: ValidateRestrictionOptions = {}): NormalizedRestriction {
  return validated(checkDocument(doc, options));
}

/**
 * {@link validateRestriction} for a document read back from a store: the same
 * rules, bounds, result and errors. A document the store marked as its own
 * `JSON.parse` result (see parsed-json.ts) is read without the defensive copy
 * first; any other is handled exactly as `validateRestriction` handles it.
 */
export function validateStoredRestriction(doc: unknown, options: ValidateRestrictionOptions = {}): NormalizedRestriction {
  return validated(checkDocument(doc, options, takeParsedJson(doc)));
}

function validated(result: DocResult): NormalizedRestriction {
  if (result.restriction !== undefined) return result.restriction;
  const issues = result.issues.slice(0, MAX_ISSUES).map((issue) => toIssue('$', issue));
  const first = issues[0] ?? { path: '$', message: 'invalid restriction', code: ErrorCode.InvalidRestriction };
  // Any schema problem outranks containment; containment issues only arise on otherwise valid documents.
  const code = issues.every((i) => i.code === ErrorCode.OutOfJurisdiction) ? ErrorCode.OutOfJurisdiction : ErrorCode.InvalidRestriction;
  const more = result.issues.length > 1 ? ` (and ${result.issues.length - 1} more problem${result.issues.length > 2 ? 's' : ''})` : '';
  const subject = result.id === undefined ? 'restriction' : `restriction ${JSON.stringify(result.id)}`;
  const context: GeoadmitErrorContext = { path: first.path, issues };
  if (result.id !== undefined) context.restrictionId = result.id;
  throw new GeoadmitError(code, `${first.path}: ${first.message}${more} [${subject}]`, context);
}

function toIssue(root: string, issue: DocIssue): { path: string; message: string; code: ErrorCode } {
  return { path: formatPath(root, issue.path), message: issue.message, code: issue.code };
}

/**
 * Validate a batch of documents — a JSON array, or a single document — and
 * collect every problem instead of stopping at the first (the CLI `validate`
 * command). Paths are `$[i]…` for an array and `$…` for a single document.
 * An id used twice in the batch is a problem at the later document's `$[i].id`.
 *
 * @example
 * const { valid, problems } = validateRestrictions(JSON.parse(text));
 * for (const p of problems) console.error(`${p.path}: ${p.message}`);
 */
export function validateRestrictions(docs: unknown): RestrictionsValidation {
  const single = !isArray(docs);
  let list: readonly unknown[] = [docs];
  if (!single) {
    const read = plainListEntries(docs, DOCUMENT_LIMITS.maxListLength);
    if (!read.ok) {
      const path = formatPath('$', read.path);
      return {
        valid: [],
        problems: [{ index: 0, path, message: `the list is not acceptable plain data: ${read.message}`, code: ErrorCode.InvalidRestriction }],
      };
    }
    list = read.entries;
  }
  const valid: NormalizedRestriction[] = [];
  const problems: RestrictionProblem[] = [];
  const seen = new Set<string>();
  list.forEach((doc, index) => {
    const result = checkDocument(doc, { existingIds: seen });
    const root = single ? '$' : `$[${index}]`;
    for (const issue of result.issues.slice(0, MAX_ISSUES)) {
      const problem: RestrictionProblem = { index, ...toIssue(root, issue) };
      if (result.id !== undefined) problem.id = result.id;
      problems.push(problem);
    }
    if (result.id !== undefined) seen.add(result.id);
    if (result.restriction !== undefined) valid.push(result.restriction);
  });
  return { valid, problems };
}
