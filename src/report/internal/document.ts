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
  /** A sentence with instants in it: shown as human dates (HTML: the ISO 8601 time in a tooltip). */
  | { kind: 'dated'; parts: (string | { iso: string })[] }
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

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** `2024-06-03T10:00:00.000Z` → `3 June 2024, 10:00 UTC` (every reader's calendar, no locale guessing). */
export function humanDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const d = new Date(ms);
  const time = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${time} UTC`;
}

/** `2024-06` → `June 2024`. */
function humanMonth(period: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(period);
  return m === null ? period : `${MONTHS[Number(m[2]) - 1] ?? m[2]} ${m[1]}`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** One sentence a reader outside engineering can follow: what a category's figures mean. */
function categorySummary(noun: { one: string; many: string }, category: ReportCategory): string {
  const t = category.total;
  const authorities = category.byAuthority.length;
  const parts = [
    `${plural(authorities, 'issuer', 'issuers')} sent ${plural(t.restrictionsReceived, noun.one, noun.many)}.`,
    `${t.restrictionsAccepted} ${t.restrictionsAccepted === 1 ? 'was' : 'were'} accepted${t.restrictionsDryRun > 0 ? ` (${t.restrictionsDryRun} only as a test, never enforced)` : ''} and ${t.restrictionsRefused} refused.`,
  ];
  const outside = t.refusals.E_OUT_OF_JURISDICTION ?? 0;
  if (outside > 0) {
    parts.push(
      `${plural(outside, 'refusal was', 'refusals were')} because the ${outside === 1 ? 'demand' : 'demands'} reached beyond the issuer\u2019s own jurisdiction: nothing was done.`,
    );
  }
  parts.push(
    `Because of them, people were kept out of a meeting ${plural(t.joinsDenied, 'time', 'times')} and ${plural(t.participantsRemoved, 'person', 'people')} already in a meeting ${t.participantsRemoved === 1 ? 'was' : 'were'} removed, in ${plural(t.meetingsAffected, 'meeting', 'meetings')}${t.meetingsAffectedEstimated ? ' (estimated)' : ''}.`,
  );
  return parts.join(' ');
}

/** One chart per measure, each on its own scale: bars per issuer. */
function measureCharts(category: ReportCategory, noun: string): Block[] {
  const measures: [string, (f: ReportFigures) => number][] = [
    [`${noun} received`, (f) => f.restrictionsReceived],
    ['People kept out of meetings (joins denied)', (f) => f.joinsDenied],
    ['People removed from meetings', (f) => f.participantsRemoved],
    ['Meetings affected', (f) => f.meetingsAffected],
  ];
  return measures.map(([title, value]) => ({
    kind: 'chart' as const,
    title,
    bars: category.byAuthority.map((a) => ({ label: a.jurisdiction === '' ? a.authority : `${a.authority} (${a.jurisdiction})`, value: value(a.total) })),
  }));
}

/** A monthly trend, one chart per measure, when the window spans more than one month. */
function trendCharts(category: ReportCategory, noun: string): Block[] {
  const months = category.periods.filter((p) => p.period !== 'unknown');
  if (months.length < 2) return [];
  const measures: [string, (f: ReportFigures) => number][] = [
    [`${noun} received per month`, (f) => f.restrictionsReceived],
    ['People kept out of meetings per month', (f) => f.joinsDenied],
  ];
  return measures.map(([title, value]) => ({
    kind: 'chart' as const,
    title,
    bars: months.map((p) => ({ label: humanMonth(p.period), value: value(p.figures) })),
  }));
}

function categoryBlocks(title: string, intro: string, noun: { one: string; many: string }, category: ReportCategory, perAuthority: boolean): Block[] {
  const blocks: Block[] = [
    { kind: 'heading', level: 2, text: title },
    { kind: 'paragraph', text: intro },
  ];
  if (category.byAuthority.length === 0) {
    blocks.push({ kind: 'paragraph', text: 'None in this period.' });
    return blocks;
  }
  const capital = noun.many[0]?.toUpperCase() + noun.many.slice(1);
  blocks.push({ kind: 'paragraph', text: categorySummary(noun, category) });
  blocks.push(...measureCharts(category, capital), ...trendCharts(category, capital));
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
      kind: 'table',
      head: ['Month', ...FIGURE_HEAD],
      rows: a.periods.map((p) => [humanMonth(p.period), ...figureCells(p.figures)]),
      numeric: numericFlags(1),
    });
    const scoped =
      a.total.scopedMeetings === 0
        ? undefined
        : a.total.scopedMeetingsUndisturbed === null
          ? `Its orders named ${plural(a.total.scopedMeetings, 'meeting', 'meetings')}; how many of them went on undisturbed is not known exactly (the counts were estimated).`
          : `Its orders named ${plural(a.total.scopedMeetings, 'meeting', 'meetings')}; in ${a.total.scopedMeetingsUndisturbed} of them nobody was kept out or removed.`;
    for (const text of [refusalText(a.total), scoped]) if (text !== undefined) blocks.push({ kind: 'paragraph', text });
    if (a.total.refusalReasons.length > 0) blocks.push({ kind: 'list', items: a.total.refusalReasons });
  }
  return blocks;
}

/** Lay out a report. */
export function reportBlocks(report: TransparencyReport): Block[] {
  const w = report.window;
  const window: (string | { iso: string })[] =
    w.from !== undefined || w.to !== undefined
      ? [' It covers ', w.from === undefined ? 'the first event' : { iso: w.from }, ' up to ', w.to === undefined ? 'the last event' : { iso: w.to }, '.']
      : [' It covers the whole log.'];
  const span: (string | { iso: string })[] =
    w.firstEvent === undefined
      ? [' No events were recorded in that time.']
      : [' The events counted run from ', { iso: w.firstEvent }, ' to ', { iso: w.lastEvent ?? w.firstEvent }, '.'];
  const p = report.promises;
  return [
    { kind: 'heading', level: 1, text: 'Transparency report' },
    { kind: 'dated', parts: ['Generated ', { iso: report.generatedAt }, '.', ...window, ...span] },
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
      { one: 'demand', many: 'demands' },
      report.governmentDemands,
      true,
    ),
    ...categoryBlocks(
      'Sanctions',
      'The operator\u2019s own legal obligations, reported apart from government demands.',
      { one: 'sanctions order', many: 'sanctions orders' },
      report.sanctions,
      true,
    ),
    ...categoryBlocks('Host policies', 'Hosts\u2019 own choices for their meetings.', { one: 'policy', many: 'policies' }, report.hostPolicies, false),
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
