import type { KeyObject } from 'node:crypto';
import type { AuditHead, AuditSignatures } from '../audit/types.js';
import type { AuditEvent } from '../events/types.js';

/** Where a report's events come from: log files (verified first) or events in hand. */
export type ReportInput = string | readonly (string | ReportLog)[] | Iterable<AuditEvent> | AsyncIterable<AuditEvent>;

/** A public key of signed logs: an Ed25519 `KeyObject`, or SPKI PEM text. */
export type ReportPublicKey = KeyObject | string;

/** One log file of a report, with what the report needs to know of it. */
export interface ReportLog {
  /** The file on this machine (read, never printed). */
  path: string;
  /** What the report calls it (default: the file's base name). Server paths stay out of public output. */
  name?: string;
  /** The public key its signatures are checked with (overrides `publicKeys`). */
  publicKey?: ReportPublicKey;
  /** How the report's readers know that key: the file name the "how to check" line names (e.g. `audit-signing.pub`). */
  publicKeyFile?: string;
}

/** Options of {@link buildTransparencyReport}. */
export interface TransparencyReportOptions {
  /** Start of the window (inclusive), ISO 8601 or Date. */
  from?: string | Date;
  /** End of the window (exclusive), ISO 8601 or Date. */
  to?: string | Date;
  /** HMAC key the logs were written with (see the sink's `key`). */
  key?: string | Uint8Array;
  /** Public key of signed logs (see the sink's `signingKey`): the same as `publicKeys: [publicKey]`. */
  publicKey?: ReportPublicKey;
  /**
   * Public keys the logs' signatures are checked with: a list (each log is
   * checked with the key it names among them, else the first), or one key
   * per log, keyed by the path as given or the log's name. A log is
   * reported **signed** only when its signatures verified with a key given
   * here; otherwise its signatures are reported "not checked". The key
   * fingerprint a report shows is computed from the key that verified.
   *
   * @example
   * buildTransparencyReport('audit.jsonl', { publicKeys: [readFileSync('audit-signing.pub', 'utf8')] })
   * buildTransparencyReport(['a/audit.jsonl', 'b/audit.jsonl'], { publicKeys: { 'a/audit.jsonl': readFileSync('a.pub', 'utf8'), 'b/audit.jsonl': readFileSync('b.pub', 'utf8') } })
   */
  publicKeys?: readonly ReportPublicKey[] | Readonly<Record<string, ReportPublicKey>>;
  /** Names of the logs in the report, keyed by the path as given (default: each file's base name). */
  names?: Readonly<Record<string, string>>;
  /** Called as the logs are read: bytes read so far of all of them, and their total size (progress display). */
  onProgress?: (read: number, total: number) => void;
  /**
   * Distinct meetings are counted exactly up to this many per counter
   * (default 100,000); beyond it a HyperLogLog sketch (about 1% error) takes
   * over and the figure is marked estimated. Bounds memory on huge logs.
   */
  exactLimit?: number;
  /** Time the report says it was generated (default now). */
  generatedAt?: string | Date;
}

