/**
 * Coverage when a node cannot answer: node processes on one Redis, one of
 * them stopped with SIGSTOP (alive to the kernel, its sockets open, silent).
 * The asker names it in `coverage.missing` with `complete: false` and still
 * answers within `fleetTimeoutMs`; once resumed, the stopped node enforces
 * the restriction it missed the question about.
 */
import { afterEach, expect, test } from 'vitest';
import { createGate, type ParticipantRef, StaticResolver } from 'geoadmit';
import { createRedisRestrictionStore } from 'geoadmit/redis';
import { STATIC_TABLE } from './helpers/fixtures.js';
import { eventually, join, useFleet } from './helpers/fleet/cluster.js';
import { describeWithRedis } from './helpers/redis-server.js';

const FLEET_TIMEOUT = 2000;
// The answer is due at FLEET_TIMEOUT after the question; this is slack for two busy cores, not a performance bound.
const SLACK = 750;

function cnTakedown(id: string, meetings: string[]) {
  return { id, authority: { name: 'Example Authority', jurisdiction: 'CN' }, regions: ['CN'], scope: { meetings } };
}

describeWithRedis('fleet coverage with a stopped node', () => {
  const fleet = useFleet();
  const cleanup: (() => Promise<void> | void)[] = [];
  const stopped = new Set<number>();
  afterEach(async () => {
    // A stopped process must be resumed before it can be closed.
    for (const pid of stopped) process.kill(pid, 'SIGCONT');
    stopped.clear();
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  test('a SIGSTOPped node is named missing, the answer comes back in time, and the node enforces once resumed', async () => {
    const redis = await fleet.redis();
    const store = createRedisRestrictionStore({ url: redis.url, connectTimeoutMs: 400, blockMs: 200 });
    const removedHere: ParticipantRef[] = [];
    const gate = createGate({
      geo: new StaticResolver(STATIC_TABLE as never),
      restrictions: store,
      nodeId: 'node-a',
      fleetTimeoutMs: FLEET_TIMEOUT,
      onRemove: (p) => void removedHere.push(p),
    });
    cleanup.push(
      () => store.close(),
      () => gate.close(),
    );
    await gate.ready();
    const [b, c] = await Promise.all([
      fleet.node({ name: 'node-b', url: redis.url, fleetTimeoutMs: FLEET_TIMEOUT }),
      fleet.node({ name: 'node-c', url: redis.url, fleetTimeoutMs: FLEET_TIMEOUT }),
    ]);
    await Promise.all([b.call('ready'), c.call('ready')]);
    await gate.admit(join('m-1', 'a-cn', 'cn', 1));
    await b.call('admit', { join: join('m-1', 'b-cn', 'cn', 2) });
    await c.call('admit', { join: join('m-1', 'c-cn', 'cn', 3) });
    await c.call('admit', { join: join('m-2', 'c-us', 'us', 4) });
    await eventually(async () => (await gate.nodes()).length === 3, 'three live nodes');

    const full = await gate.preview(cnTakedown('req-1', ['m-1', 'm-2']));
    expect(full.coverage).toEqual({ nodes: ['node-a', 'node-b', 'node-c'], missing: [], complete: true });
    expect(full.matched.map((p) => p.participantId).sort()).toEqual(['a-cn', 'b-cn', 'c-cn']);

    /** Stops node-c right after a heartbeat of its landed, so it still counts as live for nearly fleetTimeoutMs. */
    const stopAfterHeartbeat = async () => {
      const seen = async () => (await gate.nodes()).find((n) => n.nodeId === 'node-c')?.lastSeen ?? 0;
      const before = await seen();
      await eventually(async () => (await seen()) > before, 'a fresh heartbeat from node-c');
      process.kill(c.pid, 'SIGSTOP');
      stopped.add(c.pid);
    };

    // Stopped: asked at once, while it still counts as live (heard from within fleetTimeoutMs).
    await stopAfterHeartbeat();
    const timed = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
      const started = performance.now();
      const value = await run();
      return [value, performance.now() - started];
    };
    const [[preview, previewMs], [overview, overviewMs]] = await Promise.all([
      timed(() => gate.preview(cnTakedown('req-1', ['m-1', 'm-2']))),
      timed(() => gate.fleetOverview()),
    ]);
    expect(preview.coverage).toEqual({ nodes: ['node-a', 'node-b'], missing: ['node-c'], complete: false });
    expect(preview.matched.map((p) => [p.nodeId, p.participantId]).sort()).toEqual([
      ['node-a', 'a-cn'],
      ['node-b', 'b-cn'],
    ]);
    expect(previewMs).toBeLessThan(FLEET_TIMEOUT + SLACK);
    expect(overview.coverage).toEqual({ nodes: ['node-a', 'node-b'], missing: ['node-c'], complete: false });
    expect(overview.participants).toBe(2);
    expect(overviewMs).toBeLessThan(FLEET_TIMEOUT + SLACK);

    process.kill(c.pid, 'SIGCONT');
    stopped.delete(c.pid);
    await eventually(async () => (await gate.fleetOverview()).coverage.complete, 'node-c to answer again');

    // Stopped again while a restriction is made: the result says node-c was not counted.
    await stopAfterHeartbeat();
    const [result, restrictMs] = await timed(() => gate.restrict(cnTakedown('req-1', ['m-1', 'm-2'])));
    expect(restrictMs).toBeLessThan(FLEET_TIMEOUT + SLACK);
    expect(result.coverage).toEqual({ nodes: ['node-a', 'node-b'], missing: ['node-c'], complete: false });
    expect(result.removed.map((p) => p.participantId).sort()).toEqual(['a-cn', 'b-cn']);
    expect(removedHere).toEqual([{ meetingId: 'm-1', participantId: 'a-cn' }]);
    await eventually(() => b.removed().length === 1, 'node-b to remove its participant');

    // A silent node is not live for long: the next question does not wait for it.
    await eventually(async () => !(await gate.nodes()).some((n) => n.nodeId === 'node-c'), 'node-c to stop counting as live', 3 * FLEET_TIMEOUT);
    const [later, laterMs] = await timed(() => gate.fleetOverview());
    expect(later.coverage).toEqual({ nodes: ['node-a', 'node-b'], missing: [], complete: true });
    expect(laterMs).toBeLessThan(FLEET_TIMEOUT);

    // Resumed, the late node still enforces what it missed: its own removal arrives.
    process.kill(c.pid, 'SIGCONT');
    stopped.delete(c.pid);
    await eventually(() => c.removed().some((r) => r.participant.participantId === 'c-cn'), 'node-c to enforce req-1 once resumed');
    await eventually(async () => (await gate.nodes()).length === 3, 'node-c live again');
    const after = await gate.fleetOverview();
    expect(after.coverage.complete).toBe(true);
    expect(after.participants).toBe(1); // c-us
  });
});
