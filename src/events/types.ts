import type { Location } from '../geo/types.js';
import type { Reason, RestrictionKind } from '../restrictions/types.js';

interface EventBase {
  /** ISO 8601 time the event happened. */
  time: string;
  /** The `nodeId` of the gate that recorded it, so merged logs of a fleet say which node did what. */
  node?: string;
}

/** A join was decided. */
export interface DecisionEvent extends EventBase {
  /** Discriminant: always `'decision'`. */
  type: 'decision';
  /** Meeting the participant tried to join, as given to `admit`. */
  meetingId: string;
  /** Host account of the meeting, when the join supplied one (matched against `hostAccounts` scopes). */
  hostAccountId?: string;
  /** Participant that tried to join, as given to `admit`. */
  participantId: string;
  /** `admitted` when the participant was let in, `denied` otherwise (`reasons` says why). */
  outcome: 'admitted' | 'denied';
  /** The denials that decided the outcome (enforce-mode matches, rule denials); empty when admitted. */
  reasons: Reason[];
  /** What dry-run restrictions would have denied; reported only, they never deny. */
  dryRun: Reason[];
  /** Every restriction that matched (enforce and dry-run). */
  restrictionIds: string[];
  /**
   * The location, copied field by field (nothing a custom resolver or location
   * source attached beyond the {@link Location} fields reaches the audit log),
   * its `network` no finer than `audit.ip` allows.
   */
  location: Location;
  /** The client address as `audit.ip` allows (absent for `omit`). */
  address?: string;
  /** Restrictions that matched but did not deny because an exemption covers the join (absent when none). */
  exempted?: { code: 'exempted'; restrictionId: string; exemptionId: string }[];
  /** The restriction whose public notice the denied participant was given (absent when none was: admitted, or denied only by rules). */
  notice?: { restrictionId: string };
}

/** A present participant was removed by a restriction. */
export interface RemovalEvent extends EventBase {
  /** Discriminant: always `'removal'`. */
  type: 'removal';
  /** Meeting the participant was removed from. */
  meetingId: string;
  /** Host account of that meeting, when the join supplied one. */
  hostAccountId?: string;
  /** Participant removed (or whose removal is pending). */
  participantId: string;
  /** Restriction that caused the removal. */
  restrictionId: string;
  /** Why the restriction applies to this participant's location (reason codes as in a decision). */
  reasons: Reason[];
  /** As in {@link DecisionEvent.location}. */
  location: Location;
  /** As in {@link DecisionEvent.address}: the client address as `audit.ip` allows (absent for `omit`). */
  address?: string;
  /**
   * `removed` when `onRemove` succeeded, `pending` when it failed or did not
   * settle within `removalTimeoutMs` (the participant is still present and
   * listed by `pendingRemovals()`; a later `removed` event says when it happened).
   */
  status: 'removed' | 'pending';
}

/** Who issued a restriction, as recorded. */
export interface AuditAuthority {
  /** Name of the issuing authority as stated in the restriction, e.g. `Example Authority`. */
  name: string;
  /** ISO 3166-1 or 3166-2 code of the area the authority speaks for; a takedown's regions must lie inside it. */
  jurisdiction: string;
}

