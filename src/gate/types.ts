import type { CdnOption, RedactionMode, TrustedProxiesInput } from '../address/index.js';
import type { GateEventMap } from '../events/types.js';
import type { GeoResolver, Location } from '../geo/types.js';
import type { ExemptionDocument, Notice, NormalizedRestriction, Reason, RestrictionDocument } from '../restrictions/types.js';
import type { RestrictionStore } from '../store/types.js';
import type { Clock } from './clock.js';

export { ReasonCode, type ExemptionDocument, type Notice, type PublicText, type Reason } from '../restrictions/types.js';

/** One admission request. */
export interface Join {
  /** Your identifier for the meeting being joined (1–256 characters). */
  meetingId: string;
  /** Your identifier for the joining participant (1–256 characters). */
  participantId: string;
  /** The socket's remote address. */
  peerAddress: string;
  /** The meeting host's account, so account-scoped restrictions apply. */
  hostAccountId?: string;
  /** Request headers (only forwarded headers are read, and only from trusted proxies). */
  headers?: Record<string, string | readonly string[] | undefined>;
  /** Extra evidence for {@link LocationSource} plugins (e.g. `{ dialIn: '+8610...' }`). */
  context?: Record<string, unknown>;
}

/** The answer to a join. */
export interface Decision {
  /** Whether the participant may join; false when any enforce-mode reason denied it. */
  admitted: boolean;
  /** Denials (enforce-mode matches, rule denials). Empty when admitted. */
  reasons: Reason[];
  /** What dry-run restrictions would have denied. */
  dryRun: Reason[];
  /** Where the client address was located (country, subdivisions, or an unknown cause). */
  location: Location;
  /** The normalised client address that was looked up (never in audit events unless `audit.ip: 'raw'`). */
  address?: string;
  /**
   * What the participant is told when an enforced restriction denied or
   * removed them: the restriction's public facts, never their location or
   * address. Absent when admitted, and when only rules denied.
   */
  notice?: Notice;
  /**
   * Restrictions that matched this join but did not deny it because an
   * exemption covers it (one entry per restriction). Absent when none did.
   */
  exempted?: ExemptedReason[];
}

/** One restriction an exemption kept from denying (or removing) a participant: see `Decision.exempted`. */
export interface ExemptedReason {
  /** Always `exempted`. */
  code: 'exempted';
  /** The restriction that matched and did not deny. */
  restrictionId: string;
  /** The exemption that covers the participant. */
  exemptionId: string;
}

/** A validated exemption as `gate.exemptions()` lists it. Frozen. */
export interface Exemption {
  /** The exemption's id. */
  readonly id: string;
  /** The restriction it narrows. */
  readonly restrictionId: string;
  /** Participant ids it covers (possibly empty). */
  readonly participants: readonly string[];
  /** Host accounts it covers (possibly empty). */
  readonly hostAccounts: readonly string[];
  /** Networks it covers, in canonical CIDR form (possibly empty). */
  readonly networks: readonly string[];
  /** Why it was granted. */
  readonly reason: string;
  /** Epoch milliseconds after which it no longer applies, or undefined for "until revoked". */
  readonly validUntil?: number;
  /**
   * Digest of the restriction document it was granted against: it narrows
   * that document only, never a later restriction registered under the same id.
   */
  readonly restrictionDigest: string;
  /** The document as given. */
  readonly source: Readonly<ExemptionDocument>;
}

/**
 * What `gate.revokeExemption` did: the exemption, and the present
 * participants its restriction covers again, removed through `onRemove` as
 * when a restriction starts (or pending when `onRemove` failed).
 */
export interface RevokeExemptionResult {
  /** The exemption revoked. */
  exemption: Exemption;
  /** Present participants removed because the restriction covers them again. */
  removed: ParticipantRef[];
  /** Those whose `onRemove` failed or did not settle in time (see `pendingRemovals()`). */
  pending: ParticipantRef[];
}

