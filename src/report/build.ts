import { scanAuditLog } from '../audit/verify.js';
import type { AuditLine } from '../audit/types.js';
import { ErrorCode, GeoadmitError } from '../errors/index.js';
import type { AuditEvent } from '../events/types.js';
import type {
  AuthorityReport,
  JurisdictionReport,
  ReportCategory,
  ReportFigures,
  ReportInput,
  ReportPeriod,
  ReportSource,
  ReportTotals,
  TransparencyReport,
  TransparencyReportOptions,
} from './types.js';
import { DistinctCounter } from './internal/distinct.js';
import { METHOD } from './internal/method.js';

type Category = 'takedown' | 'sanctions' | 'host-policy';

/**
 * Event types that would record a meeting ended, an account suspended or
 * user data handed over. The SDK has no operation that emits them; the
 * report still counts them from the log rather than printing constants.
 */
const MEETING_ENDED_TYPES: ReadonlySet<string> = new Set(['meeting.ended', 'meeting.terminated']);
const ACCOUNT_SUSPENDED_TYPES: ReadonlySet<string> = new Set(['account.suspended', 'host.suspended']);
const DATA_DISCLOSED_TYPES: ReadonlySet<string> = new Set(['data.disclosed', 'data.exported']);

const TOTAL = '*';
const MAX_REFUSAL_REASONS = 20;
const SEP = '\u0000';

interface Figures extends Omit<ReportFigures, 'meetingsAffected' | 'meetingsAffectedEstimated'> {
  meetings: DistinctCounter | undefined;
}

/** One group (authority, jurisdiction or whole category): figures per period and for the window. */
interface Group {
  category: Category;
  authority: string;
  jurisdiction: string;
  authorities: Set<string>;
  periods: Map<string, Figures>;
  scoped: Set<string>;
  refusalReasons: Set<string>;
}

/** Whom a restriction acceptance's figures count for. */
interface Owner {
  category: Category;
  authority: string;
  jurisdiction: string;
}

/** Denials and removals citing one set of restriction ids, per period. */
interface Tally {
  joinsDenied: number;
  joinsDeniedDryRun: number;
  removed: number;
  pending: number;
  meetings: DistinctCounter | undefined;
}

function emptyFigures(): Figures {
  return {
    restrictionsReceived: 0,
    restrictionsAccepted: 0,
    restrictionsDryRun: 0,
    restrictionsRefused: 0,
    refusals: {},
    restrictionsLifted: 0,
    meetingsUndisturbed: 0,
    joinsDenied: 0,
    joinsDeniedDryRun: 0,
    participantsRemoved: 0,
    removalsPending: 0,
    meetings: undefined,
  };
}

/** Log content is hostile: read a string field or nothing. */
function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

function categoryOf(kind: unknown): Category {
  return kind === 'sanctions' || kind === 'host-policy' ? kind : 'takedown';
}

function toInstant(value: string | Date | undefined, argument: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new GeoadmitError(ErrorCode.InvalidConfig, `${argument} is not a valid date: ${String(value)}`, { argument });
  }
  return ms;
}

class ReportBuilder {
  readonly #from: number | undefined;
  readonly #to: number | undefined;
  readonly #limit: number;
  readonly #groups = new Map<string, Group>();
  /** Acceptance key (see {@link ReportBuilder.#acceptanceKey}) → the groups its figures count in. */
  readonly #acceptances = new Map<string, Owner>();
  /** restrictionId → its first acceptance in any log: for citations a log records without the acceptance. */
  readonly #byId = new Map<string, Owner>();
  readonly #acceptedSeen = new Set<string>();
  readonly #liftedSeen = new Set<string>();
  /** In the log being read: restrictionId → the acceptance in force (its key and digest). */
  #current = new Map<string, { key: string; digest: string }>();
  /** In the log being read: lifts seen per restrictionId + digest. */
  #generations = new Map<string, number>();
  /**
   * Removals counted, by (acceptance, meeting, participant): the tallies that
   * count it as pending until a `removed` event for it arrives, or null.
   */
  readonly #removals = new Map<string, Tally[] | null>();
  /** cite key (JSON array of the restrictions a denial or removal cites, see {@link ReportBuilder.#ref}) → period → tally. */
  readonly #tallies = new Map<string, Map<string, Tally>>();
  readonly decisions = { total: 0, admitted: 0, denied: 0 };
  readonly otherDenials = { joins: 0, byReason: {} as Record<string, number> };
  readonly promises = { meetingsEndedBySdk: 0, hostAccountsSuspended: 0, userDataDisclosures: 0 };
  readonly audit = { events: 0, gaps: 0, eventsDropped: 0, errors: 0, warnings: 0, warningsByCode: {} as Record<string, number> };
  firstEvent: string | undefined;
  lastEvent: string | undefined;

