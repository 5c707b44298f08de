import { expect, test } from 'vitest';
import { converged, eventually, join, storeIds, useFleet } from './helpers/fleet/cluster.js';
import { startTcpProxy } from './helpers/fleet/tcp-proxy.js';
import { describeWithRedis, takedown } from './helpers/redis-server.js';

describeWithRedis('fleet: a write whose reply is lost', () => {
  const fleet = useFleet();

  test('restrict applied by Redis but cut off before the reply: the error says the outcome is unknown, and the fleet converges on it', async () => {
    const redis = await fleet.redis();
    const proxy = await startTcpProxy(redis.port);
    fleet.cleanup(() => proxy.close());
    const writer = await fleet.node({ name: 'writer', url: proxy.url });
    const other = await fleet.node({ name: 'other', url: redis.url });
    await Promise.all([writer.call('ready'), other.call('ready')]);
    await other.call('admit', { join: join('m-8', 'cn-other', 'cn') });

    // Redis runs the put; the connection drops before its reply reaches the writer (well inside the 400 ms timeout).
    proxy.holdReplies();
    const outcome = writer.call('restrict', { doc: takedown('lost-reply', 'm-8') }).then(
      () => ({ resolved: true }) as const,
      (error: { code?: string; message: string }) => ({ code: error.code, message: error.message }),
    );
    await eventually(async () => (await storeIds(redis.url)).includes('lost-reply'), 'Redis to apply the put');
    proxy.cut();
    const refused = await outcome;

    proxy.restore();
    // Whatever the caller was told, the store has it, so every node enforces it, the writer included.
    expect(await converged([writer, other], redis.url)).toEqual(['lost-reply']);
    await eventually(() => other.removed().length === 1, 'the removal on the other node');
    await eventually(() => writer.gateEvents().includes('restriction.accepted'), 'the writer to accept it from the feed');

    // A caller told "unavailable" would believe nothing changed and might act on that (or retry into a
    // duplicate-id refusal): the error must say the outcome is unknown, as it does for a reply timeout.
    expect(refused).toMatchObject({ code: 'E_STORE_UNAVAILABLE', message: expect.stringContaining('outcome is unknown') });
  });
});