/** The figures reported for one group (authority, jurisdiction, category) and one period. */
export interface ReportFigures {
  /** Restrictions that arrived: accepted + refused. */
  restrictionsReceived: number;
  /** Accepted and registered (enforce and dry-run). */
  restrictionsAccepted: number;
  /** Of the accepted, those in dry-run mode (reported, never enforced). */
  restrictionsDryRun: number;
  /** Refused (outside the authority's jurisdiction, or invalid). */
  restrictionsRefused: number;
  /** Refusals by error code, e.g. `{ E_OUT_OF_JURISDICTION: 2 }`. */
  refusals: Record<string, number>;
  /** Lifted by the operator or expired. */
  restrictionsLifted: number;
  /** Distinct meetings with a denied join or a removal attributed to this group. */
  meetingsAffected: number;
  /** True when `meetingsAffected` is a HyperLogLog estimate (see the method section). */
  meetingsAffectedEstimated: boolean;
  /** Sum of `meetingsUndisturbed` of accepted restrictions: meetings reached where nobody was removed. */
  meetingsUndisturbed: number;
  /** Joins denied citing a restriction of this group (a join counts once per group). */
  joinsDenied: number;
  /** Joins that dry-run restrictions of this group would have denied. */
  joinsDeniedDryRun: number;
  /** Participants removed by this group's restrictions: once per restriction acceptance, meeting and participant (including `pending` ones). */
  participantsRemoved: number;
  /** Of those, removals still pending (`onRemove` failed and no later `removed` event in the window). */
  removalsPending: number;
  /**
   * Notices given: denied joins told of one of this group's restrictions
   * (`decision.notice`), plus participants removed (each removal carries its
   * restriction's notice).
   */
  noticesGiven: number;
  /** Exemptions granted that narrow this group's restrictions (each once, however many nodes applied it). */
  exemptionsGranted: number;
  /** Exemptions revoked or expired (each once). */
  exemptionsRevoked: number;
}

/** Exemptions of one restriction in the report window. */
export interface ReportExemptions {
  /** The restriction they narrow. */
  restrictionId: string;
  /** Its category. */
  category: 'takedown' | 'sanctions' | 'host-policy';
  /** Its authority's name (or `(host)` / `(not stated)`). */
  authority: string;
  /** Its authority's jurisdiction ('' when not stated). */
  jurisdiction: string;
  /** Exemptions granted. */
  granted: number;
  /** Exemptions revoked or expired. */
  revoked: number;
}

/** Figures for one calendar month (UTC). */
export interface ReportPeriod {
  /** `YYYY-MM`, or `unknown` for events without a valid time. */
  period: string;
  /** The counts for this month. */
  figures: ReportFigures;
}

/** Whole-window figures of a group, plus what is only known for the whole window. */
export interface ReportTotals extends ReportFigures {
  /** Meetings named in the scopes of this group's accepted restrictions. */
  scopedMeetings: number;
  /** Of those, meetings with no denial or removal from this group; `null` when the affected set was estimated. */
  scopedMeetingsUndisturbed: number | null;
  /** Distinct refusal messages (at most 20), e.g. the region that was out of jurisdiction. */
  refusalReasons: string[];
}

/** One issuer of restrictions. */
export interface AuthorityReport {
  /** The authority's name as given in its restrictions. */
  authority: string;
  /** ISO 3166 code of the jurisdiction the authority speaks for. */
  jurisdiction: string;
  /** Figures over the whole report window. */
  total: ReportTotals;
  /** Figures per calendar month (UTC), oldest first. */
  periods: ReportPeriod[];
}

/** All authorities speaking for one jurisdiction. */
export interface JurisdictionReport {
  /** ISO 3166 code of the jurisdiction. */
  jurisdiction: string;
  /** Names of the authorities that issued restrictions for it. */
  authorities: string[];
  /** Figures over the whole report window. */
  total: ReportTotals;
  /** Figures per calendar month (UTC), oldest first. */
  periods: ReportPeriod[];
}

/** A category of restrictions: government demands (takedowns), sanctions, or host policies. */
export interface ReportCategory {
  /** Figures of the whole category over the whole window. */
  total: ReportTotals;
  /** Figures of the whole category per calendar month (UTC). */
  periods: ReportPeriod[];
  /** The same figures broken down by issuing authority. */
  byAuthority: AuthorityReport[];
  /** The same figures broken down by jurisdiction. */
  byJurisdiction: JurisdictionReport[];
}

