import {
  compileTrustedProxies,
  redactAddress,
  resolveClientAddress,
  type TrustedProxies,
} from '../address/index.js';
import { ErrorCode, GeoadmitError } from '../errors/index.js';
import { SafeEmitter } from '../events/emitter.js';
import type {
  AuditIpMode,
  AuditLocation,
  DecisionEvent,
  ErrorEvent,
  GateEventMap,
  RemovalEvent,
  RestrictionAcceptedEvent,
  RestrictionLiftedEvent,
} from '../events/types.js';
import type { GeoResolver, Location } from '../geo/types.js';
import {
  canonicalRegion,
  describeCapabilityGaps,
  isActive,
  matchRestriction,
  validateRestriction,
} from '../restrictions/index.js';
import { effectiveCountry } from '../restrictions/regions.js';
import type { NormalizedRestriction, Restriction } from '../restrictions/types.js';
import { createHash } from 'node:crypto';
import { truncateCanonical } from '../address/redact.js';
import { canonicalJson } from '../audit/internal/canonical.js';
import { InMemoryRestrictionStore } from '../store/memory.js';
import type { RestrictionChange, RestrictionSnapshot, RestrictionStore } from '../store/types.js';
import { type Clock, scheduleAt } from './clock.js';
import { RestrictionRegistry, type Registered } from './internal/registry.js';
import { Roster, type RosterEntry } from './internal/roster.js';
import type {
  Decision,
  Join,
  LocationSource,
  ParticipantRef,
  Reason,
  Rule,
  RuleVerdict,
} from './types.js';

/** Audit settings of a gate. */
export interface GateAuditOptions {
  /** How client addresses appear in events: `truncate` (default: IPv4 /24, IPv6 /48), `hmac`, `omit`, or `raw` (explicit opt-in). */
  ip?: AuditIpMode;
  /** The operator's key for `ip: 'hmac'` (stable across restarts). */
  hmacKey?: string | Uint8Array;
  /**
   * What joins do while an attached audit sink cannot record: `deny` denies
   * them (reason `audit-unavailable`); `admit` (default) leaves it to each
   * sink's own policy.
   */
  onFailure?: 'deny' | 'admit';
}

/** Options of {@link createGate}. */
export interface GateOptions {
  /** Where locations come from. */
  geo: GeoResolver;
  /** CIDRs of reverse proxies whose forwarded headers are believed. Empty: headers are ignored. */
  trustedProxies?: readonly string[];
  /**
   * Which forwarded header the trusted proxies set: `x-forwarded-for`
   * (default) or RFC 7239 `forwarded`. Only that one is read, so a client
   * cannot choose its address through a header the proxy passes along untouched.
   */
  forwardedHeader?: 'x-forwarded-for' | 'forwarded';
  /** Restriction documents to start with (validated; any invalid one makes `createGate` throw), or a shared {@link RestrictionStore}. */
  restrictions?: readonly unknown[] | RestrictionStore;
  /**
   * With a remote store: the restrictions to enforce if the store cannot be
   * reached at start (a last-known snapshot). Without it, `ready()` rejects
   * with `E_STORE_UNAVAILABLE`.
   */
  lastKnownRestrictions?: readonly unknown[];
  /** Plugins that may add denials (never lift them). */
  rules?: readonly Rule[];
  /** Location evidence beyond the IP address; see {@link LocationSource}. */
  locationSources?: readonly LocationSource[];
  /** A throwing, rejecting or hanging rule denies (`deny`, default) or is ignored (`admit`). */
  onRuleError?: 'deny' | 'admit';
  /** How long an async rule may take before it counts as failed (default 1000 ms). */
  ruleTimeoutMs?: number;
  audit?: GateAuditOptions;
  /** Called for each present participant a restriction removes. May be async; a failure leaves the participant pending removal. */
  onRemove?: (participant: ParticipantRef, decision: Decision) => void | Promise<void>;
  /** Epoch milliseconds; injectable for tests (`createManualClock` from `geoadmit/testing`). */
  clock?: Clock;
}

/** What `restrict` did (or, from `preview`, would do right now). */
export interface RestrictResult {
  restriction: NormalizedRestriction;
  /** Present participants removed (enforce mode, inside the window, `onRemove` succeeded). */
  removed: ParticipantRef[];
  /** Participants whose `onRemove` failed: still present, listed by `pendingRemovals()`. */
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
}

/** A participant whose removal failed and awaits a retry. */
export interface PendingRemoval {
  participant: ParticipantRef;
  decision: Decision;
  restrictionId: string;
  error: string;
}

/**
 * One meeting's live state for operators: how many participants are present,
 * counted by country and by subdivision. Never an address or a participant id.
 */
