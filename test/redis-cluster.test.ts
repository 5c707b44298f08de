/**
 * The Redis store on a real three-master Redis Cluster. Before: the store's
 * keys landed in different slots, so every call failed with
 * `E_STORE_UNAVAILABLE: ... CROSSSLOT` (reading like an outage, naming no
 * fix); `client` did not accept a `Cluster`; and `Cluster.duplicate()` was
 * handed the store's options as its startup-node list, dropping them.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createGate, type ParticipantRef, StaticResolver } from 'geoadmit';
import { createRedisRestrictionStore } from 'geoadmit/redis';
import type { Cluster } from 'ioredis';
import { STATIC_TABLE } from './helpers/fixtures.js';
import { describeWithRedis, takedown, waitFor } from './helpers/redis-server.js';
import { startRedisCluster, type TestCluster } from './helpers/redis-cluster.js';

describeWithRedis('Redis restriction store on a Redis Cluster', () => {
  let cluster: TestCluster;
  const clients: Cluster[] = [];
  const closers: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    cluster = await startRedisCluster({ password: 'cluster-secret' });
  }, 60_000);
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    for (const c of clients) c.disconnect();
    await cluster?.dispose();
  });

  function client(): Cluster {
    const c = cluster.client({ enableOfflineQueue: false });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  }

  async function node(nodeId: string) {
    const store = createRedisRestrictionStore({ client: client(), connectTimeoutMs: 1000, blockMs: 200 });
    const removed: ParticipantRef[] = [];
    const gate = createGate({
      geo: new StaticResolver(STATIC_TABLE as never),
      restrictions: store,
      nodeId,
      fleetTimeoutMs: 2000,
      onRemove: (p) => void removed.push(p),
    });
    closers.push(
      () => store.close(),
      () => gate.close(),
    );
    await gate.ready();
    return { gate, store, removed };
  }

  test('default options end to end: two gates, fleet-wide restrict with full coverage, lift, reseed', async () => {
    const a = await node('cluster-a');
    const b = await node('cluster-b');
    expect(a.store.metadata.prefix).toBe('{geoadmit}:');
    const deadline = Date.now() + 5000;
    while ((await a.gate.nodes()).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect((await a.gate.nodes()).map((n) => n.nodeId)).toEqual(['cluster-a', 'cluster-b']);

    await a.gate.admit({ meetingId: 'm-1', participantId: 'a-cn', peerAddress: '1.2.4.8' });
    await b.gate.admit({ meetingId: 'm-1', participantId: 'b-cn', peerAddress: '1.2.4.9' });
    await b.gate.admit({ meetingId: 'm-1', participantId: 'b-hk', peerAddress: '202.181.0.1' });

    const result = await a.gate.restrict(takedown('c-1'));
    expect(result.coverage).toEqual({ nodes: ['cluster-a', 'cluster-b'], missing: [], complete: true });
    expect(result.removed.map((p) => `${p.nodeId}/${p.participantId}`).sort()).toEqual(['cluster-a/a-cn', 'cluster-b/b-cn']);
    expect(b.removed).toEqual([{ meetingId: 'm-1', participantId: 'b-cn' }]);
    expect((await b.gate.admit({ meetingId: 'm-1', participantId: 'late', peerAddress: '1.2.4.10' })).admitted).toBe(false);

    await b.gate.lift('c-1');
    await waitFor(() => a.gate.restrictions().length === 0, 'the lift to reach node a');
    expect((await a.store.snapshot()).restrictions).toEqual([]);
    expect(await a.store.reseed([takedown('c-2')])).toMatchObject({ written: ['c-2'], existing: [] });
    await waitFor(() => b.gate.restrictions().some((r) => r.id === 'c-2'), 'the re-seeded restriction to reach node b');
  });

  test('a Cluster client with a prefix that has no hash tag is refused at creation, naming the fix', () => {
    const error = (() => {
      try {
        createRedisRestrictionStore({ client: client(), prefix: 'geoadmit:' });
      } catch (e) {
        return e as { code?: string; message: string; argument?: string };
      }
      return undefined;
    })();
    expect(error?.code).toBe('E_INVALID_CONFIG');
    expect(error?.argument).toBe('prefix');
    expect(error?.message).toMatch(/hash tag/);
    expect(error?.message).toContain("'{geoadmit}:'");
    // A tagged custom prefix is fine.
    expect(() => createRedisRestrictionStore({ client: client(), prefix: '{tenant-7}:geo:' })).not.toThrow();
  });

  test('a plain connection to one cluster node: CROSSSLOT / MOVED are a configuration error, not an outage', async () => {
    const plain = cluster.plain();
    plain.on('error', () => undefined);
    try {
      const store = createRedisRestrictionStore({ client: plain, prefix: 'geoadmit:', connectTimeoutMs: 1000 });
      const failure = await store.snapshot().then(
        () => undefined,
        (e: { code?: string; message: string }) => e,
      );
      expect(failure?.code).toBe('E_INVALID_CONFIG');
      expect(failure?.code).not.toBe('E_STORE_UNAVAILABLE');
      expect(failure?.message).toMatch(/CROSSSLOT|MOVED/);
      expect(failure?.message).toMatch(/hash tag|Cluster/);
      // Through a gate too: ready() and restrict() say what to fix instead of reporting an outage.
      const gate = createGate({ geo: new StaticResolver(STATIC_TABLE as never), restrictions: store, nodeId: 'misconfigured' });
      await expect(gate.ready()).rejects.toMatchObject({ code: 'E_INVALID_CONFIG' });
      await gate.close();
      await store.close();
    } finally {
      plain.disconnect();
    }
  });

  test("the store's connections duplicated from a Cluster keep its settings and add the store's", async () => {
    const c = client();
    const duplicates: Cluster[] = [];
    const original = c.duplicate.bind(c);
    c.duplicate = ((nodes?: unknown[], options?: object) => {
      const dup = original(nodes as never[], options);
      duplicates.push(dup);
      return dup;
    }) as Cluster['duplicate'];
    const store = createRedisRestrictionStore({ client: c, connectTimeoutMs: 1000, blockMs: 200 });
    const seen: string[] = [];
    const stop = store.subscribe('0-0', { onChange: (change) => void seen.push(change.id) });
    await store.put(takedown('dup-1'));
    await waitFor(() => seen.includes('dup-1'), 'the duplicate connection to deliver');
    expect(duplicates.length).toBeGreaterThan(0);
    for (const dup of duplicates) {
      // The caller's credentials survive (the subscription could not read otherwise) ...
      expect(dup.options.redisOptions?.password).toBe('cluster-secret');
      // ... and the store's own: no queueing while disconnected, no silent re-sends.
      expect(dup.options.enableOfflineQueue).toBe(false);
      expect(dup.options.redisOptions?.maxRetriesPerRequest).toBe(0);
      expect(dup.options.redisOptions?.autoResendUnfulfilledCommands).toBe(false);
    }
    stop();
    await store.close();
  });
});
