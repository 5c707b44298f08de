/**
 * One RestrictionStore contract (`restrictionStoreContract` of geoadmit/testing), run against the in-memory
 * store and the Redis store on a real redis-server. Where the in-memory twin does not behave like
 * the store it stands in for, the test says so and fails.
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import { InMemoryRestrictionStore, type RestrictionStore } from 'geoadmit';
import { createRedisRestrictionStore } from 'geoadmit/redis';
import { restrictionStoreContract } from 'geoadmit/testing';
import { describeWithRedis, useRedisServer } from './helpers/redis-server.js';

const opened: RestrictionStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close?.()));
});

describe('RestrictionStore contract: InMemoryRestrictionStore', () => {
  restrictionStoreContract(
    { test, expect },
    async () => {
      const store = new InMemoryRestrictionStore();
      opened.push(store);
      return { store, peer: () => store };
    },
    {
      // Reported to the store's owner (issue 15); each turns red here once fixed.
      closed: 'InMemoryRestrictionStore.close() only drops subscribers; put/delete/snapshot/subscribe keep working',
      'malformed-versions': 'InMemoryRestrictionStore.compareVersions reads any string as a number (NaN -> 0) instead of refusing it',
    },
  );
});

describeWithRedis('RestrictionStore contract: Redis store (geoadmit/redis)', () => {
  const server = useRedisServer();
  let n = 0;
  restrictionStoreContract({ test, expect }, async () => {
    // A fresh key prefix per test: an empty store on the shared server.
    const prefix = `contract-${++n}:`;
    const open = () => {
      const store = createRedisRestrictionStore({ url: server.redis.url, prefix, blockMs: 100 });
      opened.push(store);
      return store;
    };
    return { store: open(), peer: open };
  });
});

/** A lift must reach followers even when the store lost the restriction: `delete(id, { always: true })`. */
function deleteAlwaysContract(open: () => Promise<RestrictionStore>) {
  test('delete({ always: true }) of a missing id is recorded as a change that reaches subscribers; without it nothing is written', async () => {
    const store = await open();
    const { version } = await store.snapshot();
    expect(await store.delete('gone')).toEqual({ version, existed: false });
    const seen: string[] = [];
    const stop = store.subscribe(version, { onChange: (change) => void seen.push(`${change.op}:${change.id}`) });
    const removed = await store.delete('gone', { always: true });
    expect(removed.existed).toBe(false);
    expect(store.compareVersions(removed.version, version)).toBeGreaterThan(0);
    await vi.waitFor(() => expect(seen).toEqual(['delete:gone']), { timeout: 5000 });
    expect((await store.snapshot()).restrictions).toEqual([]);
    stop();
  });
}

describe('delete always: InMemoryRestrictionStore', () => {
  deleteAlwaysContract(async () => {
    const store = new InMemoryRestrictionStore();
    opened.push(store);
    return store;
  });
});

describeWithRedis('delete always and the fleet channel: Redis store', () => {
  const server = useRedisServer();
  let n = 0;
  const problems: string[] = [];
  const open = (prefix = `{contract-x-${++n}}:`) => {
    const store = createRedisRestrictionStore({ url: server.redis.url, prefix, blockMs: 100, onError: (e) => void problems.push(e.message) });
    opened.push(store);
    return store;
  };
  deleteAlwaysContract(async () => open());

  test('fleet channel: announcements by the server clock, members, leave, questions to all, answers to one', async () => {
    const prefix = '{contract-fleet}:';
    const one = open(prefix);
    const two = open(prefix);
    await one.fleet.announce({ nodeId: 'n-1', participants: 3, version: '5-0' });
    await two.fleet.announce({ nodeId: 'n-2', participants: 0, version: '5-0' });
    const read = await one.fleet.members();
    expect(read.members.map((m) => [m.nodeId, m.participants, m.version]).sort()).toEqual([
      ['n-1', 3, '5-0'],
      ['n-2', 0, '5-0'],
    ]);
    for (const m of read.members) expect(read.now - m.lastSeen).toBeLessThan(5000);
    const got1: string[] = [];
    const got2: string[] = [];
    const l1 = one.fleet.listen('n-1', (m) => void got1.push(`${m.kind}:${m.from}`));
    const l2 = two.fleet.listen('n-2', (m) => void got2.push(`${m.kind}:${m.from}`));
    await Promise.all([l1.ready, l2.ready]);
    await one.fleet.send({ kind: 'question', id: 'q1', from: 'n-1', to: '', body: { op: 'overview' } });
    await two.fleet.send({ kind: 'answer', id: 'q1', from: 'n-2', to: 'n-1', body: { ok: true, part: [] } });
    await vi.waitFor(() => {
      expect(got1).toEqual(['question:n-1', 'answer:n-2']);
      expect(got2).toEqual(['question:n-1']);
    });
    // Hostile traffic on the channels is dropped, not delivered.
    await server.admin.publish(`${prefix}fleet`, 'not json');
    await server.admin.publish(`${prefix}fleet`, JSON.stringify({ kind: 'question', id: 7, from: 'x' }));
    await vi.waitFor(() => expect(problems.filter((p) => p.includes('not a fleet message'))).toHaveLength(4));
    await two.fleet.leave('n-2');
    expect((await one.fleet.members()).members.map((m) => m.nodeId)).toEqual(['n-1']);
    l1.stop();
    l2.stop();
    expect(got2).toEqual(['question:n-1']);
  });
});
