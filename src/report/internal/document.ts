import type { ReportCategory, ReportFigures, ReportSource, ReportTotals, TransparencyReport } from '../types.js';

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
  /** `code` marks columns of hashes and fingerprints: long unbroken text that may wrap anywhere. */
  | { kind: 'table'; head: string[]; rows: string[][]; numeric: boolean[]; code?: boolean[] }
  | { kind: 'list'; items: string[] }
  | { kind: 'chart'; title: string; bars: { label: string; value: number }[] }
  | { kind: 'method'; items: string[] }
  /** A shell command to copy (from the report's own data: file names are escaped by the renderers). */
  | { kind: 'command'; text: string };

/** The key figures of a group: what established transparency reports give first. */
const KEY_HEAD = ['Demands received', 'Accepted', 'Refused', 'Share accepted', 'Participants removed', 'Meetings affected'];

/** The other figures, in a table of their own so no table grows too wide to read. */
const DETAIL_HEAD = [
  'People kept out of meetings',
  'Accepted as a test only',
  'Would have been kept out by a test',
  'Lifted',
  'Meetings reached, nobody removed',
];

/** Estimated figures carry a `~`. */
function affected(f: ReportFigures): string {
  return `${f.meetingsAffectedEstimated ? '~' : ''}${f.meetingsAffected}`;
}

/** Accepted as a share of received, in whole percent; a dash when nothing was received. */
function share(f: ReportFigures): string {
  return f.restrictionsReceived === 0 ? '\u2013' : `${Math.round((f.restrictionsAccepted / f.restrictionsReceived) * 100)}%`;
}

function keyCells(f: ReportFigures): string[] {
  return [String(f.restrictionsReceived), String(f.restrictionsAccepted), String(f.restrictionsRefused), share(f), String(f.participantsRemoved), affected(f)];
}

function detailCells(f: ReportFigures): string[] {
  return [f.joinsDenied, f.restrictionsDryRun, f.joinsDeniedDryRun, f.restrictionsLifted, f.meetingsUndisturbed].map(String);
}

function numericFlags(leading: number, head: readonly string[]): boolean[] {
  return [...Array<boolean>(leading).fill(false), ...head.map(() => true)];
}

/** The figures' head for a category: "Demands received" or "Orders received"... */
function keyHead(noun: Noun): string[] {
  return [`${noun.capitalMany} received`, ...KEY_HEAD.slice(1)];
}

function refusalText(total: ReportTotals): string | undefined {
  const codes = Object.entries(total.refusals);
  if (codes.length === 0) return undefined;
  return `Refused: ${codes.map(([code, n]) => `${n} × ${REFUSAL_TEXT[code] ?? code}`).join(', ')}.`;
}

/** Why a demand was refused, in words. */
const REFUSAL_TEXT: Record<string, string> = {
  E_OUT_OF_JURISDICTION: 'it reached beyond the issuer\u2019s own jurisdiction',
  E_INVALID_RESTRICTION: 'it was incomplete or could not be read',
};

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

interface Noun {
  one: string;
  many: string;
  capitalMany: string;
}

function noun(one: string, many: string): Noun {
  return { one, many, capitalMany: (many[0]?.toUpperCase() ?? '') + many.slice(1) };
}

