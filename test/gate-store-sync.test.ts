/** Following a shared restriction store: catch-up netted per id. */
import { describe, expect, it } from 'vitest';
import { createGate, InMemoryRestrictionStore, StaticResolver, type GateOptions, type RestrictionStore } from 'geoadmit';
import type { RestrictionChange, RestrictionSubscriber } from 'geoadmit/store';
import { join, STATIC_TABLE, takedown } from './helpers/fixtures.js';

/** A store whose change feed can be held back, as a node cut off from Redis experiences it. */
class HeldFeedStore implements RestrictionStore {
  readonly metadata = { name: 'held' };
  #held = true;
  #waiting: { subscriber: RestrictionSubscriber; change: RestrictionChange }[] = [];
  constructor(readonly inner: InMemoryRestrictionStore) {}
  snapshot() {
    return this.inner.snapshot();
  }
  put(r: Parameters<RestrictionStore['put']>[0]) {
    return this.inner.put(r);
  }
  delete(id: string) {
    return this.inner.delete(id);
  }
  compareVersions(a: string, b: string) {
    return this.inner.compareVersions(a, b);
  }
  subscribe(from: string, subscriber: RestrictionSubscriber) {
    return this.inner.subscribe(from, {
      onChange: (change) => (this.#held ? this.#waiting.push({ subscriber, change }) : subscriber.onChange(change)),
    });
  }
  release() {
    this.#held = false;
    for (const { subscriber, change } of this.#waiting.splice(0)) subscriber.onChange(change);
  }
}

describe('catching up', () => {
  it('a restriction issued and lifted while a node was cut off removes nobody there', async () => {
    const inner = new InMemoryRestrictionStore();
    const held = new HeldFeedStore(inner);
    const removed: string[] = [];
    const options: Partial<GateOptions> = { geo: new StaticResolver(STATIC_TABLE as never) };
    const one = createGate({ ...options, restrictions: inner } as GateOptions);
    const two = createGate({ ...options, restrictions: held, onRemove: (p) => void removed.push(p.participantId) } as GateOptions);
    await one.ready();
    await two.ready();
    await one.restrict(takedown({ id: 'old' }));
    await one.lift('old');
    await one.restrict(takedown({ id: 'current', scope: { meetings: ['m-2'] } }));
    await two.admit(join('1.2.4.8', { participantId: 'cn-1' }));
    await two.admit(join('1.2.4.8', { participantId: 'cn-2', meetingId: 'm-2' }));
    held.release();
    await new Promise((r) => setImmediate(r));
    expect(removed).toEqual(['cn-2']);
    expect(two.restrictions().map((r) => r.id)).toEqual(['current']);
  });
});
