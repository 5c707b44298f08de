import { afterEach, expect, test } from 'vitest';
import { createGate, GeoadmitError, InMemoryRestrictionStore, type ParticipantRef, StaticResolver } from 'geoadmit';
import type { ExemptionGrantedEvent } from 'geoadmit/audit';
import { createRedisRestrictionStore } from 'geoadmit/redis';
import { STATIC_TABLE } from './helpers/fixtures.js';
import { describeWithRedis, startRedis, takedown, type TestRedis, waitFor } from './helpers/redis-server.js';

/** Behind a trusted proxy, so a network exemption sees the client address. */
function cnJoin(participantId: string, address = '1.2.4.8', meetingId = 'm-1') {
  return { meetingId, participantId, peerAddress: '10.0.0.1', headers: { 'x-forwarded-for': address } };
}

describeWithRedis('exemptions over the Redis store: the whole fleet applies them', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function node(redis: TestRedis) {
    const store = createRedisRestrictionStore({ url: redis.url, connectTimeoutMs: 1000, blockMs: 200 });
    const removed: ParticipantRef[] = [];
    const granted: ExemptionGrantedEvent[] = [];
    const errors: string[] = [];
    const gate = createGate({
      geo: new StaticResolver(STATIC_TABLE as never),
      restrictions: store,
      trustedProxies: ['10.0.0.0/8'],
      onRemove: (p) => void removed.push(p),
    });
    gate.on('exemption.granted', (e) => granted.push(e));
    gate.on('error', (e) => errors.push(e.message));
    cleanup.push(
      () => store.close(),
      () => gate.close(),
    );
    await gate.ready();
    return { gate, store, removed, granted, errors };
  }

  test('by participant, host account and network: granted on one node, applied by the other; revoked on the other, enforced on the first', async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.dispose());
    const [one, two] = [await node(redis), await node(redis)];
    await one.gate.restrict({ ...takedown('req-1'), scope: { meetings: ['m-1'], hostAccounts: ['acct-1'] } });
    await waitFor(() => two.gate.restrictions().length === 1, 'the restriction to reach node two');

    await one.gate.exempt({ id: 'by-participant', restrictionId: 'req-1', participants: ['p-appeal'], reason: 'appeal 17' });
    await one.gate.exempt({ id: 'by-account', restrictionId: 'req-1', hostAccounts: ['acct-1'], reason: 'licence' });
    await one.gate.exempt({ id: 'by-network', restrictionId: 'req-1', networks: ['1.2.4.0/28'], reason: 'licensed network' });
    await waitFor(() => two.gate.exemptions().length === 3, 'the exemptions to reach node two');
    expect(two.gate.exemptions().map((e) => e.id)).toEqual(['by-account', 'by-network', 'by-participant']);
    expect(two.granted.map((e) => e.exemptionId).sort()).toEqual(['by-account', 'by-network', 'by-participant']);

    const byParticipant = await two.gate.admit(cnJoin('p-appeal', '1.2.4.100'));
    expect(byParticipant.exempted).toEqual([{ code: 'exempted', restrictionId: 'req-1', exemptionId: 'by-participant' }]);
    const byAccount = await two.gate.admit({ ...cnJoin('p-acct', '1.2.4.101', 'm-7'), hostAccountId: 'acct-1' });
    expect(byAccount.exempted).toEqual([{ code: 'exempted', restrictionId: 'req-1', exemptionId: 'by-account' }]);
    const byNetwork = await two.gate.admit(cnJoin('p-net', '1.2.4.9'));
    expect(byNetwork.exempted).toEqual([{ code: 'exempted', restrictionId: 'req-1', exemptionId: 'by-network' }]);
    for (const d of [byParticipant, byAccount, byNetwork]) expect(d.admitted).toBe(true);
    expect((await two.gate.admit(cnJoin('p-other', '1.2.4.100'))).admitted).toBe(false);

    // Revoked through node two: node one... and node two itself removes whom the restriction covers again.
    const result = await two.gate.revokeExemption('by-network');
    expect(result.removed).toEqual([{ meetingId: 'm-1', participantId: 'p-net' }]);
    await waitFor(() => one.gate.exemptions().length === 2, 'the revocation to reach node one');
    expect((await one.gate.admit(cnJoin('p-net2', '1.2.4.9'))).admitted).toBe(false);

    // A third node started afterwards loads the exemptions from the snapshot.
    const three = await node(redis);
    expect(three.gate.exemptions().map((e) => e.id)).toEqual(['by-account', 'by-participant']);
    expect((await three.gate.admit(cnJoin('p-appeal', '1.2.4.100'))).admitted).toBe(true);
    expect([...one.errors, ...two.errors, ...three.errors]).toEqual([]);
  });

  test('a refused exemption writes nothing to Redis', async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.dispose());
    const one = await node(redis);
    await one.gate.restrict(takedown('req-1'));
    const before = await one.store.snapshot();
    for (const bad of [
      { id: 'x', restrictionId: 'nope', participants: ['p'], reason: 'r' },
      { id: 'x', restrictionId: 'req-1', networks: ['1.2.4.8/24'], reason: 'r' },
      { id: 'x', restrictionId: 'req-1', participants: ['p'], reason: 'r', extra: true },
    ]) {
      await expect(one.gate.exempt(bad as never)).rejects.toBeInstanceOf(GeoadmitError);
    }
    const after = await one.store.snapshot();
    expect(after.version).toBe(before.version);
    expect(after.exemptions).toBeUndefined();
  });
});

test('the in-memory store shared by two gates carries exemptions too', async () => {
  const store = new InMemoryRestrictionStore();
  const make = () => createGate({ geo: new StaticResolver(STATIC_TABLE as never), restrictions: store });
  const [one, two] = [make(), make()];
  await Promise.all([one.ready(), two.ready()]);
  await one.restrict(takedown('req-1'));
  await one.exempt({ id: 'e-1', restrictionId: 'req-1', participants: ['p-1'], reason: 'appeal' });
  await waitFor(() => two.exemptions().length === 1, 'the exemption to reach gate two');
  expect((await two.admit({ meetingId: 'm-1', participantId: 'p-1', peerAddress: '1.2.4.8' })).admitted).toBe(true);
  await two.revokeExemption('e-1');
  await waitFor(() => one.exemptions().length === 0, 'the revocation to reach gate one');
  expect((await one.admit({ meetingId: 'm-1', participantId: 'p-1', peerAddress: '1.2.4.8' })).admitted).toBe(false);
  await Promise.all([one.close(), two.close()]);
});
