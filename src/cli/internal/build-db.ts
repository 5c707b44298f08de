import { resolve } from 'node:path';
import { GeoadmitError } from '../../errors/index.js';
import { writeMmdb, type MmdbEntry, type MmdbRecord } from '../../mmdb/index.js';
import { canonicalRegion } from '../../restrictions/index.js';
import { type CliContext, CliExitCode, CliUsageError, count } from './context.js';
import { splitCsvLine } from './csv.js';
import { readTextDocument } from './files.js';

/** Options of `geoadmit build-db`. */
export interface BuildDbOptions {
  output: string;
  mostSpecificWins?: boolean;
  json?: boolean;
}

/** Problems listed before giving up on a CSV (all are counted). */
const PROBLEMS_LISTED = 20;
/** Header words that mark a first line as column names rather than data. */
const HEADER = /^(prefix|cidr|network|ip_prefix|ip[-_ ]?range)$/i;

interface Parsed {
  entries: MmdbEntry[];
  /** Input line of each entry, for error messages. */
  lines: number[];
  skipped: { line: number; why: string }[];
  problems: string[];
  problemCount: number;
}

/** Country and subdivision of one row, validated against the ISO lists, or an error text. */
function regionOf(countryField: string, regionField: string): { country: string; subdivision?: string } | string {
  const country = canonicalRegion(countryField);
  if (country === undefined || country.includes('-')) return `country ${JSON.stringify(countryField)} is not an ISO 3166-1 alpha-2 code`;
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
export function parseGeoCsv(text: string): Parsed {
  const parsed: Parsed = { entries: [], lines: [], skipped: [], problems: [], problemCount: 0 };
  const problem = (line: number, message: string): void => {
    parsed.problemCount++;
    if (parsed.problems.length < PROBLEMS_LISTED) parsed.problems.push(`line ${line}: ${message}`);
  };
  const rows = text.split('\n');
  let sawData = false;
  rows.forEach((raw, i) => {
    const n = i + 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const fields = splitCsvLine(line);
    if (typeof fields === 'string') return problem(n, fields);
    const [prefix = '', countryField = '', regionField = ''] = fields.map((f) => f.trim());
    if (!sawData && HEADER.test(prefix)) return;
    sawData = true;
    if (fields.length < 2) return problem(n, 'expected at least two columns: prefix,country');
    if (countryField === '') {
      parsed.skipped.push({ line: n, why: 'empty country (do not geolocate)' });
      return;
    }
    const region = regionOf(countryField, regionField);
    if (typeof region === 'string') return problem(n, region);
    const data: MmdbRecord = { country: { iso_code: region.country } };
    // GeoIP2 stores the part after the hyphen; readers rebuild the full code from the country.
    if (region.subdivision !== undefined) data['subdivisions'] = [{ iso_code: region.subdivision.slice(region.country.length + 1) }];
    parsed.entries.push({ network: prefix, data });
    parsed.lines.push(n);
  });
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
  const text = await readTextDocument(ctx.cwd, path, 'CSV file');
  const parsed = parseGeoCsv(text);
  if (parsed.problemCount > 0) {
    const more = parsed.problemCount > parsed.problems.length ? [`… and ${parsed.problemCount - parsed.problems.length} more`] : [];
    throw new CliUsageError(`${path}: ${parsed.problemCount} bad row${parsed.problemCount === 1 ? '' : 's'}; nothing was written`, [...parsed.problems, ...more]);
  }
  if (parsed.entries.length === 0) throw new CliUsageError(`${path}: no rows with a prefix and a country; nothing was written`);
  const out = resolve(ctx.cwd, options.output);
  try {
    await writeMmdb(out, parsed.entries, {
      databaseType: 'GeoIP2-City',
      description: { en: `Written by geoadmit build-db from ${path}` },
      languages: ['en'],
      overlap: options.mostSpecificWins === true ? 'most-specific-wins' : 'error',
    });
  } catch (error) {
    if (error instanceof GeoadmitError) throw new CliUsageError(`${path}: ${withLineNumbers(error.message, parsed.lines)}; nothing was written`, [], { cause: error });
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
