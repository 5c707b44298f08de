// Section 9: what it costs to load geoadmit, against yardsticks measured in the same run.
//
// - Importing `geoadmit` against importing `maxmind` alone (the one dependency every gate needs):
//   each import timed inside a fresh Node process (performance.now() around a dynamic import), so
//   neither shares a module cache with the other. Target: at most 4x.
// - `geoadmit --help` (the built CLI, dist/cli.js) against a bare `node -e 0`: whole-process wall
//   time, since Node's own start is what a user waits for either way. Target: at most 3x.
// - The packed tarball: its size and its largest files (`npm pack --dry-run`).
//
// Samples are interleaved round-robin (rotating which goes first), so background load hits every
// case alike; the figures are medians. Absolute times depend on the machine; the ratios are the
// point, and they are only meaningful when measured together like this.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { flags, ROOT, round1, save, target } from '../lib/common.mjs';

const { quick, out } = flags();
const ROUNDS = quick ? 3 : 15;

/** A fresh process that imports `specifier` and prints the milliseconds the import took. */
function importMs(specifier) {
  const code = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`importing ${specifier} failed: ${run.stderr}`);
  return Number(run.stdout);
}

/** Wall time of a whole process, in milliseconds. */
function processMs(args) {
  const t = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${run.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const cases = {
  'import maxmind': () => importMs('maxmind'),
  'import zod': () => importMs('zod'),
  'import geoadmit': () => importMs('geoadmit'),
  'node -e 0': () => processMs(['-e', '0']),
  'geoadmit --help': () => processMs([join(ROOT, 'dist/cli.js'), '--help']),
};
const names = Object.keys(cases);
const samples = Object.fromEntries(names.map((n) => [n, []]));
// One discarded warm-up round: the first spawns also fill the OS file cache.
for (let round = 0; round <= ROUNDS; round++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + round) % names.length];
    const ms = cases[name]();
    if (round > 0) samples[name].push(ms);
  }
}

console.log(`\n9. Import cost (medians of ${ROUNDS} fresh processes each, interleaved)`);
const results = {};
for (const name of names) {
  results[name] = { medianMs: round1(median(samples[name])), minMs: round1(Math.min(...samples[name])) };
  console.log(`  ${name.padEnd(18)} ${results[name].medianMs.toFixed(1).padStart(8)} ms  (min ${results[name].minMs.toFixed(1)})`);
}
const importRatio = results['import geoadmit'].medianMs / results['import maxmind'].medianMs;
const helpRatio = results['geoadmit --help'].medianMs / results['node -e 0'].medianMs;
console.log(`  import geoadmit / import maxmind = ${importRatio.toFixed(2)}x`);
console.log(`  geoadmit --help / node -e 0      = ${helpRatio.toFixed(2)}x`);

// The tarball as npm would publish it.
const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
let tarball;
if (pack.status === 0) {
  const [info] = JSON.parse(pack.stdout);
  const largest = [...info.files].sort((a, b) => b.size - a.size).slice(0, 5);
  tarball = { packedKiB: Math.round(info.size / 1024), unpackedKiB: Math.round(info.unpackedSize / 1024), files: info.entryCount, largest };
  console.log(`  tarball: ${tarball.packedKiB} KiB packed, ${tarball.unpackedKiB} KiB unpacked, ${tarball.files} files; largest:`);
  for (const f of largest) console.log(`    ${f.path.padEnd(28)} ${(f.size / 1024).toFixed(0).padStart(6)} KiB`);
} else {
  console.log(`  tarball: npm pack --dry-run failed (${pack.stderr.trim().split('\n')[0] ?? ''})`);
}

const targets = [
  target('importing geoadmit costs <= 4x importing maxmind alone', importRatio <= 4, `${importRatio.toFixed(2)}x`),
  target('geoadmit --help costs <= 3x a bare node -e 0', helpRatio <= 3, `${helpRatio.toFixed(2)}x`),
];
save(out, '9-import-cost', {
  rounds: ROUNDS,
  results,
  ratios: { importGeoadmitOverMaxmind: Math.round(importRatio * 100) / 100, helpOverBareNode: Math.round(helpRatio * 100) / 100 },
  tarball,
  targets,
});
