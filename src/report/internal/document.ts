import type { ReportCategory, ReportFigures, ReportTotals, TransparencyReport } from '../types.js';

/**
 * The report laid out once as blocks, so Markdown and HTML show the same
 * figures by construction. Text in `heading`, `paragraph`, `table` and
 * `list` blocks may come from the log and is escaped by each renderer;
 * `method` items are the report's own text (backticks mark code).
 */
export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'table'; head: string[]; rows: string[][]; numeric: boolean[] }
  | { kind: 'list'; items: string[] }
  | { kind: 'chart'; title: string; bars: { label: string; value: number }[] }
  | { kind: 'method'; items: string[] }
  /** A shell command to copy (from the report's own data: file names are escaped by the renderers). */
  | { kind: 'command'; text: string };

const FIGURE_HEAD = [
  'Received',
  'Accepted',
  'Dry-run',
  'Refused',
  'Lifted',
  'Meetings affected',
  'Meetings undisturbed',
  'Joins denied',
  'Joins denied in dry-run',
  'Participants removed',
];

/** Estimated figures carry a `~`. */
function affected(f: ReportFigures): string {
  return `${f.meetingsAffectedEstimated ? '~' : ''}${f.meetingsAffected}`;
}

function figureCells(f: ReportFigures): string[] {
  return [
    f.restrictionsReceived,
    f.restrictionsAccepted,
    f.restrictionsDryRun,
    f.restrictionsRefused,
    f.restrictionsLifted,
    affected(f),
    f.meetingsUndisturbed,
    f.joinsDenied,
    f.joinsDeniedDryRun,
    f.participantsRemoved,
  ].map(String);
}

function numericFlags(leading: number): boolean[] {
  return [...Array<boolean>(leading).fill(false), ...FIGURE_HEAD.map(() => true)];
}

function refusalText(total: ReportTotals): string | undefined {
  const codes = Object.entries(total.refusals);
  if (codes.length === 0) return undefined;
  return `Refused: ${codes.map(([code, n]) => `${code} × ${n}`).join(', ')}.`;
}

function categoryBlocks(title: string, intro: string, category: ReportCategory, perAuthority: boolean): Block[] {
  const blocks: Block[] = [
    { kind: 'heading', level: 2, text: title },
    { kind: 'paragraph', text: intro },
  ];
  if (category.byAuthority.length === 0) {
    blocks.push({ kind: 'paragraph', text: 'None in this period.' });
    return blocks;
  }
  blocks.push({
    kind: 'table',
    head: ['Authority', 'Jurisdiction', ...FIGURE_HEAD],
    rows: [...category.byAuthority.map((a) => [a.authority, a.jurisdiction, ...figureCells(a.total)]), ['All', '', ...figureCells(category.total)]],
    numeric: numericFlags(2),
  });
  if (!perAuthority) return blocks;
  blocks.push({ kind: 'heading', level: 3, text: 'By jurisdiction' });
  blocks.push({
    kind: 'table',
    head: ['Jurisdiction', 'Authorities', ...FIGURE_HEAD],
    rows: category.byJurisdiction.map((j) => [j.jurisdiction, j.authorities.join(', '), ...figureCells(j.total)]),
    numeric: numericFlags(2),
  });
  for (const a of category.byAuthority) {
    const name = a.jurisdiction === '' ? a.authority : `${a.authority} (${a.jurisdiction})`;
    blocks.push({ kind: 'heading', level: 3, text: name });
    blocks.push({
      kind: 'chart',
      title: name,
      bars: [
        { label: 'Received', value: a.total.restrictionsReceived },
        { label: 'Accepted', value: a.total.restrictionsAccepted },
        { label: 'Refused', value: a.total.restrictionsRefused },
        { label: 'Meetings affected', value: a.total.meetingsAffected },
        { label: 'Joins denied', value: a.total.joinsDenied },
        { label: 'Participants removed', value: a.total.participantsRemoved },
      ],
    });
    blocks.push({
      kind: 'table',
      head: ['Month', ...FIGURE_HEAD],
      rows: a.periods.map((p) => [p.period, ...figureCells(p.figures)]),
      numeric: numericFlags(1),
    });
    const scoped =
      a.total.scopedMeetings === 0
        ? undefined
        : `Meetings named in scope: ${a.total.scopedMeetings}; of those without any denial or removal: ${
            a.total.scopedMeetingsUndisturbed ?? 'not known exactly (estimated counts)'
          }.`;
    for (const text of [refusalText(a.total), scoped]) if (text !== undefined) blocks.push({ kind: 'paragraph', text });
    if (a.total.refusalReasons.length > 0) blocks.push({ kind: 'list', items: a.total.refusalReasons });
  }
  return blocks;
}

