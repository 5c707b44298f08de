import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { MaxMindResolver } from '../../geo/index.js';
import type { Location } from '../../geo/index.js';
import { CliUsageError } from './context.js';

/** The npm package the CLI falls back to when no `--db` is given. */
export const DEFAULT_DB_PACKAGE = '@ip-location-db/geolite2-country-mmdb';
const DEFAULT_DB_FILE = 'geolite2-country.mmdb';

/** MaxMind's required attribution for products using GeoLite2 data. */
export const GEOLITE2_ATTRIBUTION = 'This product includes GeoLite2 data created by MaxMind, available from https://www.maxmind.com.';

/**
 * Where the default database is: the package's directory, found from this
 * module first (the CLI's own install) and then from the working directory
 * (a project that installed the package next to geoadmit).
 */
export function findDefaultDatabase(cwd: string): string | undefined {
  const bases = [import.meta.url, join(cwd, 'noop.js')];
  for (const base of bases) {
    try {
      const pkg = createRequire(base).resolve(`${DEFAULT_DB_PACKAGE}/package.json`);
      const file = join(dirname(pkg), DEFAULT_DB_FILE);
      if (existsSync(file)) return file;
    } catch {
      // Not installed from this base: try the next one.
    }
  }
  return undefined;
}

/** The resolver a command uses, and what to say about its data. */
export interface OpenedDatabases {
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
      throw new CliUsageError(
        `no geolocation database: pass --db <file.mmdb>, or install the default one with \`npm i ${DEFAULT_DB_PACKAGE}\``,
      );
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

/** The database that answered a location, when it can be told apart from the others. */
export function answeringDatabase(
  resolver: MaxMindResolver,
  location: Location,
): { file: string; type: string; built: string } | undefined {
  if (location.databaseBuilt === undefined) return undefined;
  const candidates = resolver.databases.filter(
    (d) => d.buildDate === location.databaseBuilt && location.source.includes(d.databaseType),
  );
  const db = candidates.length === 1 ? candidates[0] : undefined;
  return db === undefined ? undefined : { file: db.file, type: db.databaseType, built: db.buildDate };
}
