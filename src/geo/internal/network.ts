import { Address6 } from 'ip-address';

/**
 * Strict dotted-quad IPv4 parse in one pass (the lookup hot path): exactly
 * four decimal octets of 0–255 without leading zeros. Returns the address as
 * an unsigned 32-bit number, or -1 for anything else.
 */
export function parseIpv4(text: string): number {
  const length = text.length;
  if (length < 7 || length > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1; // leading zero: ambiguous (octal in some parsers)
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

/** `1.2.4.8` (as a number), 22 → `1.2.4.0/22`. */
export function ipv4NetworkText(value: number, prefix: number): string {
  const bits = prefix < 0 ? 0 : prefix > 32 ? 32 : prefix;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const net = (value & mask) >>> 0;
  return `${net >>> 24}.${(net >>> 16) & 0xff}.${(net >>> 8) & 0xff}.${net & 0xff}/${bits}`;
}

/** `2001:da8::1`, 31 → `2001:da8::/31` (canonical compressed text of the masked address). */
export function ipv6NetworkText(address: string, prefix: number): string {
  const bits = prefix < 0 ? 0 : prefix > 128 ? 128 : prefix;
  return `${new Address6(`${address}/${bits}`).startAddress().correctForm()}/${bits}`;
}
