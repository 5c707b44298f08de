/**
 * The resolvers' lookup of an address already parsed: the gate parses each
 * join's address once (client-address resolution) and hands the parsed
 * value to the resolver instead of text the resolver would parse again.
 * Keyed by a symbol, not a public method: {@link GeoResolver}'s contract
 * stays `resolve(address)`; resolvers of this package add this one, and
 * the gate falls back to `resolve` for any resolver without it.
 *
 * @internal
 * @module
 */
import type { IpValue } from '../address/ip.js';
import type { GeoResolver, Location } from './types.js';

/**
 * `resolver[resolveParsed](ip, address)`: the location of `ip`, a global
 * address with embedded IPv4 forms decoded (as client-address resolution
 * gives it), whose canonical text is `address`. Must answer exactly as
 * `resolve(address)` does, and never throw.
 */
export const resolveParsed: unique symbol = Symbol('geoadmit.resolveParsed');

/** A resolver that can locate a parsed address. */
export interface ParsedResolver extends GeoResolver {
  [resolveParsed](ip: IpValue, address: string): Location;
}

/**
 * `geo` when it can locate a parsed address, else undefined. Only a direct
 * instance of a class that defines both lookups qualifies: a subclass (or an
 * object given its own `resolve`) may answer differently from the parent's
 * parsed lookup, so it is asked by text.
 */
export function parsedResolver(geo: GeoResolver): ParsedResolver | undefined {
  if (geo === null || typeof geo !== 'object' || Object.hasOwn(geo, 'resolve')) return undefined;
  const proto: unknown = Object.getPrototypeOf(geo);
  if (proto === null || !Object.hasOwn(proto as object, resolveParsed) || !Object.hasOwn(proto as object, 'resolve')) return undefined;
  return typeof (geo as Partial<ParsedResolver>)[resolveParsed] === 'function' ? (geo as ParsedResolver) : undefined;
}

/** `geo[resolveParsed]` where it has it, else `geo.resolve(address)` (for resolvers that wrap others). */
export function locateParsed(geo: GeoResolver, ip: IpValue, address: string): Location {
  const parsed = parsedResolver(geo);
  return parsed === undefined ? geo.resolve(address) : parsed[resolveParsed](ip, address);
}
