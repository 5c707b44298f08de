import { cidrResult, type CompiledCidr } from '../../address/ip.js';
import { GeoadmitError } from '../../errors/index.js';
import { writeMmdb, type MmdbEntry, type MmdbRecord } from '../../mmdb/index.js';
import { canonicalRegion, regionSuggestion } from '../../regions/index.js';
import { type CliContext, CliExitCode, CliUsageError, count } from './context.js';
import { splitCsvLine } from './csv.js';
import { outputPath, readTextDocument } from './files.js';

/** Options of `geoadmit build-db`. */
interface BuildDbOptions {
  output: string;
  mostSpecificWins?: boolean;
  json?: boolean;
  /** Accepted and ignored (every command takes `--db`); never written over. */
  db?: string[];
}

/** Problems listed before giving up on a CSV (all are counted). */
const PROBLEMS_LISTED = 1000;
/** Header words that mark a first line as column names rather than data. */
const HEADER = /^(prefix|cidr|network|ip_prefix|ip[-_ ]?range)$/i;

/** One bad row: its 1-based line number and what is wrong with it. */
interface RowProblem {
  line: number;
  message: string;
}

interface Parsed {
  entries: MmdbEntry[];
  /** Input line of each entry, for error messages. */
  lines: number[];
  skipped: { line: number; why: string }[];
  /** `line N: message`, for the human output. */
  problems: string[];
  /** The same problems, structured (`--json`). */
  rows: RowProblem[];
  problemCount: number;
}

/** A parsed network as a range of integers, for the overlap sweep. */
interface Span {
  family: 4 | 6;
  start: bigint;
  end: bigint;
  text: string;
  line: number;
}

function spanOf(cidr: CompiledCidr, text: string, line: number): Span {
  const bits = cidr.ip.family === 4 ? 32 : 128;
  let start = 0n;
  if (cidr.ip.family === 4) start = BigInt(cidr.ip.v4 >>> 0);
  else for (const b of cidr.ip.bytes) start = (start << 8n) | BigInt(b);
  const size = 1n << BigInt(bits - cidr.prefixLength);
  return { family: cidr.ip.family, start, end: start + size - 1n, text, line };
}

/**
 * Every network that lies inside an earlier-listed wider one (or repeats
 * one), found in one sorted sweep, so all overlaps are reported in one run
 * instead of the writer's first.
 */
function overlaps(spans: Span[]): RowProblem[] {
  const sorted = [...spans].sort(
    (a, b) => a.family - b.family || (a.start < b.start ? -1 : a.start > b.start ? 1 : a.end > b.end ? -1 : a.end < b.end ? 1 : a.line - b.line),
  );
  const found: RowProblem[] = [];
  const open: Span[] = [];
  for (const span of sorted) {
    while (open.length > 0 && ((open[open.length - 1] as Span).family !== span.family || (open[open.length - 1] as Span).end < span.start)) open.pop();
    const outer = open[open.length - 1];
    if (outer !== undefined) {
      const [inner, wider] = span.line > outer.line || span.end < outer.end ? [span, outer] : [outer, span];
      found.push({
        line: inner.line,
        message: `${inner.text} overlaps line ${wider.line} (${wider.text}) (pass --most-specific-wins to let the more specific prefix win)`,
      });
    }
    open.push(span);
  }
  return found.sort((a, b) => a.line - b.line);
}

/** Country and subdivision of one row, validated against the ISO lists, or an error text. */
function regionOf(countryField: string, regionField: string): { country: string; subdivision?: string } | string {
  const country = canonicalRegion(countryField);
  if (country === undefined || country.includes('-')) {
    const meant = regionSuggestion(countryField);
    const hint = meant.length === 0 ? '' : ` (did you mean ${meant.map((c) => `"${c}"`).join(' or ')}?)`;
    return `country ${JSON.stringify(countryField)} is not an ISO 3166-1 alpha-2 code${hint}`;
  }
  if (regionField === '') return { country };
  // Geofeeds write the full ISO 3166-2 code (`US-CA`); simple tables may write only the part after the hyphen.
  const full = regionField.includes('-') ? regionField : `${country}-${regionField}`;
  const region = canonicalRegion(full);
  if (region === undefined || !region.includes('-')) {
    return region === undefined
      ? `region ${JSON.stringify(regionField)} is not an ISO 3166-2 subdivision code`
      : `region ${JSON.stringify(regionField)} is the territory ${region}, which has its own country code: write ${region} as the country`;
  }
  if (!region.startsWith(`${country}-`)) return `region ${region} is not in country ${country}`;
  return { country, subdivision: region };
}

/**
 * Read an RFC 8805 geofeed (`prefix,country,region,city,postal`) or a plain
 * `cidr,country[,subdivision]` table. `#` comments and blank lines are
 * skipped, as is a header row; rows with an empty country (RFC 8805: "do not
 * geolocate") are skipped and reported.
 */
