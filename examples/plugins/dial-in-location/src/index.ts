/**
 * A `LocationSource` plugin: a participant who dials in by phone has no IP
 * address of their own — the IP the gate sees is your SIP/PSTN gateway's.
 * Their E.164 caller number is the better evidence of where they are, so
 * this source gives them the country of their number (via
 * `libphonenumber-js`), and a caller from a restricted country is treated
 * exactly like a web participant located there. `+852` is Hong Kong, not
 * mainland China, just as in the IP databases.
 *
 * Trust: put the number in `join.context` only from your own gateway's
 * signalling (the caller ID it received), never from a client request —
 * otherwise anyone could claim any country.
 *
 * @example
 * const gate = createGate({ geo, locationSources: [dialInLocationSource()] });
 * await gate.admit({ meetingId, participantId, peerAddress: gatewayAddress, context: { dialIn: '+86 10 1234 5678' } });
 */
import type { Join, Location, LocationSource } from 'geoadmit';
// The `max` metadata tells apart countries that share a calling code (+1: US, CA, and Caribbean nations; +7: RU, KZ).
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** Options of {@link dialInLocationSource}. */
export interface DialInLocationOptions {
  /** The `join.context` key holding the caller's number (default `dialIn`). */
  contextKey?: string;
}

/** `Location.source` of locations from this plugin. */
export const DIAL_IN_SOURCE = 'dial-in:e164';

// E.164 numbers have at most 15 digits; allow spaces and punctuation around them, nothing longer.
const MAX_NUMBER_LENGTH = 32;

/** A location source giving dial-in callers the country of their E.164 number. */
export function dialInLocationSource(options: DialInLocationOptions = {}): LocationSource {
  const key = options.contextKey ?? 'dialIn';
  return {
    name: 'dial-in-number',
    locate(join: Readonly<Join>): Location | undefined {
      const context = join.context;
      // hasOwn: a context object built from JSON must not reach inherited properties.
      if (!context || !Object.hasOwn(context, key)) return undefined;
      const number = context[key];
      if (typeof number !== 'string' || number.length > MAX_NUMBER_LENGTH) return undefined;
      // International format only: without a default country a national number cannot be placed.
      const phone = parsePhoneNumberFromString(number);
      // Non-geographic numbers (+800, +882…) and unassigned ranges have no country: no evidence.
      if (!phone?.isValid() || phone.country === undefined) return undefined;
      return { country: phone.country, subdivisions: [], source: DIAL_IN_SOURCE };
    },
  };
}
