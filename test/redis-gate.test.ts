import { afterEach, expect, test } from 'vitest';
// Imported from their folders rather than the package barrel, which other work in progress may break.
import { createGate, type ParticipantRef } from 'geoadmit';
import { StaticResolver } from 'geoadmit';
import { createRedisRestrictionStore } from 'geoadmit/redis';
import { STATIC_TABLE } from './helpers/fixtures.js';
import { describeWithRedis, startRedis, takedown, waitFor, type TestRedis } from './helpers/redis-server.js';

describeWithRedis('Redis restriction store behind gates', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function setup(redis: TestRedis) {
    const store = createRedisRestrictionStore({ url: redis.url, connectTimeoutMs: 400, blockMs: 200 });
    const removed: ParticipantRef[] = [];
    const events: string[] = [];
    const gate = createGate({ geo: new StaticResolver(STATIC_TABLE as never), restrictions: store, onRemove: (p) => void removed.push(p) });
    for (const t of ['store.disconnected', 'store.reconnected', 'store.regressed', 'error'] as const) gate.on(t, (e) => events.push(e.type));
    cleanup.push(
      () => store.close(),
      () => gate.close(),
    );
    await gate.ready();
    return { gate, store, removed, events };
  }
  async function redisServer() {
    const redis = await startRedis();
    cleanup.push(() => redis.dispose());
    return redis;
  }

  test('a restriction made through one node removes participants on another; a lift reaches back', async () => {
    const redis = await redisServer();
    const [one, two] = [await setup(redis), await setup(redis)];
    await two.gate.admit({ meetingId: 'm-1', participantId: 'cn', peerAddress: '1.2.4.8' });
    await two.gate.admit({ meetingId: 'm-1', participantId: 'hk', peerAddress: '202.181.0.1' });

    await one.gate.restrict(takedown('req-1'));
    await waitFor(() => two.removed.length === 1, 'node two to remove the participant');
    expect(two.removed).toEqual([{ meetingId: 'm-1', participantId: 'cn' }]);
    expect((await two.gate.admit({ meetingId: 'm-1', participantId: 'cn2', peerAddress: '1.2.4.9' })).admitted).toBe(false);

    await two.gate.lift('req-1');
    await waitFor(() => one.gate.restrictions().length === 0, 'the lift to reach node one');
    expect((await one.gate.admit({ meetingId: 'm-1', participantId: 'cn3', peerAddress: '1.2.4.10' })).admitted).toBe(true);
  });

  test('Redis restarted empty: nodes keep enforcing, report the regression, and reseed restores the store', async () => {
    const redis = await redisServer();
    const node = await setup(redis);
    await node.gate.restrict(takedown('req-2'));
    await redis.kill();
    await redis.restart({ keepData: false });
    await waitFor(() => node.events.includes('store.regressed'), 'store.regressed through the gate');
    expect(node.gate.restrictions().map((r) => r.id)).toEqual(['req-2']);
    expect((await node.gate.admit({ meetingId: 'm-1', participantId: 'p', peerAddress: '1.2.4.8' })).admitted).toBe(false);

    const result = await node.store.reseed(node.gate.restrictions().map((r) => r.source as never));
    expect(result.written).toEqual(['req-2']);
    const late = await setup(redis);
    expect(late.gate.restrictions().map((r) => r.id)).toEqual(['req-2']);
    expect(node.gate.restrictions().map((r) => r.id)).toEqual(['req-2']);

    // Versions of the new history are lower than those the node knew: a lift must still reach it.
    await late.gate.lift('req-2');
    await waitFor(() => node.gate.restrictions().length === 0, 'the lift to reach the node after the regression');
    expect((await node.gate.admit({ meetingId: 'm-1', participantId: 'p2', peerAddress: '1.2.4.8' })).admitted).toBe(true);
  });
});
