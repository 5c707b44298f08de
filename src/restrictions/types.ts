import type { ErrorCode } from '../errors/index.js';

/**
 * Why a join was denied (or, in `Decision.dryRun`, would have been): one
 * table for the restriction matcher, rules and the gate.
 */
export const ReasonCode = {
  /** A location inside a region a restriction denies. */
  RegionRestricted: 'region-restricted',
  /** A location outside every region an allow-list host policy admits. */
  NotInAllowedRegions: 'not-in-allowed-regions',
  /** The location could not be determined and a restriction says `unknownLocation: 'deny'`. */
  UnknownLocation: 'unknown-location',
  /** The address is marked anonymising (VPN, proxy, Tor) and a restriction says `anonymizers: 'deny'`. */
  Anonymizer: 'anonymizer',
  /** A rule plugin denied the join; `Reason.rule` names it. */
  Rule: 'rule',
  /** The client address could not be parsed or is not a global address. */
  InvalidAddress: 'invalid-address',
  /** An audit sink with the `deny` failure policy cannot record, so joins are denied. */
  AuditUnavailable: 'audit-unavailable',
} as const;
export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];

/** One reason in a decision. */
export interface Reason {
  /** Why the join was (or would have been) denied; see {@link ReasonCode}. */
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
  /** The authority's name as it appears in audit events and transparency reports. */
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
  /** Public wording for the people a denial or removal affects (shown to them in `decision.notice`). */
  notice?: PublicText;
  /** How the people affected can contest the restriction (shown to them with the notice). */
  appeal?: PublicText;
}

/**
 * Public wording in a restriction document (`notice`, `appeal`): at least one
 * of `text` (at most 500 characters) and `url` (an `https:` address).
 */
export interface PublicText {
  /** Plain text for the people affected, at most 500 characters. */
  text?: string;
  /** Where to read more (`notice`) or how to contest (`appeal`): an `https:` URL. */
  url?: string;
}

/**
 * What a participant denied or removed by an enforced restriction is told:
 * public facts of that restriction only (never their location or address).
 * `text`, `url` and `appeal` come from the document's `notice` and `appeal`.
 */
export interface Notice {
  /** The restriction that denied or removed the participant. */
  readonly restrictionId: string;
  /** Its category: `takedown` and `sanctions` are legal demands (HTTP 451), `host-policy` a host's choice. */
  readonly kind: RestrictionKind;
  /** Who issued it, when the document names an authority. */
  readonly authority?: Readonly<Authority>;
  /** The document's reference (letter, case number), when given. */
  readonly reference?: string;
  /** The document's public notice text, when given. */
  readonly text?: string;
  /** The document's public notice URL (`https:`), when given. */
  readonly url?: string;
  /** How to contest it, when the document says. */
  readonly appeal?: Readonly<PublicText>;
}

/** A demand by an authority; may only target regions inside its own jurisdiction. */
export interface TakedownRestriction extends RestrictionBase {
  /** `takedown` (the default when omitted): a demand by an authority. */
  kind?: 'takedown';
  /** Who issued the demand; every region must lie inside its jurisdiction. */
  authority: Authority;
  /** ISO 3166-1 alpha-2 or ISO 3166-2 codes to deny, each inside `authority.jurisdiction`. */
  regions: readonly string[];
}

/** The operator's own legal obligations (e.g. export controls); any regions. */
export interface SanctionsRestriction extends RestrictionBase {
  /** Marks the operator's own legal obligation, reported apart from demands. */
  kind: 'sanctions';
  /** The operator's own legal basis, e.g. `{ name: 'Operator compliance', jurisdiction: 'US' }`. */
  authority: Authority;
  /** ISO 3166-1 alpha-2 or ISO 3166-2 codes to deny; any region is allowed. */
  regions: readonly string[];
}

/** A host's own choice: a deny list (`regions`) or an allow list (`allowRegions`). */
export type HostPolicyRestriction = RestrictionBase & {
  kind: 'host-policy';
  authority?: Authority;
} & ({ regions: readonly string[]; allowRegions?: never } | { allowRegions: readonly string[]; regions?: never });

