#!/usr/bin/env node
// geoadmit benchmark suite: `npm run bench` (full, a few minutes) or
// `npm run bench -- --quick` (smoke run, seconds; what CI runs so the suite
// cannot rot — it never asserts on timings). `--only 1,4` runs some sections.
//
// Each comparison runs in its own Node process (no JIT or heap state shared
// between sections) against the BUILT package (`dist/`, imported as
// `geoadmit`), i.e. what users get. Results are printed and written to
// bench/results/<time>.json (and latest.json) with the machine description.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, ROOT } from './lib/common.mjs';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? new Set((argv[onlyAt + 1] ?? '').split(',').map((s) => s.trim())) : undefined;

const CASES = [
  { id: '1', file: '1-admit.mjs' },
  { id: '2', file: '2-hot.mjs' },
  { id: '3', file: '3-scaling.mjs' },
  { id: '4', file: '4-enforcement.mjs', node: ['--max-old-space-size=4096'] },
  { id: '5', file: '5-resolver-memory.mjs' },
  { id: '6', file: '6-surroundings.mjs' },
  { id: '7', file: '7-audit.mjs' },
  { id: '8', file: '8-hostile.mjs' },
  { id: '9', file: '9-import-cost.mjs' },
  { id: '10', file: '10-fleet.mjs' },
];

/** Newest modification time under a directory (for "is dist older than src?"). */
function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const dist = join(ROOT, 'dist/index.js');
if (!existsSync(dist) || statSync(dist).mtimeMs < newest(join(ROOT, 'src'))) {
  console.log(existsSync(dist) ? 'dist/ is older than src/: building first (npm run build)' : 'dist/ missing: building first (npm run build)');
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) {
    console.error('build failed; the benchmarks measure the built package');
    process.exit(1);
  }
}

const m = machine();
console.log(`geoadmit benchmarks${quick ? ' (quick smoke run: timings are not meaningful)' : ''}`);
console.log(`${m.cpu} (${m.cores} cores), ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}`);

const tmp = mkdtempSync(join(tmpdir(), 'geoadmit-bench-run-'));
const sections = [];
let failed = 0;
try {
  for (const c of CASES) {
    if (only !== undefined && !only.has(c.id)) continue;
    const out = join(tmp, `${c.id}.json`);
    const args = ['--expose-gc', ...(c.node ?? []), join(ROOT, 'bench/cases', c.file), ...(quick ? ['--quick'] : []), '--out', out];
    const run = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
    if (run.status !== 0 || !existsSync(out)) {
      console.error(`section ${c.file} failed (exit ${run.status ?? run.signal})`);
      failed++;
      continue;
    }
    sections.push(JSON.parse(readFileSync(out, 'utf8')));
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const targets = sections.flatMap((s) => (s.targets ?? []).map((t) => ({ section: s.section, ...t })));
if (targets.length > 0) {
  console.log('\nTargets (informational; never a CI failure):');
  for (const t of targets) console.log(`  ${t.ok ? 'meets ' : 'MISSES'}  ${t.label}: ${t.detail}`);
}
const resultsDir = join(ROOT, 'bench/results');
mkdirSync(resultsDir, { recursive: true });
const doc = { time: new Date().toISOString(), quick, machine: m, sections };
const name = `${doc.time.replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`;
writeFileSync(join(resultsDir, name), JSON.stringify(doc, null, 2));
writeFileSync(join(resultsDir, quick ? 'latest-quick.json' : 'latest.json'), JSON.stringify(doc, null, 2));
console.log(`\nresults: bench/results/${name}`);
process.exit(failed > 0 ? 1 : 0);