export function parseGeoCsv(text: string, options: { mostSpecificWins?: boolean } = {}): Parsed {
  const parsed: Parsed = { entries: [], lines: [], skipped: [], problems: [], rows: [], problemCount: 0 };
  const listed: RowProblem[] = [];
  const problem = (line: number, message: string): void => {
    parsed.problemCount++;
    if (listed.length < PROBLEMS_LISTED) listed.push({ line, message });
  };
  const spans: Span[] = [];
  const rows = text.split('\n');
  let sawData = false;
  for (const [i, raw] of rows.entries()) {
    const n = i + 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const fields = splitCsvLine(line);
    if (typeof fields === 'string') {
      problem(n, fields);
      continue;
    }
    const [prefix = '', countryField = '', regionField = ''] = fields.map((f) => f.trim());
    if (!sawData && HEADER.test(prefix)) continue;
    sawData = true;
    if (fields.length < 2) {
      problem(n, 'expected at least two columns: prefix,country');
      continue;
    }
    if (countryField === '') {
      parsed.skipped.push({ line: n, why: 'empty country (do not geolocate)' });
      continue;
    }
    // Every check on every row in this one pass: a run reports all bad rows, never one stage at a time.
    const cidr = cidrResult(prefix);
    const region = regionOf(countryField, regionField);
    if (!cidr.ok) problem(n, cidr.problem);
    if (typeof region === 'string') {
      problem(n, region);
      continue;
    }
    if (!cidr.ok) continue;
    spans.push(spanOf(cidr.cidr, prefix, n));
    const data: MmdbRecord = { country: { iso_code: region.country } };
    // GeoIP2 stores the part after the hyphen; readers rebuild the full code from the country.
    if (region.subdivision !== undefined) data['subdivisions'] = [{ iso_code: region.subdivision.slice(region.country.length + 1) }];
    parsed.entries.push({ network: prefix, data });
    parsed.lines.push(n);
  }
  if (options.mostSpecificWins !== true) for (const o of overlaps(spans)) problem(o.line, o.message);
  listed.sort((a, b) => a.line - b.line);
  parsed.rows = listed;
  parsed.problems = listed.map((p) => `line ${p.line}: ${p.message}`);
  return parsed;
}

/** Rewrite the writer's `entries[i]` references as input line numbers. */
function withLineNumbers(message: string, lines: readonly number[]): string {
  return message
    .replace(/entries\[(\d+)\](\.network)?/g, (whole, index: string) => {
      const line = lines[Number(index)];
      return line === undefined ? whole : `line ${line}`;
    })
    .replace(/\(pass overlap: 'most-specific-wins'[^)]*\)/, '(pass --most-specific-wins to let the more specific prefix win)');
}

/**
 * `geoadmit build-db <input.csv> -o <out.mmdb>`: write a GeoIP2-City-shaped
 * database (`country.iso_code`, `subdivisions[].iso_code`) that
 * `MaxMindResolver` reads with subdivisions. Any bad row or overlap refuses
 * the whole input (exit 2) and nothing is written.
 */
export async function runBuildDb(ctx: CliContext, path: string, options: BuildDbOptions): Promise<number> {
  // Before reading anything: -o must not be the CSV itself (by path, symlink or hard link).
  const out = await outputPath(ctx.cwd, options.output, [path, ...(options.db ?? [])], 'output');
  const text = await readTextDocument(ctx.cwd, path, 'CSV file');
  const parsed = parseGeoCsv(text, { mostSpecificWins: options.mostSpecificWins === true });
  if (parsed.problemCount > 0) {
    const more = parsed.problemCount > parsed.problems.length ? [`… and ${parsed.problemCount - parsed.problems.length} more`] : [];
    throw new CliUsageError(
      `${path}: ${parsed.problemCount} bad row${parsed.problemCount === 1 ? '' : 's'}; nothing was written`,
      [...parsed.problems, ...more],
      {
        data: { input: path, problemCount: parsed.problemCount, problems: parsed.rows },
      },
    );
  }
  if (parsed.entries.length === 0) throw new CliUsageError(`${path}: no rows with a prefix and a country; nothing was written`);
  try {
    await writeMmdb(out, parsed.entries, {
      databaseType: 'GeoIP2-City',
      description: { en: `Written by geoadmit build-db from ${path}` },
      languages: ['en'],
      overlap: options.mostSpecificWins === true ? 'most-specific-wins' : 'error',
    });
  } catch (error) {
    if (error instanceof GeoadmitError)
      throw new CliUsageError(`${path}: ${withLineNumbers(error.message, parsed.lines)}; nothing was written`, [], { cause: error });
    throw error;
  }
  if (options.json === true) {
    ctx.printJson({ input: path, output: options.output, networks: parsed.entries.length, skipped: parsed.skipped, databaseType: 'GeoIP2-City' });
  } else {
    ctx.print(`wrote ${options.output}: ${count(parsed.entries.length)} network${parsed.entries.length === 1 ? '' : 's'} (GeoIP2-City layout)`);
    for (const s of parsed.skipped) ctx.note(ctx.err.yellow(`skipped line ${s.line}: ${s.why}`));
  }
  return CliExitCode.Ok;
}