/** A restriction was accepted and registered. */
export interface RestrictionAcceptedEvent extends EventBase {
  /** Discriminant: always `'restriction.accepted'`. */
  type: 'restriction.accepted';
  /** The restriction document's `id`. */
  restrictionId: string;
  /**
   * SHA-256 (first 16 hex digits) of the restriction document in canonical
   * JSON: with `restrictionId` it identifies one acceptance across nodes' logs
   * (every node records the restrictions it enforces), while an id reused
   * later for a different document counts as a new one.
   */
  digest: string;
  /** `takedown`, `sanctions` or `host-policy`. */
  kind: RestrictionKind;
  /** Who issued it; absent only for a host policy given without one. */
  authority?: AuditAuthority;
  /** Denied regions as ISO 3166-1 or 3166-2 codes (e.g. `CN`, `US-CA`), as in the document. */
  regions: string[];
  /** For an allow-list host policy: the only regions admitted (everyone located elsewhere is denied). */
  allowRegions?: string[];
  /** Where it applies: listed meeting ids, listed host account ids, or every meeting when `all` is true. */
  scope: { meetings: string[]; hostAccounts: string[]; all: boolean };
  /** `enforce` denies and removes; `dry-run` only reports matches. */
  mode: 'enforce' | 'dry-run';
  /** ISO 8601 time from which it applies; absent when it applies at once. */
  validFrom?: string;
  /** ISO 8601 time at which it stops applying by itself; absent when open-ended. */
  validUntil?: string;
  /** The demand's own reference (e.g. a letter number), as given in the document. */
  reference?: string;
  /** The public notice participants it denies or removes are given, as in the document. */
  notice?: { text?: string; url?: string };
  /** How they can contest it, as in the document. */
  appeal?: { text?: string; url?: string };
  /** Capability gaps: what the configured data cannot answer. */
  warnings: string[];
  /** Meetings in scope with participants present when it was accepted. */
  meetingsReached: number;
  /** Of those, meetings where nobody was removed. */
  meetingsUndisturbed: number;
  /**
   * The ids of the meetings reached and of those undisturbed (at most 1,000
   * reached; absent beyond): a report merged from several nodes' logs counts
   * each meeting once for the fleet, undisturbed only when no node removed
   * anyone from it.
   */
  reachedMeetings?: string[];
  /** See {@link RestrictionAcceptedEvent.reachedMeetings}. */
  undisturbedMeetings?: string[];
  /**
   * Participants whose removal this acceptance started (`onRemove` called);
   * each one's outcome is its own `removal` event (`removed` or `pending`).
   */
  removed: number;
}

/** A restriction was refused (invalid, or outside the authority's jurisdiction). */
export interface RestrictionRefusedEvent extends EventBase {
  /** Discriminant: always `'restriction.refused'`. */
  type: 'restriction.refused';
  /** The document's `id`, when it had a readable one. */
  restrictionId?: string;
  /**
   * Digest of the refused document (as `restriction.accepted` carries for an
   * accepted one), when it could be computed: the same document refused
   * again has the same digest, so a report counts it as one demand.
   */
  digest?: string;
  /** The `kind` as given (possibly invalid), when present. */
  kind?: string;
  /** The authority as given, when it could be read. */
  authority?: AuditAuthority;
  /** The regions as given, when they could be read. */
  regions?: string[];
  /** `E_OUT_OF_JURISDICTION` or `E_INVALID_RESTRICTION`. */
  code: string;
  /** Human-readable explanation of why it was refused. */
  reason: string;
  /** JSON path at fault in the document, e.g. `$.regions[1]`, when known. */
  path?: string;
  /** The document's `reference`, when given. */
  reference?: string;
}

/** A restriction was lifted (by `lift`, or by reaching `validUntil` when `expired`). */
export interface RestrictionLiftedEvent extends EventBase {
  /** Discriminant: always `'restriction.lifted'`. */
  type: 'restriction.lifted';
  /** Id of the lifted restriction. */
  restrictionId: string;
  /** The lifted restriction's document digest, as in its `restriction.accepted` event. */
  digest: string;
  /** Its kind: `takedown`, `sanctions` or `host-policy`. */
  kind: RestrictionKind;
  /** Who issued it, as recorded when it was accepted. */
  authority?: AuditAuthority;
  /** True when it ended by reaching `validUntil`; false when removed by `lift`. */
  expired: boolean;
}

/** An exemption was granted (`gate.exempt`, or applied from a shared store). */
export interface ExemptionGrantedEvent extends EventBase {
  /** Discriminant: always `'exemption.granted'`. */
  type: 'exemption.granted';
  /** Id of the exemption. */
  exemptionId: string;
  /** The restriction it narrows. */
  restrictionId: string;
  /** Digest of that restriction's document, as in its `restriction.accepted` event. */
  restrictionDigest: string;
  /** The restriction's kind, when it is registered here. */
  kind?: RestrictionKind;
  /** The restriction's authority, when it is registered here and names one. */
  authority?: AuditAuthority;
  /** Participant ids it covers. */
  participants: string[];
  /** Host accounts it covers. */
  hostAccounts: string[];
  /** How many networks it covers (the networks themselves stay out of the log: they may be one person's address). */
  networks: number;
  /** Why it was granted. */
  reason: string;
  /** When it stops applying (ISO 8601), when it does. */
  validUntil?: string;
}

