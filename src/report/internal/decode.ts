/**
 * Log content is hostile: each event is read once, here, into a typed
 * {@link ReportEvent} holding only what the report counts. Everything after
 * this file works on typed values, never on `Record<string, unknown>`.
 */

/** The report's categories: government demands, the operator's sanctions, hosts' policies. */
export type Category = 'takedown' | 'sanctions' | 'host-policy';

/** Whom a restriction's figures count for. */
export interface Owner {
  readonly category: Category;
  readonly authority: string;
  readonly jurisdiction: string;
}

/** The three promises, each counted from events that would record the action. */
type PromiseFigure = 'meetingsEndedBySdk' | 'hostAccountsSuspended' | 'userDataDisclosures';

interface Timed {
  /** Milliseconds since the epoch; NaN when the event has no valid time. */
  readonly ms: number;
}

export type ReportEvent = Timed &
  (
    | {
        readonly type: 'decision';
        readonly meetingId: string;
        readonly denied: boolean;
        /** Restrictions the denial cites (empty when admitted). */
        readonly cited: ReadonlySet<string>;
        /** Reason codes of a denial that cite no restriction (rules, audit unavailable, ...). */
        readonly otherCodes: ReadonlySet<string>;
        /** Restrictions whose dry run would have denied. */
        readonly dryRun: ReadonlySet<string>;
        /** The restriction whose notice the denied participant was given, when one was. */
        readonly notice: string | undefined;
      }
    | {
        readonly type: 'removal';
        readonly restrictionId: string;
        readonly meetingId: string;
        readonly participantId: string;
        readonly pending: boolean;
      }
    | {
        readonly type: 'accepted';
        readonly restrictionId: string;
        /** Document digest ('' in logs written before digests were recorded). */
        readonly digest: string;
        readonly owner: Owner;
        readonly dryRun: boolean;
        readonly scopedMeetings: readonly string[];
        readonly meetingsUndisturbed: number;
        /** The node's meetings reached and undisturbed, by id (absent in older logs and beyond the event's bound). */
        readonly meetings: { readonly reached: readonly string[]; readonly undisturbed: readonly string[] } | undefined;
      }
    | {
        readonly type: 'refused';
        readonly owner: Owner;
        readonly code: string;
        readonly reason: string | undefined;
        /** Digest of the refused document (absent in logs written before refusals carried one). */
        readonly digest: string | undefined;
      }
    | { readonly type: 'lifted'; readonly restrictionId: string; readonly digest: string | undefined; readonly owner: Owner }
    | {
        readonly type: 'exemption';
        readonly granted: boolean;
        readonly exemptionId: string;
        readonly restrictionId: string;
        /** Whom the narrowed restriction's figures count for (from the event; the acceptance when the event has no kind). */
        readonly owner: Owner | undefined;
      }
    | { readonly type: 'gap'; readonly dropped: number }
    | { readonly type: 'error' }
    | { readonly type: 'warning'; readonly code: string }
    | { readonly type: 'promise'; readonly figure: PromiseFigure }
    /** A record the log writes about itself (start, checkpoint): not an audit event. */
    | { readonly type: 'meta' }
    | { readonly type: 'other' }
  );

/**
 * Event types that would record a meeting ended, an account suspended or
 * user data handed over. The SDK has no operation that emits them; the
 * report still counts them from the log rather than printing constants.
 */
const PROMISES: ReadonlyMap<string, PromiseFigure> = new Map([
  ['meeting.ended', 'meetingsEndedBySdk'],
  ['meeting.terminated', 'meetingsEndedBySdk'],
  ['account.suspended', 'hostAccountsSuspended'],
  ['host.suspended', 'hostAccountsSuspended'],
  ['data.disclosed', 'userDataDisclosures'],
  ['data.exported', 'userDataDisclosures'],
]);

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

