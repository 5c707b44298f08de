import { Redis } from 'ioredis';
import { afterEach, expect, test } from 'vitest';
import { createRedisRestrictionStore, type RedisRestrictionStore } from 'geoadmit/redis';
import { describeWithRedis, freePort, recorder, startRedis, takedown, waitFor, type TestRedis } from './helpers/redis-server.js';

describeWithRedis('Redis restriction store: outages', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function server(persistence: boolean): Promise<TestRedis> {
    const redis = await startRedis({ persistence });
    cleanup.push(() => redis.dispose());
    return redis;
  }
  function setup(url: string, options: Parameters<typeof createRedisRestrictionStore>[0] = {}): RedisRestrictionStore {
    const store = createRedisRestrictionStore({ url, connectTimeoutMs: 400, blockMs: 200, ...options });
    cleanup.push(() => store.close());
    return store;
  }

  /** One store writing, another's subscriber following from the start. */
  function writerAndFollower(url: string) {
    const writer = setup(url);
    const rec = recorder();
    setup(url).subscribe('0-0', rec.subscriber);
    return { writer, rec };
  }

  test('unreachable at start: calls reject with E_STORE_UNAVAILABLE within the bound; subscribers hear of it', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const store = setup(url);
    for (const call of [() => store.snapshot(), () => store.put(takedown('x')), () => store.delete('x')]) {
      const started = Date.now();
      await expect(call()).rejects.toMatchObject({ name: 'GeoadmitError', code: 'E_STORE_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(1500);
    }
    const rec = recorder();
    store.subscribe('0-0', rec.subscriber);
    await waitFor(() => rec.events.length > 0, 'store.disconnected');
    await new Promise((r) => setTimeout(r, 500)); // several reconnect attempts: still one event
    expect(rec.eventNames()).toEqual(['store.disconnected']);
    expect(rec.events[0]?.payload).toMatchObject({ store: 'redis', message: expect.stringContaining('ECONNREFUSED') });
  });

  test('writes while the server is down reject quickly and leave nothing half-applied', async () => {
    const redis = await server(true);
    const store = setup(redis.url);
    await store.put(takedown('before'));
    await redis.kill();
    for (const call of [() => store.put(takedown('during')), () => store.delete('before')]) {
      const started = Date.now();
      await expect(call()).rejects.toMatchObject({ code: 'E_STORE_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(1500);
    }
    await redis.restart({ keepData: true });
    const snap = await waitForSnapshot(store);
    expect(snap.restrictions.map((r) => r.id)).toEqual(['before']);
    const admin = new Redis(redis.url);
    cleanup.push(() => admin.disconnect());
    expect(await admin.xlen('{geoadmit}:changes')).toBe(1);
    // And the store works again.
    expect(await store.put(takedown('after'))).toEqual({ version: expect.any(String) });
  });

  test('SIGKILL mid-stream of writes, restart with data: the subscriber converges, nothing missed or repeated', async () => {
    const redis = await server(true);
    const { writer, rec } = writerAndFollower(redis.url);

    const acked: string[] = [];
    let failed = 0;
    let writing = true;
    const writes = (async () => {
      for (let i = 0; writing; i++) {
        try {
          const r = await writer.put(takedown(`w${i}`));
          if (!r.conflict) acked.push(r.version);
        } catch (error) {
          expect(error).toMatchObject({ code: 'E_STORE_UNAVAILABLE' });
          failed += 1;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    })();
    await waitFor(() => acked.length >= 30, '30 acknowledged writes');
    await redis.kill();
    await waitFor(() => failed >= 2, 'writes to fail while the server is down');
    await waitFor(() => rec.eventNames().includes('store.disconnected'), 'store.disconnected');
    await redis.restart({ keepData: true });
    const ackedBeforeRestart = acked.length;
    await waitFor(() => acked.length >= ackedBeforeRestart + 20, '20 more writes after the restart');
    writing = false;
    await writes;

    const admin = new Redis(redis.url);
    cleanup.push(() => admin.disconnect());
    const stream = (await admin.xrange('{geoadmit}:changes', '-', '+')).map(([id]) => id);
    await waitFor(() => rec.changes.length >= stream.length, 'the subscriber to catch up');
    await new Promise((r) => setTimeout(r, 300));
    const delivered = rec.changes.map((c) => c.version);
    expect(delivered).toEqual(stream); // every committed change, in order, none twice
    for (const version of acked) expect(delivered).toContain(version);
    expect(rec.eventNames()).toEqual(['store.disconnected', 'store.reconnected']);
    expect(rec.snapshots).toEqual([]);
    expect(rec.errors).toEqual([]);
  });

  test('a hung server (SIGSTOP) is an outage for subscribers and a bounded failure for calls', async () => {
    const redis = await server(false);
    const { writer, rec } = writerAndFollower(redis.url);
    await writer.put(takedown('h1'));
    await waitFor(() => rec.changes.length === 1, 'the first change');
    redis.pause();
    const started = Date.now();
    await expect(writer.put(takedown('h2'))).rejects.toMatchObject({ code: 'E_STORE_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(1500);
    await waitFor(() => rec.eventNames().includes('store.disconnected'), 'store.disconnected', 5000);
    redis.resume();
    await waitFor(() => rec.eventNames().includes('store.reconnected'), 'store.reconnected', 5000);
    // The write that timed out may or may not have been applied ("outcome unknown"); either way the
    // subscriber ends up with exactly what the stream holds.
    await writer.put(takedown('h3'));
    await waitFor(() => rec.changes.some((c) => c.id === 'h3'), 'the change after resuming');
    const stream = (await (await waitForSnapshot(writer)).restrictions).map((r) => r.id);
    expect(rec.changes.map((c) => c.id)).toEqual(stream);
    expect(rec.eventNames()).toEqual(['store.disconnected', 'store.reconnected']);
  });

  test('restart without data: store.regressed, known restrictions are not deleted, reseed restores them', async () => {
    const redis = await server(false);
    const { writer, rec } = writerAndFollower(redis.url);
    for (const id of ['k1', 'k2', 'k3']) await writer.put(takedown(id));
    await waitFor(() => rec.changes.length === 3, 'three changes');
    const lastVersion = rec.changes[2]?.version;

    await redis.kill();
    await redis.restart({ keepData: false });
    await waitFor(() => rec.eventNames().includes('store.regressed'), 'store.regressed');
    const regressed = rec.events.find((e) => e.event === 'store.regressed')?.payload;
    expect(regressed).toMatchObject({ store: 'redis', lastVersion, storeVersion: '0-0', message: expect.stringContaining('reseed') });
    expect(rec.eventNames()).toEqual(['store.disconnected', 'store.reconnected', 'store.regressed']);
    // No deletions, no snapshot replacing what the node knows.
    expect(rec.changes.map((c) => c.op)).toEqual(['put', 'put', 'put']);
    expect(rec.snapshots).toEqual([]);

    // The operator re-seeds from what a node still enforces; subscribers receive the puts.
    const known = rec.changes.flatMap((c) => (c.op === 'put' ? [c.restriction] : []));
    const reseeded = await waitForReseed(writer, known);
    expect(reseeded.written).toEqual(['k1', 'k2', 'k3']);
    await waitFor(() => rec.changes.length === 6, 'the re-seeded puts');
    expect(rec.changes.slice(3).map((c) => [c.op, c.id])).toEqual([
      ['put', 'k1'],
      ['put', 'k2'],
      ['put', 'k3'],
    ]);
    expect((await writer.snapshot()).restrictions.map((r) => r.id)).toEqual(['k1', 'k2', 'k3']);
  });

  test('restarted empty and written to before the subscriber is back: still reported, new change delivered once', async () => {
    const redis = await server(false);
    const { writer, rec } = writerAndFollower(redis.url);
    await writer.put(takedown('old'));
    await waitFor(() => rec.changes.length === 1, 'the first change');
    await redis.kill();
    await redis.restart({ keepData: false });
    await waitForReseed(writer, [takedown('fresh')]);
    await waitFor(() => rec.changes.length === 2, 'the change made after the restart');
    await new Promise((r) => setTimeout(r, 300));
    expect(rec.eventNames()).toContain('store.regressed');
    expect(rec.changes.map((c) => c.id)).toEqual(['old', 'fresh']);
  });
});

// The command connection reconnects with backoff; retry until it is back.
async function waitForSnapshot(store: RedisRestrictionStore) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await store.snapshot();
    } catch (error) {
      if (attempt > 20) throw error;
    }
  }
}

async function waitForReseed(store: RedisRestrictionStore, docs: Parameters<RedisRestrictionStore['reseed']>[0]) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await store.reseed(docs);
    } catch (error) {
      if (attempt > 20) throw error;
    }
  }
}
