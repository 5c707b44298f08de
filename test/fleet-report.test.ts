/**
 * The record of a fleet: each node writes its own audit log, and the report
 * merged from them counts each meeting once. Before, "meetings undisturbed"
 * was a sum of nodes: 3 here, where only one meeting (m-3) went undisturbed,
 * contradicting the report's own scoped figure.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { createGate, StaticResolver } from 'geoadmit';
import { createJsonlAuditSink } from 'geoadmit/audit';
import { buildTransparencyReport } from 'geoadmit/report';
import { createRedisRestrictionStore } from 'geoadmit/redis';
import { STATIC_TABLE } from './helpers/fixtures.js';
import { describeWithRedis, startRedis } from './helpers/redis-server.js';
import { makeTempDir } from './helpers/temp-dir.js';

describeWithRedis('a report merged from a fleet’s logs', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  test('counts meetings undisturbed once for the fleet, and every event names its node', async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.dispose());
    const temp = makeTempDir('geoadmit-fleet-report-');
    const dir = temp.dir;
    cleanup.push(async () => temp.cleanup());

    const node = async (nodeId: string) => {
      const store = createRedisRestrictionStore({ url: redis.url, connectTimeoutMs: 400, blockMs: 200 });
      const gate = createGate({ geo: new StaticResolver(STATIC_TABLE as never), restrictions: store, nodeId, fleetTimeoutMs: 2000 });
      const sink = createJsonlAuditSink(join(dir, `${nodeId}.jsonl`));
      sink.attach(gate);
      cleanup.push(
        () => store.close(),
        () => gate.close(),
        () => sink.close(),
      );
      await gate.ready();
      return { gate, sink, path: join(dir, `${nodeId}.jsonl`) };
    };
    const a = await node('node-a');
    const b = await node('node-b');
    // m-1: CN on A. m-2: HK on A, CN on B. m-3: US on A and on B.
    await a.gate.admit({ meetingId: 'm-1', participantId: 'a1', peerAddress: '1.2.4.8' });
    await a.gate.admit({ meetingId: 'm-2', participantId: 'a2', peerAddress: '202.181.0.1' });
    await a.gate.admit({ meetingId: 'm-3', participantId: 'a3', peerAddress: '9.9.9.9' });
    await b.gate.admit({ meetingId: 'm-2', participantId: 'b2', peerAddress: '1.2.4.9' });
    await b.gate.admit({ meetingId: 'm-3', participantId: 'b3', peerAddress: '9.9.9.8' });
    const deadline = Date.now() + 5000;
    while ((await a.gate.nodes()).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));

    const result = await a.gate.restrict({
      id: 'req-1',
      authority: { name: 'Example Authority', jurisdiction: 'CN' },
      regions: ['CN'],
      scope: { meetings: ['m-1', 'm-2', 'm-3'] },
    });
    expect(result.coverage.complete).toBe(true);
    expect(result.meetingsUndisturbed).toEqual(['m-3']);
    await a.sink.flush();
    await b.sink.flush();

    const report = await buildTransparencyReport([a.path, b.path]);
    const total = report.governmentDemands.total;
    expect(total.restrictionsAccepted).toBe(1);
    expect(total.participantsRemoved).toBe(2);
    // Node A alone: m-2 and m-3 undisturbed; node B: m-3. The fleet: m-3 only.
    expect(total.meetingsUndisturbed).toBe(1);
    expect(total.scopedMeetingsUndisturbed).toBe(1);

    const lines = readFileSync(a.path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { event: { type: string; node?: string } }).event);
    const gateEvents = lines.filter((l) => ['decision', 'removal', 'restriction.accepted'].includes(l.type));
    expect(gateEvents.length).toBeGreaterThan(0);
    expect(new Set(gateEvents.map((l) => l.node))).toEqual(new Set(['node-a']));
  });
});