export interface MeetingOverview {
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

/** The admission gate: see {@link createGate}. */
export interface Gate {
  /** Decide one join. Never throws for hostile input; only `E_INVALID_JOIN` for missing ids or address. */
  admit(join: Join): Promise<Decision>;
  /** A participant left; forget them. Returns whether they were present. */
  leave(meetingId: string, participantId: string): boolean;
  /** A meeting ended; forget its roster. Returns how many participants it had. */
  endMeeting(meetingId: string): number;
  /** Validate and register a restriction, removing the present participants it covers. */
  restrict(restriction: unknown): Promise<RestrictResult>;
  /** What `restrict` would do right now, without registering anything. */
  preview(restriction: unknown): Promise<RestrictResult>;
  /** End a restriction. Nobody is re-admitted automatically. */
  lift(id: string): Promise<NormalizedRestriction>;
  /** The registered restrictions. */
  restrictions(): NormalizedRestriction[];
  /** Participants present in a meeting (all meetings when omitted). */
  participants(meetingId?: string): ParticipantRef[];
  /** Meetings with participants present, counted by country and subdivision (no addresses, no ids). */
  overview(meetingId?: string): MeetingOverview[];
  /** Removals whose `onRemove` failed. */
  pendingRemovals(): PendingRemoval[];
  /** Call `onRemove` again for every pending removal; resolves to those that now succeeded. */
  retryRemovals(): Promise<ParticipantRef[]>;
  /** Resolves once the restriction store's snapshot is loaded (immediately for in-memory restrictions). */
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

const MAX_ID_LENGTH = 256;

/** A join located and checked against the restrictions in scope, before rules and the roster. */
interface Assessment {
  now: number;
  location: Location;
  address: string | undefined;
  reasons: Reason[];
  dryRun: Reason[];
  matchedIds: string[];
}
const UNKNOWN_INVALID: Location = Object.freeze({ subdivisions: Object.freeze([]) as readonly string[], source: 'unknown', unknown: 'invalid-address' as const });
const UNKNOWN_NON_GLOBAL: Location = Object.freeze({ subdivisions: Object.freeze([]) as readonly string[], source: 'unknown', unknown: 'non-global' as const });
const UNKNOWN_LOOKUP_ERROR: Location = Object.freeze({ subdivisions: Object.freeze([]) as readonly string[], source: 'unknown', unknown: 'lookup-error' as const });

/**
 * Create an admission gate.
 *
 * @example
 * const gate = createGate({ geo: await MaxMindResolver.open(['GeoLite2-Country.mmdb']), trustedProxies: ['10.0.0.0/8'] });
 * const decision = await gate.admit({ meetingId: 'm-1', participantId: 'p-1', peerAddress: socket.remoteAddress });
 * if (!decision.admitted) socket.close(4003, decision.reasons[0]?.code);
 */
export function createGate(options: GateOptions): Gate {
  return new GateImpl(options);
}

class GateImpl implements Gate {
  readonly #geo: GeoResolver;
  readonly #trusted: TrustedProxies | undefined;
  readonly #rules: readonly Rule[];
  readonly #sources: readonly LocationSource[];
  readonly #onRuleError: 'deny' | 'admit';
  readonly #ruleTimeoutMs: number;
  readonly #ipMode: AuditIpMode;
  readonly #hmacKey: string | Uint8Array | undefined;
  readonly #redact: (address: string) => string | undefined;
  readonly #auditOnFailure: 'deny' | 'admit';
  readonly #onRemove: GateOptions['onRemove'];
  readonly #clock: Clock;
  readonly #emitter: SafeEmitter<GateEventMap>;
  readonly #registry = new RestrictionRegistry();
  readonly #roster = new Roster();
  readonly #pending = new Map<string, PendingRemoval>();
  readonly #store: RestrictionStore;
  readonly #unhealthySinks = new Map<string, 'deny' | 'buffer'>();
  // Ids this gate is writing to the store right now: the feed's echo of them is applied by restrict itself.
  readonly #inflight = new Set<string>();
  // Feed changes for ids being written here, replayed once the write settles: if another node won the
  // race for the id, its restriction must still be enforced here.
  readonly #deferred = new Map<string, RestrictionChange[]>();
  readonly #feedQueue: RestrictionChange[] = [];
  readonly #cleanups: (() => void)[] = [];
  #ready: Promise<void>;
  #isReady = false;
  #closed = false;
  #storeVersion = '0';
  #storeRetry: (() => void) | undefined;

  constructor(options: GateOptions) {
    if (options === null || typeof options !== 'object') {
      throw new GeoadmitError(ErrorCode.InvalidConfig, 'createGate: options must be an object', { argument: 'options' });
    }
    if (!options.geo || typeof options.geo.resolve !== 'function') {
      throw new GeoadmitError(ErrorCode.InvalidConfig, 'createGate: options.geo must be a GeoResolver (an object with resolve(address))', { argument: 'geo' });
    }
    this.#geo = options.geo;
    this.#trusted = options.trustedProxies && options.trustedProxies.length > 0 ? compileTrustedProxies(options.trustedProxies, options.forwardedHeader ? { header: options.forwardedHeader } : {}) : undefined;
    this.#rules = [...(options.rules ?? [])];
    this.#rules.forEach((rule, i) => {
      if (!rule || typeof rule.name !== 'string' || typeof rule.evaluate !== 'function') {
        throw new GeoadmitError(ErrorCode.InvalidConfig, `createGate: rules[${i}] must have a name and an evaluate function`, { argument: `rules[${i}]` });
      }
    });
    this.#sources = [...(options.locationSources ?? [])];
    this.#onRuleError = options.onRuleError ?? 'deny';
    this.#ruleTimeoutMs = options.ruleTimeoutMs ?? 1000;
    this.#ipMode = options.audit?.ip ?? 'truncate';
    if (!['truncate', 'hmac', 'omit', 'raw'].includes(this.#ipMode)) {
      throw new GeoadmitError(ErrorCode.InvalidConfig, `createGate: audit.ip must be 'truncate', 'hmac', 'omit' or 'raw', not ${JSON.stringify(this.#ipMode)}`, { argument: 'audit.ip' });
    }
    this.#hmacKey = options.audit?.hmacKey;
    if (this.#ipMode === 'hmac' && (this.#hmacKey === undefined || this.#hmacKey.length === 0)) {
      throw new GeoadmitError(ErrorCode.InvalidConfig, "createGate: audit.ip 'hmac' needs audit.hmacKey", { argument: 'audit.hmacKey' });
    }
    this.#redact = redactorFor(this.#ipMode, this.#hmacKey);
    this.#auditOnFailure = options.audit?.onFailure ?? 'admit';
    this.#onRemove = options.onRemove;
    this.#clock = options.clock ?? Date.now;
    this.#emitter = new SafeEmitter<GateEventMap>((error, event) => {
      // A listener that throws is reported, unless it was an error listener (no loops).
      if (event !== 'error') this.#error('listener', `a '${String(event)}' listener threw: ${message(error)}`, { error });
    });

