import { ErrorCode, GeoadmitError } from '../../errors/index.js';
import { mappedIPv4 } from './embedded.js';
import { explainIPv4, formatIPv4, parseIPv4 } from './ipv4.js';
import { checkIPv6Grammar, formatIPv6, parseIPv6 } from './ipv6.js';
import { echo } from './literal.js';
import type { IpValue } from './types.js';

/** A validated CIDR prefix. */
export interface ParsedCidr {
  /** Address family of the prefix (an IPv4-mapped IPv6 prefix counts as IPv4). */
  readonly family: 4 | 6;
  /** Canonical text, e.g. `1.2.4.0/24` or `2001:db8::/32`. */
  readonly network: string;
  /** Number of leading bits that are fixed. */
  readonly prefixLength: number;
  /** Network address bytes in network order (4 or 16 bytes). */
  readonly bytes: Uint8Array;
}

/** A parsed CIDR with its binary form, for prefix tables. */
export interface CompiledCidr extends ParsedCidr {
  readonly ip: IpValue;
}

/** A CIDR, or why the text is not one (a sentence that quotes the input, bounded). */
type CidrResult = { readonly ok: true; readonly cidr: CompiledCidr } | { readonly ok: false; readonly problem: string };

// Prefix lengths are plain decimal: no sign, no leading zero, no spaces.
const LENGTH = /^(?:0|[1-9][0-9]{0,2})$/;

function hostBitsSet(ip: IpValue, prefixLength: number): boolean {
  if (ip.family === 4) return prefixLength < 32 && (ip.v4 & (0xffffffff >>> prefixLength)) !== 0;
  for (let i = prefixLength; i < 128; i++) {
    if ((((ip.bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1) !== 0) return true;
  }
  return false;
}

function masked(ip: IpValue, prefixLength: number): string {
  if (ip.family === 4) return formatIPv4(prefixLength === 0 ? 0 : (ip.v4 & (0xffffffff << (32 - prefixLength))) >>> 0);
  const bytes = new Uint8Array(16);
  for (let b = 0; b < 16; b++) {
    const keep = prefixLength - b * 8; // bits of this byte inside the prefix
    bytes[b] = keep >= 8 ? (ip.bytes[b] ?? 0) : keep <= 0 ? 0 : (ip.bytes[b] ?? 0) & (0xff << (8 - keep));
  }
  return formatIPv6(bytes);
}

function v4Bytes(v4: number): Uint8Array {
  return Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255);
}

function failed(problem: string): CidrResult {
  return { ok: false, problem };
}

/**
 * The one CIDR parser (trusted proxies, CDN ranges, static location tables,
 * database builds). A CIDR (`1.2.4.0/24`, `2001:db8::/32`) or a bare address
 * (a /32 or /128); the address part strictly spelled (as client addresses:
 * no leading zeros, hex, shortened IPv4, zone, brackets or port); no bits set
 * beyond the prefix (`10.0.0.1/8` is refused, naming the network probably
 * meant, rather than silently widened). An IPv4-mapped prefix
 * (`::ffff:1.2.4.0/120`) comes back as IPv4 (`1.2.4.0/24`), since addresses
 * are matched as IPv4. Never throws: callers choose the error code.
 */
export function cidrResult(input: unknown): CidrResult {
  if (typeof input !== 'string') return failed('a network must be a string');
  if (input.length > 100) return failed(`network ${echo(input)} is longer than 100 characters`);
  const slash = input.indexOf('/');
  const addr = slash < 0 ? input : input.slice(0, slash);
  const lenText = slash < 0 ? undefined : input.slice(slash + 1);
  if (lenText !== undefined && !LENGTH.test(lenText)) {
    return failed(`invalid prefix length in network ${echo(input)}: a decimal number without leading zeros or spaces is required`);
  }
  let ip: IpValue;
  if (addr.includes(':')) {
    const problem = checkIPv6Grammar(addr);
    const bytes = problem === undefined ? parseIPv6(addr) : undefined;
    if (bytes === undefined) return failed(`invalid IPv6 address in network ${echo(input)}: ${problem ?? 'not a valid IPv6 address'}`);
    ip = { family: 6, bytes };
  } else {
    const v4 = parseIPv4(addr);
    if (v4 < 0) return failed(`invalid IPv4 address in network ${echo(input)}: ${addr === '' ? 'the address is empty' : explainIPv4(addr)}`);
    ip = { family: 4, v4 };
  }
  const max = ip.family === 4 ? 32 : 128;
  let prefixLength = lenText === undefined ? max : Number(lenText);
  if (prefixLength > max) return failed(`prefix length /${prefixLength} is too long for IPv${ip.family} in network ${echo(input)}`);
  if (hostBitsSet(ip, prefixLength)) {
    return failed(
      `network ${echo(input)} has host bits set below /${prefixLength} (did you mean ${masked(ip, prefixLength)}/${prefixLength}?): bits beyond the prefix must be zero`,
    );
  }
  if (ip.family === 6 && prefixLength >= 96) {
    const mapped = mappedIPv4(ip.bytes);
    if (mapped >= 0) {
      ip = { family: 4, v4: mapped };
      prefixLength -= 96;
    }
  }
  const bytes = ip.family === 4 ? v4Bytes(ip.v4) : ip.bytes;
  const text = ip.family === 4 ? formatIPv4(ip.v4) : formatIPv6(ip.bytes);
  return { ok: true, cidr: Object.freeze({ family: ip.family, network: `${text}/${prefixLength}`, prefixLength, bytes, ip }) };
}

/**
 * {@link cidrResult} for configuration: throws `E_INVALID_CONFIG` with the
 * problem as message (callers prefix it with the option path).
 */
export function compileCidr(input: unknown): CompiledCidr {
  const r = cidrResult(input);
  if (!r.ok) throw new GeoadmitError(ErrorCode.InvalidConfig, r.problem);
  return r.cidr;
}
