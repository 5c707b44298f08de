import { compileCidr } from './cidr.js';
import { embeddedIPv4 } from './embedded.js';
import { PrefixTable } from './prefix-table.js';
import type { IpValue } from './types.js';

/**
 * Ranges with no geographic meaning, from the IANA IPv4 and IPv6
 * Special-Purpose Address Registries (plus multicast and everything outside
 * global unicast `2000::/3`). Embedded-IPv4 forms (mapped, compatible, NAT64,
 * 6to4, Teredo) are decoded before this table is consulted, so their IPv4
 * address gets the IPv4 check.
 */
const NON_GLOBAL: ReadonlyArray<readonly [cidr: string, name: string]> = [
  ['0.0.0.0/8', 'this network'],
  ['10.0.0.0/8', 'private use'],
  ['100.64.0.0/10', 'shared address space (CGNAT)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private use'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation (TEST-NET-1)'],
  ['192.88.99.0/24', 'deprecated 6to4 relay anycast'],
  ['192.168.0.0/16', 'private use'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation (TEST-NET-2)'],
  ['203.0.113.0/24', 'documentation (TEST-NET-3)'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['255.255.255.255/32', 'limited broadcast'],
  // Outside 2000::/3 nothing is global unicast; together these cover it.
  ['::/3', 'not global unicast'],
  ['4000::/2', 'not global unicast'],
  ['8000::/1', 'not global unicast'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b:1::/48', 'local-use NAT64'],
  ['100::/64', 'discard-only'],
  // Teredo (2001::/32) is inside this block but is decoded first. The few
  // globally reachable entries in it are anycast service addresses and
  // ORCHID identifiers, never a participant's own address.
  ['2001::/23', 'IETF protocol assignments'],
  ['2001:db8::/32', 'documentation'],
  ['3fff::/20', 'documentation'],
  ['5f00::/16', 'SRv6 SIDs'],
  ['fc00::/7', 'unique local'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
];

const nonGlobal = new PrefixTable<string>();
for (const [cidr, name] of NON_GLOBAL) {
  const parsed = compileCidr(cidr);
  nonGlobal.insert(parsed.ip, parsed.prefixLength, name);
}

// First octets no special-purpose IPv4 range touches: most public addresses are decided by one read.
const v4FirstOctetClear = new Uint8Array(256).fill(1);
for (const [cidr] of NON_GLOBAL) {
  const parsed = compileCidr(cidr);
  if (parsed.ip.family !== 4) continue;
  const first = parsed.ip.v4 >>> 24;
  const span = parsed.prefixLength >= 8 ? 1 : 2 ** (8 - parsed.prefixLength);
  v4FirstOctetClear.fill(0, first, first + span);
}

/** The special-purpose range `ip` falls in (a short name), or undefined when it is global. */
export function nonGlobalRange(ip: IpValue): string | undefined {
  if (ip.family === 4 && v4FirstOctetClear[ip.v4 >>> 24] === 1) return undefined;
  return nonGlobal.lookup(ip);
}

/** Result of {@link classify}. */
interface Classified {
  /** The address to geolocate: the embedded IPv4 address where there is one. */
  readonly ip: IpValue;
  readonly global: boolean;
}

/** Decode embedded IPv4 forms and decide whether the result is global. */
export function classify(ip: IpValue): Classified {
  let target = ip;
  if (ip.family === 6) {
    const v4 = embeddedIPv4(ip.bytes);
    if (v4 >= 0) target = { family: 4, v4 };
  }
  return { ip: target, global: nonGlobalRange(target) === undefined };
}
