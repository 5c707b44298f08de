import cliProgress from 'cli-progress';
import { GeoadmitError } from '../../errors/index.js';
import type { Decision, Join } from '../../gate/index.js';
import type { Location } from '../../geo/index.js';
import { isActive, restrictionInScope, type NormalizedRestriction } from '../../restrictions/index.js';
import { type CliContext, CliExitCode, type CliOutput, count, writeBounded } from './context.js';
import { openDatabases } from './db.js';
import { type AtomicOutput, loadRestrictions, openAtomicOutput, openInput, outputPath, streamLines } from './files.js';
import { capabilityWarnings, parseAt, setupGate } from './gate-setup.js';

/** Options of `geoadmit replay`. */
interface ReplayOptions {
  restrictions: string;
  decisions?: string;
  at?: string;
  trustedProxy: string[];
  maxMeetings: number;
  maxLineBytes: number;
  stats?: boolean;
  progress?: boolean;
  db: string[];
  json?: boolean;
}

/** Malformed lines listed by number in the summary (all are counted). */
const MALFORMED_LISTED = 20;

/** Impact of one restriction over the replayed log. */
interface RestrictionImpact {
  id: string;
  kind: string;
  mode: 'enforce' | 'dry-run';
  /** Whether its window contains the replay instant (`--at`). */
  active: boolean;
  /** Joins whose meeting or host account it covers. */
  joinsInScope: number;
  /** Joins it denies, or in dry-run mode would deny once enforced. */
  joinsDenied: number;
  /** Distinct meetings in scope that had joins. */
  meetingsReached: number;
  /** Of those, meetings where it denied (would deny) somebody. */
  meetingsDisturbed: number;
  /** Meetings reached where nobody was (would be) denied. */
  meetingsUndisturbed: number;
  /** False when more distinct meetings were seen than `--max-meetings`: the meeting counts are then lower bounds. */
  meetingCountsExact: boolean;
  /** Denied joins by country (`unknown:<cause>` for unknown locations). */
  deniedByCountry: Record<string, number>;
}

/** The summary `replay` prints. */
interface ReplaySummary {
  input: string;
  /** The instant restrictions were evaluated at. */
  at: string;
  lines: number;
  joins: number;
  admitted: number;
  /** Denied by the restrictions as they are (enforce mode). */
  denied: number;
  /** Denied if every restriction, dry-run ones included, were enforced. */
  deniedIfEnforced: number;
  malformed: { count: number; first: { line: number; error: string }[] };
  restrictions: RestrictionImpact[];
  warnings: string[];
  attribution?: string;
  stats?: { elapsedMs: number; joinsPerSecond: number; maxRssKiB: number };
}

/** Per-restriction counters; meeting sets are capped so memory stays bounded. */
class Impact {
  readonly r: NormalizedRestriction;
  joinsInScope = 0;
  joinsDenied = 0;
  readonly reached = new Set<string>();
  readonly disturbed = new Set<string>();
  exact = true;
  readonly byCountry = new Map<string, number>();

  constructor(r: NormalizedRestriction) {
    this.r = r;
  }

  /**
   * Count one join. Meetings are tracked exactly up to `cap` distinct
   * meetings; past that, new meetings are not tracked and the counts become
   * lower bounds (reported, never silently wrong).
   */
  record(meetingId: string, denied: boolean, location: Location, cap: number): void {
    this.joinsInScope++;
    const tracked = this.reached.has(meetingId) || this.reached.size < cap;
    if (tracked) this.reached.add(meetingId);
    else this.exact = false;
    if (!denied) return;
    this.joinsDenied++;
    if (tracked) this.disturbed.add(meetingId);
    const key = location.country ?? `unknown:${location.unknown ?? 'unknown'}`;
    this.byCountry.set(key, (this.byCountry.get(key) ?? 0) + 1);
  }

  toJSON(at: number): RestrictionImpact {
    return {
      id: this.r.id,
      kind: this.r.kind,
      mode: this.r.mode,
      active: isActive(this.r, at),
      joinsInScope: this.joinsInScope,
      joinsDenied: this.joinsDenied,
      meetingsReached: this.reached.size,
      meetingsDisturbed: this.disturbed.size,
      meetingsUndisturbed: this.reached.size - this.disturbed.size,
      meetingCountsExact: this.exact,
      deniedByCountry: Object.fromEntries([...this.byCountry].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))),
    };
  }
}

