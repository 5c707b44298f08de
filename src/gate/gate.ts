/**
 * The gate: an orchestrator over its parts (internal/): options, deciding a
 * join, the registry and roster, enforcement, store sync and events.
 *
 * Ordering (docs/enforcement.md): every change to the registry or the roster happens
 * synchronously in one of the `#apply…` steps below — registration, lift,
 * window start and end, roster add and removal — so no two interleave. A join
 * that awaited something (the store loading, a rule) re-checks the registry
 * version when it commits to the roster and is re-assessed if anything
 * changed; a removal acts only on the roster entry it decided about.
 */
import { ErrorCode, GeoadmitError } from '../errors/index.js';
import type { SafeEmitter } from '../events/emitter.js';
import type { ErrorEvent, GateEventMap } from '../events/types.js';
import { type ParsedResolver, parsedResolver } from '../geo/parsed.js';
import type { GeoResolver } from '../geo/types.js';
import { isActive, validateRestriction } from '../restrictions/index.js';
import type { NormalizedRestriction, Reason, Restriction } from '../restrictions/types.js';
import { InMemoryRestrictionStore } from '../store/memory.js';
import type { RestrictionStore } from '../store/types.js';
import { type Clock, scheduleAt } from './clock.js';
import {
  assess,
  inScope,
  locate,
  type Located,
  MAX_ID_LENGTH,
  NO_EXEMPTED,
  NO_IDS,
  NONE,
  noticeFor,
  readJoin,
  runRules,
  sortReasons,
  type Verdict,
} from './internal/decide.js';
import { coverOf, impactOf, ref } from './internal/coverage.js';
import { Remover } from './internal/enforce.js';
import {
  acceptedEvent,
  decisionEvent,
  digestOf,
  iso,
  liftedEvent,
  message,
  type Redactor,
  redactorFor,
  refusedEvent,
  removalEvent,
} from './internal/events.js';
import { type GateSettings, readOptions, steadyClock } from './internal/options.js';
import { type Registered, RestrictionRegistry } from './internal/registry.js';
import { Roster, type RosterEntry } from './internal/roster.js';
import { StoreSync, storeUnavailable } from './internal/sync.js';
import { ForwardedWarnings, trustAllWarning } from './internal/warnings.js';
import { ExemptionDesk } from './internal/exemption-desk.js';
import { FleetMembership, type FleetQuestion, mergeOverview, mergeRestrict, NodeEmitter, partOf } from './internal/fleet.js';
import type {
  Decision,
  Exemption,
  ExemptionDocument,
  FleetNode,
  FleetOverview,
  Gate,
  GateOptions,
  Join,
  MeetingOverview,
  ParticipantRef,
  PendingRemoval,
  RestrictResult,
  RevokeExemptionResult,
} from './types.js';

// Where these types were declared before the split: imports from './gate.js' keep working.
export type { Gate, GateAuditOptions, GateOptions, MeetingOverview, PendingRemoval, RestrictResult } from './types.js';

/**
 * Create an admission gate.
 *
 * @throws GeoadmitError `E_INVALID_CONFIG` for an unknown option (naming the
 *   closest known one) or an invalid value; `E_INVALID_RESTRICTION` /
 *   `E_OUT_OF_JURISDICTION` for an invalid initial restriction.
 * @example
 * const gate = createGate({ geo: await MaxMindResolver.open(['GeoLite2-Country.mmdb']), trustedProxies: ['10.0.0.0/8'] });
 * const decision = await gate.admit({ meetingId: 'm-1', participantId: 'p-1', peerAddress: socket.remoteAddress });
 * if (!decision.admitted) socket.close(4003, decision.reasons[0]?.code);
 */
export function createGate(options: GateOptions): Gate {
  return new GateImpl(options);
}

/** A join located and checked against the restrictions in scope, before rules and the roster. */
interface Assessment extends Located, Verdict {
  now: number;
  /** The registry version the verdict was made against. */
  version: number;
}

