import { expect, test } from 'vitest';
import { createRedisRestrictionStore } from 'geoadmit/redis';
import { blockedClients, describeWithRedis, useRedisServer, recorder, takedown, waitFor, waitForBlocked } from './helpers/redis-server.js';

describeWithRedis('Redis restriction store: subscriptions', () => {
  const server = useRedisServer();

  function setup(prefix: string, maxStreamLength?: number) {
    const store = createRedisRestrictionStore({ url: server.redis.url, prefix, blockMs: 200, maxStreamLength });
    server.track(store);
    return store;
  }

  test('two subscribers on different stores see the same changes in the same order', async () => {
    const writer = setup('two:');
    const [x, y] = [setup('two:'), setup('two:')] as const;
    const [rx, ry] = [recorder(), recorder()];
    x.subscribe('0-0', rx.subscriber);
    y.subscribe('0', ry.subscriber); // the gate starts from '0'
    const versions: string[] = [];
    for (let i = 0; i < 40; i++) {
      const r = i % 4 === 3 ? await writer.delete(`s${i - 1}`) : await writer.put(takedown(`s${i}`));
      if ('version' in r) versions.push(r.version);
    }
    await waitFor(() => rx.changes.length === 40 && ry.changes.length === 40, 'both subscribers to get 40 changes');
    expect(rx.changes.map((c) => c.version)).toEqual(versions);
    expect(ry.changes).toEqual(rx.changes);
    expect(rx.changes[3]).toMatchObject({ op: 'delete', id: 's2' });
    expect(rx.changes[0]).toMatchObject({ op: 'put', id: 's0', restriction: takedown('s0') });
    expect(rx.changes[0]?.time).toBeGreaterThan(Date.now() - 60_000);
    expect([...rx.errors, ...ry.errors]).toEqual([]);
    expect(rx.events).toEqual([]);
  });

  test('subscribing from a version delivers exactly the later changes, each once', async () => {
    const store = setup('idem:');
    const versions: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await store.put(takedown(`i${i}`));
      if (!r.conflict) versions.push(r.version);
    }
    const from = versions[4] as string;
    const first = recorder();
    const second = recorder();
    const offFirst = store.subscribe(from, first.subscriber);
    const offSecond = store.subscribe(from, second.subscriber);
    await store.put(takedown('i10'));
    await waitFor(() => first.changes.length >= 6 && second.changes.length >= 6, 'catch-up plus the new change');
    await new Promise((r) => setTimeout(r, 300)); // a further blocking read round: nothing repeats
    offFirst();
    offSecond();
    for (const rec of [first, second]) {
      expect(rec.changes.map((c) => c.id)).toEqual(['i5', 'i6', 'i7', 'i8', 'i9', 'i10']);
      expect(new Set(rec.changes.map((c) => c.version)).size).toBe(6);
      expect(rec.snapshots).toEqual([]);
    }
    // After unsubscribing nothing more arrives.
    await store.put(takedown('i11'));
    await new Promise((r) => setTimeout(r, 300));
    expect(first.changes).toHaveLength(6);
  });

  test('a subscriber whose version was trimmed away reloads the snapshot (store.resynced)', async () => {
    const store = setup('trim:');
    const early = await store.put(takedown('t0'));
    if (early.conflict) throw new Error('unexpected conflict');
    await store.put(takedown('t1'));
    await store.put(takedown('t2'));
    await store.delete('t1');
    await server.admin.xtrim('trim:changes', 'MAXLEN', 0);

    const rec = recorder();
    const off = store.subscribe(early.version, rec.subscriber);
    await waitFor(() => rec.snapshots.length === 1, 'the snapshot');
    expect(rec.snapshots[0]?.restrictions.map((r) => r.id)).toEqual(['t0', 't2']);
    expect(rec.eventNames()).toEqual(['store.resynced']);
    expect(rec.events[0]?.payload).toMatchObject({ store: 'redis', version: rec.snapshots[0]?.version });
    // And it follows on from the snapshot.
    await store.put(takedown('t3'));
    await waitFor(() => rec.changes.length === 1, 'the change after the snapshot');
    expect(rec.changes[0]).toMatchObject({ op: 'put', id: 't3' });
    off();

    // Trimmed, but the subscriber's own version is the latest: nothing is missing, no resync.
    const current = await store.snapshot();
    await server.admin.xtrim('trim:changes', 'MAXLEN', 0);
    const upToDate = recorder();
    const blocked = await blockedClients(server.admin);
    const off2 = store.subscribe(current.version, upToDate.subscriber);
    await waitForBlocked(server.admin, blocked + 1);
    await store.put(takedown('t4'));
    await waitFor(() => upToDate.changes.length === 1, 'the change');
    off2();
    expect(upToDate.snapshots).toEqual([]);
    expect(upToDate.events).toEqual([]);
  });

  test('partially trimmed: still-present version continues; an older one resyncs', async () => {
    const store = setup('part:');
    const versions: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await store.put(takedown(`p${i}`));
      if (!r.conflict) versions.push(r.version);
    }
    await server.admin.xtrim('part:changes', 'MAXLEN', 3); // keeps p3, p4, p5
    const kept = recorder();
    const lost = recorder();
    const offs = [store.subscribe(versions[3] as string, kept.subscriber), store.subscribe(versions[1] as string, lost.subscriber)];
    await waitFor(() => kept.changes.length === 2 && lost.snapshots.length === 1, 'catch-up and resync');
    for (const off of offs) off();
    expect(kept.changes.map((c) => c.id)).toEqual(['p4', 'p5']);
    expect(kept.snapshots).toEqual([]);
    expect(lost.snapshots[0]?.restrictions).toHaveLength(6);
    expect(lost.changes).toEqual([]);
  });

  test('the store trims to maxStreamLength and knows exactly who missed changes', async () => {
    const store = setup('own:', 3);
    const versions: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await store.put(takedown(`o${i}`));
      if (!r.conflict) versions.push(r.version);
    }
    expect(await server.admin.xlen('own:changes')).toBe(3); // o3, o4, o5
    // o2's entry is trimmed, but nothing after it: continue without a snapshot.
    const justBehind = recorder();
    const tooFar = recorder();
    const offs = [store.subscribe(versions[2] as string, justBehind.subscriber), store.subscribe(versions[1] as string, tooFar.subscriber)];
    await waitFor(() => justBehind.changes.length === 3 && tooFar.snapshots.length === 1, 'catch-up and resync');
    for (const off of offs) off();
    expect(justBehind.changes.map((c) => c.id)).toEqual(['o3', 'o4', 'o5']);
    expect(justBehind.events).toEqual([]);
    expect(tooFar.snapshots[0]?.restrictions).toHaveLength(6);
    expect(tooFar.eventNames()).toEqual(['store.resynced']);
  });

  test('a subscriber that throws is reported and does not stop delivery', async () => {
    const store = setup('throw:');
    const seen: string[] = [];
    const errors: Error[] = [];
    const off = store.subscribe('0-0', {
      onChange(change) {
        seen.push(change.id);
        if (change.id === 'boom') throw new Error('subscriber failed');
      },
      onError: (e) => errors.push(e),
    });
    await store.put(takedown('boom'));
    await store.put(takedown('after'));
    await waitFor(() => seen.length === 2, 'both changes');
    off();
    expect(seen).toEqual(['boom', 'after']);
    expect(errors.map((e) => e.message)).toEqual(['subscriber failed']);
  });

  test('propagation delay from a put on store A to a subscriber of store B', async () => {
    const a = setup('lat:');
    const b = setup('lat:');
    const arrived = new Map<string, number>();
    const off = b.subscribe('0-0', { onChange: (c) => arrived.set(c.id, performance.now()) });
    // Let the subscriber's first blocking read start before measuring.
    await a.put(takedown('warm-up'));
    await waitFor(() => arrived.has('warm-up'), 'warm-up');
    const delays: number[] = [];
    for (let i = 0; i < 100; i++) {
      const id = `lat-${i}`;
      const start = performance.now();
      await a.put(takedown(id));
      await waitFor(() => arrived.has(id), id);
      delays.push((arrived.get(id) as number) - start);
    }
    off();
    delays.sort((p, q) => p - q);
    const pct = (p: number) => (delays[Math.min(delays.length - 1, Math.ceil((p / 100) * delays.length) - 1)] as number).toFixed(2);
    console.log(`redis store propagation over 100 changes: p50 ${pct(50)} ms, p99 ${pct(99)} ms`);
    expect(delays).toHaveLength(100);
  });
});
