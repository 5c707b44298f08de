import type { Location } from '../geo/types.js';
import type { Reason, RestrictionKind } from '../restrictions/types.js';

interface EventBase {
  /** ISO 8601 time the event happened. */
  time: string;
}

/** A join was decided. */
export interface DecisionEvent extends EventBase {
  type: 'decision';
  meetingId: string;
  hostAccountId?: string;
  participantId: string;
  outcome: 'admitted' | 'denied';
  reasons: Reason[];
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
}

/** A present participant was removed by a restriction. */
export interface RemovalEvent extends EventBase {
  type: 'removal';
  meetingId: string;
  hostAccountId?: string;
  participantId: string;
  restrictionId: string;
  reasons: Reason[];
  /** As in {@link DecisionEvent.location}. */
  location: Location;
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
  name: string;
  jurisdiction: string;
}

/** A restriction was accepted and registered. */
export interface RestrictionAcceptedEvent extends EventBase {
  type: 'restriction.accepted';
  restrictionId: string;
  /**
   * SHA-256 (first 16 hex digits) of the restriction document in canonical
   * JSON: with `restrictionId` it identifies one acceptance across nodes' logs
   * (every node records the restrictions it enforces), while an id reused
   * later for a different document counts as a new one.
   */
  digest: string;
  kind: RestrictionKind;
  authority?: AuditAuthority;
  regions: string[];
  allowRegions?: string[];
  scope: { meetings: string[]; hostAccounts: string[]; all: boolean };
  mode: 'enforce' | 'dry-run';
  validFrom?: string;
  validUntil?: string;
  reference?: string;
  /** Capability gaps: what the configured data cannot answer. */
  warnings: string[];
  /** Meetings in scope with participants present when it was accepted. */
  meetingsReached: number;
  /** Of those, meetings where nobody was removed. */
  meetingsUndisturbed: number;
  /**
   * Participants whose removal this acceptance started (`onRemove` called);
   * each one's outcome is its own `removal` event (`removed` or `pending`).
   */
  removed: number;
}

/** A restriction was refused (invalid, or outside the authority's jurisdiction). */
export interface RestrictionRefusedEvent extends EventBase {
  type: 'restriction.refused';
  restrictionId?: string;
  kind?: string;
  authority?: AuditAuthority;
  regions?: string[];
  /** `E_OUT_OF_JURISDICTION` or `E_INVALID_RESTRICTION`. */
  code: string;
  reason: string;
  path?: string;
  reference?: string;
}

/** A restriction was lifted (by `lift`, or by reaching `validUntil` when `expired`). */
export interface RestrictionLiftedEvent extends EventBase {
  type: 'restriction.lifted';
  restrictionId: string;
  /** The lifted restriction's document digest, as in its `restriction.accepted` event. */
  digest: string;
  kind: RestrictionKind;
  authority?: AuditAuthority;
  expired: boolean;
}

/** A geo database was (re)loaded. */
export interface GeoReloadedEvent extends EventBase {
  type: 'geo.reloaded';
  source: string;
  file: string;
  databaseBuilt?: string;
}

/** Something failed; the gate kept going. */
export interface ErrorEvent extends EventBase {
  type: 'error';
  /** Where it failed. */
  context: 'rule' | 'geo' | 'onRemove' | 'store' | 'audit' | 'listener' | 'timer';
  message: string;
  code?: string;
  meetingId?: string;
  participantId?: string;
  rule?: string;
  file?: string;
  /** The underlying error object (not serialised into audit logs). */
  error?: unknown;
}

/** The shared restriction store's connection or history changed (fleet deployments). */
export interface StoreEvent extends EventBase {
  type: 'store.disconnected' | 'store.reconnected' | 'store.resynced' | 'store.regressed';
  store: string;
  message?: string;
  version?: string;
}

/** Why a gate warns: configuration that quietly weakens enforcement (SPEC 12). */
export type WarningCode = 'forwarded-header-untrusted' | 'trust-all-proxies';

/**
 * Configuration that quietly weakens enforcement. `forwarded-header-untrusted`:
 * a join carried the gate's forwarded header from a non-global peer that no
 * trusted proxy covers, so its participant got an unknown location (at most
 * once a minute per peer /24 or /48). `trust-all-proxies`: at creation, when
 * `trustedProxies` covers every address.
 */
export interface WarningEvent {
  type: 'warning';
  time: string;
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
  | GeoReloadedEvent
  | StoreEvent
  | WarningEvent
  | ErrorEvent;

export type AuditEventType = AuditEvent['type'];

/** The gate's typed event map: `gate.on('decision', e => e.reasons)`. */
export interface GateEventMap {
  decision: DecisionEvent;
  removal: RemovalEvent;
  'restriction.accepted': RestrictionAcceptedEvent;
  'restriction.refused': RestrictionRefusedEvent;
  'restriction.lifted': RestrictionLiftedEvent;
  'geo.reloaded': GeoReloadedEvent;
  'store.disconnected': StoreEvent & { type: 'store.disconnected' };
  'store.reconnected': StoreEvent & { type: 'store.reconnected' };
  'store.resynced': StoreEvent & { type: 'store.resynced' };
  'store.regressed': StoreEvent & { type: 'store.regressed' };
  warning: WarningEvent;
  error: ErrorEvent;
}

/**
 * What an audit sink tells the gate to do while it cannot write: `deny` joins,
 * or `buffer` (keep admitting while events wait in memory). The sink's
 * `whenUnwritable` option; not the gate's `audit.onFailure`.
 */
export type AuditWhenUnwritable = 'deny' | 'buffer';

/** Anything audit sinks can attach to (a gate). */
export interface AuditEventSource {
  on<E extends keyof GateEventMap>(event: E, listener: (event: GateEventMap[E]) => void): () => void;
  /**
   * Told by an audit sink whether it can record events. While a sink with
   * policy `deny` reports unhealthy, the gate denies joins (`audit-unavailable`).
   * Optional: sinks call it only when the source has it.
   */
  setAuditHealth?(sinkId: string, healthy: boolean, policy: AuditWhenUnwritable): void;
}