class GateImpl implements Gate {
  readonly #s: GateSettings;
  readonly #geo: GeoResolver;
  /** `#geo` when it locates parsed addresses (this package's resolvers): each join's address is parsed once. */
  readonly #parsedGeo: ParsedResolver | undefined;
  readonly #clock: Clock;
  readonly #redact: Redactor;
  readonly #emitter: SafeEmitter<GateEventMap>;
  readonly #registry = new RestrictionRegistry();
  readonly #roster = new Roster();
  readonly #remover: Remover;
  readonly #sync: StoreSync;
  readonly #fleet: FleetMembership;
  readonly #warnings: ForwardedWarnings;
  readonly #unhealthySinks = new Map<string, 'deny' | 'buffer'>();
  readonly #exemptions: ExemptionDesk;
  readonly #cleanups: (() => void)[] = [];
  readonly #ready: Promise<void>;
  #isReady = false;
  #closed = false;

  constructor(options: GateOptions) {
    const s = readOptions(options);
    this.#s = s;
    this.#geo = s.geo;
    this.#parsedGeo = parsedResolver(s.geo);
    // Every reading finite: a bad one is an `error` event and the last good reading, never NaN in a timer.
    this.#clock = steadyClock(s.clock, (text, error) => this.#error('clock', text, error === undefined ? {} : { error }));
    this.#redact = redactorFor(s.ipMode, s.hmacKey);
    this.#fleet = new FleetMembership(Array.isArray(s.restrictions) ? undefined : (s.restrictions as RestrictionStore).fleet, s.nodeId, s.fleetTimeoutMs, {
      status: () => ({ participants: this.#roster.size, version: this.#sync.version }),
      answer: (question) => this.#answerFleet(question),
      now: () => this.#clock(),
    });
    this.#emitter = new NodeEmitter<GateEventMap>(this.#fleet.nodeId, (error, event) => {
      // A listener that throws is reported, unless it was an error listener (no loops).
      if (event !== 'error') this.#error('listener', `a '${String(event)}' listener threw: ${message(error)}`, { error });
    });
    const roster = this.#roster;
    this.#remover = new Remover({
      roster,
      onRemove: s.onRemove,
      removalTimeoutMs: s.removalTimeoutMs,
      closed: () => this.#closed,
      cover: (entry, preferred, known) => coverOf(this.#registry, entry, this.#clock(), preferred, known),
      removal: (restrictionId, entry, reasons, status) => {
        if (this.#emitter.has('removal')) this.#emitter.emit('removal', removalEvent(this.#clock(), restrictionId, entry, reasons, status, s.ipMode));
      },
      failure: (entry, text, error) => this.#error('onRemove', text, { meetingId: entry.meetingId, participantId: entry.participantId, error }),
    });
    this.#exemptions = new ExemptionDesk({
      registry: this.#registry,
      remover: this.#remover,
      emitter: this.#emitter,
      clock: this.#clock,
      sync: () => this.#sync,
      closed: () => this.#closed,
      assertOpen: () => this.#assertOpen(),
      ready: () => (this.#isReady ? undefined : this.#ready),
      enforce: (entry, announce) => this.#enforce(entry, announce),
      error: (context, text, extra) => this.#error(context, text, extra),
    });
    this.#relayResolverEvents();
    this.#warnings = new ForwardedWarnings(s.trusted.header, this.#redact);
    if (s.trusted.trustsEverything) {
      // After the caller had a chance to attach listeners, like the initial restrictions' events.
      queueMicrotask(() => {
        if (!this.#closed) this.#emitter.emit('warning', trustAllWarning(this.#clock()));
      });
    }

    const given = s.restrictions;
    if (Array.isArray(given)) {
      // Validate everything before anything is registered: nothing half-applied.
      const normalized = validateAll(given, 'restrictions');
      this.#sync = this.#newSync(new InMemoryRestrictionStore(normalized.map((r) => r.source as Restriction)));
      for (const r of normalized) this.#applyRegister(r, '0', false);
      // Listeners attached right after createGate (an audit sink) still record what the gate starts with.
      queueMicrotask(() => {
        for (const r of normalized) {
          const entry = this.#registry.get(r.id);
          if (entry !== undefined && !this.#closed)
            this.#emitter.emit('restriction.accepted', acceptedEvent(this.#clock(), r, entry.digest, this.#impact(entry).result, 0));
        }
      });
      this.#isReady = true;
      this.#ready = Promise.resolve();
      this.#sync.follow('0');
    } else {
      this.#sync = this.#newSync(given as RestrictionStore);
      const fallback = s.lastKnownRestrictions ? validateAll(s.lastKnownRestrictions, 'lastKnownRestrictions') : undefined;
      // ready() also waits for this node to be listening and announced, so the fleet can count it from then on.
      const announced = this.#fleet.start();
      this.#ready = this.#sync
        .load(fallback)
        .then(() => {
          this.#isReady = true;
        })
        .then(() => announced);
      // Callers who never await ready() must not crash the process with an unhandled rejection.
      this.#ready.catch(() => undefined);
    }
  }

  get nodeId(): string {
    return this.#fleet.nodeId;
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

  admit(input: Join): Promise<Decision> {
    let join: Join;
    try {
      join = readJoin(input);
      this.#assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    // Without rules to await and with restrictions loaded, a join is decided and committed synchronously.
    if (!this.#isReady || this.#s.rules.length > 0) return this.#admitAsync(join);
    try {
      return Promise.resolve(this.#commit(join, this.#assess(join), undefined));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #admitAsync(join: Join): Promise<Decision> {
    if (!this.#isReady) await this.#ready;
    const assessment = this.#assess(join);
    const ruled =
      this.#s.rules.length > 0 ? await runRules(this.#ruleSettings(), join, assessment.location, inScope(this.#registry, join, assessment.now)) : undefined;
    this.#assertOpen();
    return this.#commit(join, assessment, ruled);
  }

  #ruleSettings() {
    const s = this.#s;
    return {
      rules: s.rules,
      onRuleError: s.onRuleError,
      ruleTimeoutMs: s.ruleTimeoutMs,
      failed: (rule: { name: string }, error: unknown) => this.#error('rule', `rule '${rule.name}' failed: ${message(error)}`, { rule: rule.name, error }),
    };
  }

  #assess(join: Join): Assessment {
    const now = this.#clock();
    const located = locate(join, this.#geo, this.#parsedGeo, this.#s.trusted, this.#s.sources, this.#sourceProblem);
    const client = located.client;
    if (ForwardedWarnings.concerns(client)) {
      const warning = this.#warnings.check(client, join.peerAddress, now);
      if (warning !== undefined) this.#emitter.emit('warning', warning);
    }
    // One object: the verdict is collected into the assessment itself (lists allocated only when something matches).
    const assessment: Assessment = {
      location: located.location,
      address: located.address,
      client,
      reasons: NONE,
      dryRun: NONE,
      matchedIds: NO_IDS,
      exempted: NO_EXEMPTED,
      now,
      version: this.#registry.version,
    };
    assess(this.#registry, join, located.location, now, this.#armActivation, assessment, client?.ip);
    return assessment;
  }

  /**
   * The apply step for a join: the roster add and the decision event. A join
   * that awaited rules is re-assessed if the registry changed meanwhile, so a
   * restriction registered while it was being decided is never missed.
   */
  #commit(join: Join, a: Assessment, ruled: Reason[] | undefined): Decision {
    let verdict: Verdict = a;
    let now = a.now;
    if (a.version !== this.#registry.version) {
      now = this.#clock();
      verdict = assess(this.#registry, join, a.location, now, this.#armActivation, undefined, a.client?.ip);
    }
    let reasons = ruled === undefined || ruled.length === 0 ? verdict.reasons : [...verdict.reasons, ...ruled];
    if (this.#unhealthySinks.size > 0 && this.#auditBlocked()) {
      // A copy: the verdict's list may be the shared empty one.
      reasons = [...reasons, { code: 'audit-unavailable', message: 'the audit log cannot record decisions' }];
    }
    sortReasons(reasons);
    sortReasons(verdict.dryRun);
    const admitted = reasons.length === 0;
    const { location, address } = a;
    const decision: Decision =
      address === undefined ? { admitted, reasons, dryRun: verdict.dryRun, location } : { admitted, reasons, dryRun: verdict.dryRun, location, address };
    if (!admitted) {
      const notice = noticeFor(reasons, this.#restrictionById);
      if (notice !== undefined) decision.notice = notice;
    }
    if (verdict.exempted.length > 0) decision.exempted = verdict.exempted;
    const redacted = address === undefined ? undefined : this.#redact(address, a.client?.ip);
    if (admitted) {
      const entry = this.#roster.add(join.meetingId, join.participantId, join.hostAccountId, location, redacted);
      // A network exemption keeps covering this participant when a restriction is enforced on who is present.
      if (this.#registry.exemptions.size > 0) this.#registry.exemptions.remember(entry, a.client?.ip);
      // A re-join replaces the earlier entry, and with it any removal still pending for it.
      this.#remover.forget(join.meetingId, join.participantId);
    }
    if (this.#emitter.has('decision')) {
      this.#emitter.emit('decision', decisionEvent({ now, join, decision, matchedIds: verdict.matchedIds, address: redacted, mode: this.#s.ipMode }));
    }
    return decision;
  }

  #auditBlocked(): boolean {
    if (this.#s.auditOnFailure === 'deny') return true;
    for (const policy of this.#unhealthySinks.values()) if (policy === 'deny') return true;
    return false;
  }

  // ---------------------------------------------------------------- roster

  leave(meetingId: string, participantId: string): boolean {
    this.#remover.forget(meetingId, participantId);
    return this.#roster.remove(meetingId, participantId) !== undefined;
  }

  endMeeting(meetingId: string): number {
    this.#remover.forgetMeeting(meetingId);
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
    return ids.map((m) => overviewOf(m, this.#roster.participants(m)));
  }

  pendingRemovals(): PendingRemoval[] {
    return this.#remover.pending();
  }

  retryRemovals(): Promise<ParticipantRef[]> {
    // A closed gate calls onRemove no more.
    if (this.#closed) return Promise.reject(new GeoadmitError(ErrorCode.Closed, 'the gate is closed'));
    return this.#remover.retry();
  }

  // ---------------------------------------------------------------- restrictions

  restrictions(): NormalizedRestriction[] {
    return [...this.#registry.values()].map((e) => e.restriction);
  }

  // ---------------------------------------------------------------- exemptions

  exemptions(): Exemption[] {
    return this.#exemptions.list();
  }

  exempt(input: ExemptionDocument): Promise<Exemption> {
    return this.#exemptions.exempt(input);
  }

  revokeExemption(id: string): Promise<RevokeExemptionResult> {
    return this.#exemptions.revoke(id);
  }

  async preview(doc: unknown): Promise<RestrictResult> {
    this.#assertOpen();
    const r = validateRestriction(doc, { existingIds: (id) => this.#registry.has(id) });
    const local = impactOf(r, this.#roster, this.#clock(), this.#geo.capabilities, digestOf(r.source)).result;
    const asked = await this.#fleet.ask({ op: 'preview', doc: r.source }, Promise.resolve(local));
    return mergeRestrict(this.#fleet.nodeId, asked.local, asked.remote, asked.coverage, this.#fleet.shared);
  }

  async fleetOverview(meetingId?: string): Promise<FleetOverview> {
    this.#assertOpen();
    if (meetingId !== undefined && typeof meetingId !== 'string') {
      throw new GeoadmitError(ErrorCode.InvalidConfig, 'fleetOverview: meetingId must be a string', { argument: 'meetingId' });
    }
    const question: FleetQuestion = meetingId === undefined ? { op: 'overview' } : { op: 'overview', meetingId };
    const asked = await this.#fleet.ask(question, Promise.resolve(this.overview(meetingId)));
    return mergeOverview(this.#fleet.nodeId, asked.local, asked.remote, asked.coverage);
  }

  nodes(): Promise<FleetNode[]> {
    return this.#fleet.nodes();
  }

  /** Another member's question: this node's part, from its own roster (ids and counts only). */
  async #answerFleet(question: FleetQuestion) {
    if (question.op === 'overview') return this.overview(question.meetingId);
    if (question.op === 'preview') {
      const r = validateRestriction(question.doc, {});
      return partOf(impactOf(r, this.#roster, this.#clock(), this.#geo.capabilities, digestOf(r.source)).result);
    }
    const enforced = await this.#fleet.whenEnforced(question.id, question.digest);
    if (enforced === undefined) throw new Error(`restriction ${JSON.stringify(question.id)} has not reached this node`);
    return partOf(await enforced);
  }

  async restrict(doc: unknown): Promise<RestrictResult> {
    this.#assertOpen();
    if (!this.#isReady) await this.#ready;
    this.#assertOpen();
    let r: NormalizedRestriction;
    try {
      r = validateRestriction(doc, { existingIds: (id) => this.#registry.has(id) || this.#sync.writing(id) });
    } catch (error) {
      this.#refused(doc, error);
      throw error;
    }
    this.#sync.hold(r.id);
    let removals: Promise<RestrictResult>;
    try {
      let put: Awaited<ReturnType<RestrictionStore['put']>>;
      try {
        put = await this.#sync.store.put(r.source as Restriction);
      } catch (error) {
        throw storeUnavailable(this.#sync.store, 'register', r.id, error);
      }
      // Closed while the store wrote it: this gate registers and removes nothing any more.
      if (this.#closed) {
        throw new GeoadmitError(
          ErrorCode.Closed,
          `the gate closed while restriction "${r.id}" was being stored; this gate does not enforce it (the store may hold it)`,
          { restrictionId: r.id },
        );
      }
      if (put.conflict) {
        const error = new GeoadmitError(ErrorCode.InvalidRestriction, `$.id: a restriction with id "${r.id}" is already registered`, {
          path: '$.id',
          restrictionId: r.id,
        });
        this.#refused(doc, error);
        throw error;
      }
      this.#sync.noteApplied(r.id, put.version);
      removals = this.#applyRegister(r, put.version, true);
    } finally {
      // Registered (or refused): what the feed said about this id meanwhile applies now, against the version noted.
      this.#sync.release(r.id);
    }
    // Every other node enforces it from the store's feed; each is asked for its part.
    const asked = await this.#fleet.ask({ op: 'restrict', id: r.id, digest: digestOf(r.source) }, removals);
    return mergeRestrict(this.#fleet.nodeId, asked.local, asked.remote, asked.coverage, this.#fleet.shared);
  }

  async lift(id: string): Promise<NormalizedRestriction> {
    this.#assertOpen();
    if (typeof id !== 'string') throw new GeoadmitError(ErrorCode.UnknownRestriction, 'lift: id must be a string', { argument: 'id' });
    const entry = this.#registry.get(id);
    if (entry === undefined) {
      throw new GeoadmitError(ErrorCode.UnknownRestriction, `lift: no restriction with id ${JSON.stringify(id.slice(0, MAX_ID_LENGTH))} is registered`, {
        argument: 'id',
        restrictionId: id.slice(0, MAX_ID_LENGTH),
      });
    }
    let deleted: { version: string };
    try {
      deleted = await this.#sync.store.delete(id, { always: true });
    } catch (error) {
      throw storeUnavailable(this.#sync.store, 'lift', id, error);
    }
    this.#sync.noteApplied(id, deleted.version);
    // The feed may have applied the delete already; then this registration is gone and there is nothing to do.
    if (this.#registry.get(id) === entry) this.#applyUnregister(id);
    return entry.restriction;
  }

  // ------------------------------------------------- the ordered mutation path

  /**
   * Registers a validated restriction, schedules its window, and enforces it
   * on present participants — synchronously, so no join commits in between.
   * Resolves when the removals it started have settled (or timed out).
   */
  #applyRegister(r: NormalizedRestriction, version: string, announce: boolean): Promise<RestrictResult> {
    const now = this.#clock();
    const over = r.validUntil !== undefined && now >= r.validUntil;
    const entry: Registered = {
      restriction: r,
      version,
      digest: digestOf(r.source),
      indexed: false,
      expired: over,
      cancelExpiry: undefined,
      cancelActivation: undefined,
    };
    this.#registry.add(entry);
    // A restriction already over stays listed (and can be lifted) but is never enforced.
    if (!over) {
      this.#registry.index(entry);
      if (r.validFrom !== undefined && now < r.validFrom) this.#armActivation(entry);
      if (r.validUntil !== undefined) entry.cancelExpiry = scheduleAt(this.#clock, r.validUntil, () => this.#applyExpiry(entry));
    }
    return this.#enforce(entry, announce);
  }

  /** Lifts: out of the registry and its timers cancelled; its pending removals pass to another covering restriction or are dropped. */
  #applyUnregister(id: string): void {
    const entry = this.#registry.delete(id);
    if (entry === undefined) return;
    this.#remover.reconsider(id);
    this.#emitter.emit('restriction.lifted', liftedEvent(this.#clock(), entry.restriction, entry.digest, false));
  }

  /** The window ended: stop enforcing, keep it listed so it can still be lifted, and record it. */
  #applyExpiry(entry: Registered): void {
    entry.cancelExpiry = undefined;
    if (this.#registry.get(entry.restriction.id) !== entry || entry.expired) return;
    entry.expired = true;
    entry.cancelActivation?.();
    entry.cancelActivation = undefined;
    this.#registry.unindex(entry);
    this.#remover.reconsider(entry.restriction.id);
    this.#emitter.emit('restriction.lifted', liftedEvent(this.#clock(), entry.restriction, entry.digest, true));
  }

  /** The window started (again): every start enforces on who is present. */
  #applyActivation(entry: Registered): void {
    entry.cancelActivation = undefined;
    if (this.#closed || this.#registry.get(entry.restriction.id) !== entry || entry.expired) return;
    const { validUntil } = entry.restriction;
    if (validUntil !== undefined && this.#clock() >= validUntil) {
      // Fired after the window already ended (a stalled event loop): it ends now, nothing starts.
      entry.cancelExpiry?.();
      this.#applyExpiry(entry);
      return;
    }
    if (!isActive(entry.restriction, this.#clock())) {
      // Fired early by this clock's reading (it stepped back meanwhile): wait for the start again.
      this.#armActivation(entry);
      return;
    }
    this.#registry.touch();
    void this.#enforce(entry, false);
  }

  readonly #restrictionById = (id: string): NormalizedRestriction | undefined => this.#registry.get(id)?.restriction;

  readonly #sourceProblem = (text: string, error?: unknown): void => this.#error('geo', text, error === undefined ? {} : { error });

  /** Makes sure the start of `entry`'s window will be enforced (called for every dormant restriction a join meets). */
  readonly #armActivation = (entry: Registered): void => {
    const from = entry.restriction.validFrom;
    if (entry.cancelActivation !== undefined || entry.expired || from === undefined || this.#closed) return;
    entry.cancelActivation = scheduleAt(this.#clock, from, () => this.#applyActivation(entry));
  };

  #impact(entry: Registered): ReturnType<typeof impactOf> {
    const impact = impactOf(entry.restriction, this.#roster, this.#clock(), this.#geo.capabilities, entry.digest);
    return this.#registry.exemptions.forRestriction(entry.restriction.id).length === 0 ? impact : this.#spareExempt(entry, impact);
  }

  /** The impact without the participants an exemption of `entry`'s restriction covers: nobody exempted is removed. */
  #spareExempt(entry: Registered, impact: ReturnType<typeof impactOf>): ReturnType<typeof impactOf> {
    const set = this.#registry.exemptions;
    const now = this.#clock();
    const keep: number[] = [];
    impact.entries.forEach((e, i) => {
      if (set.covering(entry.restriction.id, entry.digest, e, set.addressOf(e), now) === undefined) keep.push(i);
    });
    if (keep.length === impact.entries.length) return impact;
    const entries = keep.map((i) => impact.entries[i]!);
    const matched = keep.map((i) => impact.result.matched[i]!);
    const hit = new Set(entries.map((e) => e.meetingId));
    const meetingsUndisturbed = impact.result.meetingsReached.filter((m) => !hit.has(m));
    return { entries, result: { ...impact.result, matched, meetingsUndisturbed } };
  }

  async #enforce(entry: Registered, announce: boolean): Promise<RestrictResult> {
    const r = entry.restriction;
    const impact = this.#impact(entry);
    const toRemove = impact.result.active && r.mode === 'enforce' && !this.#closed ? impact.entries : [];
    // onRemove is called (synchronously) for each before anything else can change the roster; the acceptance
    // is recorded before the removal events it causes, even those of a synchronous onRemove.
    const run = this.#remover.remove(r, this.#registry.version, toRemove, impact.result.matched, (started) => {
      if (announce) this.#emitter.emit('restriction.accepted', acceptedEvent(this.#clock(), r, entry.digest, impact.result, started));
    });
    if (run.tracked === 0) return impact.result;
    const { removed, pending } = await run.done;
    return { ...impact.result, removed, pending };
  }

  #refused(doc: unknown, error: unknown): void {
    this.#emitter.emit('restriction.refused', refusedEvent(this.#clock(), doc, error));
  }

  // ---------------------------------------------------------------- wiring

  #newSync(store: RestrictionStore): StoreSync {
    return new StoreSync(store, {
      closed: () => this.#closed,
      has: (id) => this.#registry.has(id),
      ids: () => [...this.#registry.values()].map((e) => e.restriction.id),
      source: (id) => this.#registry.get(id)?.restriction.source,
      register: (r, version) => {
        const enforcing = this.#applyRegister(r, version, true);
        // Kept for the node that made it, which asks for this node's part (the digest as registered, not computed
        // again); not for the snapshot loaded at start, which answers nobody's question.
        if (this.#isReady) this.#fleet.enforced(r.id, this.#registry.get(r.id)?.digest ?? '', enforcing);
      },
      unregister: (id) => this.#applyUnregister(id),
      exemptionIds: () => [...this.#registry.exemptions.values()].map((h) => h.exemption.id),
      grant: (doc, version) => this.#exemptions.grantStored(doc, version),
      revoke: (id) => void this.#exemptions.applyRevoke(id, false),
      error: (context, text, extra) => this.#error(context, text, extra),
      storeEvent: (event, payload) => this.#emitter.emit(event, payload),
      now: () => this.#clock(),
    });
  }

  #relayResolverEvents(): void {
    const geo = this.#geo;
    if (!geo.on) return;
    this.#cleanups.push(
      geo.on('geo.reloaded', (e) =>
        this.#emitter.emit('geo.reloaded', {
          type: 'geo.reloaded',
          time: iso(e.time),
          source: e.source,
          file: e.file,
          ...(e.databaseBuilt ? { databaseBuilt: e.databaseBuilt } : {}),
        }),
      ),
      geo.on('error', (e) => this.#error('geo', e.error.message, { error: e.error, ...(e.file ? { file: e.file } : {}) })),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#sync.close();
    this.#fleet.close();
    this.#remover.close();
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    this.#registry.clear();
  }

  #assertOpen(): void {
    if (this.#closed) throw new GeoadmitError(ErrorCode.Closed, 'the gate is closed');
  }

  #error(context: ErrorEvent['context'], text: string, extra: Partial<ErrorEvent>): void {
    const event: ErrorEvent = { type: 'error', time: iso(this.#clock()), context, message: text, ...extra };
    const e = extra.error;
    if (e instanceof GeoadmitError) event.code = e.code;
    this.#emitter.emit('error', event);
  }
}

/** Validates every document before anything is registered; errors name `argument[i]`. */
function validateAll(docs: readonly unknown[], argument: string): NormalizedRestriction[] {
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

/** One meeting counted by country and subdivision: never an address or an id. */
function overviewOf(meetingId: string, entries: readonly RosterEntry[]): MeetingOverview {
  const countries: Record<string, number> = {};
  const subdivisions: Record<string, number> = {};
  const count = (into: Record<string, number>, k: string) => {
    // Own-property reads: a country code never collides with Object.prototype, but be plain about it.
    into[k] = (Object.hasOwn(into, k) ? (into[k] as number) : 0) + 1;
  };
  const hosts = new Set<string>();
  for (const e of entries) {
    if (e.hostAccountId !== undefined) hosts.add(e.hostAccountId);
    count(countries, e.location.country ?? 'unknown');
    const sub = e.location.subdivisions[e.location.subdivisions.length - 1];
    if (sub !== undefined) count(subdivisions, sub);
  }
  return { meetingId, hostAccountIds: [...hosts].sort(), participants: entries.length, countries, subdivisions };
}
