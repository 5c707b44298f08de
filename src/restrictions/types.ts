import type { ErrorCode } from '../errors/index.js';

/**
 * Why a join was denied (or, in `Decision.dryRun`, would have been): one
 * table for the restriction matcher, rules and the gate.
 */
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

/** Which meetings a restriction applies to. */
export type RestrictionScope =
  | { meetings?: readonly string[]; hostAccounts?: readonly string[]; all?: never }
  | { all: true; meetings?: never; hostAccounts?: never };

/** Who issued a restriction and the jurisdiction it speaks for. */
export interface Authority {
  name: string;
  /** ISO 3166-1 alpha-2 or ISO 3166-2 code. */
  jurisdiction: string;
}

interface RestrictionBase {
  id: string;
  scope: RestrictionScope;
  /** `enforce` (default) or `dry-run`: matches are reported, nobody is denied or removed. */
  mode?: 'enforce' | 'dry-run';
  /** ISO 8601 instant from which the restriction applies. */
  validFrom?: string;
  /** ISO 8601 instant after which the restriction no longer applies. */
  validUntil?: string;
  /** What to do with participants whose location is unknown (default `admit`). */
  unknownLocation?: 'admit' | 'deny';
  /** What to do with anonymising addresses (default `admit`). */
  anonymizers?: 'admit' | 'deny';
  /** Free text: the letter, case number, ticket. */
  reference?: string;
}

/** A demand by an authority; may only target regions inside its own jurisdiction. */
export interface TakedownRestriction extends RestrictionBase {
  kind?: 'takedown';
  authority: Authority;
  regions: readonly string[];
}

/** The operator's own legal obligations (e.g. export controls); any regions. */
export interface SanctionsRestriction extends RestrictionBase {
  kind: 'sanctions';
  authority: Authority;
  regions: readonly string[];
}

/** A host's own choice: a deny list (`regions`) or an allow list (`allowRegions`). */
export type HostPolicyRestriction = RestrictionBase & {
  kind: 'host-policy';
  authority?: Authority;
} & ({ regions: readonly string[]; allowRegions?: never } | { allowRegions: readonly string[]; regions?: never });

/** A restriction document as it arrives (plain JSON). */
export type Restriction = TakedownRestriction | SanctionsRestriction | HostPolicyRestriction;

/**
 * The document type `gate.restrict`, `gate.preview` and the `restrictions`
 * option take, so a misspelt field or kind fails to compile
 * (`{ kind: 'takedwn' }`). Documents read from JSON are still validated at
 * run time (SPEC 4): the type is a help, not the check.
 */
export type RestrictionDocument = Restriction;

export type RestrictionKind = 'takedown' | 'sanctions' | 'host-policy';

/**
 * A validated restriction with defaults filled in and codes canonicalised
 * (upper case, replaced subdivision codes mapped to current ones). Frozen.
 */
export interface NormalizedRestriction {
  readonly id: string;
  readonly kind: RestrictionKind;
  readonly authority?: Readonly<Authority>;
  /** Deny list (for `allowRegions` policies: empty). */
  readonly regions: readonly string[];
  /** Allow list, only for host policies written with `allowRegions`. */
  readonly allowRegions?: readonly string[];
  readonly scope: Readonly<{ meetings: readonly string[]; hostAccounts: readonly string[]; all: boolean }>;
  readonly mode: 'enforce' | 'dry-run';
  /** Epoch milliseconds, or undefined for "always". */
  readonly validFrom?: number;
  readonly validUntil?: number;
  readonly unknownLocation: 'admit' | 'deny';
  readonly anonymizers: 'admit' | 'deny';
  readonly reference?: string;
  /** The document as given (for audit and listing). */
  readonly source: Readonly<Restriction>;
}

/**
 * Why one restriction applies to one location (see `matchRestriction`).
 * `code` is a decision reason code; `region` is the restricted region the
 * location matched (`region-restricted` only); `message` gives detail such
 * as the unknown-location cause.
 */
export interface RestrictionMatch {
  code: ReasonCode;
  region?: string;
  message?: string;
}

/** Options for `validateRestriction`. */
export interface ValidateRestrictionOptions {
  /** Ids already registered: a document reusing one is refused at `$.id`. */
  existingIds?: ReadonlySet<string> | ((id: string) => boolean);
  /**
   * The current time (epoch ms). Validation does not depend on it today:
   * an expired restriction is valid and simply never active.
   */
  now?: number;
}

/** One problem found by `validateRestrictions`. */
export interface RestrictionProblem {
  /** Index of the document in the input array (0 for a single document). */
  index: number;
  /** The document's id, when it could be read. */
  id?: string;
  code: ErrorCode;
  /** JSON path, e.g. `$[2].regions[0]`. */
  path: string;
  message: string;
}

/** Result of `validateRestrictions`. */
export interface RestrictionsValidation {
  valid: NormalizedRestriction[];
  problems: RestrictionProblem[];
}