/** Why a parsed line is not a join, or undefined when it looks like one (the gate checks the rest). */
function notAJoin(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  return undefined;
}

/**
 * Decisions go to a file or, with `-`, to stdout; `undefined` when not asked
 * for. A file must not be any input (exit 2) and appears only when the replay
 * completes (temporary file renamed into place).
 */
async function openDecisions(
  ctx: CliContext,
  path: string | undefined,
  inputs: readonly string[],
): Promise<{ out: CliOutput; file?: AtomicOutput } | undefined> {
  if (path === undefined) return undefined;
  if (path === '-') return { out: ctx.io.stdout };
  const file = await openAtomicOutput(await outputPath(ctx.cwd, path, inputs, '--decisions file'));
  return { out: file.stream, file };
}

/**
 * `geoadmit replay <joins.jsonl|->`: run a join log through a gate and
 * summarise the impact of each restriction. Streams in bounded memory: no
 * roster (every admitted join leaves at once), lines capped in length, meeting
 * sets capped by `--max-meetings`. Exit 0, or 1 when any join was (or, under a
 * dry-run restriction, would be) denied.
 */
export async function runReplay(ctx: CliContext, path: string, options: ReplayOptions): Promise<number> {
  const at = parseAt(options.at);
  const restrictions = await loadRestrictions(ctx.cwd, options.restrictions);
  const input = await openInput(ctx.cwd, path, ctx.io.stdin, 'joins file');
  const { resolver, attribution } = await openDatabases(ctx.cwd, options.db);
  const gate = setupGate(resolver, restrictions, at, options.trustedProxy);
  const impacts = restrictions.map((r) => new Impact(r));
  const summary: ReplaySummary = {
    input: input.name,
    at: new Date(at).toISOString(),
    lines: 0,
    joins: 0,
    admitted: 0,
    denied: 0,
    deniedIfEnforced: 0,
    malformed: { count: 0, first: [] },
    restrictions: [],
    warnings: capabilityWarnings(resolver, restrictions),
  };
  if (attribution !== undefined) summary.attribution = attribution;

  const started = performance.now();
  let decisions: Awaited<ReturnType<typeof openDecisions>>;
  try {
    decisions = await openDecisions(ctx, options.decisions, [path, options.restrictions, ...resolver.databases.map((d) => d.file)]);
  } catch (error) {
    await resolver.close();
    await gate.close();
    throw error;
  }
  let complete = false;
  const bar = options.progress !== false && ctx.io.stderr.isTTY === true ? startProgress(ctx, input.size) : undefined;
  let bytes = 0;
  const malformed = (line: number, error: string): void => {
    summary.malformed.count++;
    if (summary.malformed.first.length < MALFORMED_LISTED) summary.malformed.first.push({ line, error });
  };
  const matched = new Set<string>();

  try {
    for await (const { n, text } of streamLines(input.stream, options.maxLineBytes, (b) => (bytes += b))) {
      summary.lines = n;
      if (bar !== undefined && (n & 0x3ff) === 0) bar.update(input.size === undefined ? n : bytes);
      if (text === undefined) {
        malformed(n, `line longer than ${options.maxLineBytes} bytes`);
        continue;
      }
      if (text.trim().length === 0) continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        malformed(n, `not JSON: ${(error as Error).message}`);
        continue;
      }
      const problem = notAJoin(value);
      if (problem !== undefined) {
        malformed(n, problem);
        continue;
      }
      const join = value as Join;
      let decision: Decision;
      try {
        decision = await gate.admit(join);
      } catch (error) {
        if (error instanceof GeoadmitError) {
          malformed(n, error.message);
          continue;
        }
        throw error;
      }
      // No roster: a replay previews decisions, it does not simulate presence (and must not grow with the log).
      if (decision.admitted) gate.leave(join.meetingId, join.participantId);
      summary.joins++;
      if (decision.admitted) summary.admitted++;
      else summary.denied++;

      matched.clear();
      for (const reason of decision.reasons) if (reason.restrictionId !== undefined) matched.add(reason.restrictionId);
      for (const reason of decision.dryRun) if (reason.restrictionId !== undefined) matched.add(reason.restrictionId);
      if (matched.size > 0 || !decision.admitted) summary.deniedIfEnforced++;
      for (const impact of impacts) {
        const r = impact.r;
        if (!isActive(r, at) || !restrictionInScope(r, join.meetingId, join.hostAccountId)) continue;
        impact.record(join.meetingId, matched.has(r.id), decision.location, options.maxMeetings);
      }
      if (decisions !== undefined) {
        const line = JSON.stringify({
          line: n,
          meetingId: join.meetingId,
          participantId: join.participantId,
          admitted: decision.admitted,
          reasons: decision.reasons,
          dryRun: decision.dryRun,
          location: decision.location,
        });
        const wait = writeBounded(decisions.out, `${line}\n`);
        if (wait !== undefined) await wait;
      }
    }
    complete = true;
  } finally {
    bar?.stop();
    try {
      if (decisions?.file !== undefined) await (complete ? decisions.file.commit() : decisions.file.abort());
    } finally {
      await gate.close();
      await resolver.close();
    }
  }
  summary.restrictions = impacts.map((i) => i.toJSON(at));
  if (options.stats === true) {
    const elapsedMs = Math.round(performance.now() - started);
    summary.stats = {
      elapsedMs,
      joinsPerSecond: Math.round((summary.joins * 1000) / Math.max(elapsedMs, 1)),
      maxRssKiB: process.resourceUsage().maxRSS,
    };
  }
  printSummary(ctx, summary, options);
  return summary.deniedIfEnforced > 0 ? CliExitCode.Findings : CliExitCode.Ok;
}

