/**
 * Shared primitives for reading values that came from outside (documents,
 * joins, options): below every other folder, exported by none.
 */

/** A non-null, non-array object. Says nothing about its prototype or accessors. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
