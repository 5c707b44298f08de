function v4At(b: Uint8Array, at: number): number {
  return (((b[at] ?? 0) << 24) | ((b[at + 1] ?? 0) << 16) | ((b[at + 2] ?? 0) << 8) | (b[at + 3] ?? 0)) >>> 0;
}

function zeroUpTo(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0) return false;
  return true;
}

/** The IPv4 address of an IPv4-mapped IPv6 address (`::ffff:0:0/96`), or -1. */
export function mappedIPv4(b: Uint8Array): number {
  return zeroUpTo(b, 0, 10) && b[10] === 0xff && b[11] === 0xff ? v4At(b, 12) : -1;
}

/**
 * The IPv4 address an IPv6 address stands for, or -1:
 * IPv4-mapped `::ffff:0:0/96`; IPv4-compatible `::/96` (but `::` and `::1`
 * stay IPv6 unspecified and loopback); NAT64 well-known prefix `64:ff9b::/96`
 * (RFC 6052); 6to4 `2002::/16` (RFC 3056, the IPv4 address is bits 16-47);
 * Teredo `2001::/32` (RFC 4380: the client's public address is the last 32
 * bits inverted; bits 32-63 are the Teredo *server*, which says nothing
 * about where the client is).
 */
export function embeddedIPv4(b: Uint8Array): number {
  const b0 = b[0];
  const b1 = b[1];
  if (b0 === 0x20) {
    if (b1 === 0x02) return v4At(b, 2);
    if (b1 === 0x01 && b[2] === 0 && b[3] === 0) return (v4At(b, 12) ^ 0xffffffff) >>> 0;
    return -1;
  }
  if (b0 !== 0) return -1;
  if (b1 === 0x64) return b[2] === 0xff && b[3] === 0x9b && zeroUpTo(b, 4, 12) ? v4At(b, 12) : -1;
  if (b1 !== 0 || !zeroUpTo(b, 2, 10)) return -1;
  if (b[10] === 0xff && b[11] === 0xff) return v4At(b, 12);
  if (b[10] !== 0 || b[11] !== 0) return -1;
  const v4 = v4At(b, 12);
  return v4 > 1 ? v4 : -1;
}
