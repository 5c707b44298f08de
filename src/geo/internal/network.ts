import { Address6 } from 'ip-address';
import { formatIPv4 } from '../../address/internal/ipv4.js';
import { ipv6NetworkTextFromWords, parseIpv6Words } from './ipv6-words.js';

// The strict one-pass IPv4 parser lives with address normalisation; lookups reuse it.
export { parseIPv4 as parseIpv4 } from '../../address/internal/ipv4.js';

/** `1.2.4.8` (as a number), 22 → `1.2.4.0/22`. */
export function ipv4NetworkText(value: number, prefix: number): string {
  const bits = prefix < 0 ? 0 : prefix > 32 ? 32 : prefix;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return `${formatIPv4((value & mask) >>> 0)}/${bits}`;
}

const scratch = new Uint32Array(4);

/** `2001:da8::1`, 31 → `2001:da8::/31` (canonical compressed text of the masked address). */
export function ipv6NetworkText(address: string, prefix: number): string {
  const bits = prefix < 0 ? 0 : prefix > 128 ? 128 : prefix;
  if (parseIpv6Words(address, scratch)) return ipv6NetworkTextFromWords(scratch, bits);
  return `${new Address6(`${address}/${bits}`).startAddress().correctForm()}/${bits}`;
}
