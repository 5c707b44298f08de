import { ErrorCode, GeoadmitError } from '../../errors/index.js';

/** The version of a store with no changes yet. */
export const EMPTY_VERSION = '0-0';

// Stream ids as Redis writes them, or a bare `<ms>` (Redis reads it as
// `<ms>-0`; the gate starts from '0'). Anything else is refused rather than
// guessed, since a misread version could make a subscriber skip changes.
const STREAM_ID = /^(\d{1,20})(?:-(\d{1,20}))?$/;
const U64_MAX = (1n << 64n) - 1n;

/** Splits a stream id `ms-seq` (or `ms`) into numbers, or throws `E_INVALID_CONFIG` naming `argument`. */
function parseVersion(version: unknown, argument: string): [bigint, bigint] {
  const match = typeof version === 'string' ? STREAM_ID.exec(version) : null;
  const ms = match ? BigInt(match[1] as string) : -1n;
  const seq = match ? BigInt(match[2] ?? '0') : -1n;
  if (!match || ms > U64_MAX || seq > U64_MAX) {
    throw new GeoadmitError(ErrorCode.InvalidConfig, `${argument}: ${JSON.stringify(version)} is not a Redis stream id of the form "<ms>-<seq>"`, { argument });
  }
  return [ms, seq];
}

/** The canonical `ms-seq` form of a version (Redis reads a bare `ms` differently as a range end). */
export function canonicalVersion(version: string, argument: string): string {
  const [ms, seq] = parseVersion(version, argument);
  return `${ms}-${seq}`;
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