/** One sentence a reader outside engineering can follow: what a category's figures mean. */
function categorySummary(n: Noun, category: ReportCategory): string {
  const t = category.total;
  const authorities = category.byAuthority.length;
  const parts = [
    `${plural(authorities, 'issuer', 'issuers')} sent ${plural(t.restrictionsReceived, n.one, n.many)}.`,
    `${t.restrictionsAccepted} ${t.restrictionsAccepted === 1 ? 'was' : 'were'} accepted${t.restrictionsDryRun > 0 ? ` (${t.restrictionsDryRun} only as a test: reported, never enforced)` : ''} and ${t.restrictionsRefused} refused.`,
  ];
  const outside = t.refusals.E_OUT_OF_JURISDICTION ?? 0;
  if (outside > 0) {
    parts.push(
      `${plural(outside, 'refusal was', 'refusals were')} because the ${outside === 1 ? n.one : n.many} reached beyond the issuer\u2019s own jurisdiction: nothing was done.`,
    );
  }
  parts.push(
    `Because of them, people were kept out of a meeting ${plural(t.joinsDenied, 'time', 'times')} and ${plural(t.participantsRemoved, 'person', 'people')} already in a meeting ${t.participantsRemoved === 1 ? 'was' : 'were'} removed, in ${plural(t.meetingsAffected, 'meeting', 'meetings')}${t.meetingsAffectedEstimated ? ' (estimated)' : ''}.`,
  );
  if (t.noticesGiven > 0) {
    parts.push(`${plural(t.noticesGiven, 'person was', 'people were')} told which ${n.one} kept them out or removed them, and how to appeal where it says.`);
  }
  if (t.exemptionsGranted > 0 || t.exemptionsRevoked > 0) {
    parts.push(
      `${plural(t.exemptionsGranted, 'exemption was', 'exemptions were')} granted (for example after an appeal) and ${plural(t.exemptionsRevoked, 'was', 'were')} revoked or ran out.`,
    );
  }
  return parts.join(' ');
}

/** One chart per measure, each on its own scale: bars per issuer. */
function measureCharts(category: ReportCategory, n: Noun): Block[] {
  const measures: [string, (f: ReportFigures) => number][] = [
    [`${n.capitalMany} received`, (f) => f.restrictionsReceived],
    ['People kept out of meetings', (f) => f.joinsDenied],
    ['People removed from meetings', (f) => f.participantsRemoved],
    ['Meetings affected', (f) => f.meetingsAffected],
  ];
  return measures.map(([title, value]) => ({
    kind: 'chart' as const,
    title,
    bars: category.byAuthority.map((a) => ({ label: issuer(a.authority, a.jurisdiction), value: value(a.total) })),
  }));
}

function issuer(authority: string, jurisdiction: string): string {
  return jurisdiction === '' ? authority : `${authority} (${jurisdiction})`;
}

/** A monthly trend, one chart per measure, when the window spans more than one month. */
function trendCharts(category: ReportCategory, n: Noun): Block[] {
  const months = category.periods.filter((p) => p.period !== 'unknown');
  if (months.length < 2) return [];
  const measures: [string, (f: ReportFigures) => number][] = [
    [`${n.capitalMany} received per month`, (f) => f.restrictionsReceived],
    ['People kept out of meetings per month', (f) => f.joinsDenied],
  ];
  return measures.map(([title, value]) => ({
    kind: 'chart' as const,
    title,
    bars: months.map((p) => ({ label: humanMonth(p.period), value: value(p.figures) })),
  }));
}

/** The first table: per jurisdiction, the figures readers compare across reports. */
function jurisdictionTable(category: ReportCategory, n: Noun): Block {
  return {
    kind: 'table',
    head: ['Jurisdiction', ...keyHead(n)],
    rows: [
      ...category.byJurisdiction.map((j) => [j.jurisdiction === '' ? '(none stated)' : j.jurisdiction, ...keyCells(j.total)]),
      ['All', ...keyCells(category.total)],
    ],
    numeric: numericFlags(1, KEY_HEAD),
  };
}

