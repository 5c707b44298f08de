/**
 * The default database: the free GeoLite2 country data that the npm package
 * `@ip-location-db/geolite2-country-mmdb` ships (an optional peer dependency),
 * found the same way by `openDefaultResolver()` and by the command line.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ErrorCode, GeoadmitError } from '../errors/index.js';
import { keysOf, optionValues } from '../internal/options.js';
import { MaxMindResolver, type MaxMindResolverOptions } from './maxmind.js';

/** The npm package holding the default database (GeoLite2 country data in MaxMind DB format). */
export const DEFAULT_DB_PACKAGE = '@ip-location-db/geolite2-country-mmdb';

/** The database file inside {@link DEFAULT_DB_PACKAGE}. */
const DEFAULT_DB_FILE = 'geolite2-country.mmdb';

/**
 * MaxMind's required attribution for products using GeoLite2 data (exactly as
 * the command line prints it). Show it wherever you use {@link openDefaultResolver}.
 */
export const GEOLITE2_ATTRIBUTION = 'This product includes GeoLite2 data created by MaxMind, available from https://www.maxmind.com.';

/**
 * Resolves a module specifier the way `require.resolve` does from `base` (a
 * file path or `file:` URL), or throws when it cannot be found.
 */
export type PackageResolver = (specifier: string, base: string) => string;

/** Options of {@link openDefaultResolver}. */
export interface DefaultResolverOptions extends MaxMindResolverOptions {
  /**
   * Where else to look for the package, after geoadmit's own install: a
   * directory whose `node_modules` may hold it. Default `process.cwd()`.
   */
  cwd?: string;
  /**
   * Seam for finding the package (default: Node's module resolution). Tests
   * pass one that throws to see what a user without the package sees.
   */
  resolvePackage?: PackageResolver;
}

const nodeResolve: PackageResolver = (specifier, base) => createRequire(base).resolve(specifier);

/**
 * Where the default database file is: the package is looked up from geoadmit's
 * own install first (a project that installed both) and then from `cwd`.
 * `undefined` when it is not installed.
 */
export function findDefaultDatabase(cwd: string = process.cwd(), resolvePackage: PackageResolver = nodeResolve): string | undefined {
  // import.meta.url is shimmed in the CommonJS build (tsup.config.ts), so this works in both.
  for (const base of [import.meta.url, join(cwd, 'noop.js')]) {
    try {
      const pkg = resolvePackage(`${DEFAULT_DB_PACKAGE}/package.json`, base);
      const file = join(dirname(pkg), DEFAULT_DB_FILE);
      if (existsSync(file)) return file;
    } catch {
      // Not installed as seen from this base: try the next one.
    }
  }
  return undefined;
}

/** Every key `openDefaultResolver` accepts. */
const DEFAULT_OPTION_KEYS = keysOf<DefaultResolverOptions>({
  cwd: true,
  resolvePackage: true,
  watch: true,
  watchDebounceMs: true,
  fs: true,
  clock: true,
  cacheSize: true,
  verify: true,
});

/**
 * Open the default database: a {@link MaxMindResolver} over the GeoLite2
 * country data of `@ip-location-db/geolite2-country-mmdb` (country-level
 * only; show {@link GEOLITE2_ATTRIBUTION} where you use it).
 *
 * @throws GeoadmitError `E_DB_NOT_FOUND` when the package is not installed,
 * saying how to install it or where to get GeoLite2 instead.
 *
 * @example
 * import { createGate, openDefaultResolver } from 'geoadmit';
 * const gate = createGate({ geo: await openDefaultResolver(), trustedProxies: ['loopback'] });
 */
export async function openDefaultResolver(options: DefaultResolverOptions = {}): Promise<MaxMindResolver> {
  const o = optionValues<DefaultResolverOptions>(options, 'openDefaultResolver', DEFAULT_OPTION_KEYS);
  const cwd = o.string('cwd', { what: 'a directory path (a non-empty string)' });
  const resolvePackage = o.func<PackageResolver>('resolvePackage');
  // The rest is the resolver's, checked there; copied here so the caller's object is read once.
  const resolverOptions: Record<string, unknown> = {};
  for (const key of DEFAULT_OPTION_KEYS) if (key !== 'cwd' && key !== 'resolvePackage' && o.raw(key) !== undefined) resolverOptions[key] = o.raw(key);
  const file = findDefaultDatabase(cwd ?? process.cwd(), resolvePackage ?? nodeResolve);
  if (file === undefined) {
    throw new GeoadmitError(
      ErrorCode.DatabaseNotFound,
      `no default geolocation database: the package ${DEFAULT_DB_PACKAGE} is not installed. ` +
        `Install it with \`npm install ${DEFAULT_DB_PACKAGE}\`, or download GeoLite2-Country.mmdb (or GeoLite2-City.mmdb) ` +
        'with a free MaxMind account (https://www.maxmind.com/en/geolite2/signup) and open it with MaxMindResolver.open(path)',
      { argument: DEFAULT_DB_PACKAGE },
    );
  }
  return MaxMindResolver.open(file, resolverOptions);
}
