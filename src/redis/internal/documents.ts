import { ErrorCode, GeoadmitError } from '../../errors/index.js';
import { markParsedJson } from '../../restrictions/index.js';
import type { Restriction } from '../../restrictions/types.js';
import type { StoredExemption } from '../../store/types.js';

/**
 * Parses a restriction document read back from Redis. Anything in Redis may
 * have been written by someone other than this SDK, so a value that is not a
 * JSON object carrying the id it is stored under is refused (returned as an
 * error for the caller to report), never thrown.
 */
export function parseStoredRestriction(id: string, raw: string, where: string): Restriction | GeoadmitError {
  const value = parseStored('restriction', id, raw, where);
  // The gate validates documents before they are stored, and again when it reads them back (shape beyond
  // this is its contract); marked as this parse's own result, the gate reads it without copying it first.
  if (!(value instanceof GeoadmitError)) markParsedJson(value);
  return value as Restriction | GeoadmitError;
}

/** Parses an exemption read back from Redis: a JSON object carrying the id it is stored under (the gate validates the rest). */
export function parseStoredExemption(id: string, raw: string, where: string): StoredExemption | GeoadmitError {
  return parseStored('exemption', id, raw, where) as StoredExemption | GeoadmitError;
}

function parseStored(what: 'restriction' | 'exemption', id: string, raw: string, where: string): object | GeoadmitError {
  const malformed = (problem: string, cause?: unknown) =>
    new GeoadmitError(ErrorCode.InvalidRestriction, `Skipped ${what} ${JSON.stringify(id)} read from Redis (${where}): the stored document ${problem}`, {
      ...(what === 'restriction' ? { restrictionId: id } : {}),
      path: '$',
      cause,
    });
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (cause) {
    return malformed('is not valid JSON', cause);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return malformed('is not a JSON object');
  if ((value as { id?: unknown }).id !== id) return malformed(`has an "id" other than the ${JSON.stringify(id)} it is stored under`);
  return value;
}