function categoryBlocks(title: string, intro: string, n: Noun, category: ReportCategory, perAuthority: boolean): Block[] {
  const blocks: Block[] = [
    { kind: 'heading', level: 2, text: title },
    { kind: 'paragraph', text: intro },
  ];
  if (category.byAuthority.length === 0) {
    blocks.push({ kind: 'paragraph', text: 'None in this period.' });
    return blocks;
  }
  blocks.push({ kind: 'paragraph', text: categorySummary(n, category) });
  blocks.push(...measureCharts(category, n), ...trendCharts(category, n));
  blocks.push({ kind: 'heading', level: 3, text: 'By issuer' });
  blocks.push({
    kind: 'table',
    head: ['Issuer', 'Jurisdiction', ...keyHead(n)],
    rows: [...category.byAuthority.map((a) => [a.authority, a.jurisdiction, ...keyCells(a.total)]), ['All', '', ...keyCells(category.total)]],
    numeric: numericFlags(2, KEY_HEAD),
  });
  blocks.push({ kind: 'heading', level: 3, text: 'More figures by issuer' });
  blocks.push({
    kind: 'table',
    head: ['Issuer', ...DETAIL_HEAD],
    rows: [...category.byAuthority.map((a) => [issuer(a.authority, a.jurisdiction), ...detailCells(a.total)]), ['All', ...detailCells(category.total)]],
    numeric: numericFlags(1, DETAIL_HEAD),
  });
  if (!perAuthority) return blocks;
  for (const a of category.byAuthority) {
    blocks.push({ kind: 'heading', level: 3, text: issuer(a.authority, a.jurisdiction) });
    blocks.push({
      kind: 'table',
      head: ['Month', ...keyHead(n)],
      rows: a.periods.map((p) => [humanMonth(p.period), ...keyCells(p.figures)]),
      numeric: numericFlags(1, KEY_HEAD),
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

/** The first thing a reader sees: government demands per jurisdiction. */
function firstTable(report: TransparencyReport): Block[] {
  const demands = report.governmentDemands;
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: 'Government demands by jurisdiction' }];
  if (demands.byJurisdiction.length === 0) {
    blocks.push({ kind: 'paragraph', text: 'No government demand was received in this period.' });
    return blocks;
  }
  blocks.push(jurisdictionTable(demands, noun('demand', 'demands')));
  blocks.push({
    kind: 'paragraph',
    text:
      'A demand is an order from an authority to keep people in a region out of meetings. Refused demands changed nothing. ' +
      'Participants removed are people already in a meeting when a demand was accepted; meetings affected are the meetings where someone was kept out or removed.',
  });
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
    ...firstTable(report),
    { kind: 'heading', level: 2, text: 'What the service never does, counted from the log' },
    {
      kind: 'table',
      head: ['Action', 'Times'],
      rows: [
        ['Meetings ended', String(p.meetingsEndedBySdk)],
        ['Host accounts suspended', String(p.hostAccountsSuspended)],
        ['User data handed to authorities', p.userDataDisclosures === 0 ? '0 (none)' : String(p.userDataDisclosures)],
      ],
      numeric: [false, true],
    },
    ...categoryBlocks(
      'Government demands',
      'Demands by authorities to keep people out of meetings. A demand may only reach people inside the authority\u2019s own jurisdiction.',
      noun('demand', 'demands'),
      report.governmentDemands,
      true,
    ),
    ...categoryBlocks(
      'Sanctions',
      'The operator\u2019s own legal obligations, reported apart from government demands.',
      noun('sanctions order', 'sanctions orders'),
      report.sanctions,
      true,
    ),
    ...categoryBlocks('Host policies', 'Choices hosts made for their own meetings.', noun('policy', 'policies'), report.hostPolicies, false),
    { kind: 'heading', level: 2, text: 'Joins' },
    {
      kind: 'table',
      head: ['Joins decided', 'Let in', 'Kept out', 'Kept out for another reason', 'Kept out by an order not found in these logs'],
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
            items: Object.entries(report.otherDenials.byReason).map(([code, n]) => `${OTHER_REASON_TEXT[code] ?? code}: ${n}`),
          },
        ]),
    ...(report.unattributed.restrictionIds === 0
      ? []
      : [
          {
            kind: 'paragraph' as const,
            text: `${plural(report.unattributed.restrictionIds, 'order was', 'orders were')} cited without its acceptance being in these logs (for example, accepted before the first log began): ${plural(report.unattributed.joinsDenied, 'join', 'joins')} kept out and ${plural(report.unattributed.participantsRemoved, 'participant', 'participants')} removed under them are counted here and not under an issuer.`,
          },
        ]),
    ...logBlocks(report),
    ...commitmentBlocks(report),
    ...glossaryBlocks(),
    { kind: 'heading', level: 2, text: 'Method' },
    { kind: 'method', items: report.method },
  ];
}