/** An exemption was revoked (`gate.revokeExemption`, a shared store) or reached its `validUntil` (`expired`). */
export interface ExemptionRevokedEvent extends EventBase {
  /** Discriminant: always `'exemption.revoked'`. */
  type: 'exemption.revoked';
  /** Id of the exemption. */
  exemptionId: string;
  /** The restriction it narrowed. */
  restrictionId: string;
  /** The restriction's kind, when it is registered here. */
  kind?: RestrictionKind;
  /** The restriction's authority, when it is registered here and names one. */
  authority?: AuditAuthority;
  /** True when it ended by reaching `validUntil`; false when revoked. */
  expired: boolean;
}

/** A geo database was (re)loaded. */
export interface GeoReloadedEvent extends EventBase {
  /** Discriminant: always `'geo.reloaded'`. */
  type: 'geo.reloaded';
  /** Resolver that loaded it, e.g. `mmdb:GeoLite2-Country`. */
  source: string;
  /** Path of the database file that was loaded. */
  file: string;
  /** Build date of the loaded database (ISO 8601), when the file records one. */
  databaseBuilt?: string;
}

/** Something failed; the gate kept going. */
export interface ErrorEvent extends EventBase {
  /** Discriminant: always `'error'`. */
  type: 'error';
  /** Where it failed (`clock`: the gate's clock answered something other than epoch milliseconds; the gate used its last good reading). */
  context: 'rule' | 'geo' | 'onRemove' | 'store' | 'audit' | 'listener' | 'timer' | 'clock';
  /** Human-readable description of the failure. */
  message: string;
  /** The underlying error's stable code (`E_…`), when it was a `GeoadmitError`. */
  code?: string;
  /** Meeting being handled when it failed, when the failure concerns one (e.g. `onRemove`). */
  meetingId?: string;
  /** Participant being handled when it failed, when the failure concerns one. */
  participantId?: string;
  /** Name of the rule that threw or timed out (context `rule`). */
  rule?: string;
  /** Database or log file involved, when the failure concerns one. */
  file?: string;
  /** The underlying error object (not serialised into audit logs). */
  error?: unknown;
}

/** The shared restriction store's connection or history changed (fleet deployments). */
export interface StoreEvent extends EventBase {
  /** What changed: connection lost or back, history reloaded from a snapshot (`resynced`), or version gone backwards (`regressed`: restrictions may have been lost). */
  type: 'store.disconnected' | 'store.reconnected' | 'store.resynced' | 'store.regressed';
  /** Name of the store (its `metadata.name`). */
  store: string;
  /** What happened (connection error, or why it resynced or regressed), when known. */
  message?: string;
  /** The store's version after the change, when known. */
  version?: string;
  /** For `store.regressed`: the restrictions this node enforces that the store no longer holds (kept in force; `reseed` writes them back). */
  missing?: string[];
  /** For `store.regressed`: the exemptions this node holds that the store no longer holds (still held here; `reseed` writes them back). */
  missingExemptions?: string[];
}

/** Why a gate warns: configuration that quietly weakens enforcement. */
export type WarningCode = 'forwarded-header-untrusted' | 'forwarded-header-missing' | 'trust-all-proxies';

/**
 * Configuration that quietly weakens enforcement. `forwarded-header-untrusted`:
 * a join carried the gate's forwarded header from a non-global peer that no
 * trusted proxy covers, so its participant got an unknown location (at most
 * once a minute per peer /24 or /48). `forwarded-header-missing`: a join
 * came from a trusted proxy without the gate's forwarded header, or with one
 * that holds no usable address, so everyone behind that proxy gets the
 * proxy's location or none (at most once a minute per proxy).
 * `trust-all-proxies`: at creation, when `trustedProxies` covers every address.
 */
export interface WarningEvent {
  /** Discriminant: always `'warning'`. */
  type: 'warning';
  /** ISO 8601 time the warning was raised. */
  time: string;
  /** The `nodeId` of the gate that raised it. */
  node?: string;
  /** Which misconfiguration; see {@link WarningCode}. */
  code: WarningCode;
  /** What is wrong and what to change, in one sentence. */
  message: string;
  /** The peer the warning is about, redacted as the `audit.ip` setting says (truncated by default). */
  peer?: string;
}

