/**
 * The gate: an orchestrator over its parts (internal/): options, deciding a
 * join, the registry and roster, the restriction and exemption desks, the
 * ordered mutation path, fleet membership, store sync and events.
 *
 * Ordering (docs/enforcement.md): every change to the registry or the roster
 * happens synchronously in one step — a join's commit below, or a step of the
 * mutation path (mutations.ts) or the exemption desk — so no two interleave. A
 * join that awaited something (the store loading, a rule) re-checks the
 * registry version when it commits to the roster and is re-assessed if
 * anything changed; a removal acts only on the roster entry it decided about.
 */
import { ErrorCode, GeoadmitError } from '../errors/index.js';
import type { SafeEmitter } from '../internal/emitter.js';
import type { ErrorEvent, GateEventMap } from '../events/types.js';
import { type ParsedResolver, parsedResolver } from '../geo/parsed.js';
import type { GeoResolver } from '../geo/types.js';
import type { NormalizedRestriction, Reason, Restriction } from '../restrictions/types.js';
import { InMemoryRestrictionStore } from '../store/memory.js';
import type { RestrictionStore } from '../store/types.js';
import type { Clock } from './clock.js';
import {
  assess,
  inScope,
  locate,
  type Located,
  NO_EXEMPTED,
  NO_IDS,
  NONE,
  noticeFor,
  readJoin,
  runRules,
  sortReasons,
  type Verdict,
} from './internal/decide.js';
import { coverOf, ref } from './internal/coverage.js';
import { Remover } from './internal/enforce.js';
import { acceptedEvent, decisionEvent, iso, type Redactor, redactorFor, relayResolverEvents, removalEvent } from './internal/events.js';
import { type GateSettings, readOptions, steadyClock } from './internal/options.js';
import { RestrictionRegistry } from './internal/registry.js';
import { overviewOf, Roster } from './internal/roster.js';
import { StoreSync } from './internal/sync.js';
import { ForwardedWarnings, trustAllWarning } from './internal/warnings.js';
import { ExemptionDesk } from './internal/exemption-desk.js';
import { MutationPath } from './internal/mutations.js';
import { RestrictionDesk, validateAll } from './internal/restriction-desk.js';
import { FleetMembership, type FleetQuestion, NodeEmitter } from './internal/fleet.js';
import { mergeOverview } from './internal/fleet-merge.js';
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
import { errorText } from '../internal/objects.js';

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
  readonly #path: MutationPath;
  readonly #desk: RestrictionDesk;
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
      if (event !== 'error') this.#error('listener', `a '${String(event)}' listener threw: ${errorText(error)}`, { error });
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
    const closed = () => this.#closed;
    const ready = () => (this.#isReady ? undefined : this.#ready);
    const assertOpen = () => this.#assertOpen();
    this.#path = new MutationPath({ registry: this.#registry, roster, remover: this.#remover, emitter: this.#emitter, clock: this.#clock, geo: s.geo, closed });
    const sync = () => this.#sync;
    this.#desk = new RestrictionDesk({
      registry: this.#registry,
      roster,
      emitter: this.#emitter,
      clock: this.#clock,
      geo: s.geo,
      fleet: this.#fleet,
      path: this.#path,
      sync,
      closed,
      assertOpen,
      ready,
    });
    this.#exemptions = new ExemptionDesk({
      registry: this.#registry,
      remover: this.#remover,
      emitter: this.#emitter,
      clock: this.#clock,
      sync,
      closed,
      assertOpen,
      ready,
      enforce: (entry, announce) => this.#path.enforce(entry, announce),
      error: (context, text, extra) => this.#error(context, text, extra),
    });
    const relay = relayResolverEvents(s.geo, this.#emitter, (text, error, file) => this.#error('geo', text, { error, ...(file ? { file } : {}) }));
    if (relay !== undefined) this.#cleanups.push(...relay);
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
      for (const r of normalized) this.#path.register(r, '0', false);
      // Listeners attached right after createGate (an audit sink) still record what the gate starts with.
      queueMicrotask(() => {
        for (const r of normalized) {
          const entry = this.#registry.get(r.id);
          if (entry !== undefined && !this.#closed)
            this.#emitter.emit('restriction.accepted', acceptedEvent(this.#clock(), r, entry.digest, this.#path.impact(entry).result, 0));
        }
      });
      this.#isReady = true;
      this.#ready = Promise.resolve();
      this.#sync.follow('0');
    } else {
      this.#sync = this.#newSync(given as RestrictionStore);
      const fallback = s.lastKnownRestrictions ? validateAll(s.lastKnownRestrictions, 'lastKnownRestrictions') : undefined;
      // ready() also waits for this node to be listening and announced, so the fleet can count it from then on;
      // not when the store is unreachable and the gate starts from its last-known restrictions.
      const announced = this.#fleet.start();
      this.#ready = this.#sync.load(fallback).then((reached) => {
        this.#isReady = true;
        return reached ? announced : undefined;
      });
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
      failed: (rule: { name: string }, error: unknown) => this.#error('rule', `rule '${rule.name}' failed: ${errorText(error)}`, { rule: rule.name, error }),
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
    assess(this.#registry, join, located.location, now, this.#path.armActivation, assessment, client?.ip);
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
      verdict = assess(this.#registry, join, a.location, now, this.#path.armActivation, undefined, a.client?.ip);
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
    return overviewOf(this.#roster, meetingId);
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

  preview(doc: unknown): Promise<RestrictResult> {
    return this.#desk.preview(doc);
  }

  restrict(doc: unknown): Promise<RestrictResult> {
    return this.#desk.restrict(doc);
  }

  lift(id: string): Promise<NormalizedRestriction> {
    return this.#desk.lift(id);
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
    return question.op === 'overview' ? this.overview(question.meetingId) : this.#desk.answer(question);
  }

  readonly #restrictionById = (id: string): NormalizedRestriction | undefined => this.#registry.get(id)?.restriction;

  readonly #sourceProblem = (text: string, error?: unknown): void => this.#error('geo', text, error === undefined ? {} : { error });

  // ---------------------------------------------------------------- wiring

  #newSync(store: RestrictionStore): StoreSync {
    return new StoreSync(store, {
      closed: () => this.#closed,
      has: (id) => this.#registry.has(id),
      ids: () => [...this.#registry.values()].map((e) => e.restriction.id),
      source: (id) => this.#registry.get(id)?.restriction.source,
      register: (r, version) => {
        const enforcing = this.#path.register(r, version, true);
        // Kept for the node that made it, which asks for this node's part (the digest as registered, not computed
        // again); not for the snapshot loaded at start, which answers nobody's question.
        if (this.#isReady) this.#fleet.enforced(r.id, this.#registry.get(r.id)?.digest ?? '', enforcing);
      },
      unregister: (id) => this.#path.unregister(id),
      exemptionIds: () => [...this.#registry.exemptions.values()].map((h) => h.exemption.id),
      grant: (doc, version) => this.#exemptions.grantStored(doc, version),
      revoke: (id) => void this.#exemptions.applyRevoke(id, false),
      error: (context, text, extra) => this.#error(context, text, extra),
      storeEvent: (event, payload) => this.#emitter.emit(event, payload),
      now: () => this.#clock(),
    });
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