/** Why a join was kept out without an order, in words. */
const OTHER_REASON_TEXT: Record<string, string> = {
  rule: 'a rule the operator set (for example, no anonymising networks)',
  'audit-unavailable': 'the log could not record the decision, so nobody was let in unrecorded',
};

/** What each warning code means, in a sentence a reader outside engineering can follow. */
const WARNING_TEXT: Record<string, string> = {
  'forwarded-header-untrusted':
    'joins arrived through a proxy the service was not told to trust, so their location was unknown and restrictions could not apply to them',
  'trust-all-proxies': 'the service was configured to believe any forwarded address, which anyone can forge',
};

function signatureWords(s: ReportSource): string {
  if (s.signatures === undefined) return 'n/a';
  if (s.signatures === 'verified') return s.unsignedTail === undefined ? 'signed, checked' : `signed through record ${s.signedThrough}, checked`;
  return s.signatures === 'unchecked' ? 'not checked (no public key given)' : 'not signed';
}

/** The logs behind the report: whether each is intact, signed, and complete. */
function logBlocks(report: TransparencyReport): Block[] {
  const blocks: Block[] = [
    { kind: 'heading', level: 2, text: 'The logs behind this report' },
    {
      kind: 'table',
      head: ['Log', 'Intact', 'Events counted', 'Signatures', 'What is wrong'],
      rows: report.sources.map((s) => [
        s.name,
        s.verified === null ? 'n/a' : s.verified ? 'yes' : 'NO',
        String(s.events),
        signatureWords(s),
        s.problem === undefined ? '' : `${s.message ?? s.problem}${s.line === undefined ? '' : ` (line ${s.line})`}`,
      ]),
      numeric: [false, false, true, false, false],
    },
  ];
  for (const s of report.sources) {
    const tail = s.unsignedTail;
    if (tail !== undefined && tail.events > 0) {
      blocks.push({
        kind: 'paragraph',
        text: `${s.name}: ${plural(tail.events, 'event', 'events')} after the last signature (record ${s.signedThrough}) ${tail.events === 1 ? 'is' : 'are'} covered by no signature: written just before the service stopped, or added by someone without the key. ${tail.events === 1 ? 'It is' : 'They are'} not counted in this report.`,
      });
    }
    if (s.continues !== undefined) {
      blocks.push({
        kind: 'paragraph',
        text: `${s.name} continues an earlier file, ${s.continues}, which is not part of this report: the report starts partway through that log.`,
      });
    }
  }
  const a = report.audit;
  blocks.push({
    kind: 'paragraph',
    text: `Events in the logs: ${a.events}. Events the log could not record, and says so: ${a.eventsDropped} (in ${plural(a.gaps, 'gap', 'gaps')}). Errors recorded: ${a.errors}. Configuration warnings: ${a.warnings}.`,
  });
  const codes = Object.entries(a.warningsByCode ?? {});
  if (codes.length > 0) {
    blocks.push({
      kind: 'list',
      items: codes.map(([code, n]) => `${code} × ${n}${WARNING_TEXT[code] === undefined ? '' : `: ${WARNING_TEXT[code]}`}`),
    });
  }
  return blocks;
}

/** A file name for a log's public key in a command: the one the caller named (for this key), else a name that says which key. */
function keyFile(s: ReportSource, all: readonly ReportSource[] = []): string {
  if (s.publicKeyFile !== undefined) return s.publicKeyFile;
  const named = all.find((o) => o.publicKeyFile !== undefined && o.publicKeyFingerprint !== undefined && o.publicKeyFingerprint === s.publicKeyFingerprint);
  if (named?.publicKeyFile !== undefined) return named.publicKeyFile;
  return s.publicKeyFingerprint === undefined ? 'PUBLIC-KEY.pub' : `KEY-${s.publicKeyFingerprint.slice(0, 12)}.pub`;
}

