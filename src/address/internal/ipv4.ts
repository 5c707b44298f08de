/**
 * Strict IPv4 text: exactly four decimal parts 0-255, ASCII digits only, no
 * leading zeros. This is the only spelling that every parser reads the same
 * way; `inet_aton`-style readers (and the `maxmind` reader) also accept octal,
 * hex and shortened forms, which is how `0x7f.1` or `2937112321` would be
 * silently guessed. It agrees with `ip-address`'s `Address4` on every input
 * both accept (property-tested), and being a single pass over char codes it
 * keeps the hot path free of regexes and allocations.
 *
 * Returns the address as a uint32, or -1 when `text` is not strict IPv4.
 */
export function parseIPv4(text: string): number {
  const len = text.length;
  if (len < 7 || len > 15) return -1;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  let firstDigit = 0;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      dots++;
      part = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && firstDigit === 0x30) return -1;
      if (digits === 0) firstDigit = c;
      part = part * 10 + (c - 0x30);
      digits++;
      if (part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (digits === 0 || dots !== 3) return -1;
  // Multiplication (not <<) keeps the result an unsigned integer.
  return value * 256 + part;
}

// Decimal text of every octet, so formatting is four table reads (no number-to-string conversions).
const OCTET: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));

/** Dotted-quad text of a uint32. */
export function formatIPv4(v4: number): string {
  return `${OCTET[v4 >>> 24] as string}.${OCTET[(v4 >>> 16) & 255] as string}.${OCTET[(v4 >>> 8) & 255] as string}.${OCTET[v4 & 255] as string}`;
}

/** `1.2.4.8` (as a number), 22 → `1.2.4.0/22`: the database network that answered a lookup. */
export function ipv4NetworkText(v4: number, prefix: number): string {
  const bits = Math.min(Math.max(prefix, 0), 32);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return `${formatIPv4((v4 & mask) >>> 0)}/${bits}`;
}

/** Why `text` (printable ASCII, no port) is not strict IPv4: for error details only. */
export function explainIPv4(text: string): string {
  if (/^[0-9]+$/.test(text)) return 'a single number is not an IPv4 address (ambiguous integer form)';
  if (/0x/i.test(text)) return 'hexadecimal IPv4 parts are ambiguous and not accepted';
  if (!/^[0-9.]+$/.test(text)) return 'IPv4 address may only contain decimal digits and dots';
  const parts = text.split('.');
  if (parts.length !== 4) return `IPv4 address has ${parts.length} parts; exactly 4 are required (shortened forms are ambiguous)`;
  for (let i = 0; i < 4; i++) {
    const p = parts[i] ?? '';
    if (p === '') return `IPv4 part ${i + 1} is empty`;
    if (p.length > 1 && p.startsWith('0')) return `IPv4 part ${i + 1} has a leading zero (ambiguous: octal or decimal)`;
    if (Number(p) > 255) return `IPv4 part ${i + 1} is greater than 255`;
  }
  return 'not a valid IPv4 address';
}
