import { expect, test } from 'vitest';
import { converged, eventually, join, storeIds, useFleet, type FleetNode } from './helpers/fleet/cluster.js';
import { describeWithRedis, takedown } from './helpers/redis-server.js';

describeWithRedis('fleet: Redis restarted under a fleet', () => {
  const fleet = useFleet();

  test('SIGKILL while two nodes write restrictions, restart with data: every node converges on the store and removes what it covers', async () => {
    const redis = await fleet.redis({ persistence: true });
    const all = await fleet.readyNodes(redis.url, ['one', 'two', 'three']);
    const [one, two, three] = all as [FleetNode, FleetNode, FleetNode];
    // Node three holds one CN and one HK participant in every meeting a writer may restrict.
    const M = 400;
    const joins = Array.from({ length: M }, (_, i) => [join(`w-${i}`, 'cn', 'cn', i), join(`w-${i}`, 'hk', 'hk', i)]).flat();
    expect((await three.call<{ admitted: number }>('admitMany', { joins })).admitted).toBe(2 * M);

    let next = 0;
    let writing = true;
    const acked: string[] = [];
    const refusals: string[] = [];
    const writer = async (node: FleetNode) => {
      while (writing && next < M) {
        const id = `w-${next++}`;
        try {
          await node.call('restrict', { doc: takedown(id, id) });
          acked.push(id);
        } catch (error) {
          refusals.push((error as { code?: string }).code ?? String(error));
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const writers = Promise.all([writer(one), writer(two)]);
    await eventually(() => acked.length >= 30, '30 acknowledged restrictions');
    await redis.kill();
    await eventually(() => refusals.length >= 4, 'writes to be refused while Redis is down');
    await redis.restart({ keepData: true });
    const ackedBeforeRestart = acked.length;
    await eventually(() => acked.length >= ackedBeforeRestart + 20, '20 more restrictions after the restart');
    writing = false;
    await writers;

    expect(new Set(refusals)).toEqual(new Set(['E_STORE_UNAVAILABLE']));
    const final = await converged(all, redis.url, 15_000);
    // Every acknowledged write survived (appendfsync always); a write cut off mid-flight may or may not have.
    for (const id of acked) expect(final).toContain(id);
    // Node three removed exactly the CN participant of each meeting the store restricts, and nobody else.
    await eventually(() => three.removed().length === final.length, 'node three to remove one participant per restriction');
    expect(
      three
        .removed()
        .map((e) => e.participant.meetingId)
        .sort(),
    ).toEqual(final);
    expect(three.removed().every((e) => e.participant.participantId === 'cn')).toBe(true);
    const present = await three.call<{ meetingId: string; participantId: string }[]>('participants');
    expect(present.filter((p) => p.participantId === 'hk')).toHaveLength(M);
    expect(present.filter((p) => p.participantId === 'cn')).toHaveLength(M - final.length);
    console.log(`kill mid-stream: ${acked.length} acknowledged, ${refusals.length} refused, store holds ${final.length}`);
  });

  test('restart without data: every node keeps enforcing, reports the loss loudly, and a reseed restores the store', async () => {
    const redis = await fleet.redis();
    const all = await fleet.readyNodes(redis.url, ['one', 'two', 'three']);
    const [one, two, three] = all as [FleetNode, FleetNode, FleetNode];
    await one.call('restrict', { doc: takedown('r1', 'm-1') });
    await two.call('restrict', { doc: takedown('r2', 'm-2') });
    await converged(all, redis.url);

    await redis.kill();
    await redis.restart({ keepData: false });
    await eventually(() => all.every((n) => n.gateEvents().includes('store.regressed')), 'store.regressed on every node');
    expect(await storeIds(redis.url)).toEqual([]);
    for (const node of all) {
      // Loud: store.regressed and an error event telling the operator to re-seed.
      const regressed = node.events.find((e) => e.event === 'gate' && e.type === 'store.regressed');
      expect(regressed).toMatchObject({ payload: { store: 'redis', message: expect.stringContaining('reseed') } });
      const error = node.events.find((e) => e.event === 'gate' && e.type === 'error' && /lost its history/.test(String(e.payload.message)));
      expect(error).toMatchObject({ payload: { context: 'store' } });
      // Nothing was lifted: the known restrictions stay in force.
      expect(node.gateEvents()).not.toContain('restriction.lifted');
      expect(await node.call('restrictions')).toEqual(['r1', 'r2']);
      expect(await node.call('admit', { join: join('m-1', `cn-${node.name}`, 'cn') })).toMatchObject({ admitted: false });
      expect(await node.call('admit', { join: join('m-2', `cn-${node.name}`, 'cn') })).toMatchObject({ admitted: false });
    }

    expect(await three.call('reseed')).toMatchObject({ written: ['r1', 'r2'], existing: [] });
    expect(await storeIds(redis.url)).toEqual(['r1', 'r2']);
    // A second node re-seeding the same set changes nothing.
    expect(await one.call('reseed')).toMatchObject({ written: [], existing: ['r1', 'r2'] });
    // A node that starts now loads the restored set, and the fleet follows new changes again.
    const [late] = await fleet.readyNodes(redis.url, ['late']);
    await late!.call('admit', { join: join('m-3', 'cn-late', 'cn') });
    await two.call('admit', { join: join('m-3', 'cn-two', 'cn', 9) });
    await one.call('restrict', { doc: takedown('r3', 'm-3') });
    await eventually(() => late!.removed().length === 1 && two.removed().length === 1, 'r3 removals on late and two');
    expect(await converged([...all, late!], redis.url)).toEqual(['r1', 'r2', 'r3']);
    // Reported once per node, not on every later change.
    for (const node of all) expect(node.gateEvents().filter((t) => t === 'store.regressed')).toHaveLength(1);
  });
});
