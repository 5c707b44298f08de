import { expect, test } from 'vitest';
import { converged, join, useFleet, type FleetNode } from './helpers/fleet/cluster.js';
import { describeWithRedis, takedown } from './helpers/redis-server.js';

describeWithRedis('fleet: nodes racing on the same restriction id', () => {
  const fleet = useFleet();

  test('the same id restricted through three nodes at once: one wins, the others are refused, every node enforces the winner', async () => {
    const redis = await fleet.redis();
    const nodes = await fleet.readyNodes(redis.url, ['one', 'two', 'three']);
    const rounds = 30;
    let refused = 0;
    for (let i = 0; i < rounds; i++) {
      const results = await Promise.allSettled(nodes.map((n: FleetNode) => n.call('restrict', { doc: takedown(`race-${i}`, `m-${i}`) })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') {
          expect(r.reason).toMatchObject({ code: 'E_INVALID_RESTRICTION' });
          refused += 1;
        }
      }
    }
    expect(refused).toBe(2 * rounds);
    // A node that lost the race must still enforce the winner's restriction.
    const final = await converged(nodes, redis.url, 5000);
    expect(final).toHaveLength(rounds);
    for (const node of nodes) {
      expect(await node.call('admit', { join: join(`m-${rounds - 1}`, `cn-${node.name}`, 'cn') })).toMatchObject({ admitted: false });
    }
  });
});