/** A participant present in a meeting. */
export interface ParticipantRef {
  /** The meeting the participant is in. */
  meetingId: string;
  /** Your identifier for the participant. */
  participantId: string;
  /** The host account the participant joined under, when the join gave one. */
  hostAccountId?: string;
  /** In fleet-wide answers (`preview`, `restrict` over a store shared by a fleet): the node the participant is connected to. */
  nodeId?: string;
}

/** A rule's answer: deny, or `undefined` for no opinion. Rules can never lift a denial. */
export type RuleVerdict = { deny: true; message?: string } | { deny: false } | undefined;

/** What a rule sees. */
export interface RuleContext {
  /** The join as the application gave it. */
  join: Readonly<Join>;
  /** The resolved location of the join's client address. */
  location: Readonly<Location>;
  /** The restrictions in scope for this join (active now). */
  restrictions: readonly NormalizedRestriction[];
}

/** A plugin that can add denials. */
export interface Rule {
  /** Identifies the rule in `rule` reasons and in error events. */
  readonly name: string;
  /** Return a denial, or `undefined` for no opinion; may be async (bounded by `ruleTimeoutMs`). */
  evaluate(ctx: RuleContext): RuleVerdict | Promise<RuleVerdict>;
}

/** Location evidence beyond the IP address (e.g. a dial-in caller's number). */
export interface LocationSource {
  /** Identifies the source in the `Location.source` it produces. */
  readonly name: string;
  /**
   * Return a location for the join, or `undefined` when this source has no
   * evidence. Must be synchronous and must not do I/O on the hot path.
   */
  locate(join: Readonly<Join>, ipLocation: Readonly<Location>): Location | undefined;
}

/**
 * What `restrict` and `preview` take: a {@link RestrictionDocument} when the
 * argument's type is known (so `{ kind: 'takedwn' }` fails to compile), and
 * anything when it is `unknown` or `any` — a document parsed from JSON, which
 * the gate validates at run time either way.
 */
export type RestrictionInput<T> = T & (unknown extends T ? unknown : RestrictionDocument);

/** Audit settings of a gate. */
export interface GateAuditOptions {
  /** How client addresses appear in events: `truncate` (default: IPv4 /24, IPv6 /48), `hmac`, `omit`, or `raw` (explicit opt-in). */
  ip?: RedactionMode;
  /** The operator's key for `ip: 'hmac'` (stable across restarts). */
  hmacKey?: string | Uint8Array;
  /**
   * What joins do while an attached audit sink cannot record: `deny` denies
   * them (reason `audit-unavailable`); `admit` (default) leaves it to each
   * sink's own policy.
   */
  onFailure?: 'deny' | 'admit';
}

