import { createRequire } from 'node:module';
import type { Address6 as Address6Class } from 'ip-address';

// Loaded on first use, not when geoadmit is imported: the strict parser above answers every text the
// grammar check passes, so the fallback below is almost never reached.
let Address6: typeof Address6Class | undefined;
import { parseIPv4 } from './ipv4.js';
import { ipv6TextFromBytes, parseIpv6Bytes } from './ipv6-text.js';

const H16 = /^[0-9a-fA-F]{1,4}$/;

/**
 * Strict RFC 4291 text grammar check (no zone, no prefix length, no
 * brackets): 1-4 hex digits per group, at most one `::`, an embedded IPv4
 * tail only as the last 32 bits and only in strict dotted-quad form. Run
 * before `ip-address` so that nothing that library tolerates (a `/64`
 * suffix, a zone) slips through. Returns an explanation, or undefined when
 * the text is valid.
 */
export function checkIPv6Grammar(text: string): string | undefined {
  if (text.length < 2 || text.length > 45) return 'IPv6 address has an impossible length';
  const halves = text.split('::');
  if (halves.length > 2) return 'IPv6 address has more than one "::"';
  const compressed = halves.length === 2;
  const groups: string[] = [];
  for (const half of halves) if (half !== '') groups.push(...half.split(':'));
  let units = 0;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] ?? '';
    if (i === groups.length - 1 && g.includes('.')) {
      // An embedded IPv4 tail must end the text, not just the left half.
      if (!text.endsWith(g)) return 'IPv6 address has an embedded IPv4 part before its end';
      if (parseIPv4(g) < 0) return 'IPv6 address has an invalid embedded IPv4 part';
      units += 2;
    } else if (H16.test(g)) {
      units += 1;
    } else {
      return g === '' ? 'IPv6 address has an empty group' : 'IPv6 group is not 1-4 hexadecimal digits';
    }
  }
  if (compressed ? units > 7 : units !== 8) return 'IPv6 address has the wrong number of groups';
  return undefined;
}

/**
 * Bytes of a grammar-checked IPv6 text: the strict one-pass parser, and
 * `ip-address` for anything it does not take (it takes every text the
 * grammar check passes; the fallback is belt and braces).
 */
export function parseIPv6(text: string): Uint8Array | undefined {
  const fast = parseIpv6Bytes(text);
  if (fast !== undefined) return fast;
  try {
    Address6 ??= (createRequire(import.meta.url)('ip-address') as { Address6: typeof Address6Class }).Address6;
    return Uint8Array.from(new Address6(text).toByteArray());
  } catch {
    return undefined;
  }
}

/** RFC 5952 text (compressed, lower case) of 16 bytes; the same text as `ip-address`'s `correctForm()`. */
export function formatIPv6(bytes: Uint8Array): string {
  return ipv6TextFromBytes(bytes);
}
