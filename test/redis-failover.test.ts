/**
 * A failover that loses an acknowledged restriction: the replica is promoted
 * (`REPLICAOF NO ONE`) before it received d2, and the nodes' endpoint moves
 * to it. Before: nodes reported `store.regressed` only when nothing else was
 * written first; after any write, nothing was reported, new nodes admitted
 * whom d2 covers, and a lift of d2 reached no other node.
 */
import { afterEach, expect, test } from 'vitest';
import { createGate, type GateEventMap, type ParticipantRef, StaticResolver } from 'geoadmit';
import { createRedisRestrictionStore } from 'geoadmit/redis';
import { STATIC_TABLE } from './helpers/fixtures.js';
import { type ReplicaPair, startReplicaPair } from './helpers/failover.js';
import { startTcpProxy, type TcpProxy } from './helpers/fleet/tcp-proxy.js';
import { describeWithRedis, takedown, waitFor } from './helpers/redis-server.js';

type Regressed = GateEventMap['store.regressed'];

describeWithRedis('writes a failover lost', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function node(url: string, nodeId: string) {
    const store = createRedisRestrictionStore({ url, connectTimeoutMs: 400, blockMs: 200 });
    const removed: ParticipantRef[] = [];
    const regressed: Regressed[] = [];
    const accepted: string[] = [];
    const lifted: string[] = [];
    const gate = createGate({ geo: new StaticResolver(STATIC_TABLE as never), restrictions: store, nodeId, onRemove: (p) => void removed.push(p) });
    gate.on('store.regressed', (e) => void regressed.push(e));
    gate.on('restriction.accepted', (e) => void accepted.push(e.restrictionId));
    gate.on('restriction.lifted', (e) => void lifted.push(e.restrictionId));
    cleanup.push(
      () => store.close(),
      () => gate.close(),
    );
    await gate.ready();
    return { gate, store, removed, regressed, accepted, lifted };
  }

  /** A primary with a replica, and two nodes reaching the primary through a relay that can be moved to the replica. */
  async function twoNodes() {
    const pair: ReplicaPair = await startReplicaPair();
    cleanup.push(() => pair.dispose());
    const proxy: TcpProxy = await startTcpProxy(pair.primary.port);
    cleanup.push(() => proxy.close());
    const a = await node(proxy.url, 'node-a');
    const b = await node(proxy.url, 'node-b');
    return { pair, proxy, a, b };
  }

  /** Two nodes through a relay to the primary; d1 replicated, d2 written after the replica was cut off; then the endpoint moves. */
  async function loseD2(options: { writeBeforeReconnect: boolean }) {
    const { pair, proxy, a, b } = await twoNodes();
    await a.gate.restrict(takedown('d1', 'm-1'));
    await pair.synced();
    await pair.promote();
    await b.gate.admit({ meetingId: 'm-2', participantId: 'b-cn', peerAddress: '1.2.4.8' });
    await a.gate.restrict(takedown('d2', 'm-2'));
    await waitFor(() => b.removed.length === 1, 'node-b to enforce d2');
    await waitFor(() => a.gate.restrictions().length === 2 && b.gate.restrictions().length === 2, 'both nodes to hold d1 and d2');
    await pair.primary.kill();
    if (options.writeBeforeReconnect) {
      // The promoted replica takes a write before the nodes find it.
      const direct = createRedisRestrictionStore({ url: pair.replica.url, connectTimeoutMs: 400 });
      await direct.put(takedown('d3', 'm-3'));
      await direct.close();
    }
    proxy.retarget(pair.replica.port);
    return { pair, proxy, a, b };
  }

  for (const writeBeforeReconnect of [false, true]) {
    test(`nodes report the lost restriction by id and keep enforcing it (${writeBeforeReconnect ? 'with' : 'without'} a write before they reconnect); reseed heals the store`, async () => {
      const { pair, a, b } = await loseD2({ writeBeforeReconnect });
      for (const n of [a, b]) {
        await waitFor(() => n.regressed.some((e) => e.missing !== undefined), `${n.gate.nodeId} to report store.regressed with the missing ids`);
        const event = n.regressed.find((e) => e.missing !== undefined);
        expect(event?.missing).toEqual(['d2']);
        expect(event?.message).toContain('d2');
      }
      // Still enforced where it was known ...
      expect((await b.gate.admit({ meetingId: 'm-2', participantId: 'b-cn2', peerAddress: '1.2.4.9' })).admitted).toBe(false);
      if (writeBeforeReconnect) await waitFor(() => a.gate.restrictions().some((r) => r.id === 'd3'), 'the write after the failover to arrive');
      expect(
        a.gate
          .restrictions()
          .map((r) => r.id)
          .sort(),
      ).toEqual(writeBeforeReconnect ? ['d1', 'd2', 'd3'] : ['d1', 'd2']);

      // ... while a node started after the failover knows nothing of it, until the store is re-seeded.
      const c = await node(pair.replica.url, 'node-c');
      expect((await c.gate.admit({ meetingId: 'm-2', participantId: 'c-cn', peerAddress: '1.2.4.10' })).admitted).toBe(true);
      const reseeded = await a.store.reseed(a.gate.restrictions().map((r) => r.source as never));
      expect(reseeded.written).toEqual(['d2']);
      await waitFor(() => c.removed.some((p) => p.participantId === 'c-cn'), 'node-c to enforce the re-seeded d2');
      // The nodes that kept d2 keep their registration: no second acceptance, no lift.
      await new Promise((r) => setTimeout(r, 100));
      for (const n of [a, b]) {
        expect(n.accepted.filter((id) => id === 'd2')).toHaveLength(1);
        expect(n.lifted).toEqual([]);
      }
    });
  }

  test('a lift of a restriction the store lost reaches every node that enforces it', async () => {
    const { a, b } = await loseD2({ writeBeforeReconnect: true });
    await waitFor(() => a.regressed.some((e) => e.missing !== undefined) && b.regressed.some((e) => e.missing !== undefined), 'both nodes to report');
    await b.gate.lift('d2');
    await waitFor(() => !a.gate.restrictions().some((r) => r.id === 'd2'), 'the lift of d2 to reach node-a');
    expect(a.lifted).toEqual(['d2']);
    expect((await a.gate.admit({ meetingId: 'm-2', participantId: 'a-cn', peerAddress: '1.2.4.11' })).admitted).toBe(true);
  });

  test('an exemption the failover lost: named, still held where it was (nobody it spared is removed), and reseed writes it back', async () => {
    const { pair, proxy, a, b } = await twoNodes();
    const revoked: string[] = [];
    b.gate.on('exemption.revoked', (e) => void revoked.push(e.exemptionId));
    await a.gate.restrict(takedown('d1', 'm-1'));
    await pair.synced();
    await pair.promote();
    // Granted after the replica was cut off: the promoted replica never receives it.
    await a.gate.exempt({ id: 'e1', restrictionId: 'd1', participants: ['traveller'], reason: 'appeal 12: misplaced' });
    await waitFor(() => b.gate.exemptions().length === 1, 'node-b to hold e1');
    expect((await b.gate.admit({ meetingId: 'm-1', participantId: 'traveller', peerAddress: '1.2.4.8' })).admitted).toBe(true);
    await pair.primary.kill();
    const direct = createRedisRestrictionStore({ url: pair.replica.url, connectTimeoutMs: 400 });
    await direct.put(takedown('d3', 'm-3'));
    await direct.close();
    proxy.retarget(pair.replica.port);

    for (const n of [a, b]) {
      await waitFor(() => n.regressed.some((e) => e.missingExemptions !== undefined), `${n.gate.nodeId} to report the lost exemption`);
      const event = n.regressed.find((e) => e.missingExemptions !== undefined);
      expect(event?.missingExemptions).toEqual(['e1']);
      expect(event?.message).toContain('e1');
      expect(n.gate.exemptions().map((x) => x.id)).toEqual(['e1']);
    }
    expect(b.gate.participants('m-1').map((p) => p.participantId)).toEqual(['traveller']);
    expect(b.removed).toEqual([]);

    // A node started after the failover does not know the exemption until the store is re-seeded.
    const c = await node(pair.replica.url, 'node-c');
    expect((await c.gate.admit({ meetingId: 'm-1', participantId: 'traveller', peerAddress: '1.2.4.9' })).admitted).toBe(false);
    const reseeded = await a.store.reseed(
      a.gate.restrictions().map((r) => r.source as never),
      a.gate.exemptions(),
    );
    expect(reseeded).toMatchObject({ written: [], exemptionsWritten: ['e1'] });
    await waitFor(() => c.gate.exemptions().length === 1, 'node-c to hold the re-seeded e1');
    expect((await c.gate.admit({ meetingId: 'm-1', participantId: 'traveller', peerAddress: '1.2.4.10' })).admitted).toBe(true);
    // Where it was kept, the echo of the re-seed changes nothing: no revocation, nobody removed.
    await new Promise((r) => setTimeout(r, 300));
    expect(revoked).toEqual([]);
    expect(b.removed).toEqual([]);
    expect(b.gate.participants('m-1').map((p) => p.participantId)).toEqual(['traveller']);
  });

  test('reseed refuses an exemption it cannot store, naming the entry, and writes nothing', async () => {
    const pair: ReplicaPair = await startReplicaPair();
    cleanup.push(() => pair.dispose());
    const store = createRedisRestrictionStore({ url: pair.primary.url, connectTimeoutMs: 400 });
    cleanup.push(() => store.close());
    const error = await store.reseed([takedown('d9', 'm-9')], [{ id: 'e9', restrictionId: 'd9', participants: ['p'], reason: 'x' } as never]).then(
      () => undefined,
      (e: { code?: string; message: string }) => e,
    );
    expect(error?.code).toBe('E_INVALID_RESTRICTION');
    expect(error?.message).toContain('exemptions[0]');
    expect((await store.snapshot()).restrictions).toEqual([]);
  });
});
