/**
 * One fleet, one view: two gates on one Redis answer preview, restrict and
 * the overview for the whole fleet, with a coverage naming who answered.
 * Before the fleet channel, node A's preview said "would remove 1" while the
 * fleet removed 3, and "m-2 undisturbed" while node B removed someone from it.
 */
import { afterEach, expect, test } from 'vitest';
import { createGate, type Gate, type ParticipantRef, StaticResolver } from 'geoadmit';
import { createRedisRestrictionStore } from 'geoadmit/redis';
import { STATIC_TABLE } from './helpers/fixtures.js';
import { describeWithRedis, startRedis, type TestRedis } from './helpers/redis-server.js';

const FLEET_TIMEOUT = 2000;

function cnTakedown(id: string, meetings: string[]) {
  return { id, authority: { name: 'Example Authority', jurisdiction: 'CN' }, regions: ['CN'], scope: { meetings } };
}

const byId = (a: ParticipantRef, b: ParticipantRef) => `${a.meetingId}/${a.participantId}`.localeCompare(`${b.meetingId}/${b.participantId}`);

describeWithRedis('a fleet of gates on one Redis answers as one', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function redisServer(): Promise<TestRedis> {
    const redis = await startRedis();
    cleanup.push(() => redis.dispose());
    return redis;
  }

  async function node(redis: TestRedis, nodeId: string) {
    const store = createRedisRestrictionStore({ url: redis.url, connectTimeoutMs: 400, blockMs: 200 });
    const removed: ParticipantRef[] = [];
    const gate = createGate({
      geo: new StaticResolver(STATIC_TABLE as never),
      restrictions: store,
      nodeId,
      fleetTimeoutMs: FLEET_TIMEOUT,
      onRemove: (p) => void removed.push(p),
    });
    cleanup.push(
      () => store.close(),
      () => gate.close(),
    );
    await gate.ready();
    return { gate, store, removed };
  }

  /** Waits until `gate` sees `count` live nodes (heartbeats land asynchronously). */
  async function live(gate: Gate, count: number): Promise<void> {
    const deadline = Date.now() + 5000;
    while ((await gate.nodes()).length < count) {
      if (Date.now() > deadline) throw new Error(`fewer than ${count} live nodes`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  test('preview, restrict and the overview count every node, with full coverage', async () => {
    const redis = await redisServer();
    const a = await node(redis, 'node-a');
    const b = await node(redis, 'node-b');
    await live(a.gate, 2);
    // m-1: one CN on A, one CN on B. m-2: HK on A, CN on B (only B disturbs m-2). m-3: US on A only.
    await a.gate.admit({ meetingId: 'm-1', participantId: 'a-cn', peerAddress: '1.2.4.8' });
    await a.gate.admit({ meetingId: 'm-2', participantId: 'a-hk', peerAddress: '202.181.0.1' });
    await a.gate.admit({ meetingId: 'm-3', participantId: 'a-us', peerAddress: '9.9.9.9' });
    await b.gate.admit({ meetingId: 'm-1', participantId: 'b-cn', peerAddress: '1.2.4.9' });
    await b.gate.admit({ meetingId: 'm-2', participantId: 'b-cn', peerAddress: '1.2.4.10' });

    const nodes = await a.gate.nodes();
    expect(nodes.map((n) => n.nodeId)).toEqual(['node-a', 'node-b']);
    expect(nodes.find((n) => n.nodeId === 'node-a')?.participants).toBe(3);
    await expect.poll(async () => (await a.gate.nodes()).find((n) => n.nodeId === 'node-b')?.participants, { timeout: 3000 }).toBe(2);
    for (const n of nodes) {
      expect(typeof n.lastSeen).toBe('number');
      expect(typeof n.version).toBe('string');
    }

    const doc = cnTakedown('req-1', ['m-1', 'm-2', 'm-3']);
    const preview = await a.gate.preview(doc);
    expect(preview.coverage).toEqual({ nodes: ['node-a', 'node-b'], missing: [], complete: true });
    expect(preview.matched.sort(byId)).toEqual([
      { meetingId: 'm-1', participantId: 'a-cn', nodeId: 'node-a' },
      { meetingId: 'm-1', participantId: 'b-cn', nodeId: 'node-b' },
      { meetingId: 'm-2', participantId: 'b-cn', nodeId: 'node-b' },
    ]);
    expect([...preview.meetingsReached].sort()).toEqual(['m-1', 'm-2', 'm-3']);
    // m-2 is undisturbed on A (its HK participant stays) but not on B: not undisturbed for the fleet.
    expect(preview.meetingsUndisturbed).toEqual(['m-3']);
    expect(a.removed).toEqual([]);
    expect(b.removed).toEqual([]);

    const overview = await a.gate.fleetOverview();
    expect(overview.coverage.complete).toBe(true);
    expect(overview.participants).toBe(5);
    const m1 = overview.meetings.find((m) => m.meetingId === 'm-1');
    expect(m1).toMatchObject({ participants: 2, countries: { CN: 2 }, nodes: ['node-a', 'node-b'] });
    expect((await a.gate.fleetOverview('m-2')).meetings).toEqual([
      { meetingId: 'm-2', hostAccountIds: [], participants: 2, countries: { HK: 1, CN: 1 }, subdivisions: {}, nodes: ['node-a', 'node-b'] },
    ]);
    // Counts only: no participant id or address in the overview.
    expect(JSON.stringify(overview)).not.toMatch(/a-cn|b-cn|1\.2\.4/);

    const result = await a.gate.restrict(doc);
    expect(result.coverage).toEqual({ nodes: ['node-a', 'node-b'], missing: [], complete: true });
    expect(result.removed.sort(byId)).toEqual(preview.matched);
    expect(result.meetingsUndisturbed).toEqual(['m-3']);
    expect(a.removed).toEqual([{ meetingId: 'm-1', participantId: 'a-cn' }]);
    expect(b.removed.sort(byId)).toEqual([
      { meetingId: 'm-1', participantId: 'b-cn' },
      { meetingId: 'm-2', participantId: 'b-cn' },
    ]);
  });

  test('a node that started while Redis was down joins the fleet and answers once Redis is back', async () => {
    const redis = await redisServer();
    await redis.stop();
    const store = createRedisRestrictionStore({ url: redis.url, connectTimeoutMs: 200, blockMs: 200 });
    const late = createGate({
      geo: new StaticResolver(STATIC_TABLE as never),
      restrictions: store,
      nodeId: 'node-late',
      fleetTimeoutMs: 600,
      lastKnownRestrictions: [],
    });
    cleanup.push(
      () => store.close(),
      () => late.close(),
    );
    await late.ready();
    await late.admit({ meetingId: 'm-1', participantId: 'late-cn', peerAddress: '1.2.4.8' });
    // Long enough for its first attempt to listen to have given up.
    await new Promise((r) => setTimeout(r, 1500));
    await redis.restart({ keepData: true });
    const a = await node(redis, 'node-a');
    await expect
      .poll(async () => (await a.gate.fleetOverview()).coverage, { timeout: 10_000, interval: 200 })
      .toEqual({ nodes: ['node-a', 'node-late'], missing: [], complete: true });
    expect((await a.gate.fleetOverview('m-1')).meetings[0]?.participants).toBe(1);
  });

  test('a gate on the in-memory store is a fleet of one', async () => {
    const gate = createGate({ geo: new StaticResolver(STATIC_TABLE as never), nodeId: 'solo' });
    cleanup.push(() => gate.close());
    await gate.admit({ meetingId: 'm-1', participantId: 'p', peerAddress: '1.2.4.8' });
    expect((await gate.nodes()).map((n) => [n.nodeId, n.participants])).toEqual([['solo', 1]]);
    const preview = await gate.preview(cnTakedown('req-1', ['m-1']));
    expect(preview.coverage).toEqual({ nodes: ['solo'], missing: [], complete: true });
    expect((await gate.fleetOverview()).coverage).toEqual({ nodes: ['solo'], missing: [], complete: true });
  });

  test('nodeId is checked; the default names the host and process, and two gates in one process differ', async () => {
    const geo = new StaticResolver(STATIC_TABLE as never);
    expect(() => createGate({ geo, nodeId: 'x'.repeat(129) })).toThrow(/nodeId/);
    expect(() => createGate({ geo, nodeId: '' })).toThrow(/nodeId/);
    expect(() => createGate({ geo, fleetTimeoutMs: 0 })).toThrow(/fleetTimeoutMs/);
    const one = createGate({ geo });
    const two = createGate({ geo });
    cleanup.push(
      () => one.close(),
      () => two.close(),
    );
    expect(one.nodeId).toMatch(new RegExp(`:${process.pid}`));
    expect(two.nodeId).not.toBe(one.nodeId);
    expect(one.nodeId.length).toBeLessThanOrEqual(128);
  });

  test('audit events carry the node', async () => {
    const redis = await redisServer();
    const a = await node(redis, 'node-a');
    const events: { type: string; node?: string }[] = [];
    a.gate.on('decision', (e) => void events.push(e));
    a.gate.on('restriction.accepted', (e) => void events.push(e));
    await a.gate.admit({ meetingId: 'm-1', participantId: 'p', peerAddress: '9.9.9.9' });
    await a.gate.restrict(cnTakedown('req-9', ['m-1']));
    expect(events.map((e) => [e.type, e.node])).toEqual([
      ['decision', 'node-a'],
      ['restriction.accepted', 'node-a'],
    ]);
  });
});
