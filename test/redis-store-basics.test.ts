import { Redis } from 'ioredis';
import { expect, test } from 'vitest';
import { createRedisRestrictionStore, type RedisRestrictionStore } from 'geoadmit/redis';
import { GeoadmitError } from 'geoadmit';
import { describeWithRedis, useRedisServer, recorder, takedown, waitFor } from './helpers/redis-server.js';

describeWithRedis('Redis restriction store: reads and writes', () => {
  const server = useRedisServer();

  function setup(prefix: string, options: Parameters<typeof createRedisRestrictionStore>[0] = {}) {
    const store = createRedisRestrictionStore({ url: server.redis.url, prefix, ...options });
    server.track(store);
    return store;
  }

  test('put, snapshot, conflict and delete round trip through the hash and the stream', async () => {
    const store = setup('rt:');
    expect(await store.snapshot()).toEqual({ version: '0-0', restrictions: [] });

    const first = await store.put(takedown('a'));
    expect(first).toEqual({ version: expect.stringMatching(/^\d+-\d+$/) });
    const second = await store.put(takedown('b', 'm-2'));
    expect(await store.put({ ...takedown('a'), reference: 'a second copy' })).toEqual({ conflict: true });

    const snap = await store.snapshot();
    expect(snap.restrictions).toEqual([takedown('a'), takedown('b', 'm-2')]);
    expect(snap.version).toBe((second as { version: string }).version);

    const removed = await store.delete('a');
    expect(removed.existed).toBe(true);
    expect(store.compareVersions(removed.version, snap.version)).toBeGreaterThan(0);
    // Deleting what is not there writes nothing and answers the current version.
    expect(await store.delete('a')).toEqual({ version: removed.version, existed: false });
    expect(await store.delete('never-was')).toEqual({ version: removed.version, existed: false });

    expect(await store.snapshot()).toEqual({ version: removed.version, restrictions: [takedown('b', 'm-2')] });
    // The conflicting put left no trace in the stream: put a, put b, delete a.
    const entries = await server.admin.xrange('rt:changes', '-', '+');
    expect(entries.map(([, f]) => [f[1], f[3]])).toEqual([
      ['put', 'a'],
      ['put', 'b'],
      ['delete', 'a'],
    ]);
    expect(await server.admin.hkeys('rt:restrictions')).toEqual(['b']);
  });

  test('ids such as __proto__ are ordinary restriction ids', async () => {
    const store = setup('proto:');
    await store.put(takedown('__proto__'));
    await store.put(takedown('constructor'));
    const snap = await store.snapshot();
    expect(snap.restrictions.map((r) => r.id)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).id).toBeUndefined();
  });

  test('versions increase strictly; compareVersions orders stream ids numerically', async () => {
    const store = setup('ver:');
    const versions: string[] = [];
    for (let i = 0; i < 50; i++) {
      const r = await store.put(takedown(`v${i}`));
      if (r.conflict) throw new Error('unexpected conflict');
      versions.push(r.version);
    }
    for (let i = 1; i < versions.length; i++) {
      expect(store.compareVersions(versions[i - 1] as string, versions[i] as string)).toBeLessThan(0);
    }
    expect(store.compareVersions('9-0', '10-0')).toBeLessThan(0); // numeric, not lexicographic
    expect(store.compareVersions('5-10', '5-9')).toBeGreaterThan(0);
    expect(store.compareVersions('1700000000000-3', '1700000000000-3')).toBe(0);
    expect(store.compareVersions('0-0', '0-1')).toBeLessThan(0);
    expect(store.compareVersions('18446744073709551615-0', '18446744073709551614-99')).toBeGreaterThan(0);
    expect(store.compareVersions('0', '0-0')).toBe(0); // a bare <ms> is <ms>-0, as Redis reads it
    expect(store.compareVersions('7', '6-99')).toBeGreaterThan(0);
    for (const bad of ['', '1-', '1-2-3', '-1-0', '1.5-0', ' 1-0', '0x1-0', '18446744073709551616-0', '١-0']) {
      expect(() => store.compareVersions(bad, '0-0')).toThrowError(expect.objectContaining({ code: 'E_INVALID_CONFIG', argument: 'a' }));
    }
  });

  test('hash and stream agree after many concurrent writes from two clients', async () => {
    const a = setup('race:');
    const b = setup('race:');
    const ids = Array.from({ length: 10 }, (_, i) => `r${i}`);
    const ops = (store: RedisRestrictionStore, seed: number) =>
      Array.from({ length: 300 }, (_, i) => {
        const id = ids[(i * 7 + seed) % ids.length] as string;
        return (i + seed) % 3 === 0 ? store.delete(id) : store.put(takedown(id));
      });
    const results = await Promise.all([...ops(a, 0), ...ops(b, 1)]);

    // Replaying the stream from the start must give exactly the hash.
    const replay = new Map<string, string>();
    const entries = await server.admin.xrange('race:changes', '-', '+');
    for (const [, fields] of entries) {
      const [, op, , id, , doc] = fields as [string, string, string, string, string, string];
      if (op === 'put') {
        expect(replay.has(id)).toBe(false); // a put never overwrote: conflicts wrote nothing
        replay.set(id, doc);
      } else {
        expect(replay.delete(id)).toBe(true); // a delete only ever recorded for a present id
      }
    }
    const hash = await server.admin.hgetall('race:restrictions');
    expect(Object.fromEntries(replay)).toEqual({ ...hash });
    // Every successful write has its own stream entry.
    const written = results.filter((r) => !('conflict' in r && r.conflict) && !('existed' in r && !r.existed));
    expect(written).toHaveLength(entries.length);
    expect(new Set(written.map((r) => (r as { version: string }).version)).size).toBe(entries.length);
  });

  test('a 1,000-restriction snapshot is one command on the wire', async () => {
    const client = new Redis(server.redis.url);
    const store = createRedisRestrictionStore({ client, prefix: 'big:' });
    server.track({ close: async () => client.disconnect() });
    const docs = Array.from({ length: 1000 }, (_, i) => takedown(`big-${String(i).padStart(4, '0')}`));
    const seeded = await store.reseed(docs);
    expect(seeded.written).toHaveLength(1000);
    await store.snapshot(); // loads the script into the server's cache (EVALSHA, then EVAL once)

    const monitor = await server.admin.monitor();
    const seen: { args: string[]; source: string }[] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => seen.push({ args, source }));
    await server.admin.echo('begin');
    await waitFor(() => seen.some((c) => c.args[1] === 'begin'), 'the monitor to see the begin marker');
    const snap = await store.snapshot();
    await server.admin.echo('end');
    await waitFor(() => seen.some((c) => c.args[1] === 'end'), 'the monitor to see the end marker');
    monitor.disconnect();

    const from = seen.findIndex((c) => c.args[1] === 'begin');
    const to = seen.findIndex((c) => c.args[1] === 'end');
    const onWire = seen.slice(from + 1, to).filter((c) => c.source !== 'lua');
    expect(onWire.map((c) => c.args[0]?.toLowerCase())).toEqual(['evalsha']);
    expect(snap.restrictions).toHaveLength(1000);
    expect(snap.version).toBe(seeded.version);
  });

  test('hostile values read back from Redis are reported and skipped, never thrown', async () => {
    const onError: Error[] = [];
    const store = setup('hostile:', { onError: (e) => onError.push(e) });
    await store.put(takedown('good'));
    await server.admin.hset('hostile:restrictions', 'not-json', '{"id": "not-json",', 'array', '[1,2]', 'liar', '{"id":"other"}');
    const snap = await store.snapshot();
    expect(snap.restrictions).toEqual([takedown('good')]);
    expect(onError).toHaveLength(3);
    for (const error of onError) {
      expect(error).toBeInstanceOf(GeoadmitError);
      expect((error as GeoadmitError).code).toBe('E_INVALID_RESTRICTION');
      expect(error.message).toContain('hostile:restrictions');
    }

    // The same for stream entries: a subscriber is told and keeps going.
    const rec = recorder();
    const off = store.subscribe(snap.version, rec.subscriber);
    await server.admin.xadd('hostile:changes', '*', 'op', 'put', 'id', 'x', 'doc', 'nonsense{');
    await server.admin.xadd('hostile:changes', '*', 'op', 'explode', 'id', 'x');
    await server.admin.xadd('hostile:changes', '*', 'garbage', 'x');
    await store.put(takedown('after'));
    await waitFor(() => rec.changes.length === 1, 'the valid change after the hostile entries');
    off();
    expect(rec.changes[0]).toMatchObject({ op: 'put', id: 'after', restriction: takedown('after') });
    expect(rec.errors).toHaveLength(3);
  });

  test('reseed writes back only the missing restrictions, atomically, as put changes', async () => {
    const store = setup('seed:');
    await store.put({ ...takedown('kept'), reference: 'store copy' });
    const result = await store.reseed([takedown('kept'), takedown('new-1'), takedown('new-2'), takedown('new-1')]);
    expect(result.written).toEqual(['new-1', 'new-2']);
    expect(result.existing).toEqual(['kept']);
    const snap = await store.snapshot();
    expect(snap.version).toBe(result.version);
    expect(snap.restrictions).toEqual([{ ...takedown('kept'), reference: 'store copy' }, takedown('new-1'), takedown('new-2')]);
    // Nothing to write: same version.
    expect((await store.reseed([takedown('kept')])).version).toBe(result.version);
  });

  test('close() leaves a caller-supplied client open and refuses further calls', async () => {
    const client = new Redis(server.redis.url);
    try {
      const store = createRedisRestrictionStore({ client, prefix: 'own:' });
      const rec = recorder();
      store.subscribe('0-0', rec.subscriber);
      await store.put(takedown('x'));
      await waitFor(() => rec.changes.length === 1, 'the change');
      const before = Number((await server.admin.info('clients')).match(/connected_clients:(\d+)/)?.[1]);
      await store.close();
      await waitFor(() => client.status === 'ready', 'client still ready');
      expect(await client.ping()).toBe('PONG');
      const after = Number((await server.admin.info('clients')).match(/connected_clients:(\d+)/)?.[1]);
      expect(after).toBe(before - 1); // only the subscription's duplicate went away
      await expect(store.snapshot()).rejects.toMatchObject({ code: 'E_CLOSED' });
      expect(() => store.subscribe('0-0', rec.subscriber)).toThrowError(expect.objectContaining({ code: 'E_CLOSED' }));
    } finally {
      client.disconnect();
    }
  });

  test('invalid options and arguments are refused with the argument named', () => {
    const bad = [
      [{ url: 'redis://x', client: new Redis({ lazyConnect: true }) }, 'url'],
      [{ connectTimeoutMs: 0 }, 'connectTimeoutMs'],
      [{ blockMs: 1.5 }, 'blockMs'],
      [{ maxStreamLength: -1 }, 'maxStreamLength'],
      [{ prefix: 3 }, 'prefix'],
    ] as const;
    for (const [options, argument] of bad) {
      expect(() => createRedisRestrictionStore(options as never)).toThrowError(expect.objectContaining({ code: 'E_INVALID_CONFIG', argument }));
    }
    const store = setup('args:');
    expect(() => store.subscribe('latest', recorder().subscriber)).toThrowError(expect.objectContaining({ code: 'E_INVALID_CONFIG', argument: 'fromVersion' }));
    return expect(store.put({ ...takedown('x'), id: '' })).rejects.toMatchObject({ code: 'E_INVALID_RESTRICTION', path: '$.id' });
  });
});
