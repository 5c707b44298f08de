// Shared pieces of the benchmark suite: seeded inputs, the interleaved batched
// timing loop, the machine description and result output.
//
// Why a batched loop and not tinybench/mitata: most operations measured here
// take 0.1-3 µs, less than the cost and jitter of reading a timer. Each sample
// therefore times a whole batch of calls (thousands) with one pair of
// hrtime reads; cases are interleaved round-robin (rotating which goes first)
// so drift in CPU frequency or background load hits every case alike, and the
// first round is a discarded warm-up so every case is measured JIT-compiled.
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DB_PATH = join(ROOT, 'node_modules/@ip-location-db/geolite2-country-mmdb/geolite2-country.mmdb');
export const BENCH_MEETING = 'm-bench';
export const SEED = 20200604;

/** Command-line flags of a case process. */
export function flags() {
  const argv = process.argv.slice(2);
  const outAt = argv.indexOf('--out');
  return { quick: argv.includes('--quick'), out: outAt >= 0 ? argv[outAt + 1] : undefined };
}

/** Sizes used everywhere: the full suite, or the few-second smoke run. */
export function sizes(quick) {
  return quick
    ? {
        ipv4: 10_000,
        ipv6: 2_000,
        rounds: 3,
        batch: 2_000,
        roster: 20_000,
        meetings: 2_000,
        meetingsPerAccount: 100,
        elsewhere: 1_000,
        allScoped: 100,
        replayLines: 5_000,
        sinkEvents: 500,
        sinkAlways: 50,
      }
    : {
        ipv4: 100_000,
        ipv6: 20_000,
        rounds: 9,
        batch: 50_000,
        roster: 1_000_000,
        meetings: 100_000,
        meetingsPerAccount: 1_000,
        elsewhere: 100_000,
        allScoped: 1_000,
        replayLines: 1_000_000,
        sinkEvents: 100_000,
        sinkAlways: 2_000,
      };
}

/** mulberry32: small, fast, deterministic; the same seed gives the same inputs on every machine. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The seeded address mix: `ipv4` random public IPv4 addresses and `ipv6`
 * random global-unicast IPv6 addresses (in 2000::/3, none of the embedded-IPv4
 * forms), shuffled together deterministically. `normalizeAddress` (the SDK's
 * own) decides what is public, and gives the canonical text a socket reports.
 */
export function addressMix(normalizeAddress, counts, seed = SEED) {
  const rand = prng(seed);
  const u32 = () => Math.floor(rand() * 4294967296) >>> 0;
  const out = [];
  while (out.length < counts.ipv4) {
    const n = u32();
    const r = normalizeAddress(`${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`);
    if (r.ok && r.global) out.push(r.address);
  }
  let six = 0;
  while (six < counts.ipv6) {
    const groups = [0x2000 | (u32() & 0x1fff)];
    for (let k = 1; k < 8; k++) groups.push(u32() & 0xffff);
    const r = normalizeAddress(groups.map((g) => g.toString(16)).join(':'));
    if (r.ok && r.global && r.family === 6) {
      out.push(r.address);
      six++;
    }
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The one takedown on the benchmarked meeting. */
export function cnTakedown(id = 'bench-cn', scope = { meetings: [BENCH_MEETING] }) {
  return { id, kind: 'takedown', authority: { name: 'Example Authority', jurisdiction: 'CN' }, regions: ['CN'], scope, mode: 'enforce' };
}

/** CPU model, core count, memory and Node version: printed and stored with every result. */
export function machine() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Time `cases` ({ name, run(n) } where run performs n operations, sync or
 * async) interleaved round-robin for `rounds` rounds of `batch` operations
 * each, after one warm-up round. Returns per case: median ns/op, min and max
 * over rounds, spread ((max - min) / median) and ops/s at the median.
 */
export async function compare(cases, { rounds, batch }) {
  const samples = cases.map(() => []);
  for (let round = -1; round < rounds; round++) {
    for (let k = 0; k < cases.length; k++) {
      const i = (k + Math.max(round, 0)) % cases.length; // rotate who goes first
      const c = cases[i];
      const t0 = process.hrtime.bigint();
      const r = c.run(batch);
      if (r !== undefined && typeof r.then === 'function') await r;
      const ns = Number(process.hrtime.bigint() - t0) / batch;
      if (round >= 0) samples[i].push(ns);
    }
  }
  return cases.map((c, i) => {
    const xs = samples[i];
    const med = median(xs);
    const min = Math.min(...xs);
    const max = Math.max(...xs);
    return { name: c.name, nsPerOp: round1(med), min: round1(min), max: round1(max), spread: round3((max - min) / med), opsPerSec: Math.round(1e9 / med) };
  });
}

/** Median and spread of `reps` timings (ms) of an async or sync action. */
export async function timeMs(action, reps) {
  const xs = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    await action(i);
    xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const med = median(xs);
  return { ms: round3(med), min: round3(Math.min(...xs)), max: round3(Math.max(...xs)), reps };
}

export const round1 = (x) => Math.round(x * 10) / 10;
export const round3 = (x) => Math.round(x * 1000) / 1000;

/** A fixed-width table of compare() results, with a ratio column against `baseline` (a case name). */
export function printTable(results, baseline) {
  const base = results.find((r) => r.name === baseline);
  const w = Math.max(...results.map((r) => r.name.length), 8);
  console.log(
    `  ${'case'.padEnd(w)}  ${'ns/op'.padStart(9)}  ${'ops/s'.padStart(11)}  ${'spread'.padStart(7)}${base ? `  ${`vs ${baseline}`.padStart(8)}` : ''}`,
  );
  for (const r of results) {
    const ratio = base ? `  ${`${round3(base.nsPerOp / r.nsPerOp).toFixed(2)}x`.padStart(8)}` : '';
    console.log(
      `  ${r.name.padEnd(w)}  ${r.nsPerOp.toFixed(1).padStart(9)}  ${r.opsPerSec.toLocaleString('en-US').padStart(11)}  ${`${(r.spread * 100).toFixed(0)}%`.padStart(7)}${ratio}`,
    );
  }
}

/** Speed-up of `a` over `b` (how many times faster a is), from compare() results. */
export function speedup(results, a, b) {
  const x = results.find((r) => r.name === a);
  const y = results.find((r) => r.name === b);
  return round3(y.nsPerOp / x.nsPerOp);
}

/** Print a target line: PASS/MISS is information for people, never a CI failure. */
export function target(label, ok, detail) {
  console.log(`  ${ok ? 'meets' : 'MISSES'} target: ${label} (${detail})`);
  return { label, ok, detail };
}

/** Write a case's result object where the runner asked for it. */
export function save(out, section, data) {
  const doc = { section, machine: machine(), ...data };
  if (out !== undefined) writeFileSync(out, JSON.stringify(doc, null, 2));
  return doc;
}

/** Heap in use after a full collection (needs --expose-gc). */
export function heapUsed() {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss };
}
