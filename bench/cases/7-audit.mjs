// 7. What accountability costs: joins with churn
// through `admit` with the JSON Lines audit sink attached (fsync 'interval')
// vs `admit` with pino (asynchronous destination) writing each decision vs
// `admit` with a listener only — interleaved in one process. Then the sink
// with fsync 'always' (group commit): events/s with events arriving while
// each fsync runs.
//
// Every case yields to the event loop every YIELD_EVERY joins, as a server
// does between the requests that carry joins: without it no asynchronous
// writer (pino's sonic-boom, the sink's end-of-turn batch, the group-commit
// fsync) would ever get to run, and pino would only be appending to memory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createGate, MaxMindResolver, normalizeAddress } from 'geoadmit';
import { createJsonlAuditSink } from 'geoadmit/audit';
import { addressMix, cnTakedown, compare, DB_PATH, flags, printTable, save, sizes, speedup, target } from '../lib/common.mjs';
import { joinsFor } from '../lib/setup.mjs';

const YIELD_EVERY = 100;
const { quick, out } = flags();
const size = sizes(quick);
const dir = mkdtempSync(join(tmpdir(), 'geoadmit-bench-audit-'));
const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * compare() of lib/common.mjs (interleaved rounds, rotating who goes first,
 * a discarded warm-up round) that also records CPU time per operation: on a
 * shared machine wall time mostly measures the neighbours.
 */
async function compareWithCpu(cases, options) {
  const cpu = cases.map(() => []);
  const timed = cases.map((c, i) => ({
    name: c.name,
    run: async (n) => {
      const c0 = process.cpuUsage();
      await c.run(n);
      const d = process.cpuUsage(c0);
      cpu[i].push(((d.user + d.system) * 1000) / n);
    },
  }));
  const results = await compare(timed, options);
  return results.map((r, i) => {
    // The first sample of each case is the warm-up round compare() discards.
    const xs = cpu[i].slice(1).sort((a, b) => a - b);
    return { ...r, cpuNsPerOp: Math.round(xs[xs.length >> 1]) };
  });
}

/** run(n): joins with churn (a new participant id each time; the admitted leave), yielding every YIELD_EVERY joins. */
function churn(joins, gate, prefix) {
  let i = 0;
  let n = 0;
  const len = joins.length;
  return async (count) => {
    for (let k = 0; k < count; k++) {
      const j = joins[i];
      const participantId = `${prefix}-${n++}`;
      const d = await gate.admit({ meetingId: j.meetingId, hostAccountId: j.hostAccountId, participantId, peerAddress: j.peerAddress });
      if (d.admitted) gate.leave(j.meetingId, participantId);
      if (++i === len) i = 0;
      if (k % YIELD_EVERY === YIELD_EVERY - 1) await turn();
    }
  };
}

const result = {};
const sinks = [];
let destination;
try {
  const addresses = addressMix(normalizeAddress, size);
  const joins = joinsFor(addresses);
  const geo = await MaxMindResolver.open(DB_PATH);
  const gates = [];
  const gateWith = (attach) => {
    const gate = createGate({ geo, restrictions: [cnTakedown()] });
    attach(gate);
    gates.push(gate);
    return gate;
  };

  const listenerGate = gateWith((gate) => gate.on('decision', () => {}));
  const sinkGate = gateWith((gate) => {
    const sink = createJsonlAuditSink(join(dir, 'audit-interval.jsonl'), { fsync: 'interval' });
    sinks.push(sink);
    sink.attach(gate);
  });
  destination = pino.destination({ dest: join(dir, 'pino.log'), sync: false });
  const logger = pino({ base: undefined }, destination);
  const pinoGate = gateWith((gate) => gate.on('decision', (event) => logger.info(event)));

  console.log(
    `\n7. Audit cost per join with churn (${size.rounds} rounds of ${size.batch.toLocaleString('en-US')}, interleaved; yield every ${YIELD_EVERY} joins)`,
  );
  const cases = [
    { name: 'admit + listener only', run: churn(joins, listenerGate, 'l') },
    { name: "admit + audit sink (fsync 'interval')", run: churn(joins, sinkGate, 's') },
    { name: 'admit + pino (async destination)', run: churn(joins, pinoGate, 'p') },
  ];
  const results = await compareWithCpu(cases, size);
  printTable(results, 'admit + pino (async destination)');
  console.log('  CPU time per join (process user + system, all threads: what the work costs when the machine is busy):');
  for (const r of results) console.log(`    ${r.name.padEnd(40)} ${String(r.cpuNsPerOp).padStart(8)} ns cpu`);
  const sinkName = "admit + audit sink (fsync 'interval')";
  const pinoName = 'admit + pino (async destination)';
  const sinkVsPino = speedup(results, sinkName, pinoName);
  const cpuOf = (name) => results.find((r) => r.name === name).cpuNsPerOp;
  const cpuRatio = Math.round((cpuOf(pinoName) / cpuOf(sinkName)) * 1000) / 1000;
  const targets = [
    target("a join with the audit sink (fsync 'interval') costs no more than with pino, wall time", sinkVsPino >= 1, `${sinkVsPino}x pino's speed`),
    target('the same in CPU time per join', cpuRatio >= 1, `${cpuRatio}x pino's speed`),
  ];

  // --- fsync 'always': group commit -----------------------------------------
  const events = [];
  const off = listenerGate.on('decision', (e) => events.push(e));
  for (let i = 0; i < 1000; i++) await listenerGate.admit(joins[i]);
  off();
  const alwaysRuns = [];
  const n = quick ? 5_000 : 200_000;
  const burst = 200;
  for (let run = 0; run < (quick ? 1 : 3); run++) {
    const sink = createJsonlAuditSink(join(dir, `audit-always-${run}.jsonl`), { fsync: 'always' });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      sink.write(events[i % events.length]);
      // Events keep arriving, a burst per event-loop turn, while each fsync runs.
      if (i % burst === burst - 1) await turn();
    }
    await sink.flush();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    await sink.close();
    alwaysRuns.push(Math.round(n / (ms / 1000)));
  }
  const alwaysMedian = [...alwaysRuns].sort((a, b) => a - b)[alwaysRuns.length >> 1];
  console.log(
    `  audit sink fsync 'always' (group commit): ${alwaysRuns.map((x) => x.toLocaleString('en-US')).join(', ')} events/s over ${alwaysRuns.length} run(s) of ${n.toLocaleString('en-US')}`,
  );
  targets.push(
    target("fsync 'always' commits in groups and reaches >= 60,000 events/s", alwaysMedian >= 60_000, `${alwaysMedian.toLocaleString('en-US')} events/s`),
  );

  result.joins = results;
  result.always = { events: n, eventsPerSecRuns: alwaysRuns, eventsPerSec: alwaysMedian, burst };
  result.targets = targets;
  result.inputs = { yieldEvery: YIELD_EVERY };
  for (const gate of gates) await gate.close();
  await geo.close?.();
} finally {
  for (const sink of sinks) await sink.close().catch(() => undefined);
  destination?.flushSync?.();
  rmSync(dir, { recursive: true, force: true });
}
save(out, '7-audit', result);