/** One input of the report. */
export interface ReportSource {
  /** The log's name (see {@link ReportLog.name}; never a server path), or `events` for events given in memory. */
  name: string;
  /** Whether the file's hash chain verified (and, in a set of rotated files, links to the one before); `null` for events given in memory (nothing to verify). */
  verified: boolean | null;
  /**
   * Events counted from it: for a file that did not verify, the verified
   * prefix; for a log whose signatures verified, the part they cover (see `unsignedTail`).
   */
  events: number;
  /**
   * What is known of its signatures: `verified` with a public key given,
   * `unchecked` (signed, but no key was given: nobody checked), `none`.
   * Absent for events given in memory.
   */
  signatures?: AuditSignatures;
  /** With verified signatures: the last sequence number a signature covers. */
  signedThrough?: number;
  /**
   * Lines after the last signature (after a crash, or appended by someone
   * without the key) and the events among them: shown, never counted in the figures.
   */
  unsignedTail?: { lines: number; events: number };
  /** The earlier file this log continues when that file is not part of the report (the report starts mid-chain). */
  continues?: string;
  /** The file name of the public key that verified it, when the caller named one (for the "how to check" line). */
  publicKeyFile?: string;
  /** Why the file failed verification, as a problem code; absent when it verified. */
  problem?: string;
  /** 1-based line of the file where verification failed, when it did. */
  line?: number;
  /** Human-readable detail of the verification failure, when it failed. */
  message?: string;
  /**
   * The commitment: the log's last verified line (sequence number and hash).
   * `geoadmit audit verify LOG --expect-head SEQ:HASH` fails for a log cut
   * short or rewritten after the report was published. Absent for events given in memory.
   */
  head?: AuditHead;
  /** Ed25519 signature (base64) of the head, when it was verified with the public key. */
  signature?: string;
  /** SHA-256 of the SPKI DER encoding of the key that verified the signatures, hex (computed from that key, never read from the log). */
  publicKeyFingerprint?: string;
}

/**
 * A transparency report: JSON-serialisable; `renderReportMarkdown`,
 * `renderReportHtml` and `renderReportJson` render the same object.
 * `schemaVersion` changes when a field changes meaning or is removed.
 */
export interface TransparencyReport {
  /** Format version of this object; currently always 1. */
  schemaVersion: 1;
  /** When the report was generated, ISO 8601. */
  generatedAt: string;
  /** The time window the report covers (ISO 8601; open-ended when a bound is absent). */
  window: {
    from?: string;
    to?: string;
    /** Times of the first and last event counted. */
    firstEvent?: string;
    lastEvent?: string;
  };
  /** The logs (or in-memory events) the report was built from, with their verification status. */
  sources: ReportSource[];
  /** The promises, as figures counted from the log (structurally zero: the SDK has no such operation). */
  promises: {
    meetingsEndedBySdk: number;
    hostAccountsSuspended: number;
    userDataDisclosures: number;
  };
  /** Demands by authorities (kind `takedown`). */
  governmentDemands: ReportCategory;
  /** The operator's own legal obligations (kind `sanctions`), reported apart from demands. */
  sanctions: ReportCategory;
  /** Hosts' own choices (kind `host-policy`), reported apart from demands. */
  hostPolicies: ReportCategory;
  /** Joins decided in the window. */
  decisions: { total: number; admitted: number; denied: number };
  /** Exemptions granted and revoked, per restriction (sorted by restriction id). */
  exemptions: ReportExemptions[];
  /** Denials not attributable to a restriction (rules, audit unavailable, ...), by reason code. */
  otherDenials: { joins: number; byReason: Record<string, number> };
  /** Denials and removals citing restriction ids whose acceptance is not in the log. */
  unattributed: { restrictionIds: number; joinsDenied: number; participantsRemoved: number };
  /**
   * The audit trail itself: events, `audit.gap` records and the events they
   * stand for, error events, and warning events (configuration that quietly
   * weakens enforcement, e.g. `forwarded-header-untrusted`) with their codes.
   */
  audit: { events: number; gaps: number; eventsDropped: number; errors: number; warnings: number; warningsByCode: Record<string, number> };
  /** How the figures were computed, in plain sentences. */
  method: string[];
}