/**
 * The Commitment section: the head of every log the report was computed from,
 * and how anyone holding the log and its public key can check it was not cut
 * short or rewritten since — per log, with that log's key.
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
      'This report commits to the exact logs it was computed from: for each log, the number and hash of its last record (the head). ' +
      'Every record carries the hash of the one before it, so the head stands for the whole log. A log is called signed here only where its ' +
      'signatures were checked with the operator\u2019s public key; the fingerprint shown is that of the key that checked them.',
  });
  blocks.push({
    kind: 'table',
    head: ['Log', 'Head (record:hash)', 'Signatures', 'Public key fingerprint (SHA-256)'],
    rows: logs.map((s) => [
      s.name,
      `${s.head?.seq ?? 0}:${s.head?.hash ?? ''}`,
      s.signatures === 'verified'
        ? s.unsignedTail === undefined
          ? 'signed, checked'
          : `checked through record ${s.signedThrough}`
        : s.signatures === 'unchecked'
          ? 'not checked'
          : 'not signed',
      s.publicKeyFingerprint ?? '',
    ]),
    numeric: [false, false, false, false],
    code: [false, true, false, true],
  });
  blocks.push({
    kind: 'paragraph',
    text:
      'How to check: get the log from the operator, its public key, and the head printed above; then run the command given for that log. ' +
      'It succeeds only if the log still contains that very record and every signature verifies; a log cut short or rewritten after this report was published fails.',
  });
  const lines: string[] = [];
  for (const source of logs) {
    const s = { ...source, name: shellWord(source.name) };
    const head = `--expect-head ${s.head?.seq}:${s.head?.hash}`;
    if (s.signatures === 'verified') {
      blocks.push({
        kind: 'paragraph',
        text: `${source.name}: ${keyFile(s, logs)} is the public key with fingerprint ${s.publicKeyFingerprint}.`,
      });
      lines.push(`geoadmit audit verify ${s.name} --public-key ${shellWord(keyFile(s, logs))} ${head}`);
    } else if (s.signatures === 'unchecked') {
      blocks.push({
        kind: 'paragraph',
        text: `${source.name}: its signatures were not checked when this report was made (no public key was given), so nothing here says who signed it. Check them with the operator\u2019s public key.`,
      });
      lines.push(`geoadmit audit verify ${s.name} --public-key ${shellWord(keyFile(s, logs))} ${head}`);
    } else {
      blocks.push({ kind: 'paragraph', text: `${source.name}: not signed. Its head can be compared with a copy of the log, but nothing shows who wrote it.` });
      lines.push(`geoadmit audit verify ${s.name} ${head}`);
    }
  }
  blocks.push({ kind: 'command', text: lines.join('\n') });
  return blocks;
}

/** A word as a shell reads it: names and key files with spaces or quotes are quoted, so the printed command can be pasted. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9._/@%+=:,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The few technical words the report cannot do without. */
function glossaryBlocks(): Block[] {
  return [
    { kind: 'heading', level: 2, text: 'Words used' },
    {
      kind: 'list',
      items: [
        'Log: the record the service keeps of every decision as it makes it, one record after another.',
        'Hash: a short fingerprint of a record; changing the record changes it. Each record carries the hash of the one before, so no record can be changed, removed or moved unnoticed.',
        'Head: the last record of a log, with its hash: it stands for the whole log.',
        'Signature and public key: the operator signs the head with a secret key; anyone can check the signature with the matching public key, and nobody without the secret key can make one.',
        'Fingerprint: a short hash of a public key, to tell keys apart.',
        'Accepted as a test: an order that is recorded and reported but never enforced, to see what it would do.',
      ],
    },
  ];
}
