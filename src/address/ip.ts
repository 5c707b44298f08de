/**
 * IP primitives and CIDR parsing for the other folders of the package (geo
 * lookups, static tables, database builds): the one home of address parsing,
 * so that a lookup, a location table, a database build and the trusted-proxy
 * list all read `1.2.4.0/24` and `::ffff:1.2.4.8` the same way. Not part of
 * the package's public API (what the package exports from this folder goes
 * through `address/index.ts`); other folders import this module, never
 * `address/internal/*`.
 *
 * @internal
 * @module
 */
export { cidrResult, compileCidr, type CompiledCidr } from './internal/cidr.js';
export { ipv4NetworkText, parseIPv4 } from './internal/ipv4.js';
export { ipv6NetworkTextFromWords, parseIpv6Words } from './internal/ipv6-text.js';
export { echo, parseLiteral } from './internal/literal.js';
export { classify, nonGlobalRange } from './internal/non-global.js';
export { PrefixTable } from './internal/prefix-table.js';
export type { IpValue } from './internal/types.js';
export { resolveClient, type ClientResolution } from './proxy.js';
