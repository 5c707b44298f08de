import { ErrorCode, GeoadmitError } from '../errors/index.js';
import { guardInput } from '../internal/options.js';
import type { AuditEvent } from '../events/types.js';
import { type Acceptance, Acceptances, type Ref } from './internal/acceptances.js';
import { type Category, decodeEvent, type Owner, type ReportEvent } from './internal/decode.js';
import { DistinctCounter } from './internal/distinct.js';
import { emptyFigures, type Figures, type Group, Groups } from './internal/groups.js';
import { METHOD } from './internal/method.js';
import { Tallies, WINDOW } from './internal/tallies.js';
import { isAsyncIterable, logsOf, readLogs } from './internal/logs.js';
import type {
  AuthorityReport,
  JurisdictionReport,
  ReportCategory,
  ReportExemptions,
  ReportFigures,
  ReportInput,
  ReportPeriod,
  ReportSource,
  ReportTotals,
  TransparencyReport,
  TransparencyReportOptions,
} from './types.js';

const MAX_REFUSAL_REASONS = 20;

function toInstant(value: string | Date | undefined, argument: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new GeoadmitError(ErrorCode.InvalidConfig, `${argument} is not a valid date: ${String(value)}`, { argument });
  }
  return ms;
}

/**
 * The report in one pass: each event is decoded once ({@link decodeEvent}),
 * acceptances and lifts are followed across nodes' logs ({@link Acceptances}),
 * denials and removals are tallied by the restrictions they cite
 * ({@link Tallies}) and attributed to authority, jurisdiction and category
 * groups ({@link Groups}) once every acceptance has been seen.
 */
class ReportBuilder {
  readonly #from: number | undefined;
  readonly #to: number | undefined;
  readonly #limit: number;
  readonly #groups = new Groups();
  readonly #acceptances = new Acceptances();
  readonly #tallies: Tallies;
  readonly decisions = { total: 0, admitted: 0, denied: 0 };
  readonly otherDenials = { joins: 0, byReason: {} as Record<string, number> };
  readonly promises = { meetingsEndedBySdk: 0, hostAccountsSuspended: 0, userDataDisclosures: 0 };
  readonly audit = { events: 0, gaps: 0, eventsDropped: 0, errors: 0, warnings: 0, warningsByCode: {} as Record<string, number> };
  /** Digests of refused documents already counted: the same document refused again is not another demand. */
  readonly #refusedDigests = new Set<string>();
  /** Whether each exemption was last recorded granted: every node records the same grant, which counts once. */
  readonly #exemptionState = new Map<string, boolean>();
  /** Exemptions granted and revoked, per restriction. */
  readonly #exemptionRows = new Map<string, ReportExemptions>();
  /** Per acceptance, the meetings its nodes reached and disturbed, by id (see `#fleetMeetings`). */
  readonly #meetingsByAcceptance = new Map<Acceptance, { owner: Owner; period: string; reached: Set<string>; disturbed: Set<string> }>();
  firstEvent: string | undefined;
  lastEvent: string | undefined;

  constructor(from: number | undefined, to: number | undefined, limit: number) {
    this.#from = from;
    this.#to = to;
    this.#limit = limit;
    this.#tallies = new Tallies(limit);
  }

  /** A new log starts: which acceptance is in force is known per log (each node records what it enforces). */
  startSource(): void {
    this.#acceptances.startLog();
  }

