import { compileCidr, type ParsedCidr } from './internal/cidr.js';

/**
 * Parse a CIDR (`1.2.4.0/24`, `2001:db8::/32`) or a bare address (a /32 or
 * /128). The address part must be strictly spelled (same rules as client
 * addresses; no zone, no port) and must have no bits set beyond the prefix:
 * `10.0.0.1/8` is refused rather than silently widened, because a typo in a
 * trust list or a location table should be seen, not guessed. An
 * IPv4-mapped prefix (`::ffff:1.2.4.0/120`) is returned as its IPv4
 * equivalent (`1.2.4.0/24`), since addresses are matched as IPv4.
 *
 * @throws GeoadmitError `E_INVALID_CONFIG` naming the CIDR.
 */
export function parseCidr(cidr: string): ParsedCidr {
  const { family, network, prefixLength, bytes } = compileCidr(cidr);
  return Object.freeze({ family, network, prefixLength, bytes });
}