  constructor(from: number | undefined, to: number | undefined, limit: number) {
    this.#from = from;
    this.#to = to;
    this.#limit = limit;
  }

  /** A new log starts: which acceptance is in force is known per log (each node records what it enforces). */
  startSource(): void {
    this.#current = new Map();
    this.#generations = new Map();
  }

  /** Take one event (or one of the log's own records). */
  add(event: object): void {
    const e = event as Record<string, unknown>;
    const type = str(e.type) ?? '';
    // Acceptances and lifts are followed also before the window: attribution and identity depend on them.
    let key = '';
    if (type === 'restriction.accepted') key = this.#learn(e);
    else if (type === 'restriction.lifted') key = this.#unlearn(e);
    const time = str(e.time);
    const ms = time === undefined ? Number.NaN : Date.parse(time);
    if (this.#from !== undefined || this.#to !== undefined) {
      if (Number.isNaN(ms)) return;
      if (this.#from !== undefined && ms < this.#from) return;
      if (this.#to !== undefined && ms >= this.#to) return;
    }
    const period = Number.isNaN(ms) ? 'unknown' : new Date(ms).toISOString().slice(0, 7);
    if (!Number.isNaN(ms)) {
      const iso = new Date(ms).toISOString();
      if (this.firstEvent === undefined || iso < this.firstEvent) this.firstEvent = iso;
      if (this.lastEvent === undefined || iso > this.lastEvent) this.lastEvent = iso;
    }
    if (type === 'audit.gap') {
      this.audit.gaps++;
      this.audit.eventsDropped += num(e.dropped);
      return;
    }
    if (type === 'audit.start') return;
    this.audit.events++;
    if (MEETING_ENDED_TYPES.has(type)) this.promises.meetingsEndedBySdk++;
    if (ACCOUNT_SUSPENDED_TYPES.has(type)) this.promises.hostAccountsSuspended++;
    if (DATA_DISCLOSED_TYPES.has(type)) this.promises.userDataDisclosures++;
    switch (type) {
      case 'decision':
        this.#decision(e, period);
        break;
      case 'removal':
        this.#removal(e, period);
        break;
      case 'restriction.accepted':
        this.#accepted(e, key, period);
        break;
      case 'restriction.refused':
        this.#refused(e, period);
        break;
      case 'restriction.lifted':
        // Every node records the lift of a restriction it enforced: it counts once.
        if (this.#liftedSeen.has(key)) break;
        this.#liftedSeen.add(key);
        this.#each(categoryOf(e.kind), e.authority, period, (f) => f.restrictionsLifted++);
        break;
      case 'error':
        this.audit.errors++;
        break;
      case 'warning': {
        const code = str(e.code) ?? 'unknown';
        this.audit.warnings++;
        this.audit.warningsByCode[code] = (this.audit.warningsByCode[code] ?? 0) + 1;
        break;
      }
    }
  }

  /**
   * What identifies one acceptance across nodes' logs: the restriction id, its
   * document digest (absent in logs written before digests were recorded: the
   * id alone then) and how many times this log saw that id and digest lifted
   * before (the same document accepted again after a lift is a new acceptance).
   */
  #acceptanceKey(id: string, digest: string): string {
    const generation = this.#generations.get(JSON.stringify([id, digest])) ?? 0;
    return JSON.stringify([id, digest, generation]);
  }

  #learn(e: Record<string, unknown>): string {
    const id = str(e.restrictionId) ?? '';
    const digest = str(e.digest) ?? '';
    const key = this.#acceptanceKey(id, digest);
    const { authority, jurisdiction } = authorityOf(e.authority, categoryOf(e.kind));
    const owner: Owner = { category: categoryOf(e.kind), authority, jurisdiction };
    if (!this.#acceptances.has(key)) this.#acceptances.set(key, owner);
    if (!this.#byId.has(id)) this.#byId.set(id, owner);
    this.#current.set(id, { key, digest });
    return key;
  }

  #unlearn(e: Record<string, unknown>): string {
    const id = str(e.restrictionId) ?? '';
    const current = this.#current.get(id);
    // A lift without a digest (older logs) lifts whatever this log has in force under that id.
    const digest = str(e.digest) ?? current?.digest ?? '';
    const pair = JSON.stringify([id, digest]);
    const generation = this.#generations.get(pair) ?? 0;
    if (current === undefined || current.digest !== digest) {
      // Not in force here: a repeat of a lift already seen (events of several nodes merged into one
      // stream in time order), so it is that lift's generation, the one before.
      return JSON.stringify([id, digest, Math.max(0, generation - 1)]);
    }
    const key = JSON.stringify([id, digest, generation]);
    this.#generations.set(pair, generation + 1);
    this.#current.delete(id);
    return key;
  }

  /**
   * How a denial or removal in the log being read refers to a restriction: by
   * the acceptance in force in this log, else (the log does not hold it) by id.
   */
  #ref(id: string): string {
    const current = this.#current.get(id);
    return current === undefined ? JSON.stringify([id]) : JSON.stringify([id, current.key]);
  }

  #accepted(e: Record<string, unknown>, key: string, period: string): void {
    const first = !this.#acceptedSeen.has(key);
    this.#acceptedSeen.add(key);
    const dryRun = e.mode === 'dry-run';
    const scope = (typeof e.scope === 'object' && e.scope !== null ? e.scope : {}) as Record<string, unknown>;
    const scoped = strings(scope.meetings);
    const groups = this.#each(categoryOf(e.kind), e.authority, period, (f) => {
      // Each node's acceptance reports its own roster; the restriction itself counts once.
      f.meetingsUndisturbed += num(e.meetingsUndisturbed);
      if (!first) return;
      f.restrictionsReceived++;
      f.restrictionsAccepted++;
      if (dryRun) f.restrictionsDryRun++;
    });
    for (const group of groups) for (const m of scoped) group.scoped.add(m);
  }

  #refused(e: Record<string, unknown>, period: string): void {
    const code = str(e.code) ?? 'unknown';
    const reason = str(e.reason);
    const groups = this.#each(categoryOf(e.kind), e.authority, period, (f) => {
      f.restrictionsReceived++;
      f.restrictionsRefused++;
      f.refusals[code] = (f.refusals[code] ?? 0) + 1;
    });
    if (reason === undefined) return;
    for (const group of groups) {
      if (group.refusalReasons.size < MAX_REFUSAL_REASONS) group.refusalReasons.add(`${code}: ${reason.slice(0, 300)}`);
    }
  }

  #decision(e: Record<string, unknown>, period: string): void {
    this.decisions.total++;
    const meetingId = str(e.meetingId) ?? '';
    const denied = e.outcome === 'denied';
    if (denied) this.decisions.denied++;
    else this.decisions.admitted++;
    const reasons = Array.isArray(e.reasons) ? (e.reasons as unknown[]) : [];
    if (denied) {
      const ids = new Set<string>();
      const other = new Set<string>();
      for (const r of reasons) {
        if (typeof r !== 'object' || r === null) continue;
        const reason = r as Record<string, unknown>;
        const id = str(reason.restrictionId);
        if (id !== undefined) ids.add(id);
        else other.add(str(reason.code) ?? 'unknown');
      }
      if (ids.size > 0) {
        const t = this.#tally(this.#refs(ids), period);
        for (const tally of t) {
          tally.joinsDenied++;
          (tally.meetings ??= new DistinctCounter(this.#limit)).add(meetingId);
        }
      }
      if (other.size > 0) {
        this.otherDenials.joins++;
        for (const code of other) this.otherDenials.byReason[code] = (this.otherDenials.byReason[code] ?? 0) + 1;
      }
    }
    const dry = new Set<string>();
    for (const r of Array.isArray(e.dryRun) ? (e.dryRun as unknown[]) : []) {
      const id = typeof r === 'object' && r !== null ? str((r as Record<string, unknown>).restrictionId) : undefined;
      if (id !== undefined) dry.add(id);
    }
    if (dry.size > 0) for (const tally of this.#tally(this.#refs(dry), period)) tally.joinsDeniedDryRun++;
  }

  #refs(ids: Set<string>): string[] {
    return [...ids].map((id) => this.#ref(id));
  }

  /**
   * A participant counts as removed once per restriction acceptance, meeting
   * and participant, however many events record it; a `pending` removal
   * (`onRemove` failed) stops counting as pending once a `removed` event for
   * it follows (the gate's retry succeeded).
   */
  #removal(e: Record<string, unknown>, period: string): void {
    const id = str(e.restrictionId);
    if (id === undefined) return;
    const ref = this.#ref(id);
    const key = JSON.stringify([ref, str(e.meetingId) ?? '', str(e.participantId) ?? '']);
    const pending = e.status === 'pending';
    const seen = this.#removals.get(key);
    if (seen !== undefined) {
      if (seen !== null && !pending) {
        for (const tally of seen) tally.pending--;
        this.#removals.set(key, null);
      }
      return;
    }
    const tallies = this.#tally([ref], period);
    for (const tally of tallies) {
      tally.removed++;
      if (pending) tally.pending++;
      (tally.meetings ??= new DistinctCounter(this.#limit)).add(str(e.meetingId) ?? '');
    }
    this.#removals.set(key, pending ? tallies : null);
  }

  /** The period and window tallies for a set of cited restrictions (refs). */
  #tally(refs: string[], period: string): [Tally, Tally] {
    const key = JSON.stringify([...new Set(refs)].sort());
    let byPeriod = this.#tallies.get(key);
    if (byPeriod === undefined) {
      byPeriod = new Map();
      this.#tallies.set(key, byPeriod);
    }
    const get = (p: string): Tally => {
      let t = byPeriod.get(p);
      if (t === undefined) {
        t = { joinsDenied: 0, joinsDeniedDryRun: 0, removed: 0, pending: 0, meetings: undefined };
        byPeriod.set(p, t);
      }
      return t;
    };
    return [get(period), get(TOTAL)];
  }

  #group(key: string, category: Category, authority: string, jurisdiction: string): Group {
    let g = this.#groups.get(key);
    if (g === undefined) {
      g = { category, authority, jurisdiction, authorities: new Set(), periods: new Map(), scoped: new Set(), refusalReasons: new Set() };
      this.#groups.set(key, g);
    }
    return g;
  }

  /** The three groups an authority's figures count in: itself, its jurisdiction, its category. */
  #groupsOf(category: Category, authority: string, jurisdiction: string): Group[] {
    const a = this.#group(`a${SEP}${category}${SEP}${authority}${SEP}${jurisdiction}`, category, authority, jurisdiction);
    const j = this.#group(`j${SEP}${category}${SEP}${jurisdiction}`, category, '', jurisdiction);
    j.authorities.add(authority);
    const c = this.#group(`c${SEP}${category}`, category, '', '');
    return [a, j, c];
  }

  #figures(group: Group, period: string): Figures {
    let f = group.periods.get(period);
    if (f === undefined) {
      f = emptyFigures();
      group.periods.set(period, f);
    }
    return f;
  }

  #each(category: Category, rawAuthority: unknown, period: string, apply: (f: Figures) => void): Group[] {
    const { authority, jurisdiction } = authorityOf(rawAuthority, category);
    const groups = this.#groupsOf(category, authority, jurisdiction);
    for (const g of groups) {
      apply(this.#figures(g, period));
      apply(this.#figures(g, TOTAL));
    }
    return groups;
  }

  /** Attribute the tallies to groups, now that every acceptance has been seen. */
  #attribute(): { restrictionIds: number; joinsDenied: number; participantsRemoved: number } {
    const unknownIds = new Set<string>();
    const unattributed = { restrictionIds: 0, joinsDenied: 0, participantsRemoved: 0 };
    for (const [key, byPeriod] of this.#tallies) {
      const targets = new Set<Group>();
      let unknown = false;
      for (const ref of JSON.parse(key) as string[]) {
        const [id = '', acceptance] = JSON.parse(ref) as [string, string?];
        const r = acceptance === undefined ? this.#byId.get(id) : this.#acceptances.get(acceptance);
        if (r === undefined) {
          unknown = true;
          unknownIds.add(id);
          continue;
        }
        for (const g of this.#groupsOf(r.category, r.authority, r.jurisdiction)) targets.add(g);
      }
      for (const [period, t] of byPeriod) {
        if (unknown && period === TOTAL) {
          unattributed.joinsDenied += t.joinsDenied;
          unattributed.participantsRemoved += t.removed;
        }
        // A join citing several restrictions of one group counts once for that group.
        for (const g of targets) {
          const f = this.#figures(g, period);
          f.joinsDenied += t.joinsDenied;
          f.joinsDeniedDryRun += t.joinsDeniedDryRun;
          f.participantsRemoved += t.removed;
          f.removalsPending += t.pending;
          if (t.meetings !== undefined) (f.meetings ??= new DistinctCounter(this.#limit)).merge(t.meetings);
        }
      }
    }
    unattributed.restrictionIds = unknownIds.size;
    return unattributed;
  }

  finish(sources: ReportSource[], generatedAt: string, from?: string, to?: string): TransparencyReport {
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
    const byAuthority: AuthorityReport[] = [];
    const byJurisdiction: JurisdictionReport[] = [];
    let total: Group | undefined;
    for (const [key, g] of this.#groups) {
      if (g.category !== category) continue;
      if (key.startsWith('a')) {
        byAuthority.push({ authority: g.authority, jurisdiction: g.jurisdiction, total: totalsOf(g), periods: periodsOf(g) });
      } else if (key.startsWith('j')) {
        byJurisdiction.push({
          jurisdiction: g.jurisdiction,
          authorities: [...g.authorities].sort(),
          total: totalsOf(g),
          periods: periodsOf(g),
        });
      } else {
        total = g;
      }
    }
    byAuthority.sort((a, b) => compare(a.authority, b.authority) || compare(a.jurisdiction, b.jurisdiction));
    byJurisdiction.sort((a, b) => compare(a.jurisdiction, b.jurisdiction));
    const empty: Group = {
      category,
      authority: '',
      jurisdiction: '',
      authorities: new Set(),
      periods: new Map(),
      scoped: new Set(),
      refusalReasons: new Set(),
    };
    return { total: totalsOf(total ?? empty), periods: periodsOf(total ?? empty), byAuthority, byJurisdiction };
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

function authorityOf(raw: unknown, category: Category): { authority: string; jurisdiction: string } {
  const a = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const fallback = category === 'host-policy' ? '(host)' : '(not stated)';
  return { authority: str(a.name) ?? fallback, jurisdiction: str(a.jurisdiction) ?? '' };
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
  const f = g.periods.get(TOTAL) ?? emptyFigures();
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
  return [...g.periods.entries()]
    .filter(([p]) => p !== TOTAL)
    .sort(([a], [b]) => compare(a, b))
    .map(([period, f]) => ({ period, figures: publicFigures(f) }));
}

function isAsyncIterable(value: unknown): value is AsyncIterable<AuditEvent> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
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
  const from = toInstant(options.from, 'from');
  const to = toInstant(options.to, 'to');
  const generated = toInstant(options.generatedAt, 'generatedAt') ?? Date.now();
  const limit = options.exactLimit ?? 100_000;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new GeoadmitError(ErrorCode.InvalidConfig, `exactLimit must be a non-negative integer`, { argument: 'exactLimit' });
  }
  const builder = new ReportBuilder(from, to, limit);
  const sources: ReportSource[] = [];
  const paths =
    typeof source === 'string' ? [source] : Array.isArray(source) && source.every((s) => typeof s === 'string') ? (source as readonly string[]) : undefined;
  if (paths !== undefined) {
    for (const path of paths) {
      builder.startSource();
      const verify = {
        ...(options.key === undefined ? {} : { key: options.key }),
        ...(options.publicKey === undefined ? {} : { publicKey: options.publicKey }),
      };
      const result = await scanAuditLog(path, verify, (line: AuditLine) => builder.add(line.event));
      const entry: ReportSource = { name: path, verified: result.ok, events: result.events, head: result.head };
      if (result.signature !== undefined) entry.signature = result.signature;
      if (result.publicKeyFingerprint !== undefined) entry.publicKeyFingerprint = result.publicKeyFingerprint;
      if (result.problem !== undefined) entry.problem = result.problem;
      if (result.line !== undefined) entry.line = result.line;
      if (result.message !== undefined) entry.message = result.message;
      sources.push(entry);
    }
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
