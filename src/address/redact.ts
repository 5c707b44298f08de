import { createHmac } from 'node:crypto';
import { ErrorCode, GeoadmitError } from '../errors/index.js';
import { formatIPv4, parseIPv4 } from './internal/ipv4.js';
import { formatIPv6 } from './internal/ipv6.js';
import { normalizeText } from './internal/normalize.js';
import { embeddedIPv4 } from './internal/embedded.js';
import { bytesOfWords, ipv6NetworkTextFromWords, Ipv6Scan, scanIpv6 } from './internal/ipv6-text.js';

/** How an address appears in audit events (`audit.ip`). */
export type RedactionMode = 'truncate' | 'hmac' | 'omit' | 'raw';

// Scratch for the canonical-IPv6 shortcut (redaction is synchronous).
const words = new Uint32Array(4);

/**
 * Prepare an address for an audit event.
 *
 * - `truncate` (the default audit setting): IPv4 → its /24 (`1.2.4.0/24`),
 *   IPv6 → its /48 (`2001:db8:1::/48`).
 * - `hmac`: `hmac:` + hex HMAC-SHA-256 of the canonical address under the
 *   operator's key — a stable pseudonym (the same across restarts and
 *   spellings) that cannot be reversed without the key.
 * - `omit`: `undefined`.
 * - `raw`: the canonical address (explicit opt-in).
 *
 * The address is normalised first (so `::ffff:1.2.4.8` is treated as
 * `1.2.4.8`). Input that is not a valid address gives `undefined` in every
 * mode: audit logs never carry attacker-chosen text.
 *
 * @throws GeoadmitError `E_INVALID_CONFIG` for an unknown mode, or `hmac`
 * without a non-empty key.
 * @example
 * redactAddress('2001:db8:1:2::5', 'truncate') // '2001:db8:1::/48'
 */
export function redactAddress(address: string, mode: RedactionMode, hmacKey?: string | Uint8Array): string | undefined {
  if (mode === 'hmac' && (hmacKey === undefined || hmacKey.length === 0)) {
    throw new GeoadmitError(ErrorCode.InvalidConfig, 'audit.ip "hmac" needs a non-empty hmacKey', { argument: 'hmacKey' });
  }
  if (mode !== 'truncate' && mode !== 'hmac' && mode !== 'omit' && mode !== 'raw') {
    throw new GeoadmitError(ErrorCode.InvalidConfig, 'audit.ip must be "truncate", "hmac", "omit" or "raw"', { argument: 'mode' });
  }
  if (mode === 'omit') return undefined;
  // Canonical IPv4 text (what the gate passes for most joins) is its own normal form.
  const v4 = typeof address === 'string' ? parseIPv4(address) : -1;
  if (v4 >= 0) {
    // Strict IPv4 text: the /24 is everything up to the last dot.
    if (mode === 'truncate') return `${address.slice(0, address.lastIndexOf('.'))}.0/24`;
    if (mode === 'raw') return address;
  }
  if (mode === 'truncate' && typeof address === 'string' && scanIpv6(address, words) === Ipv6Scan.Canonical && embeddedIPv4(bytesOfWords(words)) < 0) {
    // Canonical IPv6 text of a plain IPv6 address (what the gate passes): mask the parsed words directly.
    return ipv6NetworkTextFromWords(words, 48);
  }
  const n = normalizeText(address);
  if (!n.ok) return undefined;
  if (mode === 'raw') return n.address;
  if (mode === 'hmac') return `hmac:${createHmac('sha256', hmacKey!).update(n.address).digest('hex')}`;
  if (n.ip.family === 4) return `${formatIPv4((n.ip.v4 & 0xffffff00) >>> 0)}/24`;
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 6; i++) bytes[i] = n.ip.bytes[i] as number; // no subarray view: it allocates
  return `${formatIPv6(bytes)}/48`;
}

/**
 * `redactAddress(address, 'truncate')` for text `normalizeAddress` returned
 * (canonical, valid), read straight off the text: the admission hot path
 * redacts every join, and re-parsing IPv6 there costs more than the lookup.
 * Two allocations per call (the kept prefix and the result); the group checks
 * read character codes at `indexOf` positions instead of slicing groups out.
 *
 * Not cached per /24 or /48: measured interleaved in one process, a
 * direct-mapped cache made repeated networks 1.2-1.9x faster but networks seen
 * once (participant churn across the address space) 0.5-0.8x as fast, since
 * finding the key means reading every digit where this reads four characters
 * and copies a prefix. A caller with hot addresses caches whole answers instead.
 * @internal
 */
export function truncateCanonical(address: string): string | undefined {
  const colon = address.indexOf(':');
  if (colon < 0) return `${address.slice(0, address.lastIndexOf('.'))}.0/24`;
  // A zero first group (only special-purpose space) takes the general path.
  if (colon === 0 || address.startsWith('0:')) return redactAddress(address, 'truncate');
  // Canonical text compresses only runs of two or more zero groups, so a '::' at
  // group 2 makes groups 2 and 3 zero, and at group 3 makes group 3 zero; a lone
  // zero group is written '0'. indexOf, not split: split costs more than the whole rest of a join.
  const c2 = address.indexOf(':', colon + 1);
  if (c2 < 0 || c2 === colon + 1) return `${address.slice(0, colon)}::/48`;
  const c3 = address.indexOf(':', c2 + 1);
  const end3 = c3 < 0 ? address.length : c3;
  const zero2 = c2 === colon + 2 && address.charCodeAt(colon + 1) === 0x30;
  const zero3 = end3 === c2 + 1 || (end3 === c2 + 2 && address.charCodeAt(c2 + 1) === 0x30);
  return `${address.slice(0, zero3 ? (zero2 ? colon : c2) : end3)}::/48`;
}
