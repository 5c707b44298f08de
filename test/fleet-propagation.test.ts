import { Redis } from 'ioredis';
import { expect, test } from 'vitest';
import { elapsedMs, eventually, join, quantile, useFleet, type FleetNode } from './helpers/fleet/cluster.js';
import { describeWithRedis, takedown } from './helpers/redis-server.js';

describeWithRedis('fleet: gates in separate processes sharing Redis', () => {
  const fleet = useFleet();

  async function threeNodes() {
    const redis = await fleet.redis();
    const nodes = await fleet.readyNodes(redis.url, ['one', 'two', 'three']);
    return { redis, nodes: nodes as [FleetNode, FleetNode, FleetNode] };
  }

  test('a restriction added through one process removes the matching participants in the others, and only those', async () => {
    const { redis, nodes } = await threeNodes();
    const [one, two, three] = nodes;
    // Each node has its own roster: the same meeting spread over the fleet.
    await two.call('admit', { join: join('m-1', 'cn-on-two', 'cn') });
    await two.call('admit', { join: join('m-1', 'hk-on-two', 'hk') });
    await three.call('admit', { join: join('m-1', 'cn-on-three', 'cn', 9) });
    await three.call('admit', { join: join('m-1', 'us-on-three', 'us') });
    await three.call('admit', { join: join('m-2', 'cn-other-meeting', 'cn', 10) });

    await one.call('restrict', { doc: takedown('req-1', 'm-1') });
    await eventually(() => two.removed().length === 1 && three.removed().length === 1, 'removals on nodes two and three');
    expect(two.removed().map((e) => e.participant)).toEqual([{ meetingId: 'm-1', participantId: 'cn-on-two' }]);
    expect(three.removed().map((e) => e.participant)).toEqual([{ meetingId: 'm-1', participantId: 'cn-on-three' }]);
    expect(await two.call('participants')).toEqual([{ meetingId: 'm-1', participantId: 'hk-on-two' }]);
    expect(await three.call('participants')).toEqual([
      { meetingId: 'm-1', participantId: 'us-on-three' },
      { meetingId: 'm-2', participantId: 'cn-other-meeting' },
    ]);
    // Node one had nobody to remove; every node now denies a new CN join to m-1.
    expect(one.removed()).toEqual([]);
    for (const node of nodes) {
      expect(await node.call('admit', { join: join('m-1', `late-${node.name}`, 'cn', 11) })).toMatchObject({
        admitted: false,
        reasons: [{ code: 'region-restricted', restrictionId: 'req-1', region: 'CN' }],
      });
    }

    // A lift through another node reaches every process.
    await three.call('lift', { id: 'req-1' });
    await eventually(async () => (await one.call<string[]>('restrictions')).length === 0, 'the lift to reach node one');
    await eventually(async () => (await two.call<string[]>('restrictions')).length === 0, 'the lift to reach node two');
    const admin = new Redis(redis.url);
    fleet.cleanup(() => admin.disconnect());
    expect(await admin.hkeys('{geoadmit}:restrictions')).toEqual([]);
  });

  test('propagation delay over 100 changes (restrict in node one → onRemove in nodes two and three)', async () => {
    const { nodes } = await threeNodes();
    const [one, two, three] = nodes;
    const N = 100;
    await Promise.all(
      [two, three].map((node) => Promise.all(Array.from({ length: N }, (_, i) => node.call('admit', { join: join(`prop-${i}`, `cn-${node.name}`, 'cn', i) })))),
    );
    const delays: number[] = [];
    for (let i = 0; i < N; i++) {
      const { startedAt } = await one.call<{ startedAt: string }>('restrict', { doc: takedown(`prop-${i}`, `prop-${i}`) });
      const removedIn = (node: FleetNode) => node.removed().find((e) => e.restrictionId === `prop-${i}`);
      await eventually(() => removedIn(two) !== undefined && removedIn(three) !== undefined, `removals for change ${i}`);
      for (const node of [two, three]) delays.push(elapsedMs(startedAt, removedIn(node)!.at));
    }
    expect(two.removed()).toHaveLength(N);
    expect(three.removed()).toHaveLength(N);
    expect(delays.every((d) => d > 0)).toBe(true);
    const [p50, p99, max] = [quantile(delays, 0.5), quantile(delays, 0.99), Math.max(...delays)];
    console.log(`fleet propagation over ${N} changes × 2 nodes: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${max.toFixed(2)} ms`);
  });
});
