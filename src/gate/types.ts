import type { Location } from '../geo/types.js';
import type { NormalizedRestriction } from '../restrictions/types.js';

/** Why a join was denied (or, in `Decision.dryRun`, would have been). */
export const ReasonCode = {
  RegionRestricted: 'region-restricted',
  NotInAllowedRegions: 'not-in-allowed-regions',
  UnknownLocation: 'unknown-location',
  Anonymizer: 'anonymizer',
  Rule: 'rule',
  InvalidAddress: 'invalid-address',
  AuditUnavailable: 'audit-unavailable',
} as const;
export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];

/** One reason in a decision. */
export interface Reason {
  code: ReasonCode;
  /** The restriction that matched (absent for `rule` and `audit-unavailable`). */
  restrictionId?: string;
  /** The restricted region the location matched (`region-restricted`). */
  region?: string;
  /** The rule's name (`rule`). */
  rule?: string;
  /** Human-readable detail (a rule's message, an unknown cause). */
  message?: string;
}

/** One admission request. */
export interface Join {
  meetingId: string;
  participantId: string;
  /** The socket's remote address. */
  peerAddress: string;
  hostAccountId?: string;
  /** Request headers (only forwarded headers are read, and only from trusted proxies). */
  headers?: Record<string, string | readonly string[] | undefined>;
  /** Extra evidence for {@link LocationSource} plugins (e.g. `{ dialIn: '+8610...' }`). */
  context?: Record<string, unknown>;
}

/** The answer to a join. */
export interface Decision {
  admitted: boolean;
  /** Denials (enforce-mode matches, rule denials). Empty when admitted. */
  reasons: Reason[];
  /** What dry-run restrictions would have denied. */
  dryRun: Reason[];
  location: Location;
  /** The normalised client address that was looked up (never in audit events unless `audit.ip: 'raw'`). */
  address?: string;
}

/** A participant present in a meeting. */
export interface ParticipantRef {
  meetingId: string;
  participantId: string;
  hostAccountId?: string;
}

/** A rule's answer: deny, or `undefined` for no opinion. Rules can never lift a denial. */
export type RuleVerdict = { deny: true; message?: string } | { deny: false } | undefined;

/** What a rule sees. */
export interface RuleContext {
  join: Readonly<Join>;
  location: Readonly<Location>;
  /** The restrictions in scope for this join (active now). */
  restrictions: readonly NormalizedRestriction[];
}

/** A plugin that can add denials. */
export interface Rule {
  readonly name: string;
  evaluate(ctx: RuleContext): RuleVerdict | Promise<RuleVerdict>;
}

/** Location evidence beyond the IP address (e.g. a dial-in caller's number). */
export interface LocationSource {
  readonly name: string;
  /**
   * Return a location for the join, or `undefined` when this source has no
   * evidence. Must be synchronous and must not do I/O on the hot path.
   */
  locate(join: Readonly<Join>, ipLocation: Readonly<Location>): Location | undefined;
}