  #inWindow(ms: number): boolean {
    if (this.#from === undefined && this.#to === undefined) return true;
    if (Number.isNaN(ms)) return false;
    return !((this.#from !== undefined && ms < this.#from) || (this.#to !== undefined && ms >= this.#to));
  }

  /** Take one event (or one of the log's own records). */
  add(raw: object): void {
    const e = decodeEvent(raw);
    // Acceptances and lifts are followed also before the window: attribution and identity depend on them.
    let acceptance: Acceptance | undefined;
    if (e.type === 'accepted') acceptance = this.#acceptances.accept(e.restrictionId, e.digest, e.owner);
    else if (e.type === 'lifted') acceptance = this.#acceptances.lift(e.restrictionId, e.digest, e.owner);
    // The log's records about itself (start, signed checkpoints) carry the time they were written, not an event's.
    if (e.type === 'meta' || !this.#inWindow(e.ms)) return;
    let period = 'unknown';
    if (!Number.isNaN(e.ms)) {
      const iso = new Date(e.ms).toISOString();
      period = iso.slice(0, 7);
      if (this.firstEvent === undefined || iso < this.firstEvent) this.firstEvent = iso;
      if (this.lastEvent === undefined || iso > this.lastEvent) this.lastEvent = iso;
    }
    if (e.type === 'gap') {
      this.audit.gaps++;
      this.audit.eventsDropped += e.dropped;
      return;
    }
    this.audit.events++;
    this.#count(e, period, acceptance);
  }

  #count(e: ReportEvent, period: string, acceptance: Acceptance | undefined): void {
    switch (e.type) {
      case 'decision':
        this.#decision(e, period);
        break;
      case 'removal':
        this.#tallies.removal(this.#acceptances.ref(e.restrictionId), e.meetingId, e.participantId, e.pending, period);
        break;
      case 'accepted':
        this.#accepted(e, acceptance as Acceptance, period);
        break;
      case 'refused':
        this.#refused(e, period);
        break;
      case 'lifted': {
        // Every node records the lift of a restriction it enforced: it counts once.
        const lifted = acceptance as Acceptance;
        if (lifted.liftCounted) break;
        lifted.liftCounted = true;
        this.#groups.each(e.owner, period, (f) => f.restrictionsLifted++);
        break;
      }
      case 'exemption':
        this.#exemption(e, period);
        break;
      case 'promise':
        this.promises[e.figure]++;
        break;
      case 'error':
        this.audit.errors++;
        break;
      case 'warning':
        this.audit.warnings++;
        this.audit.warningsByCode[e.code] = (this.audit.warningsByCode[e.code] ?? 0) + 1;
        break;
    }
  }

  #accepted(e: Extract<ReportEvent, { type: 'accepted' }>, acceptance: Acceptance, period: string): void {
    const first = !acceptance.counted;
    acceptance.counted = true;
    const listed = e.meetings !== undefined ? this.#fleetMeetings(acceptance, e.owner, period, e.meetings) : false;
    const groups = this.#groups.each(e.owner, period, (f) => {
      // Each node's acceptance reports its own roster; the restriction itself counts once.
      if (!listed) f.meetingsUndisturbed += e.meetingsUndisturbed;
      if (!first) return;
      f.restrictionsReceived++;
      f.restrictionsAccepted++;
      if (e.dryRun) f.restrictionsDryRun++;
    });
    for (const group of groups) for (const m of e.scopedMeetings) group.scoped.add(m);
  }

  #refused(e: Extract<ReportEvent, { type: 'refused' }>, period: string): void {
    if (e.digest !== undefined) {
      if (this.#refusedDigests.has(e.digest)) return;
      this.#refusedDigests.add(e.digest);
    }
    const groups = this.#groups.each(e.owner, period, (f) => {
      f.restrictionsReceived++;
      f.restrictionsRefused++;
      f.refusals[e.code] = (f.refusals[e.code] ?? 0) + 1;
    });
    if (e.reason === undefined) return;
    for (const group of groups) {
      if (group.refusalReasons.size < MAX_REFUSAL_REASONS) group.refusalReasons.add(`${e.code}: ${e.reason.slice(0, 300)}`);
    }
  }

  #decision(e: Extract<ReportEvent, { type: 'decision' }>, period: string): void {
    this.decisions.total++;
    if (e.denied) this.decisions.denied++;
    else this.decisions.admitted++;
    if (e.cited.size > 0) this.#tallies.denied(this.#refs(e.cited), period, e.meetingId);
    if (e.otherCodes.size > 0) {
      this.otherDenials.joins++;
      for (const code of e.otherCodes) this.otherDenials.byReason[code] = (this.otherDenials.byReason[code] ?? 0) + 1;
    }
    if (e.dryRun.size > 0) this.#tallies.deniedDryRun(this.#refs(e.dryRun), period);
    if (e.notice !== undefined) this.#tallies.noticed(this.#acceptances.ref(e.notice), period);
  }

  #exemption(e: Extract<ReportEvent, { type: 'exemption' }>, period: string): void {
    const state = this.#exemptionState.get(e.exemptionId);
    if (state === e.granted) return; // the same grant or revocation, recorded by another node
    this.#exemptionState.set(e.exemptionId, e.granted);
    const owner = e.owner ?? this.#acceptances.ownerOf(this.#acceptances.ref(e.restrictionId));
    let row = this.#exemptionRows.get(e.restrictionId);
    if (row === undefined) {
      row = {
        restrictionId: e.restrictionId,
        category: owner?.category ?? 'takedown',
        authority: owner?.authority ?? '(not stated)',
        jurisdiction: owner?.jurisdiction ?? '',
        granted: 0,
        revoked: 0,
      };
      this.#exemptionRows.set(e.restrictionId, row);
    }
    if (e.granted) row.granted++;
    else row.revoked++;
    if (owner !== undefined) {
      this.#groups.each(owner, period, (f) => {
        if (e.granted) f.exemptionsGranted++;
        else f.exemptionsRevoked++;
      });
    }
  }

  #refs(ids: ReadonlySet<string>): Ref[] {
    return [...ids].map((id) => this.#acceptances.ref(id));
  }

  /**
   * A node's meetings for an acceptance, by id: summed over the fleet at the
   * end, a meeting counts once, and as undisturbed only if no node removed
   * anyone from it (not a sum of nodes).
   */
  #fleetMeetings(acceptance: Acceptance, owner: Owner, period: string, meetings: { reached: readonly string[]; undisturbed: readonly string[] }): boolean {
    let fleet = this.#meetingsByAcceptance.get(acceptance);
    if (fleet === undefined) this.#meetingsByAcceptance.set(acceptance, (fleet = { owner, period, reached: new Set(), disturbed: new Set() }));
    const undisturbed = new Set(meetings.undisturbed);
    for (const m of meetings.reached) {
      fleet.reached.add(m);
      if (!undisturbed.has(m)) fleet.disturbed.add(m);
    }
    return true;
  }

  /** Adds each acceptance's fleet-wide meetings undisturbed to its groups. */
  #countFleetMeetings(): void {
    for (const { owner, period, reached, disturbed } of this.#meetingsByAcceptance.values()) {
      let n = 0;
      for (const m of reached) if (!disturbed.has(m)) n++;
      this.#groups.each(owner, period, (f) => {
        f.meetingsUndisturbed += n;
      });
    }
  }

  /** Attribute the tallies to groups, now that every acceptance has been seen. */
  #attribute(): { restrictionIds: number; joinsDenied: number; participantsRemoved: number } {
    const unknownIds = new Set<string>();
    const unattributed = { restrictionIds: 0, joinsDenied: 0, participantsRemoved: 0 };
    for (const set of this.#tallies.sets()) {
      const targets = new Set<Group>();
      let unknown = false;
      for (const ref of set.refs) {
        const owner: Owner | undefined = this.#acceptances.ownerOf(ref);
        if (owner === undefined) {
          unknown = true;
          unknownIds.add(ref.restrictionId);
          continue;
        }
        for (const g of this.#groups.of(owner)) targets.add(g);
      }
      for (const [period, t] of set.periods) {
        if (unknown && period === WINDOW) {
          unattributed.joinsDenied += t.joinsDenied;
          unattributed.participantsRemoved += t.removed;
        }
        // A join citing several restrictions of one group counts once for that group.
        for (const g of targets) {
          const f = g.figures(period);
          f.joinsDenied += t.joinsDenied;
          f.joinsDeniedDryRun += t.joinsDeniedDryRun;
          f.participantsRemoved += t.removed;
          f.removalsPending += t.pending;
          // Every removal passes its restriction's notice to onRemove.
          f.noticesGiven += t.notices + t.removed;
          if (t.meetings !== undefined) (f.meetings ??= new DistinctCounter(this.#limit)).merge(t.meetings);
        }
      }
    }
    unattributed.restrictionIds = unknownIds.size;
    return unattributed;
  }

  finish(sources: ReportSource[], generatedAt: string, from?: string, to?: string): TransparencyReport {
    this.#countFleetMeetings();
    const unattributed = this.#attribute();
    const report: TransparencyReport = {
      schemaVersion: 1,
      generatedAt,
      window: {},
      sources,
      promises: { ...this.promises },
      governmentDemands: this.#category('takedown'),
      sanctions: this.#category('sanctions'),
      hostPolicies: this.#category('host-policy'),
      decisions: { ...this.decisions },
      exemptions: [...this.#exemptionRows.values()].sort((a, b) => compare(a.restrictionId, b.restrictionId)),
      otherDenials: { joins: this.otherDenials.joins, byReason: sortedRecord(this.otherDenials.byReason) },
      unattributed,
      audit: { ...this.audit, warningsByCode: sortedRecord(this.audit.warningsByCode) },
      method: METHOD,
    };
    if (from !== undefined) report.window.from = from;
    if (to !== undefined) report.window.to = to;
    if (this.firstEvent !== undefined) report.window.firstEvent = this.firstEvent;
    if (this.lastEvent !== undefined) report.window.lastEvent = this.lastEvent;
    return report;
  }

  #category(category: Category): ReportCategory {
    const groups = this.#groups.category(category);
    const byAuthority: AuthorityReport[] = groups.authorities.map((g) => ({
      authority: g.authority,
      jurisdiction: g.jurisdiction,
      total: totalsOf(g),
      periods: periodsOf(g),
    }));
    const byJurisdiction: JurisdictionReport[] = groups.jurisdictions.map((g) => ({
      jurisdiction: g.jurisdiction,
      authorities: [...g.authorities].sort(),
      total: totalsOf(g),
      periods: periodsOf(g),
    }));
    byAuthority.sort((a, b) => compare(a.authority, b.authority) || compare(a.jurisdiction, b.jurisdiction));
    byJurisdiction.sort((a, b) => compare(a.jurisdiction, b.jurisdiction));
    return { total: totalsOf(groups.total), periods: periodsOf(groups.total), byAuthority, byJurisdiction };
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedRecord(record: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key] ?? 0;
  return out;
}

function publicFigures(f: Figures): ReportFigures {
  const { meetings, ...rest } = f;
  return {
    ...rest,
    refusals: sortedRecord(rest.refusals),
    meetingsAffected: meetings?.count() ?? 0,
    meetingsAffectedEstimated: meetings?.estimated ?? false,
  };
}

function totalsOf(g: Group): ReportTotals {
  const f = g.periods.get(WINDOW) ?? emptyFigures();
  let undisturbed: number | null = 0;
  for (const m of g.scoped) {
    const hit = f.meetings === undefined ? false : f.meetings.has(m);
    if (hit === undefined) {
      undisturbed = null;
      break;
    }
    if (!hit) undisturbed++;
  }
  return {
    ...publicFigures(f),
    scopedMeetings: g.scoped.size,
    scopedMeetingsUndisturbed: undisturbed,
    refusalReasons: [...g.refusalReasons],
  };
}

function periodsOf(g: Group): ReportPeriod[] {
  const out: ReportPeriod[] = [];
  for (const [period, f] of g.periods) if (period !== WINDOW) out.push({ period, figures: publicFigures(f) });
  return out.sort((a, b) => compare(a.period, b.period));
}

/**
 * Build a transparency report from audit logs (a path, or several paths —
 * several nodes' logs, merged; each is verified separately and the report
 * says whether it verified) or from events in hand. Per category (government
 * demands, sanctions, host policies), authority, jurisdiction and calendar
 * month: restrictions received, accepted, refused (and why), dry-run;
 * meetings affected and left undisturbed; joins denied; participants
 * removed — plus the promises counted from the log: meetings ended by the
 * SDK, host accounts suspended, user data disclosed.
 *
 * Streams the logs in one pass; memory does not grow with the number of
 * events (distinct meetings are counted exactly up to `exactLimit`, then
 * estimated and marked so). Of a log that does not verify, only the verified
 * prefix is counted.
 *
 * @throws GeoadmitError `E_AUDIT_IO` when a log cannot be read, `E_INVALID_CONFIG` for a bad window.
 * @example
 * const report = await buildTransparencyReport(['node-a/audit.jsonl', 'node-b/audit.jsonl'], { from: '2024-01-01', to: '2024-07-01' });
 * await writeFile('report.html', renderReportHtml(report));
 */
export async function buildTransparencyReport(source: ReportInput, options: TransparencyReportOptions = {}): Promise<TransparencyReport> {
  // The source and options are read deep inside: a getter or Proxy trap that throws there is bad input, not a crash.
  return guardInput('buildTransparencyReport', 'source', () => buildUnguarded(source, options));
}

async function buildUnguarded(source: ReportInput, options: TransparencyReportOptions): Promise<TransparencyReport> {
  const from = toInstant(options.from, 'from');
  const to = toInstant(options.to, 'to');
  const generated = toInstant(options.generatedAt, 'generatedAt') ?? Date.now();
  const limit = options.exactLimit ?? 100_000;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new GeoadmitError(ErrorCode.InvalidConfig, `exactLimit must be a non-negative integer`, { argument: 'exactLimit' });
  }
  const builder = new ReportBuilder(from, to, limit);
  const sources: ReportSource[] = [];
  const logs = logsOf(source, options);
  if (logs !== undefined) {
    sources.push(...(await readLogs(builder, logs, options)));
  } else {
    let events = 0;
    const take = (event: AuditEvent): void => {
      if (typeof event !== 'object' || event === null) return;
      events++;
      builder.add(event);
    };
    if (isAsyncIterable(source)) for await (const event of source) take(event);
    else for (const event of source as Iterable<AuditEvent>) take(event);
    sources.push({ name: 'events', verified: null, events });
  }
  return builder.finish(
    sources,
    new Date(generated).toISOString(),
    from === undefined ? undefined : new Date(from).toISOString(),
    to === undefined ? undefined : new Date(to).toISOString(),
  );
}
