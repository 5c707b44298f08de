import type { Location, UnknownCause } from './types.js';

const cache = new Map<string, Location>();

/**
 * The location of a participant about whom nothing is known, and why:
 * `{ subdivisions: [], source: 'unknown', unknown: cause }`, frozen. One
 * object per cause (and anonymizer flag) is shared by every caller, so
 * resolvers and the gate answer unknowns without allocating.
 *
 * @param cause why nothing is known (`invalid-address`, `non-global`, ...)
 * @param anonymizer set when an anonymizer database answered for an address no location database knows
 * @example
 * unknownLocation('non-global'); // { subdivisions: [], source: 'unknown', unknown: 'non-global' }
 */
export function unknownLocation(cause: UnknownCause, anonymizer?: boolean): Location {
  const key = anonymizer === undefined ? cause : `${cause}:${anonymizer}`;
  let location = cache.get(key);
  if (location === undefined) {
    location = Object.freeze({
      subdivisions: Object.freeze([]) as readonly string[],
      source: 'unknown',
      unknown: cause,
      ...(anonymizer === undefined ? {} : { anonymizer }),
    });
    cache.set(key, location);
  }
  return location;
}
