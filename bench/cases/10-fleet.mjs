// 10. Fleet: 20 gates (each with its own Redis store and connections, as 20
// nodes would have) in one process on one local redis-server. Times the
// fleet-wide `preview` and `restrict` (every node answers; full coverage
// required) at p50 / p99, and a node starting on a store of 10,000
// restrictions (createGate → ready) against the store's bare snapshot call.
// Needs redis-server on PATH; skipped with a message otherwise.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGate, StaticResolver } from 'geoadmit';
import { createRedisRestrictionStore } from 'geoadmit/redis';
import { flags, round3, save, target } from '../lib/common.mjs';

const { quick, out } = flags();
const NODES = 20;
const PER_NODE = quick ? 20 : 200;
const MEETINGS = 100;
const REPS = quick ? 20 : 300;
const STARTUP_RESTRICTIONS = quick ? 1_000 : 10_000;
const STARTUP_REPS = quick ? 2 : 7;

const redisServer = spawnSync('/bin/sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
if (redisServer === '') {
  console.log('\n10. Fleet: skipped (redis-server not found; install it: apt-get install redis-server)');
  save(out, '10-fleet', { skipped: 'redis-server not found' });
  process.exit(0);
}

const port = await new Promise((resolve) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const dir = mkdtempSync(join(tmpdir(), 'geoadmit-bench-redis-'));
const server = spawn(redisServer, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
const url = `redis://127.0.0.1:${port}`;

const geo = new StaticResolver({ '1.2.4.0/24': 'CN', '9.9.9.0/24': 'US' });
const doc = (id, meetings) => ({ id, authority: { name: 'Example Authority', jurisdiction: 'CN' }, regions: ['CN'], scope: { meetings } });
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};
const median = (xs) => quantile(xs, 0.5);

const stores = [];
const gates = [];
try {
  // Wait for the server.
  for (let i = 0; ; i++) {
    const probe = createRedisRestrictionStore({ url, connectTimeoutMs: 200 });
    const ok = await probe.snapshot().then(
      () => true,
      () => false,
    );
    await probe.close();
    if (ok) break;
    if (i > 100) throw new Error('redis-server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }

  for (let n = 0; n < NODES; n++) {
    const store = createRedisRestrictionStore({ url, prefix: '{fleet}:' });
    const gate = createGate({ geo, restrictions: store, nodeId: `node-${String(n).padStart(2, '0')}`, onRemove: () => undefined });
    stores.push(store);
    gates.push(gate);
  }
  await Promise.all(gates.map((g) => g.ready()));
  // Every node: participants spread over the meetings, one in four located in CN.
  const admitAll = async (gate, n) => {
    for (let i = 0; i < PER_NODE; i++) {
      const cn = i % 4 === 0;
      await gate.admit({ meetingId: `m-${i % MEETINGS}`, participantId: `p-${n}-${i}`, peerAddress: `${cn ? '1.2.4' : '9.9.9'}.${(i % 250) + 1}` });
    }
  };
  await Promise.all(gates.map(admitAll));
  for (let i = 0; (await gates[0].nodes()).length < NODES; i++) {
    if (i > 200) throw new Error('not every node became live');
    await new Promise((r) => setTimeout(r, 25));
  }

  console.log(
    `\n10. Fleet: ${NODES} gates on one Redis in one process, ${PER_NODE} participants each (p50 / p99 of ${REPS}; every answer must cover all nodes)`,
  );
  let incomplete = 0;
  const previewMs = [];
  for (let k = 0; k < REPS; k++) {
    const asker = gates[k % NODES];
    const t0 = process.hrtime.bigint();
    const r = await asker.preview(doc(`preview-${k}`, [`m-${k % MEETINGS}`, `m-${(k + 37) % MEETINGS}`]));
    previewMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (!r.coverage.complete || r.coverage.nodes.length !== NODES) incomplete++;
  }
  const restrictMs = [];
  let removed = 0;
  for (let k = 0; k < REPS; k++) {
    const asker = gates[k % NODES];
    const meeting = `m-${(k * 4) % MEETINGS}`; // meetings with CN participants: every restrict removes someone on every node
    const t0 = process.hrtime.bigint();
    const r = await asker.restrict(doc(`restrict-${k}`, [meeting]));
    restrictMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (!r.coverage.complete || r.coverage.nodes.length !== NODES) incomplete++;
    removed += r.removed.length;
    // Not timed: lift it and let the removed participants back in, everywhere.
    await asker.lift(`restrict-${k}`);
    await Promise.all(
      r.removed.map((p) => {
        const gate = gates[Number(p.nodeId.slice(5))];
        return gate.admit({ meetingId: p.meetingId, participantId: p.participantId, peerAddress: '1.2.4.9' });
      }),
    );
  }
  const rows = {
    preview: { p50: round3(median(previewMs)), p99: round3(quantile(previewMs, 0.99)), max: round3(Math.max(...previewMs)) },
    restrict: { p50: round3(median(restrictMs)), p99: round3(quantile(restrictMs, 0.99)), max: round3(Math.max(...restrictMs)) },
  };
  for (const [name, r] of Object.entries(rows))
    console.log(`  ${name.padEnd(9)} p50 ${r.p50.toFixed(2).padStart(7)} ms  p99 ${r.p99.toFixed(2).padStart(7)} ms  max ${r.max.toFixed(2)} ms`);
  console.log(`  restrict removed ${(removed / REPS).toFixed(1)} participants per call across the fleet; answers not covering every node: ${incomplete}`);

  for (const g of gates) await g.close();
  for (const s of stores) await s.close();
  gates.length = 0;
  stores.length = 0;

  // Startup: a store holding many restrictions.
  const seed = createRedisRestrictionStore({ url, prefix: '{startup}:', maxStreamLength: 0 });
  const docs = Array.from({ length: STARTUP_RESTRICTIONS }, (_, i) => doc(`startup-${String(i).padStart(5, '0')}`, [`m-${i}`]));
  for (let i = 0; i < docs.length; i += 1000) await seed.reseed(docs.slice(i, i + 1000));
  await seed.close();
  const bare = [];
  const ready = [];
  for (let k = 0; k < STARTUP_REPS; k++) {
    // Each: a new store (a new connection), as a starting node has.
    let store = createRedisRestrictionStore({ url, prefix: '{startup}:' });
    let t0 = process.hrtime.bigint();
    const snap = await store.snapshot();
    bare.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (snap.restrictions.length !== STARTUP_RESTRICTIONS) throw new Error('the store does not hold every restriction');
    await store.close();
    store = createRedisRestrictionStore({ url, prefix: '{startup}:' });
    t0 = process.hrtime.bigint();
    const gate = createGate({ geo, restrictions: store, nodeId: `startup-${k}` });
    await gate.ready();
    ready.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (gate.restrictions().length !== STARTUP_RESTRICTIONS) throw new Error('the gate did not load every restriction');
    await gate.close();
    await store.close();
  }
  const startup = { restrictions: STARTUP_RESTRICTIONS, snapshotMs: round3(median(bare)), readyMs: round3(median(ready)) };
  startup.ratio = round3(startup.readyMs / startup.snapshotMs);
  console.log(
    `  startup with ${STARTUP_RESTRICTIONS.toLocaleString('en-US')} restrictions: ready ${startup.readyMs.toFixed(1)} ms, bare snapshot ${startup.snapshotMs.toFixed(1)} ms (${startup.ratio}x; median of ${STARTUP_REPS})`,
  );

  const targets = [
    target(`preview across ${NODES} nodes, full coverage, p99 < 50 ms`, rows.preview.p99 < 50 && incomplete === 0, `${rows.preview.p99} ms`),
    target(`restrict across ${NODES} nodes, full coverage, p99 < 50 ms`, rows.restrict.p99 < 50 && incomplete === 0, `${rows.restrict.p99} ms`),
    target('startup with the restrictions < 4x the bare snapshot', startup.ratio < 4, `${startup.ratio}x`),
  ];
  save(out, '10-fleet', { nodes: NODES, participantsPerNode: PER_NODE, reps: REPS, timings: rows, incomplete, startup, targets });
} finally {
  for (const g of gates) await g.close();
  for (const s of stores) await s.close();
  server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