/** Options of `createGate`. Unknown keys are refused (`E_INVALID_CONFIG`, naming the closest known one). */
export interface GateOptions {
  /** Where locations come from. */
  geo: GeoResolver;
  /**
   * Reverse proxies whose forwarded headers are believed: CIDRs, addresses and
   * the names `'loopback'`, `'linklocal'`, `'uniquelocal'` (a list or one
   * comma-separated string), or a function `(address, hop) => boolean`.
   * Empty: headers are ignored (and a `forwarded-header-untrusted` warning says
   * so when one arrives from a non-global peer). Covering every address warns
   * `trust-all-proxies` at creation.
   */
  trustedProxies?: TrustedProxiesInput;
  /**
   * A CDN whose client header is honoured when the hop that sent it is inside
   * the CDN's ranges: `'cloudflare'` (`CF-Connecting-IP`, ranges shipped with
   * the package) or `{ header, ranges }`.
   */
  cdn?: CdnOption;
  /**
   * Which forwarded header the trusted proxies set: `x-forwarded-for`
   * (default) or RFC 7239 `forwarded`. Only that one is read, so a client
   * cannot choose its address through a header the proxy passes along untouched.
   */
  forwardedHeader?: 'x-forwarded-for' | 'forwarded';
  /** Restriction documents to start with (validated; any invalid one makes `createGate` throw), or a shared {@link RestrictionStore}. */
  restrictions?: readonly RestrictionDocument[] | RestrictionStore;
  /**
   * With a remote store: the restrictions to enforce if the store cannot be
   * reached at start (a last-known snapshot). Without it, `ready()` rejects
   * with `E_STORE_UNAVAILABLE`.
   */
  lastKnownRestrictions?: readonly RestrictionDocument[];
  /** Plugins that may add denials (never lift them). */
  rules?: readonly Rule[];
  /** Location evidence beyond the IP address; see {@link LocationSource}. */
  locationSources?: readonly LocationSource[];
  /** A throwing, rejecting or hanging rule denies (`deny`, default) or is ignored (`admit`). */
  onRuleError?: 'deny' | 'admit';
  /**
   * How long an async rule may take before it counts as failed (default 1000 ms).
   * A decision waiting on it keeps the process alive until it is made.
   */
  ruleTimeoutMs?: number;
  /** How addresses are recorded in audit events, and what happens when audit fails. */
  audit?: GateAuditOptions;
  /**
   * Called for each present participant a restriction removes. May be async;
   * a failure, or no answer within `removalTimeoutMs`, leaves the participant
   * pending removal (`pendingRemovals()`).
   */
  onRemove?: (participant: ParticipantRef, decision: Decision) => void | Promise<void>;
  /**
   * How long `restrict` (and a restriction's activation) waits for one
   * `onRemove` to settle (default 10,000 ms). Past it the participant is
   * pending (a `removal` event with status `pending`) and `restrict` resolves;
   * if `onRemove` settles later, a `removal` event with status `removed` follows.
   */
  removalTimeoutMs?: number;
  /**
   * Epoch milliseconds; injectable for tests (`createManualClock` from `geoadmit/testing`).
   * Read once at creation, where anything but a finite number is `E_INVALID_CONFIG`; a
   * reading that goes bad later is replaced by the last good one and reported as an
   * `error` event with context `clock`.
   */
  clock?: Clock;
  /**
   * This gate's name in its fleet (default `<hostname>:<pid>`, with `#2`,
   * `#3`, ... for further gates in one process; 1–128 characters). Audit
   * events carry it as `node`.
   */
  nodeId?: string;
  /**
   * How long a fleet-wide answer (`preview`, `restrict`, `fleetOverview`)
   * waits for the other nodes, and how long a node may go unheard before it
   * no longer counts as live (default 5,000 ms).
   */
  fleetTimeoutMs?: number;
}

/**
 * Which nodes a fleet-wide answer counts. `nodes`: those that answered (this
 * one included); `missing`: those that were live when the question went out
 * but did not answer within `fleetTimeoutMs`. `complete` is true only when
 * nothing is missing and the live members could be read from the store.
 */
export interface FleetCoverage {
  /** Nodes whose part is included, sorted. */
  nodes: string[];
  /** Live nodes that did not answer in time, sorted: their participants are not counted. */
  missing: string[];
  /** True only when every live node answered. */
  complete: boolean;
}

/** A live member of the fleet, as `gate.nodes()` lists it. */
export interface FleetNode {
  /** The node's `nodeId`. */
  nodeId: string;
  /** When the store last heard from it (epoch milliseconds, the store's clock). */
  lastSeen: number;
  /** Participants present on it. */
  participants: number;
  /** The restriction store version it has applied. */
  version: string;
}

/** One meeting counted across the fleet (counts only). */
export interface FleetMeetingOverview extends MeetingOverview {
  /** The nodes with participants in this meeting, sorted. */
  nodes: string[];
}

