import { Address6 } from 'ip-address';

/**
 * Canonical CIDR text of `address` masked to `prefix` bits: `1.2.4.8`, 22 →
 * `1.2.4.0/22`; `2001:da8::1`, 31 → `2001:da8::/31`. For an IPv4 address the
 * prefix is IPv4-relative (the reader starts IPv4 lookups at the IPv4 subtree
 * of an IPv6 tree, so its depth is already 0–32).
 */
export function networkText(address: string, family: 4 | 6, prefix: number): string {
  if (family === 4) {
    const bits = Math.max(0, Math.min(32, prefix));
    const parts = address.split('.');
    const value = ((Number(parts[0]) << 24) | (Number(parts[1]) << 16) | (Number(parts[2]) << 8) | Number(parts[3])) >>> 0;
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    const net = (value & mask) >>> 0;
    return `${net >>> 24}.${(net >>> 16) & 0xff}.${(net >>> 8) & 0xff}.${net & 0xff}/${bits}`;
  }
  const bits = Math.max(0, Math.min(128, prefix));
  return `${new Address6(`${address}/${bits}`).startAddress().correctForm()}/${bits}`;
}
