import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { notRegularKind } from '../../internal/files.js';
import { MaxMindResolver } from '../../geo/index.js';
import type { Location } from '../../geo/index.js';
// The default database is found by the library (geo/default.ts), so the CLI and openDefaultResolver() agree.
import { DEFAULT_DB_PACKAGE, GEOLITE2_ATTRIBUTION, findDefaultDatabase } from '../../geo/default.js';
import { CliUsageError } from './context.js';

export { findDefaultDatabase };

/** The resolver a command uses, and what to say about its data. */
interface OpenedDatabases {
  resolver: MaxMindResolver;
  /** MaxMind's attribution when any database holds GeoLite2 data. */
  attribution?: string;
}

/** GeoLite2 data is recognised by its type (MaxMind's own files) or its file name (repackaged files such as ip-location-db's). */
function isGeoLite2(file: string, databaseType: string): boolean {
  return /geolite2/i.test(databaseType) || /geolite2/i.test(basename(file));
}

/**
 * Open `--db` files (layered in the order given) or the default database.
 * Every failure is a one-line usage error: exit 2.
 */
export async function openDatabases(cwd: string, dbs: readonly string[]): Promise<OpenedDatabases> {
  let files = dbs.map((p) => resolve(cwd, p));
  if (files.length === 0) {
    const found = findDefaultDatabase(cwd);
    if (found === undefined) {
      throw new CliUsageError(`no geolocation database: pass --db <file.mmdb>, or install the default one with \`npm i ${DEFAULT_DB_PACKAGE}\``);
    }
    files = [found];
  }
  let resolver: MaxMindResolver;
  try {
    resolver = await MaxMindResolver.open(files);
  } catch (error) {
    throw new CliUsageError((error as Error).message, [], { cause: error });
  }
  const geolite = resolver.databases.some((d) => isGeoLite2(d.file, d.databaseType));
  return geolite ? { resolver, attribution: GEOLITE2_ATTRIBUTION } : { resolver };
}

/**
 * Refuse `--db` paths that exist but are not regular files (a FIFO would block
 * the command forever, `/dev/zero` never ends), on every command, including
 * those that ignore `--db`. Missing files are left to the command, which
 * says so in the library's words.
 */
export async function refuseIrregularDatabases(cwd: string, dbs: readonly string[]): Promise<void> {
  for (const db of dbs) {
    const file = resolve(cwd, db);
    let info;
    try {
      info = await stat(file);
    } catch {
      continue;
    }
    const kind = notRegularKind(info);
    if (kind !== undefined) throw new CliUsageError(`Database file ${file} is not a regular file (${kind})`);
  }
}

/** The database that answered a location, when it can be told apart from the others. */
export function answeringDatabase(resolver: MaxMindResolver, location: Location): { file: string; type: string; built: string } | undefined {
  if (location.databaseBuilt === undefined) return undefined;
  const candidates = resolver.databases.filter((d) => d.buildDate === location.databaseBuilt && location.source.includes(d.databaseType));
  const db = candidates.length === 1 ? candidates[0] : undefined;
  return db === undefined ? undefined : { file: db.file, type: db.databaseType, built: db.buildDate };
}
