import { Address4, Address6 } from 'ip-address';
import { ErrorCode, GeoadmitError } from '../../errors/index.js';

/** A validated network: its address bytes (4 or 16) and prefix length. */
export interface ParsedNetwork {
  family: 4 | 6;
  /** Network address, big-endian; 4 bytes for IPv4, 16 for IPv6. */
  bytes: Uint8Array;
  prefix: number;
}

// Prefix lengths are plain decimal: no sign, no leading zero, no spaces.
const PREFIX = /^(?:0|[1-9][0-9]{0,2})$/;
// Dotted quad only (ip-address validates the octets; this keeps out the
// shorthand and hex forms some parsers accept).
const IPV4_SHAPE = /^[0-9]{1,3}(?:\.[0-9]{1,3}){3}$/;
// Hex groups, colons and an optional embedded dotted quad; no zone, no brackets.
const IPV6_SHAPE = /^[0-9A-Fa-f:.]+$/;

function fail(path: string, message: string): never {
  throw new GeoadmitError(ErrorCode.InvalidDatabaseInput, `${path}: ${message}`, { path });
}

function bigintToBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * Parses a CIDR or bare address strictly. Host bits set below the prefix are
 * refused (naming the network the caller probably meant) rather than silently
 * masked: a table with `1.2.4.8/24` is more likely a typo than an intent.
 * IPv4-mapped IPv6 networks (`::ffff:1.2.4.0/120`) are returned as IPv4, so
 * they land in the one place the IPv4 data lives.
 */
export function parseNetwork(input: unknown, path: string): ParsedNetwork {
  if (typeof input !== 'string') fail(path, `network must be a string, got ${describe(input)}`);
  const slash = input.indexOf('/');
  const addressPart = slash === -1 ? input : input.slice(0, slash);
  const prefixPart = slash === -1 ? undefined : input.slice(slash + 1);
  if (prefixPart !== undefined && !PREFIX.test(prefixPart)) {
    fail(path, `invalid prefix length in network ${JSON.stringify(input)}`);
  }
  const isV6 = addressPart.includes(':');
  const maxPrefix = isV6 ? 128 : 32;
  const prefix = prefixPart === undefined ? maxPrefix : Number(prefixPart);
  if (prefix > maxPrefix) fail(path, `prefix length /${prefix} is too long for ${isV6 ? 'IPv6' : 'IPv4'} in ${JSON.stringify(input)}`);

  const name = isV6 ? 'IPv6' : 'IPv4';
  if (!(isV6 ? IPV6_SHAPE : IPV4_SHAPE).test(addressPart)) fail(path, `invalid ${name} address in network ${JSON.stringify(input)}`);
  let address: Address4 | Address6;
  try {
    address = isV6 ? new Address6(`${addressPart}/${prefix}`) : new Address4(`${addressPart}/${prefix}`);
  } catch {
    fail(path, `invalid ${name} address in network ${JSON.stringify(input)}`);
  }
  const value = address.bigInt();
  const hostBits = (1n << BigInt(maxPrefix - prefix)) - 1n;
  if ((value & hostBits) !== 0n) {
    const start = value & ~hostBits;
    const meant = isV6 ? Address6.fromBigInt(start).correctForm() : Address4.fromBigInt(start).correctForm();
    fail(path, `network ${JSON.stringify(input)} has host bits set below /${prefix} (did you mean ${meant}/${prefix}?)`);
  }

  if (!isV6) return { family: 4, bytes: bigintToBytes(value, 4), prefix };
  const bytes = bigintToBytes(value, 16);
  if (prefix >= 96 && isIpv4Mapped(bytes)) return { family: 4, bytes: bytes.slice(12), prefix: prefix - 96 };
  return { family: 6, bytes, prefix };
}

function isIpv4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
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
