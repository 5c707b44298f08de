/**
 * What importing the package and running `geoadmit --help` load. The code is
 * bundled the way the build does it (esbuild, ESM with shared chunks, npm
 * packages external), then run in a child Node with a module hook that lists
 * every package it resolves. Costs are measured in `npm run bench`; this
 * checks the structure that keeps them low: the validation library is loaded
 * only when a document is validated, and the command line loads only what
 * its command needs.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { threadId } from 'node:worker_threads';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DB_PACKAGE } from '../src/cli/internal/program.js';
import { DEFAULT_DB_PACKAGE as GEO_DEFAULT_DB_PACKAGE } from '../src/geo/default.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, '.tmp', `lazy-load-${process.pid}-${threadId}`);

// Prints each npm package (or node: builtin) resolved, one per line, on stderr.
const HOOK = `
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  const m = /\\\\/node_modules\\\\/((?:@[^/]+\\\\/)?[^/]+)\\\\//.exec(result.url);
  if (m) process.stderr.write('PACKAGE ' + m[1] + '\\\\n');
  return result;
}\`));
`;

beforeAll(() => {
  mkdirSync(OUT, { recursive: true });
  buildSync({
    entryPoints: { index: join(ROOT, 'src/index.ts'), cli: join(ROOT, 'src/cli/main.ts') },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outdir: OUT,
    logLevel: 'error',
  });
  writeFileSync(join(OUT, 'hook.mjs'), HOOK);
});
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

/** Packages a child Node resolves while running `args` (after the hook), and its stdout. */
function packagesLoaded(args: string[]): { packages: Set<string>; stdout: string; status: number | null } {
  const run = spawnSync(process.execPath, ['--import', pathToFileURL(join(OUT, 'hook.mjs')).href, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const packages = new Set(
    run.stderr
      .split('\n')
      .filter((l) => l.startsWith('PACKAGE '))
      .map((l) => l.slice('PACKAGE '.length)),
  );
  return { packages, stdout: run.stdout, status: run.status };
}

// Runs `body` with the bundled root entry as `g`; then lists the packages loaded through `require` too
// (the module hook sees only imports), in the hook's format.
const importing = (body: string) => [
  '--input-type=module',
  '-e',
  `const g = await import(${JSON.stringify(pathToFileURL(join(OUT, 'index.js')).href)});
${body}
const { createRequire } = await import('node:module');
for (const file of Object.keys(createRequire(process.cwd() + '/').cache)) {
  const m = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(file);
  if (m) process.stderr.write('PACKAGE ' + m[1] + '\\n');
}`,
];

describe('import cost, by structure', () => {
  it('importing geoadmit loads maxmind but not the validation library, nor the IPv6 fallback parser', () => {
    const { packages, status } = packagesLoaded(importing(''));
    expect(status).toBe(0);
    expect(packages.has('maxmind')).toBe(true);
    expect(packages.has('zod')).toBe(false);
    expect(packages.has('ip-address')).toBe(false);
  });

  it('creating a gate and admitting joins without restrictions loads no validation library', () => {
    const body = `
      const gate = g.createGate({ geo: new g.StaticResolver({ '1.2.4.0/24': 'CN' }) });
      const d = await gate.admit({ meetingId: 'm', participantId: 'p', peerAddress: '1.2.4.8' });
      if (!d.admitted) process.exit(3);
      await gate.close();`;
    const { packages, status } = packagesLoaded(importing(body));
    expect(status).toBe(0);
    expect(packages.has('zod')).toBe(false);
  });

  it('validating a document loads it, synchronously, with messages as before', () => {
    const body = `
      const problems = g.validateRestrictions([{ id: 'r', authority: { name: 'A', jurisdiction: 'CN' }, regions: ['XZ'], scope: { all: true }, extra: 1 }]);
      console.log(JSON.stringify(problems.problems.map((p) => p.path + ': ' + p.message)));`;
    const { packages, stdout, status } = packagesLoaded(importing(body));
    expect(status).toBe(0);
    expect(packages.has('zod')).toBe(true);
    const messages = JSON.parse(stdout) as string[];
    expect(messages).toContainEqual(expect.stringMatching(/regions\[0\]: subdivision "XZ" written without its country \(did you mean "CN-XZ"\?\)/));
    expect(messages).toContainEqual(expect.stringMatching(/extra/));
  });
});

describe('geoadmit --help loads only the command line itself', () => {
  it('loads neither the geo database reader, the validation library, the progress bar nor the report code', () => {
    const { packages, stdout, status } = packagesLoaded([join(OUT, 'cli.js'), '--help']);
    expect(status).toBe(0);
    expect(stdout).toMatch(/Usage: geoadmit/);
    for (const heavy of ['maxmind', 'zod', 'cli-progress', 'ip-address', 'eventemitter3']) expect(packages.has(heavy), heavy).toBe(false);
  });

  it('a command loads what it needs when it runs', () => {
    const { packages, status } = packagesLoaded([join(OUT, 'cli.js'), 'lookup', '1.2.4.8', '--db', 'no-such.mmdb']);
    expect(status).toBe(2);
    expect(packages.has('maxmind')).toBe(true);
  });

  it('names the default database package in --db help as the geo code does', () => {
    expect(DEFAULT_DB_PACKAGE).toBe(GEO_DEFAULT_DB_PACKAGE);
    const { stdout } = packagesLoaded([join(OUT, 'cli.js'), 'lookup', '--help']);
    expect(stdout).toContain(GEO_DEFAULT_DB_PACKAGE);
  });
});