/** `gate.fleetOverview()`: every meeting with participants on any answering node. */
export interface FleetOverview {
  /** Meetings, each summed across the nodes that answered, sorted by id. */
  meetings: FleetMeetingOverview[];
  /** Participants present across the nodes that answered. */
  participants: number;
  /** Which nodes answered; see {@link FleetCoverage}. */
  coverage: FleetCoverage;
}

/** What `restrict` did (or, from `preview`, would do right now). */
export interface RestrictResult {
  /** The restriction as validated and normalised. */
  restriction: NormalizedRestriction;
  /** Present participants removed (enforce mode, inside the window, `onRemove` succeeded). */
  removed: ParticipantRef[];
  /** Participants whose `onRemove` failed or did not settle in time: still present, listed by `pendingRemovals()`. */
  pending: ParticipantRef[];
  /** Who the restriction matches among present participants (for dry-run: who it would remove). */
  matched: ParticipantRef[];
  /** Meetings in scope with participants present. */
  meetingsReached: string[];
  /** Of those, meetings nobody was (or would be) removed from. */
  meetingsUndisturbed: string[];
  /** What the configured geo data cannot answer for this restriction. */
  warnings: string[];
  /** False when the restriction's window has not started (or has ended). */
  active: boolean;
  /** First 16 hex digits of the SHA-256 of the document in canonical JSON: what the audit events cite. */
  digest: string;
  /**
   * Which nodes of the fleet the figures count (`removed`, `pending`,
   * `matched` and the meeting lists are fleet-wide); see {@link FleetCoverage}.
   */
  coverage: FleetCoverage;
}

/** A participant whose removal failed (or has not settled) and awaits a retry. */
export interface PendingRemoval {
  /** The participant still awaiting removal. */
  participant: ParticipantRef;
  /** The decision that removes the participant, as passed to `onRemove`. */
  decision: Decision;
  /** The id of the restriction that removes the participant. */
  restrictionId: string;
  /** Message of the last `onRemove` failure (or its timeout). */
  error: string;
}

/**
 * One meeting's live state for operators: how many participants are present,
 * counted by country and by subdivision. Never an address or a participant id.
 */
export interface MeetingOverview {
  /** Your identifier for the meeting. */
  meetingId: string;
  /** The host account the meeting's participants joined under, when one was given. */
  hostAccountIds: string[];
  /** Present participants. */
  participants: number;
  /** Participants by ISO country; `unknown` for those without a known location. */
  countries: Record<string, number>;
  /** Participants by ISO 3166-2 subdivision (most specific known), where the data tells. */
  subdivisions: Record<string, number>;
}

