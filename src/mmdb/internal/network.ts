import { cidrResult } from '../../address/ip.js';
import { ErrorCode, GeoadmitError } from '../../errors/index.js';

/** A validated network: its address bytes (4 or 16) and prefix length. */
interface ParsedNetwork {
  family: 4 | 6;
  /** Network address, big-endian; 4 bytes for IPv4, 16 for IPv6. */
  bytes: Uint8Array;
  prefix: number;
}

/**
 * A database entry's network, parsed by the package's one CIDR parser (the
 * rules of `parseCidr`: strict spelling, host bits below the prefix refused
 * naming the network probably meant, IPv4-mapped networks returned as IPv4 so
 * they land where the IPv4 data lives). Refusals are `E_INVALID_DB_INPUT`
 * naming the entry's `path`, as everything else wrong with a build input is.
 */
export function parseNetwork(input: unknown, path: string): ParsedNetwork {
  if (typeof input !== 'string') fail(path, `network must be a string, got ${describe(input)}`);
  const r = cidrResult(input);
  if (!r.ok) fail(path, r.problem);
  return { family: r.cidr.family, bytes: r.cidr.bytes, prefix: r.cidr.prefixLength };
}

function fail(path: string, message: string): never {
  throw new GeoadmitError(ErrorCode.InvalidDatabaseInput, `${path}: ${message}`, { path });
}

/** A short description of a value's type for error messages (never the value itself, which may be huge). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const proto: unknown = Object.getPrototypeOf(value);
    const name = (proto as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    return typeof name === 'string' && name !== 'Object' ? `an instance of ${name}` : 'an object';
  }
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  return typeof value;
}