/**
 * What `gate.exempt` takes: an exemption narrowing exactly one restriction
 * for the participants, host accounts or networks it names (at least one of
 * the three lists). Unknown fields are refused.
 */
export interface ExemptionDocument {
  /** The exemption's unique id (1–256 characters). */
  id: string;
  /** The registered restriction it narrows. */
  restrictionId: string;
  /** Participant ids the restriction no longer denies or removes. */
  participants?: readonly string[];
  /** Host accounts whose meetings the restriction no longer applies to. */
  hostAccounts?: readonly string[];
  /** Client networks (CIDR without host bits, e.g. `203.0.113.0/24`) the restriction no longer denies. */
  networks?: readonly string[];
  /** Why it was granted (the appeal, the licence): recorded in the audit log. */
  reason: string;
  /** ISO 8601 instant after which it no longer applies. */
  validUntil?: string;
}

/** A restriction document as it arrives (plain JSON). */
export type Restriction = TakedownRestriction | SanctionsRestriction | HostPolicyRestriction;

/**
 * The document type `gate.restrict`, `gate.preview` and the `restrictions`
 * option take, so a misspelt field or kind fails to compile
 * (`{ kind: 'takedwn' }`). Documents read from JSON are still validated at
 * run time: the type is a help, not the check.
 */
export type RestrictionDocument = Restriction;

/** The three categories of restriction: an authority's demand, the operator's own sanctions, a host's own policy. */
export type RestrictionKind = 'takedown' | 'sanctions' | 'host-policy';

/**
 * A validated restriction with defaults filled in and codes canonicalised
 * (upper case, replaced subdivision codes mapped to current ones). Frozen.
 */
export interface NormalizedRestriction {
  /** The restriction's unique id, as given in the document. */
  readonly id: string;
  /** The category, `takedown` when the document left it out. */
  readonly kind: RestrictionKind;
  /** Who issued the restriction (always present except for some host policies). */
  readonly authority?: Readonly<Authority>;
  /** Deny list (for `allowRegions` policies: empty). */
  readonly regions: readonly string[];
  /** Allow list, only for host policies written with `allowRegions`. */
  readonly allowRegions?: readonly string[];
  /** Meetings and host accounts the restriction applies to; `all` applies it to every meeting. */
  readonly scope: Readonly<{ meetings: readonly string[]; hostAccounts: readonly string[]; all: boolean }>;
  /** `dry-run` restrictions only report matches; `enforce` (the default) denies and removes. */
  readonly mode: 'enforce' | 'dry-run';
  /** Epoch milliseconds, or undefined for "always". */
  readonly validFrom?: number;
  /** Epoch milliseconds after which it no longer applies, or undefined for "never ends". */
  readonly validUntil?: number;
  /** Whether participants with an unknown location are admitted (default) or denied. */
  readonly unknownLocation: 'admit' | 'deny';
  /** Whether addresses marked anonymising are admitted (default) or denied. */
  readonly anonymizers: 'admit' | 'deny';
  /** Free text from the document (letter, case number, ticket), when given. */
  readonly reference?: string;
  /** Public wording for the people affected, when the document gives it. */
  readonly notice?: Readonly<PublicText>;
  /** How to contest the restriction, when the document says. */
  readonly appeal?: Readonly<PublicText>;
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
  /** Error code of the problem, e.g. `E_INVALID_RESTRICTION`. */
  code: ErrorCode;
  /** JSON path, e.g. `$[2].regions[0]`. */
  path: string;
  /** Human-readable explanation of what is wrong at `path`. */
  message: string;
}

/** Result of `validateRestrictions`. */
export interface RestrictionsValidation {
  /** The documents that passed, normalised, in input order. */
  valid: NormalizedRestriction[];
  /** Every problem found; empty when all documents are valid. */
  problems: RestrictionProblem[];
}