/** The admission gate: see `createGate`. */
export interface Gate {
  /** Decide one join. Never throws for hostile input; only `E_INVALID_JOIN` for missing ids or address, or a join object that cannot be read. */
  admit(join: Join): Promise<Decision>;
  /** A participant left; forget them. Returns whether they were present. */
  leave(meetingId: string, participantId: string): boolean;
  /** A meeting ended; forget its roster. Returns how many participants it had. */
  endMeeting(meetingId: string): number;
  /**
   * Validate and register a restriction, removing the present participants it covers.
   *
   * @example
   * await gate.restrict({ id: 'req-1', authority: { name: 'Example Authority', jurisdiction: 'CN' }, regions: ['CN'], scope: { meetings: ['m-1'] } });
   * // a misspelt kind or field does not compile: gate.restrict({ kind: 'takedwn', regoins: ['CN'] })
   */
  restrict<T>(restriction: RestrictionInput<T>): Promise<RestrictResult>;
  /**
   * What `restrict` would do right now, without registering anything, across
   * the fleet: each live node works out its part (see `coverage`).
   */
  preview<T>(restriction: RestrictionInput<T>): Promise<RestrictResult>;
  /** End a restriction. Nobody is re-admitted automatically; nothing queued before the lift re-applies it. */
  lift(id: string): Promise<NormalizedRestriction>;
  /** The registered restrictions. */
  restrictions(): NormalizedRestriction[];
  /**
   * Grant an exemption: the one restriction it names no longer denies or
   * removes the participants, host accounts or networks it lists; every other
   * restriction still applies. Stored in the restriction store (every gate
   * sharing it applies it) and audited as `exemption.granted`.
   *
   * @throws GeoadmitError `E_UNKNOWN_RESTRICTION` when no restriction with
   *   `restrictionId` is registered; `E_INVALID_RESTRICTION` for any other
   *   invalid input (unknown field, a network with host bits set, a duplicate
   *   id), naming the JSON path. Nothing is stored or applied then.
   * @example
   * await gate.exempt({ id: 'appeal-17', restrictionId: 'req-1', participants: ['p-7'], reason: 'appeal 17: travelling, resident in HK' });
   */
  exempt(exemption: ExemptionDocument): Promise<Exemption>;
  /**
   * Revoke an exemption (audited as `exemption.revoked`). Present
   * participants its restriction covers again are removed, as when a
   * restriction starts: nobody the restriction covers stays.
   *
   * @throws GeoadmitError `E_UNKNOWN_RESTRICTION` when no exemption with `id` exists.
   */
  revokeExemption(id: string): Promise<RevokeExemptionResult>;
  /** The exemptions held, sorted by id (including those whose restriction was lifted since: they do nothing). */
  exemptions(): Exemption[];
  /** Participants present in a meeting (all meetings when omitted). */
  participants(meetingId?: string): ParticipantRef[];
  /** Meetings with participants present, counted by country and subdivision (no addresses, no ids). */
  overview(meetingId?: string): MeetingOverview[];
  /**
   * `overview` summed across the fleet: each live node answers with its
   * counts within `fleetTimeoutMs`; `coverage` says which did.
   *
   * @example
   * const { meetings, coverage } = await gate.fleetOverview();
   * if (!coverage.complete) console.warn(`not counted: ${coverage.missing.join(', ')}`);
   */
  fleetOverview(meetingId?: string): Promise<FleetOverview>;
  /**
   * The live members of this gate's fleet (this gate included): those the
   * store heard from within `fleetTimeoutMs`. With a store that carries no
   * fleet traffic (the in-memory one), this gate alone. Rejects with
   * `E_STORE_UNAVAILABLE` when the members cannot be read from the store.
   */
  nodes(): Promise<FleetNode[]>;
  /** This gate's name in its fleet (the `nodeId` option or its default). */
  readonly nodeId: string;
  /** Removals whose `onRemove` failed or has not settled. */
  pendingRemovals(): PendingRemoval[];
  /** Call `onRemove` again for every pending removal; resolves to those that now succeeded. */
  retryRemovals(): Promise<ParticipantRef[]>;
  /**
   * Resolves once the restriction store's snapshot is loaded and, on a shared
   * store, this node listens for the fleet's questions and has announced
   * itself (at most `fleetTimeoutMs` more). Immediately for in-memory
   * restrictions.
   */
  ready(): Promise<void>;
  /** Subscribe to a typed event; returns an unsubscribe function. A throwing listener never stops the others. */
  on<E extends keyof GateEventMap>(event: E, listener: (event: GateEventMap[E]) => void): () => void;
  /** As `on`, for the next event only. */
  once<E extends keyof GateEventMap>(event: E, listener: (event: GateEventMap[E]) => void): () => void;
  /** Remove a listener added with `on` or `once`. */
  off<E extends keyof GateEventMap>(event: E, listener: (event: GateEventMap[E]) => void): void;
  /** Audit sinks report whether they can record (`policy: 'deny'` sinks make the gate deny joins while unhealthy). */
  setAuditHealth(sinkId: string, healthy: boolean, policy: 'deny' | 'buffer'): void;
  /** Stop timers and subscriptions. */
  close(): Promise<void>;
  /** Number of present participants. */
  readonly size: number;
}
