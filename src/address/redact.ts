import { createHmac } from 'node:crypto';
import { GeoadmitError } from '../errors/index.js';
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
    throw new GeoadmitError('E_INVALID_CONFIG', 'audit.ip "hmac" needs a non-empty hmacKey', { argument: 'hmacKey' });
  }
  if (mode !== 'truncate' && mode !== 'hmac' && mode !== 'omit' && mode !== 'raw') {
    throw new GeoadmitError('E_INVALID_CONFIG', 'audit.ip must be "truncate", "hmac", "omit" or "raw"', { argument: 'mode' });
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
 * @internal
 */
export function truncateCanonical(address: string): string | undefined {
  const colon = address.indexOf(':');
  if (colon < 0) return `${address.slice(0, address.lastIndexOf('.'))}.0/24`;
  // A zero first group (only special-purpose space) takes the general path.
  if (colon === 0 || address.startsWith('0:')) return redactAddress(address, 'truncate');
  // Canonical text compresses only runs of two or more zero groups, so a '::' at
  // group 2 makes groups 2 and 3 zero, and at group 3 makes group 3 zero.
  // indexOf, not split: split costs more than the whole rest of a join.
  const c2 = address.indexOf(':', colon + 1);
  const g1 = address.slice(0, colon);
  const g2 = c2 < 0 ? address.slice(colon + 1) : address.slice(colon + 1, c2);
  let g3 = '';
  if (g2 !== '' && c2 >= 0) {
    const c3 = address.indexOf(':', c2 + 1);
    g3 = c3 < 0 ? address.slice(c2 + 1) : address.slice(c2 + 1, c3);
  }
  const zero2 = g2 === '' || g2 === '0';
  const zero3 = g3 === '' || g3 === '0';
  if (zero2 && zero3) return `${g1}::/48`;
  if (zero3) return `${g1}:${g2}::/48`;
  return `${g1}:${zero2 ? '0' : g2}:${g3}::/48`;
}
