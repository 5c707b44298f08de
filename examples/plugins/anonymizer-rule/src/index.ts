/**
 * A `Rule` plugin: meetings that opted in refuse participants on anonymising
 * networks (VPN, proxy, Tor), whatever the restrictions say.
 *
 * Why a rule and not a restriction: a restriction's `anonymizers: "deny"`
 * belongs to a legal instruction with an issuer and regions; this is a
 * product setting chosen per meeting (think "verified-location meetings"),
 * so it lives with your meeting settings. Rules can only add denials, so it
 * can never weaken a restriction.
 *
 * It needs a resolver that knows anonymisers, e.g. a GeoIP2 Anonymous IP
 * database layered on the country database:
 * `MaxMindResolver.open(['GeoLite2-Country.mmdb', 'GeoIP2-Anonymous-IP.mmdb'])`.
 *
 * @example
 * const optedIn = new Set(['m-townhall']);
 * const gate = createGate({ geo, rules: [anonymizerRule({ appliesTo: (join) => optedIn.has(join.meetingId) })] });
 */
import type { Join, Rule } from 'geoadmit';

/** Options of {@link anonymizerRule}. */
export interface AnonymizerRuleOptions {
  /** Whether the join's meeting opted in. Called on the hot path: keep it an in-memory lookup. */
  appliesTo(join: Readonly<Join>): boolean;
  /** Rule name shown in decisions and audit events (default `deny-anonymizers`). */
  name?: string;
}

/** A rule denying joins from addresses the geo data marks as anonymising, in meetings that opted in. */
export function anonymizerRule(options: AnonymizerRuleOptions): Rule {
  return {
    name: options.name ?? 'deny-anonymizers',
    evaluate({ join, location }) {
      if (!options.appliesTo(join)) return undefined;
      // Only a positive mark counts: "not known to be a VPN" is not evidence of one.
      if (location.anonymizer !== true) return undefined;
      return { deny: true, message: 'this meeting does not accept connections through VPNs, proxies or Tor' };
    },
  };
}
