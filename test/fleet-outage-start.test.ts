import { expect, test } from 'vitest';
import { createRedisRestrictionStore } from 'geoadmit/redis';
import { converged, eventually, join, useFleet } from './helpers/fleet/cluster.js';
import { describeWithRedis, freePort, takedown } from './helpers/redis-server.js';

describeWithRedis('fleet: Redis unreachable when a node starts', () => {
  const fleet = useFleet();

  test('without last-known restrictions, ready() rejects with E_STORE_UNAVAILABLE after a bounded wait', async () => {
    const node = await fleet.node({ name: 'lonely', url: `redis://127.0.0.1:${await freePort()}` });
    const started = Date.now();
    await expect(node.call('ready')).rejects.toMatchObject({ name: 'GeoadmitError', code: 'E_STORE_UNAVAILABLE' });
    // connectTimeoutMs is 400: one bounded attempt, not a retry loop.
    expect(Date.now() - started).toBeLessThan(3000);
  });

  test('with last-known restrictions the node is ready and enforces them; once Redis appears it catches up, keeps what the store lacks and says so', async () => {
    const redis = await fleet.redis({ persistence: true });
    // The store already holds a restriction the node has never seen.
    const seeder = createRedisRestrictionStore({ url: redis.url, connectTimeoutMs: 400 });
    await seeder.put(takedown('stored', 'm-2'));
    await seeder.close();
    await redis.stop();

    const node = await fleet.node({ name: 'cold', url: redis.url, lastKnownRestrictions: [takedown('known', 'm-1')] });
    await node.call('ready');
    expect(await node.call('restrictions')).toEqual(['known']);
    expect(await node.call('admit', { join: join('m-1', 'cn-1', 'cn') })).toMatchObject({
      admitted: false,
      reasons: [{ code: 'region-restricted', restrictionId: 'known' }],
    });
    // Not yet known here: admitted for now, removed once the node catches up.
    expect(await node.call('admit', { join: join('m-2', 'cn-2', 'cn') })).toMatchObject({ admitted: true });
    expect(await node.call('admit', { join: join('m-2', 'hk-2', 'hk') })).toMatchObject({ admitted: true });
    // The fallback is loud: an error event says the store was unreachable.
    const startError = node.events.find((e) => e.event === 'gate' && e.type === 'error');
    expect(startError).toMatchObject({ payload: { context: 'store', message: expect.stringContaining('unreachable at start') } });

    await redis.restart({ keepData: true });
    await eventually(() => node.removed().length === 1, 'the node to catch up and remove cn-2', 8000);
    expect(node.removed()[0]).toMatchObject({ participant: { meetingId: 'm-2', participantId: 'cn-2' }, restrictionId: 'stored' });
    expect(await node.call('participants')).toEqual([{ meetingId: 'm-2', participantId: 'hk-2' }]);
    // 'known' came from the operator but the store lacks it: a possible loss, so it stays enforced, loudly.
    expect(await node.call('restrictions')).toEqual(['known', 'stored']);
    expect(node.gateEvents()).toContain('store.reconnected');
    expect(node.gateEvents()).toContain('store.regressed');
    expect(node.gateEvents()).not.toContain('restriction.lifted');
    // Re-seeding writes it back; then node and store agree.
    await node.call('reseed');
    expect(await converged([node], redis.url)).toEqual(['known', 'stored']);

    // And it now follows changes made by others.
    const other = await fleet.node({ name: 'warm', url: redis.url });
    await other.call('ready');
    await node.call('admit', { join: join('m-3', 'cn-3', 'cn') });
    await other.call('restrict', { doc: takedown('later', 'm-3') });
    await eventually(() => node.removed().length === 2, 'the later restriction to reach the node');
    expect(await converged([node, other], redis.url)).toEqual(['known', 'later', 'stored']);
  });
});