/** Lay out a report. */
export function reportBlocks(report: TransparencyReport): Block[] {
  const w = report.window;
  const window =
    w.from !== undefined || w.to !== undefined
      ? `Window: ${w.from ?? 'the first event'} to ${w.to ?? 'the last event'} (end exclusive).`
      : 'Window: the whole log.';
  const span = w.firstEvent === undefined ? 'No events in the window.' : `Events from ${w.firstEvent} to ${w.lastEvent ?? w.firstEvent}.`;
  const p = report.promises;
  return [
    { kind: 'heading', level: 1, text: 'Transparency report' },
    { kind: 'paragraph', text: `Generated ${report.generatedAt}. ${window} ${span}` },
    { kind: 'heading', level: 2, text: 'Promises, counted from the log' },
    {
      kind: 'table',
      head: ['Figure', 'Count'],
      rows: [
        ['Meetings ended by the SDK', String(p.meetingsEndedBySdk)],
        ['Host accounts suspended', String(p.hostAccountsSuspended)],
        ['User data disclosed to authorities', p.userDataDisclosures === 0 ? '0 (none)' : String(p.userDataDisclosures)],
      ],
      numeric: [false, true],
    },
    ...categoryBlocks(
      'Government demands',
      'Takedown demands by authorities. A demand may only reach participants inside the authority\u2019s own jurisdiction.',
      report.governmentDemands,
      true,
    ),
    ...categoryBlocks('Sanctions', 'The operator\u2019s own legal obligations, reported apart from government demands.', report.sanctions, true),
    ...categoryBlocks('Host policies', 'Hosts\u2019 own choices for their meetings.', report.hostPolicies, false),
    { kind: 'heading', level: 2, text: 'Joins' },
    {
      kind: 'table',
      head: ['Decisions', 'Admitted', 'Denied', 'Denied, not by a restriction', 'Denied citing restrictions not in the log'],
      rows: [
        [report.decisions.total, report.decisions.admitted, report.decisions.denied, report.otherDenials.joins, report.unattributed.joinsDenied].map(String),
      ],
      numeric: [true, true, true, true, true],
    },
    ...(Object.keys(report.otherDenials.byReason).length === 0
      ? []
      : [
          {
            kind: 'list' as const,
            items: Object.entries(report.otherDenials.byReason).map(([code, n]) => `${code}: ${n}`),
          },
        ]),
    ...(report.unattributed.restrictionIds === 0
      ? []
      : [
          {
            kind: 'paragraph' as const,
            text: `Restrictions cited but not accepted in the log: ${report.unattributed.restrictionIds} (joins denied: ${report.unattributed.joinsDenied}, participants removed: ${report.unattributed.participantsRemoved}).`,
          },
        ]),
    { kind: 'heading', level: 2, text: 'Audit trail' },
    {
      kind: 'table',
      head: ['Source', 'Verified', 'Events', 'Problem'],
      rows: report.sources.map((s) => [
        s.name,
        s.verified === null ? 'n/a' : s.verified ? 'yes' : 'NO',
        String(s.events),
        s.problem === undefined ? '' : `${s.problem}${s.line === undefined ? '' : ` at line ${s.line}`}: ${s.message ?? ''}`,
      ]),
      numeric: [false, false, true, false],
    },
    {
      kind: 'paragraph',
      text: `Audit events: ${report.audit.events}. Gaps recorded: ${report.audit.gaps} (events the sink could not record: ${report.audit.eventsDropped}). Error events: ${report.audit.errors}. Warnings: ${report.audit.warnings}.`,
    },
    ...warningBlocks(report),
    ...commitmentBlocks(report),
    { kind: 'heading', level: 2, text: 'Method' },
    { kind: 'method', items: report.method },
  ];
}

/** What each warning code means, in a sentence a reader outside engineering can follow. */
const WARNING_TEXT: Record<string, string> = {
  'forwarded-header-untrusted':
    'joins arrived through a proxy the service was not told to trust, so their location was unknown and restrictions could not apply to them',
  'trust-all-proxies': 'the service was configured to believe any forwarded address, which anyone can forge',
};

function warningBlocks(report: TransparencyReport): Block[] {
  const codes = Object.entries(report.audit.warningsByCode ?? {});
  if (codes.length === 0) return [];
  return [
    {
      kind: 'list',
      items: codes.map(([code, n]) => `${code} × ${n}${WARNING_TEXT[code] === undefined ? '' : `: ${WARNING_TEXT[code]}`}`),
    },
  ];
}

/**
 * The Commitment section: the head of every log the report was computed from,
 * and how anyone holding the log and the public key can check it was not cut
 * short or rewritten since.
 */
function commitmentBlocks(report: TransparencyReport): Block[] {
  const logs = report.sources.filter((s) => s.head !== undefined);
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: 'Commitment' }];
  if (logs.length === 0) {
    blocks.push({ kind: 'paragraph', text: 'This report was computed from events given in memory, not from a log file: there is no log to commit to.' });
    return blocks;
  }
  blocks.push({
    kind: 'paragraph',
    text:
      'This report commits to the exact logs it was computed from: for each log, the sequence number and hash of its last record (the head). ' +
      'Every record carries the hash of the one before it, so the head stands for the whole log. Where the log is signed, the signature and the ' +
      'fingerprint of the signing key are given too.',
  });
  blocks.push({
    kind: 'table',
    head: ['Log', 'Head (SEQ:HASH)', 'Signed', 'Public key fingerprint (SHA-256)'],
    rows: logs.map((s) => [s.name, `${s.head?.seq ?? 0}:${s.head?.hash ?? ''}`, s.signature === undefined ? 'no' : 'yes', s.publicKeyFingerprint ?? '']),
    numeric: [false, false, false, false],
  });
  blocks.push({
    kind: 'paragraph',
    text:
      'How to check: obtain the log and the operator\u2019s public key (audit-signing.pub, whose SHA-256 fingerprint is printed above), then run ' +
      'geoadmit audit verify LOG --public-key audit-signing.pub --expect-head SEQ:HASH with the head printed above, as below. It succeeds only if the log ' +
      'still contains that very record and every signature verifies; a log cut short or rewritten after this report was published fails.',
  });
  blocks.push({
    kind: 'command',
    text: logs.map((s) => `geoadmit audit verify ${s.name} --public-key audit-signing.pub --expect-head ${s.head?.seq}:${s.head?.hash}`).join('\n'),
  });
  return blocks;
}
