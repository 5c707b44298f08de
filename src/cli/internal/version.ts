import { createRequire } from 'node:module';

/**
 * The installed package's version, read from its package.json at run time.
 * The module runs from `dist/cli.js` (package.json one level up) or from a
 * bundle one level deeper (the tests' esbuild output under `.tmp/<dir>/`):
 * both are tried, and only a package.json naming geoadmit counts.
 */
export function packageVersion(): string {
  const require = createRequire(import.meta.url);
  for (const candidate of ['../package.json', '../../package.json', '../../../package.json']) {
    try {
      const pkg = require(candidate) as { name?: unknown; version?: unknown };
      if (pkg.name === 'geoadmit' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not there from this location: try the next.
    }
  }
  return 'unknown';
}
