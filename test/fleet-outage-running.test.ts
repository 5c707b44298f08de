import { expect, test } from 'vitest';
import { converged, eventually, join, storeIds, useFleet, type FleetNode } from './helpers/fleet/cluster.js';
import { startTcpProxy } from './helpers/fleet/tcp-proxy.js';
import { describeWithRedis, takedown } from './helpers/redis-server.js';

type AdmitResult = { admitted: boolean; ms: number };

describeWithRedis('fleet: Redis lost while nodes run', () => {
  const fleet = useFleet();

  /** Every node still enforces `before` on m-1, promptly, and admits those it does not cover. */
  async function stillEnforcing(all: FleetNode[], tag: string) {
    for (const node of all) {
      const denied = await node.call<AdmitResult>('admit', { join: join('m-1', `cn-${tag}-${node.name}`, 'cn') });
      const admitted = await node.call<AdmitResult>('admit', { join: join('m-1', `hk-${tag}-${node.name}`, 'hk') });
      expect(denied.admitted).toBe(false);
      expect(admitted.admitted).toBe(true);
      // Admission never waits on Redis (the store's timeout is 400 ms).
      expect(Math.max(denied.ms, admitted.ms)).toBeLessThan(100);
    }
  }

  async function writesRefused(node: FleetNode) {
    const started = Date.now();
    await expect(node.call('restrict', { doc: takedown('during', 'm-9') })).rejects.toMatchObject({ code: 'E_STORE_UNAVAILABLE' });
    await expect(node.call('lift', { id: 'before' })).rejects.toMatchObject({ code: 'E_STORE_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(3000);
    // Nothing half-applied on the node that tried.
    expect(await node.call('restrictions')).toEqual(['before']);
  }

  test('SIGKILL: every node keeps enforcing, reports the outage, refuses writes; after the restart they catch up and remove', async () => {
    const redis = await fleet.redis({ persistence: true });
    const all = await fleet.readyNodes(redis.url, ['one', 'two', 'three']);
    const [one, two, three] = all as [FleetNode, FleetNode, FleetNode];
    await one.call('restrict', { doc: takedown('before', 'm-1') });
    await converged(all, redis.url);

    await redis.kill();
    await eventually(() => all.every((n) => n.gateEvents().includes('store.disconnected')), 'store.disconnected on every node');
    await stillEnforcing(all, 'down');
    await writesRefused(two);
    // Joins the fleet cannot yet know to refuse: admitted now, removed on catch-up.
    await two.call('admit', { join: join('m-3', 'cn-two', 'cn') });
    await three.call('admit', { join: join('m-3', 'cn-three', 'cn', 9) });
    await three.call('admit', { join: join('m-3', 'us-three', 'us') });

    await redis.restart({ keepData: true });
    await eventually(() => all.every((n) => n.gateEvents().includes('store.reconnected')), 'store.reconnected on every node');
    // The refused writes left no trace: the store still holds exactly what it held.
    expect(await storeIds(redis.url)).toEqual(['before']);
    await one.call('restrict', { doc: takedown('after', 'm-3') });
    await eventually(() => two.removed().length === 1 && three.removed().length === 1, 'removals on two and three');
    expect(two.removed()[0]).toMatchObject({ participant: { participantId: 'cn-two' }, restrictionId: 'after' });
    expect(three.removed()[0]).toMatchObject({ participant: { participantId: 'cn-three' }, restrictionId: 'after' });
    expect(await three.call('participants', { meetingId: 'm-3' })).toEqual([{ meetingId: 'm-3', participantId: 'us-three' }]);
    expect(await converged(all, redis.url)).toEqual(['after', 'before']);
    for (const node of all) expect(node.gateEvents().filter((t) => t === 'store.disconnected')).toHaveLength(1);
  });

  test('a node cut off from Redis (partition) misses a restriction, then catches up and removes the participants it covers', async () => {
    const redis = await fleet.redis();
    const proxy = await startTcpProxy(redis.port);
    fleet.cleanup(() => proxy.close());
    const [one] = await fleet.readyNodes(redis.url, ['one']);
    const [cut] = await fleet.readyNodes(proxy.url, ['cut']);
    const all = [one!, cut!];
    await one!.call('restrict', { doc: takedown('before', 'm-1') });
    await converged(all, redis.url);
    await cut!.call('admit', { join: join('m-5', 'early', 'cn') });

    proxy.cut();
    await eventually(() => cut!.gateEvents().includes('store.disconnected'), 'store.disconnected on the cut-off node');
    expect(one!.gateEvents()).not.toContain('store.disconnected');
    // The rest of the fleet carries on; the cut-off node cannot hear of it yet.
    await one!.call('restrict', { doc: takedown('meanwhile', 'm-5') });
    expect(await cut!.call('admit', { join: join('m-5', 'late', 'cn', 9) })).toMatchObject({ admitted: true });
    await stillEnforcing([cut!], 'cut');
    await writesRefused(cut!);
    // A lift elsewhere is missed too: the cut-off node still enforces 'before' until it hears of it.
    await one!.call('lift', { id: 'before' });
    expect(await cut!.call('restrictions')).toEqual(['before']);

    proxy.restore();
    await eventually(() => cut!.removed().length === 2, 'the cut-off node to remove both participants');
    expect(
      cut!
        .removed()
        .map((e) => [e.participant.participantId, e.restrictionId])
        .sort(),
    ).toEqual([
      ['early', 'meanwhile'],
      ['late', 'meanwhile'],
    ]);
    expect(cut!.gateEvents()).toContain('store.reconnected');
    expect(await converged(all, redis.url)).toEqual(['meanwhile']);
    expect(await cut!.call('admit', { join: join('m-1', 'cn-after-lift', 'cn') })).toMatchObject({ admitted: true });
  });

  test('SIGSTOP (hung server): admission does not block, writes fail within the bound, and afterwards the store and every node agree', async () => {
    const redis = await fleet.redis();
    const all = await fleet.readyNodes(redis.url, ['one', 'two']);
    const [one, two] = all as [FleetNode, FleetNode];
    await one.call('restrict', { doc: takedown('before', 'm-1') });
    await converged(all, redis.url);
    await two.call('admit', { join: join('m-7', 'cn-two', 'cn') });

    redis.pause();
    const joins = Array.from({ length: 1000 }, (_, i) => join(`hung-${i % 10}`, `p-${i}`, i % 2 ? 'cn' : 'hk', i));
    const burst = await one.call<{ admitted: number; maxMs: number; totalMs: number }>('admitMany', { joins });
    expect(burst.admitted).toBe(1000);
    expect(burst.totalMs).toBeLessThan(1000);
    await stillEnforcing(all, 'hung');
    const started = Date.now();
    // The put is on the wire when no reply comes: the error must not claim that nothing changed.
    await expect(one.call('restrict', { doc: takedown('unsure', 'm-7') })).rejects.toMatchObject({
      code: 'E_STORE_UNAVAILABLE',
      message: expect.stringContaining('outcome is unknown'),
    });
    expect(Date.now() - started).toBeLessThan(3000);
    await eventually(() => all.every((n) => n.gateEvents().includes('store.disconnected')), 'store.disconnected on both nodes');

    redis.resume();
    await eventually(() => all.every((n) => n.gateEvents().includes('store.reconnected')), 'store.reconnected on both nodes');
    // Whatever Redis did with that put once it woke (here: applied it), the store and every node agree,
    // the writer included, and the removal on node two follows the store.
    const final = await converged(all, redis.url);
    expect(final).toContain('before');
    expect(two.removed().length).toBe(final.includes('unsure') ? 1 : 0);
  });
});
