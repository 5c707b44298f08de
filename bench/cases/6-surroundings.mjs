// 6. Throughput of the surroundings: `geoadmit replay` on a large join log,
// and the JSON Lines audit sink with each fsync mode.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGate, MaxMindResolver, normalizeAddress } from 'geoadmit';
import { createJsonlAuditSink } from 'geoadmit/audit';
import { addressMix, cnTakedown, DB_PATH, flags, ROOT, round1, save, sizes } from '../lib/common.mjs';
import { joinsFor } from '../lib/setup.mjs';

const { quick, out } = flags();
const size = sizes(quick);
const dir = mkdtempSync(join(tmpdir(), 'geoadmit-bench-'));
const result = {};
try {
  const addresses = addressMix(normalizeAddress, size);
  const joins = joinsFor(addresses);

  // --- replay ---------------------------------------------------------------
  console.log(`\n6. Surroundings`);
  const cli = join(ROOT, 'dist/cli.js');
  if (!existsSync(cli)) {
    console.log('  replay: skipped (dist/cli.js not built: the CLI is not in this build)');
    result.replay = { skipped: 'dist/cli.js missing' };
  } else {
    const file = join(dir, 'joins.jsonl');
    const stream = createWriteStream(file);
    for (let i = 0; i < size.replayLines; i++) {
      const j = joins[i % joins.length];
      const line = `${JSON.stringify({ meetingId: `m-${i % 5000}`, hostAccountId: j.hostAccountId, participantId: `p-${i}`, peerAddress: j.peerAddress })}\n`;
      if (!stream.write(line)) await new Promise((r) => stream.once('drain', r));
    }
    await new Promise((r) => stream.end(r));
    const restrictions = join(dir, 'restrictions.json');
    writeFileSync(restrictions, JSON.stringify([cnTakedown('replay-cn', { meetings: Array.from({ length: 100 }, (_, m) => `m-${m}`) })]));
    const t0 = process.hrtime.bigint();
    const run = spawnSync(process.execPath, [cli, 'replay', file, '--restrictions', restrictions, '--db', DB_PATH, '--json', '--no-progress'], {
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const t1 = process.hrtime.bigint();
    spawnSync(process.execPath, [cli, '--version'], { encoding: 'utf8' });
    const startupMs = Number(process.hrtime.bigint() - t1) / 1e6;
    if (run.status !== 0 && run.status !== 1) {
      console.log(`  replay: failed with exit ${run.status}: ${run.stderr.slice(0, 300)}`);
      result.replay = { failed: run.status, stderr: run.stderr.slice(0, 1000) };
    } else {
      const perSec = size.replayLines / (ms / 1000);
      const netPerSec = size.replayLines / (Math.max(ms - startupMs, 1) / 1000);
      console.log(
        `  geoadmit replay: ${size.replayLines.toLocaleString('en-US')} lines in ${(ms / 1000).toFixed(2)} s = ${Math.round(perSec).toLocaleString('en-US')} joins/s (${Math.round(netPerSec).toLocaleString('en-US')}/s without the ${startupMs.toFixed(0)} ms process start)`,
      );
      result.replay = {
        lines: size.replayLines,
        ms: round1(ms),
        joinsPerSec: Math.round(perSec),
        startupMs: round1(startupMs),
        joinsPerSecExcludingStartup: Math.round(netPerSec),
      };
    }
  }

  // --- audit sink -------------------------------------------------------------
  const geo = await MaxMindResolver.open(DB_PATH);
  const gate = createGate({ geo, restrictions: [cnTakedown()] });
  const events = [];
  const off = gate.on('decision', (e) => events.push(e));
  for (let i = 0; i < 1000; i++) await gate.admit(joins[i]);
  off();
  result.sink = {};
  for (const fsync of ['never', 'interval', 'always']) {
    const n = fsync === 'always' ? size.sinkAlways : size.sinkEvents;
    const sink = createJsonlAuditSink(join(dir, `audit-${fsync}.jsonl`), { fsync });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink.write(events[i % events.length]);
    await sink.flush();
    await sink.close();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const perSec = Math.round(n / (ms / 1000));
    console.log(`  audit sink fsync '${fsync}': ${n.toLocaleString('en-US')} events in ${ms.toFixed(0)} ms = ${perSec.toLocaleString('en-US')} events/s`);
    result.sink[fsync] = { events: n, ms: round1(ms), eventsPerSec: perSec };
  }
  await gate.close();
  await geo.close?.();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
save(out, '6-surroundings', result);
