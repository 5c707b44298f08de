/**
 * A store that lost an exemption (a failover to a replica that missed it):
 * the gate names it in `store.regressed` and keeps holding it. A later
 * snapshot without it (a resync after trimming) is no revocation: dropping it
 * would remove the participant an appeal spared. Once the store has it again,
 * it is followed as usual.
 */
import { afterEach, expect, test } from 'vitest';
import { createGate, type GateEventMap, InMemoryRestrictionStore, type ParticipantRef, type Restriction, StaticResolver } from 'geoadmit';
import type { RestrictionSnapshot, RestrictionSubscriber } from 'geoadmit/store';
import { STATIC_TABLE } from './helpers/fixtures.js';

/** An in-memory store that lets the test play the store's events and resyncs, as a Redis store would send them. */
class ScriptedStore extends InMemoryRestrictionStore {
  subscriber: RestrictionSubscriber | undefined;
  lost = false;
  override subscribe(fromVersion: string, subscriber: RestrictionSubscriber): () => void {
    this.subscriber = subscriber;
    return super.subscribe(fromVersion, subscriber);
  }
  override async snapshot(): Promise<RestrictionSnapshot> {
    const snapshot = await super.snapshot();
    return this.lost ? { ...snapshot, exemptions: [] } : snapshot;
  }
}

const d1: Restriction = { id: 'd1', authority: { name: 'Example Authority', jurisdiction: 'CN' }, regions: ['CN'], scope: { meetings: ['m-1'] } };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

test('a lost exemption is named, kept through a later snapshot that lacks it, and the spared participant stays', async () => {
  const store = new ScriptedStore([d1]);
  const removed: ParticipantRef[] = [];
  const regressed: GateEventMap['store.regressed'][] = [];
  const revoked: string[] = [];
  const gate = createGate({ geo: new StaticResolver(STATIC_TABLE as never), restrictions: store, onRemove: (p) => void removed.push(p) });
  closers.push(() => gate.close());
  gate.on('store.regressed', (e) => void regressed.push(e));
  gate.on('exemption.revoked', (e) => void revoked.push(e.exemptionId));
  gate.on('error', () => undefined);
  await gate.ready();
  await gate.exempt({ id: 'e1', restrictionId: 'd1', participants: ['traveller'], reason: 'appeal 12' });
  expect((await gate.admit({ meetingId: 'm-1', participantId: 'traveller', peerAddress: '1.2.4.8' })).admitted).toBe(true);

  // The store loses the exemption and says its history went backwards.
  store.lost = true;
  store.subscriber?.onEvent?.('store.regressed', { store: 'memory', time: Date.now(), lastVersion: '9', storeVersion: '3', message: 'lost writes' });
  await expect.poll(() => regressed.length).toBe(1);
  expect(regressed[0]?.missingExemptions).toEqual(['e1']);
  expect(regressed[0]?.message).toContain('e1');

  // Then a resync snapshot without it: still held, nobody removed.
  const snapshot = await store.snapshot();
  store.subscriber?.onSnapshot?.(snapshot);
  await new Promise((r) => setTimeout(r, 20));
  expect(gate.exemptions().map((e) => e.id)).toEqual(['e1']);
  expect(revoked).toEqual([]);
  expect(removed).toEqual([]);

  // Revoked on purpose, it goes, and the restriction applies to the traveller again.
  const result = await gate.revokeExemption('e1');
  expect(result.removed.map((p) => p.participantId)).toEqual(['traveller']);
  expect(gate.exemptions()).toEqual([]);
});
