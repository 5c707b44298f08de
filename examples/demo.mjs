#!/usr/bin/env node
// `npm run demo`: the founding story of geoadmit, told by a real signaling
// server and real WebSocket clients (examples/demo/demo.ts).
// `npm run demo -- --console [--port N]`: the same meetings with the operator
// console mounted; prints its URL and a one-time token, runs until Ctrl-C.
//
// The demo and the examples are TypeScript and import the SDK by its name,
// `geoadmit`, exactly as an application would. Node 20 cannot run TypeScript,
// so this launcher bundles examples/demo/demo.ts with esbuild (≈0.1 s),
// mapping `geoadmit` to the SDK's source, so the demo never runs a stale
// `dist/` and needs no build step. npm packages stay external and load from
// node_modules as usual. The bundle goes to a private folder under `.tmp/`
// (git-ignored, inside the package so node_modules resolve) and is removed.
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const external = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies });
// `geoadmit` and each of its subpaths to their source, as tsconfig.json maps them for the type-checker.
const paths = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')).compilerOptions.paths;
const alias = Object.fromEntries(Object.entries(paths).map(([name, [target]]) => [name, join(root, target)]));

// `npm run demo | head` closes stdout early: that is not a failure.
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
});

mkdirSync(join(root, '.tmp'), { recursive: true });
const outdir = mkdtempSync(join(root, '.tmp', 'demo-'));
let code = 0;
try {
  const outfile = join(outdir, 'demo.mjs');
  await build({
    entryPoints: [join(root, 'examples/demo/demo.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    alias,
    external,
    logLevel: 'warning',
  });
  const { main } = await import(pathToFileURL(outfile).href);
  code = await main(process.argv.slice(2));
} catch (error) {
  console.error(error);
  code = 1;
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
process.exitCode = code;
