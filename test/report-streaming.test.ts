import { basename } from 'node:path';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/internal/canonical-json.js';
import { encodeLine, lineHasher, ZERO_HASH } from '../src/audit/internal/record.js';
import { buildTransparencyReport } from 'geoadmit/report';
import { tempDir } from './fixtures/audit/helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

const N = 1_000_000;
const START = Date.UTC(2024, 0, 1);
const A = { name: 'Authority A', jurisdiction: 'CN' };
const B = { name: 'Authority B', jurisdiction: 'CN-XZ' };
const loc = { country: 'CN', subdivisions: [], source: 's' };

/** Event i of the generated log (the first three accept the restrictions). */
function event(i: number): object | string {
  const time = new Date(START + i * 5000).toISOString(); // 1M events span Jan to late Feb
  if (i === 0 || i === 1) {
    const [id, authority] = i === 0 ? ['r-a', A] : ['r-b', B];
    return {
      type: 'restriction.accepted',
      time,
      restrictionId: id,
      kind: 'takedown',
      authority,
      regions: [authority.jurisdiction],
      scope: { meetings: [], hostAccounts: ['acct'], all: false },
      mode: 'enforce',
      warnings: [],
      meetingsReached: 3,
      meetingsUndisturbed: 2,
      removed: 1,
    };
  }
  if (i % 100_000 === 2) {
    return { type: 'restriction.refused', time, kind: 'takedown', authority: A, regions: ['HK'], code: 'E_OUT_OF_JURISDICTION', reason: 'HK' };
  }
  if (i % 1000 === 3) {
    return {
      type: 'removal',
      time,
      meetingId: `ma-${i % 10_000}`,
      participantId: `p-${i}`,
      restrictionId: 'r-a',
      reasons: [],
      location: loc,
      status: 'removed',
    };
  }
  return decisionJson(i, time);
}

/**
 * Decisions are most of the log: written as canonical JSON text directly
 * (keys in sorted order) so generating a million lines stays quick.
 */
function decisionJson(i: number, time: string): string {
  let meetingId = `m-${i % 50_000}`;
  let outcome = 'admitted';
  let reasons = '[]';
  let ids = '[]';
  if (i % 20 === 0) {
    // A: 50,000 denials over 10,000 meetings (exact).
    [meetingId, outcome, reasons, ids] = [`ma-${(i / 20) % 10_000}`, 'denied', '[{"code":"region-restricted","restrictionId":"r-a"}]', '["r-a"]'];
  } else if (i % 20 === 10) {
    // B: 50,000 denials, each in its own meeting (beyond the exact limit: estimated).
    [meetingId, outcome, reasons, ids] = [`mb-${i}`, 'denied', '[{"code":"region-restricted","restrictionId":"r-b"}]', '["r-b"]'];
  }
  return `{"dryRun":[],"location":{"country":"CN","source":"s","subdivisions":[]},"meetingId":"${meetingId}","outcome":"${outcome}","participantId":"p-${i}","reasons":${reasons},"restrictionIds":${ids},"time":"${time}","type":"decision"}`;
}

/** Write a valid chained log straight to a stream (not through the sink), fast. */
async function generate(path: string): Promise<void> {
  const out = createWriteStream(path);
  const hash = lineHasher(undefined);
  let prev = ZERO_HASH;
  let seq = 0;
  let chunk: string[] = [];
  const push = (record: object | string): void => {
    seq++;
    if (typeof record === 'string') {
      // Same layout as encodeLine: the hash covers {"event":E,"prev":P,"seq":N}.
      const h = hash(`{"event":${record},"prev":"${prev}","seq":${seq}}`);
      chunk.push(`{"event":${record},"hash":"${h}","prev":"${prev}","seq":${seq}}\n`);
      prev = h;
      return;
    }
    const line = encodeLine(record, seq, prev, hash);
    prev = line.hash;
    chunk.push(line.text);
  };
  push({ type: 'audit.start', time: new Date(START).toISOString(), version: 1 });
  for (let i = 0; i < N; i++) {
    push(event(i));
    if (chunk.length === 2000) {
      if (!out.write(chunk.join(''))) await once(out, 'drain');
      chunk = [];
    }
  }
  out.end(chunk.join(''));
  await once(out, 'finish');
}

describe('transparency report streaming', () => {
  it('reports a 1,000,000-event log in bounded memory', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const log = t.file('big.jsonl');
    // The hand-written decisions are exactly what the sink would write.
    for (const i of [20, 30, 41]) expect(decisionJson(i, 'T')).toBe(canonicalJson(JSON.parse(decisionJson(i, 'T'))));
    const g0 = performance.now();
    await generate(log);
    const g1 = performance.now();
    global.gc?.();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakHeap = before.heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 50);
    const r0 = performance.now();
    const report = await buildTransparencyReport(log, { exactLimit: 20_000 });
    const r1 = performance.now();
    clearInterval(sampler);
    const after = process.memoryUsage();
    console.log(
      `1M events: generate ${((g1 - g0) / 1000).toFixed(1)} s, verify+report ${((r1 - r0) / 1000).toFixed(1)} s; ` +
        `rss ${(before.rss / 2 ** 20).toFixed(0)} -> peak ${(peakRss / 2 ** 20).toFixed(0)} MiB, ` +
        `heapUsed ${(before.heapUsed / 2 ** 20).toFixed(0)} -> peak ${(peakHeap / 2 ** 20).toFixed(0)} -> ${(after.heapUsed / 2 ** 20).toFixed(0)} MiB`,
    );

    expect(report.sources).toEqual([
      { name: basename(log), verified: true, events: N, signatures: 'none', head: { seq: N + 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/) } },
    ]);
    const a = report.governmentDemands.byAuthority.find((x) => x.authority === 'Authority A');
    const b = report.governmentDemands.byAuthority.find((x) => x.authority === 'Authority B');
    // Counted by the same rules as event(i).
    let deniedA = 0;
    let deniedB = 0;
    let removed = 0;
    let refused = 0;
    for (let i = 2; i < N; i++) {
      if (i % 100_000 === 2) refused++;
      else if (i % 1000 === 3) removed++;
      else if (i % 20 === 0) deniedA++;
      else if (i % 20 === 10) deniedB++;
    }
    expect(a?.total).toMatchObject({
      restrictionsReceived: 1 + refused,
      restrictionsAccepted: 1,
      restrictionsRefused: refused,
      joinsDenied: deniedA,
      participantsRemoved: removed,
      meetingsAffected: 10_000,
      meetingsAffectedEstimated: false,
    });
    expect(b?.total).toMatchObject({ restrictionsAccepted: 1, joinsDenied: deniedB, meetingsAffectedEstimated: true });
    expect(Math.abs((b?.total.meetingsAffected ?? 0) - deniedB) / deniedB).toBeLessThan(0.03);
    expect(report.governmentDemands.byJurisdiction.map((j) => j.jurisdiction)).toEqual(['CN', 'CN-XZ']);
    expect(a?.periods.map((p) => p.period)).toEqual(['2024-01', '2024-02']);
    expect(report.decisions.total).toBe(N - 2 - refused - removed);
    // Bounded: the sets are capped, the file is streamed (it is ~300 MB).
    expect(peakHeap - before.heapUsed).toBeLessThan(200 * 2 ** 20);
  }, 60_000);
});