    if (this.#geo.on) {
      this.#cleanups.push(
        this.#geo.on('geo.reloaded', (e) => this.#emitter.emit('geo.reloaded', { type: 'geo.reloaded', time: iso(e.time), source: e.source, file: e.file, ...(e.databaseBuilt ? { databaseBuilt: e.databaseBuilt } : {}) })),
        this.#geo.on('error', (e) => this.#error('geo', e.error.message, { error: e.error, ...(e.file ? { file: e.file } : {}) })),
      );
    }

    const given = options.restrictions;
    if (given === undefined || Array.isArray(given)) {
      // Validate everything before anything is registered: nothing half-applied.
      const normalized = this.#validateAll(given ?? [], 'restrictions');
      this.#store = new InMemoryRestrictionStore(normalized.map((r) => r.source as Restriction));
      for (const r of normalized) void this.#register(r, '0', false);
      // Listeners attached right after createGate (an audit sink) still record what the gate starts with.
      queueMicrotask(() => {
        for (const r of normalized) if (this.#registry.has(r.id) && !this.#closed) this.#emitAccepted(this.#impact(r, this.#clock()), r, 0);
      });
      this.#isReady = true;
      this.#ready = Promise.resolve();
      this.#follow('0');
    } else {
      this.#store = given as RestrictionStore;
      const fallback = options.lastKnownRestrictions ? this.#validateAll(options.lastKnownRestrictions, 'lastKnownRestrictions') : undefined;
      this.#ready = this.#loadStore(fallback);
      // Callers who never await ready() must not crash the process with an unhandled rejection.
      this.#ready.catch(() => undefined);
    }
  }

  get size(): number {
    return this.#roster.size;
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  on<E extends keyof GateEventMap>(event: E, listener: (event: GateEventMap[E]) => void): () => void {
    return this.#emitter.on(event, listener);
  }

  once<E extends keyof GateEventMap>(event: E, listener: (event: GateEventMap[E]) => void): () => void {
    return this.#emitter.once(event, listener);
  }

  off<E extends keyof GateEventMap>(event: E, listener: (event: GateEventMap[E]) => void): void {
    this.#emitter.off(event, listener);
  }

  setAuditHealth(sinkId: string, healthy: boolean, policy: 'deny' | 'buffer'): void {
    if (healthy) this.#unhealthySinks.delete(sinkId);
    else this.#unhealthySinks.set(sinkId, policy);
  }

  // ---------------------------------------------------------------- admission

  admit(join: Join): Promise<Decision> {
    try {
      checkJoin(join);
      this.#assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    // Without rules to await and with restrictions loaded, a decision is made synchronously.
    if (!this.#isReady || this.#rules.length > 0) return this.#admitAsync(join);
    try {
      return Promise.resolve(this.#conclude(join, this.#assess(join)));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #admitAsync(join: Join): Promise<Decision> {
    if (!this.#isReady) await this.#ready;
    const assessment = this.#assess(join);
    if (this.#rules.length > 0) await this.#runRules(join, assessment.location, assessment.now, assessment.reasons);
    return this.#conclude(join, assessment);
  }

  /** Locates the join and applies every restriction in scope. */
  #assess(join: Join): Assessment {
    const now = this.#clock();
    const { location, address } = this.#locate(join);
    const reasons: Reason[] = [];
    const dryRun: Reason[] = [];
    const matchedIds: string[] = [];
    this.#evaluate(this.#registry.forMeeting(join.meetingId), location, now, reasons, dryRun, matchedIds, undefined);
    this.#evaluate(this.#registry.forHost(join.hostAccountId), location, now, reasons, dryRun, matchedIds, join.meetingId);
    this.#evaluate(this.#registry.forAllAlways(), location, now, reasons, dryRun, matchedIds, undefined);
    if (location.country !== undefined) {
      this.#evaluate(this.#registry.forAllInCountry(effectiveCountry(location)), location, now, reasons, dryRun, matchedIds, undefined);
    }
    return { now, location, address, reasons, dryRun, matchedIds };
  }

  /** Turns an assessment into the decision: roster, decision event. */
  #conclude(join: Join, { now, location, address, reasons, dryRun, matchedIds }: Assessment): Decision {
    if (this.#unhealthySinks.size > 0 && this.#auditBlocked()) {
      reasons.push({ code: 'audit-unavailable', message: 'the audit log cannot record decisions' });
    }
    // Registration order must not show in the answer.
    if (reasons.length > 1) reasons.sort(compareReasons);
    if (dryRun.length > 1) dryRun.sort(compareReasons);

    const admitted = reasons.length === 0;
    const decision: Decision = address === undefined ? { admitted, reasons, dryRun, location } : { admitted, reasons, dryRun, location, address };
    const redacted = address === undefined ? undefined : this.#redact(address);
    const hostAccountId = join.hostAccountId;
    if (admitted) {
      this.#roster.add({ meetingId: join.meetingId, participantId: join.participantId, hostAccountId, location, address: redacted });
      // A re-join replaces the earlier entry, and with it any removal still pending for it.
      if (this.#pending.size > 0) this.#pending.delete(key(join.meetingId, join.participantId));
    }
    if (this.#emitter.has('decision')) {
      const event: DecisionEvent = {
        type: 'decision',
        time: iso(now),
        meetingId: join.meetingId,
        participantId: join.participantId,
        outcome: admitted ? 'admitted' : 'denied',
        reasons,
        dryRun,
        restrictionIds: matchedIds,
        location: auditLocation(location, this.#ipMode),
      };
      if (hostAccountId !== undefined) event.hostAccountId = hostAccountId;
      if (redacted !== undefined) event.address = redacted;
      this.#emitter.emit('decision', event);
    }
    return decision;
  }

  #locate(join: Join): { location: Location; address: string | undefined } {
    let client: ReturnType<typeof resolveClientAddress> | undefined;
    try {
      client = resolveClientAddress(
        { peerAddress: join.peerAddress, ...(isPlainObject(join.headers) ? { headers: join.headers } : {}) },
        this.#trusted,
      );
    } catch {
      // Headers with throwing getters or proxy traps: hostile input, so no address.
      client = undefined;
    }
    let location: Location;
    let address: string | undefined;
    if (client === undefined || !client.ok) location = UNKNOWN_INVALID;
    else {
      address = client.address;
      if (!client.global) location = UNKNOWN_NON_GLOBAL;
      else {
        try {
          location = this.#geo.resolve(client.address);
        } catch {
          location = UNKNOWN_LOOKUP_ERROR;
        }
      }
    }
    for (const source of this.#sources) {
      let evidence: Location | undefined;
      try {
        evidence = source.locate(join, location);
      } catch (error) {
        this.#error('geo', `location source '${source.name}' threw: ${message(error)}`, { error });
        continue;
      }
      if (evidence === undefined || evidence === null) continue;
      const checked = checkEvidence(evidence, source.name);
      if (checked === undefined) {
        this.#error('geo', `location source '${source.name}' returned a location without a valid ISO 3166-1 country; ignored`, {});
        continue;
      }
      // The first source with a country wins over the IP address: it is evidence about this participant
      // (e.g. a dial-in number) where the IP only says where their gateway is.
      location = checked;
      break;
    }
    return { location, address };
  }

  /**
   * The one place a restriction is applied to a location; admission and
   * removal both come through here, so they can never disagree.
   */
  #evaluate(
    list: readonly Registered[],
    location: Location,
    now: number,
    reasons: Reason[],
    dryRun: Reason[],
    matchedIds: string[],
    // For host-account lists: a meeting already matched through the meeting index is not counted twice.
    meetingIdForDedupe: string | undefined,
  ): void {
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!.restriction;
      if (!isActive(r, now)) continue;
      if (meetingIdForDedupe !== undefined && r.scope.meetings.includes(meetingIdForDedupe)) continue;
      const reason = reasonFor(r, location);
      if (reason === undefined) continue;
      matchedIds.push(r.id);
      if (r.mode === 'dry-run') dryRun.push(reason);
      else reasons.push(reason);
    }
  }

  async #runRules(join: Join, location: Location, now: number, reasons: Reason[]): Promise<void> {
    const inScope = this.#inScope(join, now);
    const ctx = { join, location, restrictions: inScope };
    await Promise.all(
      this.#rules.map(async (rule) => {
        let verdict: RuleVerdict;
        try {
          verdict = await this.#withTimeout(rule, () => rule.evaluate(ctx));
        } catch (error) {
          this.#error('rule', `rule '${rule.name}' failed: ${message(error)}`, { rule: rule.name, meetingId: join.meetingId, participantId: join.participantId, error });
          if (this.#onRuleError === 'deny') reasons.push({ code: 'rule', rule: rule.name, message: `rule failed: ${message(error)}` });
          return;
        }
        if (verdict && verdict.deny === true) {
          const reason: Reason = { code: 'rule', rule: rule.name };
          if (typeof verdict.message === 'string') reason.message = verdict.message.slice(0, 1024);
          reasons.push(reason);
        }
      }),
    );
  }

  #withTimeout(rule: Rule, run: () => RuleVerdict | Promise<RuleVerdict>): Promise<RuleVerdict> | RuleVerdict {
    const result = run();
    // Any thenable (another realm's promise, a hand-made one) is bounded, not only native promises.
    if (result === null || (typeof result !== 'object' && typeof result !== 'function') || typeof (result as { then?: unknown }).then !== 'function') {
      return result;
    }
    return new Promise<RuleVerdict>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${this.#ruleTimeoutMs} ms`)), this.#ruleTimeoutMs);
      timer.unref?.();
      Promise.resolve(result).then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(`rule '${rule.name}' rejected with ${String(e)}`));
        },
      );
    });
  }

  #inScope(join: Join, now: number): NormalizedRestriction[] {
    const out = new Set<NormalizedRestriction>();
    for (const list of [this.#registry.forMeeting(join.meetingId), this.#registry.forHost(join.hostAccountId), this.#registry.forAllScoped()]) {
      for (const e of list) if (isActive(e.restriction, now)) out.add(e.restriction);
    }
    return [...out];
  }

  #auditBlocked(): boolean {
    if (this.#unhealthySinks.size === 0) return false;
    if (this.#auditOnFailure === 'deny') return true;
    for (const policy of this.#unhealthySinks.values()) if (policy === 'deny') return true;
    return false;
  }

  // ---------------------------------------------------------------- roster

  leave(meetingId: string, participantId: string): boolean {
    this.#pending.delete(key(meetingId, participantId));
    return this.#roster.remove(meetingId, participantId) !== undefined;
  }

  endMeeting(meetingId: string): number {
    if (this.#pending.size > 0) {
      for (const [k, p] of this.#pending) if (p.participant.meetingId === meetingId) this.#pending.delete(k);
    }
    return this.#roster.removeMeeting(meetingId);
  }

  participants(meetingId?: string): ParticipantRef[] {
    const ids = meetingId === undefined ? [...this.#roster.meetingIds()] : [meetingId];
    const out: ParticipantRef[] = [];
    for (const m of ids) for (const e of this.#roster.participants(m)) out.push(ref(e));
    return out;
  }

  overview(meetingId?: string): MeetingOverview[] {
    const ids = meetingId === undefined ? [...this.#roster.meetingIds()] : this.#roster.hasMeeting(meetingId) ? [meetingId] : [];
    return ids.map((m) => {
      const countries: Record<string, number> = Object.create(null);
      const subdivisions: Record<string, number> = Object.create(null);
      const hosts = new Set<string>();
      let participants = 0;
      for (const e of this.#roster.participants(m)) {
        participants += 1;
        if (e.hostAccountId !== undefined) hosts.add(e.hostAccountId);
        const country = e.location.country ?? 'unknown';
        countries[country] = (countries[country] ?? 0) + 1;
        const sub = e.location.subdivisions[e.location.subdivisions.length - 1];
        if (sub !== undefined) subdivisions[sub] = (subdivisions[sub] ?? 0) + 1;
      }
      return { meetingId: m, hostAccountIds: [...hosts].sort(), participants, countries: { ...countries }, subdivisions: { ...subdivisions } };
    });
  }

  pendingRemovals(): PendingRemoval[] {
    return [...this.#pending.values()];
  }

  async retryRemovals(): Promise<ParticipantRef[]> {
    const done: ParticipantRef[] = [];
    for (const [k, p] of [...this.#pending]) {
      try {
        await this.#onRemove?.(p.participant, p.decision);
      } catch (error) {
        p.error = message(error);
        this.#error('onRemove', `removing participant '${p.participant.participantId}' from meeting '${p.participant.meetingId}' failed again: ${message(error)}`, { meetingId: p.participant.meetingId, participantId: p.participant.participantId, error });
        continue;
      }
      this.#pending.delete(k);
      const entry = this.#roster.remove(p.participant.meetingId, p.participant.participantId);
      // The audit log said 'pending' when it first failed; it now says the removal happened.
      if (entry !== undefined) this.#emitRemoval(p.restrictionId, entry, p.decision, 'removed');
      done.push(p.participant);
    }
    return done;
  }

  // ---------------------------------------------------------------- restrictions

  restrictions(): NormalizedRestriction[] {
    return [...this.#registry.values()].map((e) => e.restriction);
  }

  async preview(doc: unknown): Promise<RestrictResult> {
    this.#assertOpen();
    const r = validateRestriction(doc, { existingIds: (id) => this.#registry.has(id) });
    return this.#impact(r, this.#clock());
  }

  async restrict(doc: unknown): Promise<RestrictResult> {
    this.#assertOpen();
    if (!this.#isReady) await this.#ready;
    let r: NormalizedRestriction;
    try {
      r = validateRestriction(doc, { existingIds: (id) => this.#registry.has(id) || this.#inflight.has(id) });
    } catch (error) {
      this.#refused(doc, error);
      throw error;
    }
    this.#inflight.add(r.id);
    try {
      return await this.#put(doc, r);
    } finally {
      this.#inflight.delete(r.id);
      const missed = this.#deferred.get(r.id) ?? [];
      this.#deferred.delete(r.id);
      for (const change of missed) await this.#applyChange(change);
    }
  }

  async #put(doc: unknown, r: NormalizedRestriction): Promise<RestrictResult> {
    let put: Awaited<ReturnType<RestrictionStore['put']>>;
    try {
      put = await this.#store.put(r.source as Restriction);
    } catch (error) {
      throw storeUnavailable(this.#store, 'register', r.id, error);
    }
    if (put.conflict) {
      const error = new GeoadmitError(ErrorCode.InvalidRestriction, `$.id: a restriction with id "${r.id}" is already registered`, { path: '$.id', restrictionId: r.id });
      this.#refused(doc, error);
      throw error;
    }
    return this.#register(r, put.version, true);
  }

  async lift(id: string): Promise<NormalizedRestriction> {
    this.#assertOpen();
    if (typeof id !== 'string') throw new GeoadmitError(ErrorCode.UnknownRestriction, 'lift: id must be a string', { argument: 'id' });
    const entry = this.#registry.get(id);
    if (entry === undefined) {
      throw new GeoadmitError(ErrorCode.UnknownRestriction, `lift: no restriction with id ${JSON.stringify(id.slice(0, MAX_ID_LENGTH))} is registered`, { argument: 'id', restrictionId: id.slice(0, MAX_ID_LENGTH) });
    }
    try {
      await this.#store.delete(id);
    } catch (error) {
      throw storeUnavailable(this.#store, 'lift', id, error);
    }
    this.#unregister(id, false);
    return entry.restriction;
  }

  /** Who a restriction covers right now, by the same path as admission. Pure: changes nothing. */
  #impact(r: NormalizedRestriction, now: number): RestrictResult {
    const active = isActive(r, now);
    const matched: ParticipantRef[] = [];
    const reached: string[] = [];
    const undisturbed: string[] = [];
    const visit = (meetingId: string, entries: Iterable<RosterEntry>, hostFilter: string | undefined): void => {
      let hit = false;
      let any = false;
      for (const entry of entries) {
        if (hostFilter !== undefined && entry.hostAccountId !== hostFilter && !r.scope.meetings.includes(meetingId)) continue;
        any = true;
        if (active && reasonFor(r, entry.location) !== undefined) {
          matched.push(ref(entry));
          hit = true;
        }
      }
      if (!any) return;
      reached.push(meetingId);
      if (!hit) undisturbed.push(meetingId);
    };
    if (r.scope.all) {
      for (const m of this.#roster.meetingIds()) visit(m, this.#roster.participants(m), undefined);
    } else {
      const seen = new Set<string>();
      for (const m of r.scope.meetings) {
        if (seen.has(m)) continue;
        seen.add(m);
        if (this.#roster.hasMeeting(m)) visit(m, this.#roster.participants(m), undefined);
      }
      for (const h of r.scope.hostAccounts) {
        for (const m of this.#roster.meetingsOfHost(h)) {
          if (seen.has(m)) continue;
          seen.add(m);
          visit(m, this.#roster.participants(m), h);
        }
      }
    }
    return {
      restriction: r,
      removed: [],
      pending: [],
      matched,
      meetingsReached: reached,
      meetingsUndisturbed: undisturbed,
      warnings: describeCapabilityGaps(r, this.#geo.capabilities),
      active,
      digest: digestOf(r),
    };
  }

  /** Registers a validated restriction, schedules its window, and enforces it on present participants. */
  #register(r: NormalizedRestriction, version: string, announce: boolean): Promise<RestrictResult> {
    const now = this.#clock();
    const over = r.validUntil !== undefined && now >= r.validUntil;
    const entry: Registered = { restriction: r, version, digest: digestOf(r), indexed: false, expired: over, cancelTimers: [] };
    this.#registry.add(entry);
    if (!over) {
      this.#registry.index(entry);
      if (r.validFrom !== undefined && now < r.validFrom) {
        entry.cancelTimers.push(scheduleAt(this.#clock, r.validFrom, () => void this.#activate(r.id)));
      }
      if (r.validUntil !== undefined) {
        entry.cancelTimers.push(scheduleAt(this.#clock, r.validUntil, () => this.#expire(r.id)));
      }
    }
    // A restriction already over stays listed (and can be lifted) but is never enforced.
    return this.#enforce(this.#impact(r, now), r, announce);
  }

  /** The window ended: stop enforcing, keep it listed so it can still be lifted, and record it. */
  #expire(id: string): void {
    const entry = this.#registry.get(id);
    if (entry === undefined || entry.expired) return;
    entry.expired = true;
    this.#registry.unindex(entry);
    this.#emitLifted(entry, true);
  }

  async #enforce(impact: RestrictResult, r: NormalizedRestriction, emitAccepted: boolean): Promise<RestrictResult> {
    const toRemove = impact.active && r.mode === 'enforce' ? impact.matched : [];
    if (emitAccepted) this.#emitAccepted(impact, r, toRemove.length);
    if (toRemove.length === 0) return impact;
    const removed: ParticipantRef[] = [];
    const pending: ParticipantRef[] = [];
    const settle = (participant: ParticipantRef, entry: RosterEntry, decision: Decision, failed: boolean, failure: unknown): void => {
      if (failed) {
        pending.push(participant);
        this.#pending.set(key(participant.meetingId, participant.participantId), { participant, decision, restrictionId: r.id, error: message(failure) });
        this.#error('onRemove', `removing participant '${participant.participantId}' from meeting '${participant.meetingId}' failed; it stays pending: ${message(failure)}`, { meetingId: participant.meetingId, participantId: participant.participantId, error: failure });
      } else {
        this.#roster.remove(participant.meetingId, participant.participantId);
        removed.push(participant);
      }
      this.#emitRemoval(r.id, entry, decision, failed ? 'pending' : 'removed');
    };
    // onRemove is called synchronously for everyone; only callbacks that return a promise are awaited.
    const waiting: Promise<void>[] = [];
    for (const participant of toRemove) {
      const entry = this.#roster.get(participant.meetingId, participant.participantId);
      if (entry === undefined) continue; // left meanwhile
      const decision = this.#removalDecision(r, entry);
      let result: void | Promise<void>;
      try {
        result = this.#onRemove?.(participant, decision);
      } catch (error) {
        settle(participant, entry, decision, true, error);
        continue;
      }
      if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
        waiting.push(
          Promise.resolve(result).then(
            () => settle(participant, entry, decision, false, undefined),
            (error: unknown) => settle(participant, entry, decision, true, error),
          ),
        );
      } else settle(participant, entry, decision, false, undefined);
    }
    if (waiting.length > 0) await Promise.all(waiting);
    return { ...impact, removed, pending };
  }

  #removalDecision(r: NormalizedRestriction, entry: RosterEntry): Decision {
    const reason = reasonFor(r, entry.location);
    return { admitted: false, reasons: reason ? [reason] : [], dryRun: [], location: entry.location };
  }

  async #activate(id: string): Promise<void> {
    const entry = this.#registry.get(id);
    if (entry === undefined || this.#closed) return;
    const impact = this.#impact(entry.restriction, this.#clock());
    await this.#enforce(impact, entry.restriction, false);
  }

  #unregister(id: string, expired: boolean): void {
    const entry = this.#registry.delete(id);
    if (entry === undefined) return;
    // An expired restriction already said so when its window ended.
    if (!entry.expired || !expired) this.#emitLifted(entry, expired);
  }

  #emitLifted(entry: Registered, expired: boolean): void {
    const r = entry.restriction;
    const event: RestrictionLiftedEvent = {
      type: 'restriction.lifted',
      time: iso(this.#clock()),
      restrictionId: r.id,
      digest: entry.digest,
      kind: r.kind,
      expired,
    };
    if (r.authority) event.authority = { name: r.authority.name, jurisdiction: r.authority.jurisdiction };
    this.#emitter.emit('restriction.lifted', event);
  }

  #emitAccepted(impact: RestrictResult, r: NormalizedRestriction, removed: number): void {
    const event: RestrictionAcceptedEvent = {
      type: 'restriction.accepted',
      time: iso(this.#clock()),
      restrictionId: r.id,
      digest: this.#registry.get(r.id)?.digest ?? digestOf(r),
      kind: r.kind,
      regions: [...r.regions],
      scope: { meetings: [...r.scope.meetings], hostAccounts: [...r.scope.hostAccounts], all: r.scope.all },
      mode: r.mode,
      warnings: impact.warnings,
      meetingsReached: impact.meetingsReached.length,
      meetingsUndisturbed: impact.meetingsUndisturbed.length,
      removed,
    };
    if (r.authority) event.authority = { name: r.authority.name, jurisdiction: r.authority.jurisdiction };
    if (r.allowRegions) event.allowRegions = [...r.allowRegions];
    if (r.validFrom !== undefined) event.validFrom = iso(r.validFrom);
    if (r.validUntil !== undefined) event.validUntil = iso(r.validUntil);
    if (r.reference !== undefined) event.reference = r.reference;
    this.#emitter.emit('restriction.accepted', event);
  }

  #emitRemoval(restrictionId: string, entry: RosterEntry, decision: Decision, status: 'removed' | 'pending'): void {
    if (!this.#emitter.has('removal')) return;
    const event: RemovalEvent = {
      type: 'removal',
      time: iso(this.#clock()),
      meetingId: entry.meetingId,
      participantId: entry.participantId,
      restrictionId,
      reasons: decision.reasons,
      location: auditLocation(entry.location, this.#ipMode),
      status,
    };
    if (entry.hostAccountId !== undefined) event.hostAccountId = entry.hostAccountId;
    if (entry.address !== undefined) event.address = entry.address;
    this.#emitter.emit('removal', event);
  }

  #refused(doc: unknown, error: unknown): void {
    const e = error instanceof GeoadmitError ? error : undefined;
    const d = isPlainObject(doc) ? doc : {};
    const authority = isPlainObject(d.authority) ? d.authority : undefined;
    this.#emitter.emit('restriction.refused', {
      type: 'restriction.refused',
      time: iso(this.#clock()),
      ...(shortString(d.id) !== undefined ? { restrictionId: shortString(d.id)! } : {}),
      ...(shortString(d.kind) !== undefined ? { kind: shortString(d.kind)! } : {}),
      ...(authority && shortString(authority.name) !== undefined && shortString(authority.jurisdiction) !== undefined
        ? { authority: { name: shortString(authority.name)!, jurisdiction: shortString(authority.jurisdiction)! } }
        : {}),
      ...(Array.isArray(d.regions) ? { regions: d.regions.slice(0, 100).map((x) => shortString(x) ?? '?') } : {}),
      ...(shortString(d.reference, 4096) !== undefined ? { reference: shortString(d.reference, 4096)! } : {}),
      code: e?.code ?? ErrorCode.InvalidRestriction,
      reason: message(error),
      ...(e?.path !== undefined ? { path: e.path } : {}),
    });
  }

  // ---------------------------------------------------------------- stores

  #validateAll(docs: readonly unknown[], argument: string): NormalizedRestriction[] {
    const ids = new Set<string>();
    return docs.map((doc, i) => {
      try {
        const r = validateRestriction(doc, { existingIds: ids });
        ids.add(r.id);
        return r;
      } catch (error) {
        if (error instanceof GeoadmitError) {
          const path = error.path?.replace(/^\$/, `$[${i}]`);
          throw new GeoadmitError(error.code, `${argument}[${i}]: ${error.message}`, {
            ...(path !== undefined ? { path } : {}),
            ...(error.restrictionId !== undefined ? { restrictionId: error.restrictionId } : {}),
            argument: `${argument}[${i}]`,
            cause: error,
          });
        }
        throw error;
      }
    });
  }

  async #loadStore(fallback: NormalizedRestriction[] | undefined): Promise<void> {
    let snapshot: RestrictionSnapshot;
    try {
      snapshot = await this.#store.snapshot();
    } catch (error) {
      if (fallback === undefined) throw storeUnavailable(this.#store, 'load restrictions from', undefined, error);
      // Start from the operator's last-known set and keep trying the store in the background.
      for (const r of fallback) if (!this.#registry.has(r.id)) await this.#register(r, '0', false);
      this.#isReady = true;
      this.#error('store', `restriction store '${this.#store.metadata.name}' unreachable at start; enforcing ${fallback.length} last-known restrictions: ${message(error)}`, { error });
      this.#retryLoad(500);
      return;
    }
    await this.#applySnapshot(snapshot, false);
    this.#isReady = true;
    this.#follow(snapshot.version);
  }

  #retryLoad(delay: number): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#store.snapshot().then(
        async (snapshot) => {
          if (this.#closed) return;
          this.#emitter.emit('store.reconnected', { type: 'store.reconnected', time: iso(this.#clock()), store: this.#store.metadata.name, version: snapshot.version });
          // The last-known restrictions came from the operator: one missing from the store is a loss to report, not a lift.
          await this.#applySnapshot(snapshot, true);
          this.#follow(snapshot.version);
        },
        () => this.#retryLoad(Math.min(delay * 2, 5_000)),
      );
    }, delay);
    timer.unref?.();
    this.#storeRetry = () => clearTimeout(timer);
  }

  /**
   * Makes the registered set equal the snapshot: registers (and enforces) what is new, and lifts what is
   * gone — unless `keepMissing`, when what is gone is kept, enforced and reported as a possible loss.
   */
  async #applySnapshot(snapshot: RestrictionSnapshot, keepMissing: boolean): Promise<void> {
    const wanted = new Map<string, Restriction>();
    for (const doc of snapshot.restrictions) if (isPlainObject(doc) && typeof doc.id === 'string') wanted.set(doc.id, doc);
    const missing: string[] = [];
    for (const entry of [...this.#registry.values()]) {
      if (wanted.has(entry.restriction.id)) continue;
      if (keepMissing) missing.push(entry.restriction.id);
      else this.#unregister(entry.restriction.id, false);
    }
    if (missing.length > 0) {
      const message = `restriction store '${this.#store.metadata.name}' does not hold ${missing.length} last-known restriction(s) (${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}); still enforcing them here — re-seed the store`;
      this.#emitter.emit('store.regressed', { type: 'store.regressed', time: iso(this.#clock()), store: this.#store.metadata.name, message, version: snapshot.version });
      this.#error('store', message, {});
    }
    for (const [id, doc] of wanted) {
      if (this.#registry.has(id)) continue;
      await this.#applyDoc(doc, snapshot.version);
    }
    this.#storeVersion = snapshot.version;
  }

  async #applyDoc(doc: Restriction, version: string): Promise<void> {
    let r: NormalizedRestriction;
    try {
      // What a shared store holds is validated again: it may have been written by anything.
      r = validateRestriction(doc, { existingIds: (id) => this.#registry.has(id) });
    } catch (error) {
      this.#error('store', `restriction store holds an invalid restriction; not enforced: ${message(error)}`, { error });
      return;
    }
    await this.#register(r, version, true);
  }

  #follow(fromVersion: string): void {
    if (this.#closed) return;
    const unsubscribe = this.#store.subscribe(fromVersion, {
      onChange: (change) => this.#queueChange(change),
      onSnapshot: (snapshot) => void this.#applySnapshot(snapshot, false),
      onEvent: (event, payload) => {
        const p = payload as { time: number; message?: string; version?: string; storeVersion?: string; reason?: string };
        const msg = p.message ?? p.reason;
        this.#emitter.emit(event, {
          type: event,
          time: iso(p.time ?? this.#clock()),
          store: this.#store.metadata.name,
          ...(msg !== undefined ? { message: msg } : {}),
          ...((p.version ?? p.storeVersion) !== undefined ? { version: (p.version ?? p.storeVersion)! } : {}),
        } as never);
        if (event === 'store.regressed') {
          this.#error('store', `restriction store '${this.#store.metadata.name}' lost its history (${msg ?? 'version went backwards'}); still enforcing the ${this.#registry.size} restrictions known here — re-seed the store`, {});
        }
      },
      onError: (error) => this.#error('store', error.message, { error }),
    });
    this.#cleanups.push(unsubscribe);
  }

  /**
   * Feed changes are collected and applied a batch at a time, netted per id:
   * catching up after an outage may deliver a put and the delete that lifted
   * it; enforcing the put would remove participants under a restriction that
   * is no longer in force.
   */
  #queueChange(change: RestrictionChange): void {
    this.#feedQueue.push(change);
    if (this.#feedQueue.length === 1) queueMicrotask(() => void this.#drainFeed());
  }

  async #drainFeed(): Promise<void> {
    const batch = this.#feedQueue.splice(0);
    const last = new Map<string, RestrictionChange>();
    for (const change of batch) {
      if (this.#store.compareVersions(change.version, this.#storeVersion) > 0) this.#storeVersion = change.version;
      last.delete(change.id); // re-insert: apply in the order of each id's last change
      last.set(change.id, change);
    }
    for (const change of last.values()) await this.#applyChange(change);
  }

  async #applyChange(change: RestrictionChange): Promise<void> {
    if (this.#closed) return;
    if (this.#inflight.has(change.id)) {
      const list = this.#deferred.get(change.id);
      if (list === undefined) this.#deferred.set(change.id, [change]);
      else list.push(change);
      return;
    }
    const current = this.#registry.get(change.id);
    const newer = current === undefined || this.#store.compareVersions(change.version, current.version) > 0;
    if (!newer) return; // already applied (our own write, a replay, or part of a snapshot)
    if (change.op === 'delete') {
      if (current !== undefined) this.#unregister(change.id, false);
      return;
    }
    // Stores refuse a put for an id they hold, so a newer put for a registered id means it was lifted and
    // issued again meanwhile (the delete may be netted away in this batch): a new restriction.
    if (current !== undefined) this.#unregister(change.id, false);
    await this.#applyDoc(change.restriction, change.version);
  }


  // ---------------------------------------------------------------- misc

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#storeRetry?.();
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    this.#registry.clear();
  }

  #assertOpen(): void {
    if (this.#closed) throw new GeoadmitError(ErrorCode.Closed, 'the gate is closed');
  }

  #error(context: ErrorEvent['context'], msg: string, extra: Partial<ErrorEvent>): void {
    const event: ErrorEvent = { type: 'error', time: iso(this.#clock()), context, message: msg, ...extra };
    const e = extra.error;
    if (e instanceof GeoadmitError) event.code = e.code;
    this.#emitter.emit('error', event);
  }
}

// ------------------------------------------------------------------ helpers

function reasonFor(r: NormalizedRestriction, location: Location): Reason | undefined {
  const match = matchRestriction(r, location);
  if (match === undefined) return undefined;
  const reason: Reason = { code: match.code, restrictionId: r.id };
  // An address that could not be read says so, rather than passing for any unknown location.
  if (match.code === 'unknown-location' && location.unknown === 'invalid-address') reason.code = 'invalid-address';
  if (match.region !== undefined) reason.region = match.region;
  if (match.message !== undefined) reason.message = match.message;
  else if (reason.code === 'unknown-location' && location.unknown !== undefined) reason.message = location.unknown;
  return reason;
}

function compareReasons(a: Reason, b: Reason): number {
  return compareText(a.restrictionId, b.restrictionId) || compareText(a.code, b.code) || compareText(a.rule, b.rule);
}

function compareText(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a < b ? -1 : 1;
}

function checkJoin(join: Join): void {
  if (join === null || typeof join !== 'object') {
    throw new GeoadmitError(ErrorCode.InvalidJoin, 'admit: join must be an object', { argument: 'join' });
  }
  checkId(join.meetingId, 'meetingId', true);
  checkId(join.participantId, 'participantId', true);
  checkId(join.hostAccountId, 'hostAccountId', false);
  if (typeof join.peerAddress !== 'string') {
    throw new GeoadmitError(ErrorCode.InvalidJoin, 'admit: join.peerAddress must be a string (the socket\'s remote address)', { argument: 'join.peerAddress' });
  }
}

function checkId(value: unknown, name: string, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw new GeoadmitError(ErrorCode.InvalidJoin, `admit: join.${name} must be a non-empty string of at most ${MAX_ID_LENGTH} characters`, { argument: `join.${name}` });
  }
}

function auditLocation(l: Location, ipMode: AuditIpMode): AuditLocation {
  const out: AuditLocation = { subdivisions: l.subdivisions, source: l.source };
  if (l.country !== undefined) out.country = l.country;
  if (l.anonymizer !== undefined) out.anonymizer = l.anonymizer;
  if (l.network !== undefined) {
    const network = auditNetwork(l.network, ipMode);
    if (network !== undefined) out.network = network;
  }
  if (l.databaseBuilt !== undefined) out.databaseBuilt = l.databaseBuilt;
  if (l.unknown !== undefined) out.unknown = l.unknown;
  return out;
}

/**
 * The answering prefix as the `audit.ip` setting allows: a table entry for a
 * single address (`1.2.4.8/32`) would otherwise put the address in the log.
 * Prefixes no finer than /24 (IPv4) or /48 (IPv6) are kept; finer ones are
 * cut to that length under `truncate` and left out under `hmac` and `omit`.
 */
function auditNetwork(network: string, ipMode: AuditIpMode): string | undefined {
  if (ipMode === 'raw') return network;
  const slash = network.lastIndexOf('/');
  const length = slash < 0 ? Number.NaN : Number(network.slice(slash + 1));
  const limit = network.includes(':') ? 48 : 24;
  if (length <= limit) return network;
  if (ipMode !== 'truncate' || slash < 0) return undefined;
  return truncateCanonical(network.slice(0, slash));
}

/**
 * A plugin's location, checked and canonicalised like a database answer:
 * an ISO country (upper case), ISO subdivisions of it, a source name.
 * Anything else is not evidence.
 */
function checkEvidence(evidence: unknown, sourceName: string): Location | undefined {
  if (!isPlainObject(evidence)) return undefined;
  const country = typeof evidence.country === 'string' ? canonicalRegion(evidence.country) : undefined;
  if (country === undefined || country.includes('-')) return undefined;
  const subdivisions: string[] = [];
  if (Array.isArray(evidence.subdivisions)) {
    for (const s of evidence.subdivisions) {
      const code = typeof s === 'string' ? canonicalRegion(s) : undefined;
      if (code !== undefined && code.startsWith(`${country}-`)) subdivisions.push(code);
    }
  }
  const location: Location = { country, subdivisions, source: typeof evidence.source === 'string' ? evidence.source.slice(0, 256) : sourceName };
  if (evidence.anonymizer === true) location.anonymizer = true;
  return Object.freeze(location);
}

function ref(e: RosterEntry): ParticipantRef {
  return e.hostAccountId === undefined
    ? { meetingId: e.meetingId, participantId: e.participantId }
    : { meetingId: e.meetingId, participantId: e.participantId, hostAccountId: e.hostAccountId };
}

function key(meetingId: string, participantId: string): string {
  return `${meetingId.length}:${meetingId}${participantId}`;
}

/**
 * Redaction for addresses `normalizeAddress` produced (canonical text), with
 * the mode checked once.
 */
function redactorFor(mode: AuditIpMode, hmacKey: string | Uint8Array | undefined): (address: string) => string | undefined {
  if (mode === 'omit') return () => undefined;
  if (mode === 'raw') return (address) => address;
  if (mode === 'truncate') return truncateCanonical;
  return (address) => redactAddress(address, mode, hmacKey);
}

/** First 16 hex digits of the SHA-256 of the document in canonical JSON. */
function digestOf(r: NormalizedRestriction): string {
  return digestOfDocument(r.source);
}

function digestOfDocument(doc: unknown): string {
  return createHash('sha256').update(canonicalJson(doc)).digest('hex').slice(0, 16);
}

// Formatting a date costs more than the rest of an event; joins arrive many per millisecond.
let lastIsoMs = Number.NaN;
let lastIsoText = '';
function iso(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIsoText = new Date(ms).toISOString();
    lastIsoMs = ms;
  }
  return lastIsoText;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function shortString(value: unknown, max = MAX_ID_LENGTH): string | undefined {
  return typeof value === 'string' ? value.slice(0, max) : undefined;
}

function storeUnavailable(store: RestrictionStore, action: string, id: string | undefined, cause: unknown): GeoadmitError {
  if (cause instanceof GeoadmitError && cause.code === ErrorCode.StoreUnavailable) return cause;
  return new GeoadmitError(
    ErrorCode.StoreUnavailable,
    `could not ${action} restriction store '${store.metadata.name}'${id !== undefined ? ` for restriction "${id}"` : ''}: ${message(cause)}; nothing was changed`,
    { ...(id !== undefined ? { restrictionId: id } : {}), cause },
  );
}
