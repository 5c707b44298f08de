/**
 * An address value in binary form. IPv4 is a uint32 (cheap to parse, compare
 * and walk); IPv6 is 16 network-order bytes.
 */
export type IpValue = { readonly family: 4; readonly v4: number } | { readonly family: 6; readonly bytes: Uint8Array };
