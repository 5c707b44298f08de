import { ErrorCode, GeoadmitError } from '../../errors/index.js';

/** The version of a store with no changes yet. */
export const EMPTY_VERSION = '0-0';

// Exactly what Redis generates for stream ids; anything else is refused rather
// than guessed, since a misread version could make a subscriber skip changes.
const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/;

/** Splits a stream id `ms-seq` into numbers, or throws `E_INVALID_CONFIG` naming `argument`. */
export function parseVersion(version: unknown, argument: string): [bigint, bigint] {
  const match = typeof version === 'string' ? STREAM_ID.exec(version) : null;
  if (!match) {
    throw new GeoadmitError(
      ErrorCode.InvalidConfig,
      `${argument}: ${JSON.stringify(version)} is not a Redis stream id of the form "<ms>-<seq>"`,
      { argument },
    );
  }
  return [BigInt(match[1] as string), BigInt(match[2] as string)];
}

/** Orders two stream ids numerically: negative, zero or positive. */
export function compareVersions(a: string, b: string): number {
  const [am, as] = parseVersion(a, 'a');
  const [bm, bs] = parseVersion(b, 'b');
  if (am !== bm) return am < bm ? -1 : 1;
  if (as !== bs) return as < bs ? -1 : 1;
  return 0;
}

/** The millisecond part of a stream id: the Redis server's clock when the change was written. */
export function versionTime(version: string): number {
  return Number(parseVersion(version, 'version')[0]);
}