/** Every audit event, discriminated by `type`. */
export type AuditEvent =
  | DecisionEvent
  | RemovalEvent
  | RestrictionAcceptedEvent
  | RestrictionRefusedEvent
  | RestrictionLiftedEvent
  | ExemptionGrantedEvent
  | ExemptionRevokedEvent
  | GeoReloadedEvent
  | StoreEvent
  | WarningEvent
  | ErrorEvent;

/** The `type` of any audit event, e.g. `'decision'` or `'store.regressed'`. */
export type AuditEventType = AuditEvent['type'];

/** The gate's typed event map: `gate.on('decision', e => e.reasons)`. */
export interface GateEventMap {
  /** Every join decided by `admit`, admitted or denied. */
  decision: DecisionEvent;
  /** A present participant was removed, or their removal is pending, because of a restriction. */
  removal: RemovalEvent;
  /** A restriction was registered (through `restrict` or a shared store). */
  'restriction.accepted': RestrictionAcceptedEvent;
  /** A restriction was rejected as invalid or out of jurisdiction. */
  'restriction.refused': RestrictionRefusedEvent;
  /** A restriction ended, by `lift` or by reaching `validUntil`. */
  'restriction.lifted': RestrictionLiftedEvent;
  /** An exemption narrowing one restriction was granted. */
  'exemption.granted': ExemptionGrantedEvent;
  /** An exemption was revoked or expired. */
  'exemption.revoked': ExemptionRevokedEvent;
  /** A geo database file was (re)loaded. */
  'geo.reloaded': GeoReloadedEvent;
  /** The shared restriction store became unreachable; the gate keeps enforcing what it has. */
  'store.disconnected': StoreEvent & { type: 'store.disconnected' };
  /** The shared store is reachable again; the gate catches up from its last version. */
  'store.reconnected': StoreEvent & { type: 'store.reconnected' };
  /** The gate's last store version was gone, so it reloaded the full snapshot. */
  'store.resynced': StoreEvent & { type: 'store.resynced' };
  /** The store's version went backwards (e.g. restarted empty): restrictions may have been lost. */
  'store.regressed': StoreEvent & { type: 'store.regressed' };
  /** Configuration that quietly weakens enforcement (see {@link WarningEvent}). */
  warning: WarningEvent;
  /** A failure the gate survived (rule, geo, `onRemove`, store, audit, listener or timer). */
  error: ErrorEvent;
}

/**
 * Every event type a gate emits, each once: the one list that the audit sink,
 * the testing kit and the operator console subscribe from. A `Record` over
 * {@link GateEventMap}, so a type added to the map and not here (or listed
 * here and not in the map) fails to compile.
 *
 * @example
 * for (const type of GATE_EVENT_TYPES) gate.on(type, (event) => auditLog.write(event));
 */
export const GATE_EVENT_TYPES: readonly (keyof GateEventMap)[] = Object.freeze(
  Object.keys({
    decision: true,
    removal: true,
    'restriction.accepted': true,
    'restriction.refused': true,
    'restriction.lifted': true,
    'exemption.granted': true,
    'exemption.revoked': true,
    'geo.reloaded': true,
    'store.disconnected': true,
    'store.reconnected': true,
    'store.resynced': true,
    'store.regressed': true,
    warning: true,
    error: true,
  } satisfies Record<keyof GateEventMap, true>) as (keyof GateEventMap)[],
);

/**
 * What an audit sink tells the gate to do while it cannot write: `deny` joins,
 * or `buffer` (keep admitting while events wait in memory). The sink's
 * `whenUnwritable` option; not the gate's `audit.onFailure`.
 */
export type AuditWhenUnwritable = 'deny' | 'buffer';

/** Anything audit sinks can attach to (a gate). */
export interface AuditEventSource {
  /** Subscribe to one event type; returns a function that unsubscribes. */
  on<E extends keyof GateEventMap>(event: E, listener: (event: GateEventMap[E]) => void): () => void;
  /**
   * Told by an audit sink whether it can record events. While a sink with
   * policy `deny` reports unhealthy, the gate denies joins (`audit-unavailable`).
   * Optional: sinks call it only when the source has it.
   */
  setAuditHealth?(sinkId: string, healthy: boolean, policy: AuditWhenUnwritable): void;
}