function record(value: unknown): Record<string, unknown> {
  return (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
}

function categoryOf(kind: unknown): Category {
  return kind === 'sanctions' || kind === 'host-policy' ? kind : 'takedown';
}

function ownerOf(e: Record<string, unknown>): Owner {
  const category = categoryOf(e.kind);
  const a = record(e.authority);
  const fallback = category === 'host-policy' ? '(host)' : '(not stated)';
  return { category, authority: str(a.name) ?? fallback, jurisdiction: str(a.jurisdiction) ?? '' };
}

function citedIds(value: unknown, others?: Set<string>): Set<string> {
  const ids = new Set<string>();
  for (const r of Array.isArray(value) ? (value as unknown[]) : []) {
    if (typeof r !== 'object' || r === null) continue;
    const reason = r as Record<string, unknown>;
    const id = str(reason.restrictionId);
    if (id !== undefined) ids.add(id);
    else others?.add(str(reason.code) ?? 'unknown');
  }
  return ids;
}

const EMPTY: ReadonlySet<string> = new Set();

/** Read one event (or one of the log's own records) as the report sees it. */
export function decodeEvent(raw: object): ReportEvent {
  const e = raw as Record<string, unknown>;
  const time = str(e.time);
  const ms = time === undefined ? Number.NaN : Date.parse(time);
  const type = str(e.type) ?? '';
  switch (type) {
    case 'decision': {
      const denied = e.outcome === 'denied';
      const otherCodes = new Set<string>();
      const cited = denied ? citedIds(e.reasons, otherCodes) : EMPTY;
      const notice = denied ? str(record(e.notice).restrictionId) : undefined;
      return { ms, type, meetingId: str(e.meetingId) ?? '', denied, cited, otherCodes, dryRun: citedIds(e.dryRun), notice };
    }
    case 'removal': {
      const restrictionId = str(e.restrictionId);
      if (restrictionId === undefined) return { ms, type: 'other' };
      return {
        ms,
        type,
        restrictionId,
        meetingId: str(e.meetingId) ?? '',
        participantId: str(e.participantId) ?? '',
        pending: e.status === 'pending',
      };
    }
    case 'restriction.accepted':
      return {
        ms,
        type: 'accepted',
        restrictionId: str(e.restrictionId) ?? '',
        digest: str(e.digest) ?? '',
        owner: ownerOf(e),
        dryRun: e.mode === 'dry-run',
        scopedMeetings: strings(record(e.scope).meetings),
        meetingsUndisturbed: num(e.meetingsUndisturbed),
        meetings:
          Array.isArray(e.reachedMeetings) && Array.isArray(e.undisturbedMeetings)
            ? { reached: strings(e.reachedMeetings), undisturbed: strings(e.undisturbedMeetings) }
            : undefined,
      };
    case 'restriction.refused':
      return { ms, type: 'refused', owner: ownerOf(e), code: str(e.code) ?? 'unknown', reason: str(e.reason), digest: str(e.digest) };
    case 'restriction.lifted':
      return { ms, type: 'lifted', restrictionId: str(e.restrictionId) ?? '', digest: str(e.digest), owner: ownerOf(e) };
    case 'exemption.granted':
    case 'exemption.revoked': {
      const exemptionId = str(e.exemptionId);
      const restrictionId = str(e.restrictionId);
      if (exemptionId === undefined || restrictionId === undefined) return { ms, type: 'other' };
      const owner = e.kind === undefined ? undefined : ownerOf(e);
      return { ms, type: 'exemption', granted: type === 'exemption.granted', exemptionId, restrictionId, owner };
    }
    case 'audit.gap':
      return { ms, type: 'gap', dropped: num(e.dropped) };
    case 'audit.start':
    case 'audit.checkpoint':
      return { ms, type: 'meta' };
    case 'error':
      return { ms, type: 'error' };
    case 'warning':
      return { ms, type: 'warning', code: str(e.code) ?? 'unknown' };
    default: {
      const figure = PROMISES.get(type);
      return figure === undefined ? { ms, type: 'other' } : { ms, type: 'promise', figure };
    }
  }
}
