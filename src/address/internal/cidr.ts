import { GeoadmitError } from '../../errors/index.js';
import { formatIPv4, parseIPv4 } from './ipv4.js';
import { checkIPv6Grammar, formatIPv6, parseIPv6 } from './ipv6.js';
import { echo } from './literal.js';
import { mappedIPv4 } from './embedded.js';
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

const LENGTH = /^(?:0|[1-9][0-9]{0,2})$/;

function invalid(cidr: string, why: string): GeoadmitError {
  return new GeoadmitError('E_INVALID_CONFIG', `invalid CIDR ${echo(cidr)}: ${why}`);
}

function hostBitsSet(ip: IpValue, prefixLength: number): boolean {
  if (ip.family === 4) return prefixLength < 32 && (ip.v4 & (0xffffffff >>> prefixLength)) !== 0;
  for (let i = prefixLength; i < 128; i++) {
    if ((((ip.bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1) !== 0) return true;
  }
  return false;
}

function v4Bytes(v4: number): Uint8Array {
  return Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255);
}

/** See the public `parseCidr`; also returns the binary form. */
export function compileCidr(cidr: string): CompiledCidr {
  if (typeof cidr !== 'string') throw new GeoadmitError('E_INVALID_CONFIG', 'invalid CIDR: not a string');
  if (cidr.length > 100) throw invalid(cidr, 'longer than 100 characters');
  const slash = cidr.indexOf('/');
  const addr = slash < 0 ? cidr : cidr.slice(0, slash);
  const lenText = slash < 0 ? undefined : cidr.slice(slash + 1);
  if (lenText !== undefined && !LENGTH.test(lenText)) throw invalid(cidr, 'prefix length must be a decimal number without leading zeros');

  let ip: IpValue;
  const v4 = parseIPv4(addr);
  if (v4 >= 0) {
    ip = { family: 4, v4 };
  } else if (addr.includes(':')) {
    const problem = checkIPv6Grammar(addr);
    const bytes = problem === undefined ? parseIPv6(addr) : undefined;
    if (bytes === undefined) throw invalid(cidr, problem ?? 'not a valid IPv6 address');
    ip = { family: 6, bytes };
  } else {
    throw invalid(cidr, 'not a strictly written IPv4 or IPv6 address');
  }
  const max = ip.family === 4 ? 32 : 128;
  let prefixLength = lenText === undefined ? max : Number(lenText);
  if (prefixLength > max) throw invalid(cidr, `prefix length exceeds ${max}`);
  if (hostBitsSet(ip, prefixLength)) throw invalid(cidr, 'bits are set beyond the prefix length');

  if (ip.family === 6 && prefixLength >= 96) {
    const mapped = mappedIPv4(ip.bytes);
    if (mapped >= 0) {
      ip = { family: 4, v4: mapped };
      prefixLength -= 96;
    }
  }
  const bytes = ip.family === 4 ? v4Bytes(ip.v4) : ip.bytes;
  const text = ip.family === 4 ? formatIPv4(ip.v4) : formatIPv6(ip.bytes);
  return Object.freeze({ family: ip.family, network: `${text}/${prefixLength}`, prefixLength, bytes, ip });
}
