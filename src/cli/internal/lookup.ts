import { isAbsolute, relative } from 'node:path';
import { normalizeAddress } from '../../address/index.js';
import { type Location, unknownLocation } from '../../geo/index.js';
import { type CliContext, CliExitCode } from './context.js';
import { answeringDatabase, openDatabases } from './db.js';

/** Options of `geoadmit lookup`. */
interface LookupOptions {
  db: string[];
  json?: boolean;
}

/** One address's answer, as printed by `--json`. */
interface LookupResult {
  input: string;
  /** Canonical address looked up (absent when the spelling was refused). */
  address?: string;
  family?: 4 | 6;
  location: Location;
  /** The database file that answered. */
  database?: { file: string; type: string; built: string };
  /** Why nothing was found, in words. */
  why?: string;
}

const WHY: Record<string, string> = {
  'non-global': 'not a global address (private, loopback, link-local, CGNAT, documentation or another special-purpose range)',
  'not-in-database': 'the database has no record for this address',
  'no-physical-country': 'the record names only a registered country, not where the address is used',
  'lookup-error': 'the database lookup failed (damaged database?)',
};

/** A path relative to the working directory when it lies below it. */
function shortPath(ctx: CliContext, file: string): string {
  const rel = relative(ctx.cwd, file);
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}

function describeLocation(ctx: CliContext, r: LookupResult): string {
  const c = ctx.out;
  const head = r.address !== undefined && r.address !== r.input ? `${r.input} → ${r.address}` : r.input;
  const loc = r.location;
  if (loc.country === undefined) return `${c.bold(head)}  ${c.yellow(loc.unknown ?? 'unknown')}: ${r.why ?? ''}`;
  const where = [loc.country, ...loc.subdivisions].join(' / ');
  const facts = [
    loc.network === undefined ? undefined : `network ${loc.network}`,
    r.database === undefined ? `source ${loc.source}` : `${r.database.type} (${shortPath(ctx, r.database.file)}, built ${r.database.built.slice(0, 10)})`,
    loc.anonymizer === true ? c.yellow('anonymizer') : undefined,
  ].filter((f) => f !== undefined);
  return `${c.bold(head)}  ${c.green(where)}  ${c.dim(facts.join(', '))}`;
}

/**
 * `geoadmit lookup <ip>...`: normalise each address and locate it. Exit 0,
 * or 2 when any address was refused as invalid (the others are still shown).
 */
export async function runLookup(ctx: CliContext, inputs: readonly string[], options: LookupOptions): Promise<number> {
  const { resolver, attribution } = await openDatabases(ctx.cwd, options.db);
  const results: LookupResult[] = [];
  let invalid = false;
  let lookedUp = false;
  try {
    for (const input of inputs) {
      const n = normalizeAddress(input);
      if (!n.ok) {
        invalid = true;
        results.push({ input, location: unknownLocation('invalid-address'), why: n.detail });
        continue;
      }
      const location: Location = n.global ? resolver.resolve(n.address) : unknownLocation('non-global');
      lookedUp ||= n.global;
      const result: LookupResult = { input, address: n.address, family: n.family, location };
      const db = answeringDatabase(resolver, location);
      if (db !== undefined) result.database = db;
      if (location.country === undefined) result.why = WHY[location.unknown ?? ''] ?? 'no location';
      results.push(result);
    }
  } finally {
    await resolver.close();
  }
  // The attribution goes with output that consulted the data: not when every address was refused or non-global.
  const credit = lookedUp ? attribution : undefined;
  if (options.json === true) {
    ctx.printJson({ results, ...(credit === undefined ? {} : { attribution: credit }) });
  } else {
    for (const r of results) ctx.print(describeLocation(ctx, r));
    if (credit !== undefined) ctx.note(ctx.err.dim(credit));
  }
  return invalid ? CliExitCode.Usage : CliExitCode.Ok;
}