function startProgress(ctx: CliContext, total: number | undefined): cliProgress.SingleBar {
  const bar = new cliProgress.SingleBar(
    {
      stream: ctx.io.stderr as unknown as NodeJS.WritableStream,
      format: total === undefined ? 'replay | {value} lines' : 'replay [{bar}] {percentage}% | {eta_formatted} left',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total ?? 0, 0);
  return bar;
}

function printSummary(ctx: CliContext, s: ReplaySummary, options: ReplayOptions): void {
  // With decisions on stdout, the summary moves to stderr so the JSON Lines stay clean.
  const toStderr = options.decisions === '-';
  if (options.json === true) {
    const text = JSON.stringify(s, null, 2);
    if (toStderr) ctx.note(text);
    else ctx.print(text);
    return;
  }
  const c = toStderr ? ctx.err : ctx.out;
  const say = (line: string): void => (toStderr ? ctx.note(line) : ctx.print(line));
  say(`${c.bold('Replayed')} ${count(s.joins)} joins from ${s.input} as of ${s.at}`);
  say(`  admitted ${count(s.admitted)}, denied ${c.red(count(s.denied))}; denied if every restriction were enforced: ${c.red(count(s.deniedIfEnforced))}`);
  for (const r of s.restrictions) {
    const state = r.active ? r.mode : `${r.mode}, not active at ${s.at}`;
    say('');
    say(`${c.bold(`restriction ${r.id}`)} ${c.dim(`(${r.kind}, ${state})`)}`);
    const verb = r.mode === 'dry-run' ? 'would deny' : 'denies';
    say(`  joins in scope ${count(r.joinsInScope)}, ${verb} ${c.red(count(r.joinsDenied))}`);
    const approx = r.meetingCountsExact ? '' : c.yellow(' (at least: more meetings than --max-meetings)');
    say(
      `  meetings reached ${count(r.meetingsReached)}, disturbed ${count(r.meetingsDisturbed)}, left undisturbed ${c.green(count(r.meetingsUndisturbed))}${approx}`,
    );
    const countries = Object.entries(r.deniedByCountry);
    if (countries.length > 0) say(`  denied by country: ${countries.map(([k, v]) => `${k} ${count(v)}`).join(', ')}`);
  }
  if (s.malformed.count > 0) {
    say('');
    say(
      c.yellow(
        `${count(s.malformed.count)} malformed line${s.malformed.count === 1 ? '' : 's'} skipped${s.malformed.count > MALFORMED_LISTED ? ` (first ${MALFORMED_LISTED} listed)` : ''}:`,
      ),
    );
    for (const m of s.malformed.first) say(`  line ${m.line}: ${m.error}`);
  }
  for (const w of s.warnings) ctx.note(ctx.err.yellow(`warning: ${w}`));
  if (s.stats !== undefined) ctx.note(`stats: ${s.stats.elapsedMs} ms, ${count(s.stats.joinsPerSecond)} joins/s, peak RSS ${count(s.stats.maxRssKiB)} KiB`);
  if (s.attribution !== undefined) ctx.note(ctx.err.dim(s.attribution));
}
