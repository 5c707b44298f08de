import { normalizeText, type Normalized } from './internal/normalize.js';

/**
 * The outcome of normalising one address. `address` is canonical text:
 * dotted-quad IPv4, or RFC 5952 compressed lower-case IPv6. Addresses that
 * embed an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) come back
 * as that IPv4 address with `family: 4`.
 */
export type AddressResult =
  | { ok: true; address: string; family: 4 | 6; global: true }
  | { ok: true; address: string; family: 4 | 6; global: false; cause: 'non-global' }
  | { ok: false; cause: 'invalid-address'; detail: string };

/** Convert the internal result to the public shape. */
function toAddressResult(n: Normalized): AddressResult {
  if (!n.ok) return { ok: false, cause: 'invalid-address', detail: n.detail };
  if (n.global) return { ok: true, address: n.address, family: n.ip.family, global: true };
  return { ok: true, address: n.address, family: n.ip.family, global: false, cause: 'non-global' };
}

/**
 * Validate and normalise a client address (docs/integrating.md). Never throws.
 *
 * - Ports and IPv6 zone IDs are stripped: `1.2.4.8:5000`, `[2001:db8::1]:443`,
 *   `[2001:db8::1]`, `fe80::1%eth0`. A bare IPv6 address is never read as
 *   host:port.
 * - IPv4-mapped (`::ffff:1.2.4.8`, `::ffff:102:408`), IPv4-compatible
 *   (`::1.2.4.8`; `::` and `::1` stay IPv6), NAT64 `64:ff9b::/96`, 6to4
 *   `2002::/16` and Teredo `2001::/32` (client bits inverted) become their
 *   embedded IPv4 address.
 * - Ambiguous spellings are rejected, never guessed: IPv4 with leading zeros,
 *   octal, hex, fewer than four parts or a single number; non-ASCII digits;
 *   whitespace or control characters anywhere; empty or over-long (100
 *   characters) input. `detail` says what was wrong and echoes at most 64
 *   characters of printable-ASCII input.
 * - Special-purpose ranges (private, loopback, link-local, CGNAT,
 *   documentation, benchmarking, multicast, reserved, ULA, anything outside
 *   `2000::/3`, ... per the IANA registries) are `global: false`.
 *
 * @example
 * normalizeAddress('[::ffff:1.2.4.8]:443') // { ok: true, address: '1.2.4.8', family: 4, global: true }
 * normalizeAddress('0x7f.1')                // { ok: false, cause: 'invalid-address', detail: 'hexadecimal IPv4 parts ...' }
 */
export function normalizeAddress(input: string): AddressResult {
  return toAddressResult(normalizeText(input));
}
