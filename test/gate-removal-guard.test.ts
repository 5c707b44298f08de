/**
 * One guarded way to call onRemove: every attempt (first, retry, activation,
 * store change) re-checks that the roster entry is still the one decided about
 * and that an active enforced restriction still covers it, is bounded by
 * removalTimeoutMs, and never overlaps another call for the same entry.
 */
import { createGate, type GateEventMap, type GateOptions, InMemoryRestrictionStore, StaticResolver } from 'geoadmit';
import type { RemovalEvent } from 'geoadmit/audit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { scheduleAt } from '../src/gate/clock.js';
import { join, recordEvents, STATIC_TABLE, takedown } from './helpers/fixtures.js';

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms));

const gates: { close(): Promise<void> }[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const g of gates.splice(0)) await g.close();
});

function setup(options: Partial<GateOptions>) {
  const gate = createGate({ geo: new StaticResolver(STATIC_TABLE as never), ...options });
  gates.push(gate);
  const removals: RemovalEvent[] = [];
  const errors: GateEventMap['error'][] = [];
  gate.on('removal', (e) => removals.push(e));
  gate.on('error', (e) => errors.push(e));
  return { gate, removals, errors };
}

const CN = '1.2.4.8';
const CN2 = '1.2.4.9';
const US = '8.8.8.8';

/** onRemove that records calls and follows a script per call (throw, hang, defer or succeed). */
function scripted() {
  const calls: string[] = [];
  const inFlight = new Map<string, number>();
  let maxInFlight = 0;
  const plan: ((id: string) => void | Promise<void>)[] = [];
  const onRemove = (p: { participantId: string }): Promise<void> | undefined => {
    calls.push(p.participantId);
    const step = plan.shift();
    const out = step?.(p.participantId);
    if (out === undefined) return undefined;
    inFlight.set(p.participantId, (inFlight.get(p.participantId) ?? 0) + 1);
    maxInFlight = Math.max(maxInFlight, inFlight.get(p.participantId)!);
    const done = (): void => {
      inFlight.set(p.participantId, (inFlight.get(p.participantId) ?? 1) - 1);
    };
    return out.then(done, (e: unknown) => {
      done();
      throw e;
    });
  };
  return {
    calls,
    plan,
    onRemove,
    get maxInFlightPerEntry() {
      return maxInFlight;
    },
  };
}

const fail = () => {
  throw new Error('media server down');
};

describe('retryRemovals', () => {
  // Retries run RETRY_CONCURRENCY (16) at a time: sixteen slow ones ahead of b keep b queued meanwhile.
  const AHEAD = 16;

  async function backlog() {
    const s = scripted();
    const { gate } = setup({ onRemove: s.onRemove });
    for (let i = 0; i < AHEAD; i++) await gate.admit(join(CN, { participantId: `x${i}` }));
    await gate.admit(join(CN2, { participantId: 'b' }));
    for (let i = 0; i <= AHEAD; i++) s.plan.push(fail);
    await gate.restrict(takedown());
    expect(gate.pendingRemovals()).toHaveLength(AHEAD + 1);
    const slow = deferred();
    for (let i = 0; i < AHEAD; i++) s.plan.push(() => slow.promise);
    return { s, gate, slow };
  }

  it('does not kick a participant who re-joined from outside the region while the retry was under way', async () => {
    const { s, gate, slow } = await backlog();
    const retrying = gate.retryRemovals();
    await tick();
    // While the retry is under way, b re-joins from the US: admitted, a new roster entry.
    expect((await gate.admit(join(US, { participantId: 'b' }))).admitted).toBe(true);
    slow.resolve();
    const done = await retrying;
    expect(done).toHaveLength(AHEAD);
    expect(done.map((p) => p.participantId)).not.toContain('b');
    expect(s.calls.filter((c) => c === 'b')).toEqual(['b']); // only the first, failed attempt
    expect(gate.participants('m-1')).toEqual([{ meetingId: 'm-1', participantId: 'b' }]);
  });

  it('does not call onRemove for participants whose restriction was lifted during the retry', async () => {
    const { s, gate, slow } = await backlog();
    const retrying = gate.retryRemovals();
    await tick();
    await gate.lift('req-1');
    slow.resolve();
    await retrying;
    expect(s.calls.filter((c) => c === 'b')).toHaveLength(1);
    expect(gate.pendingRemovals()).toEqual([]);
    expect(gate.participants('m-1').map((p) => p.participantId)).toEqual(['b']);
  });

  it('settles within removalTimeoutMs when an onRemove never settles, leaving that participant pending', async () => {
    const s = scripted();
    const { gate } = setup({ onRemove: s.onRemove, removalTimeoutMs: 40 });
    await gate.admit(join(CN, { participantId: 'a' }));
    s.plan.push(fail);
    await gate.restrict(takedown());
    s.plan.push(() => new Promise<void>(() => {}));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    let settled: unknown;
    void gate.retryRemovals().then((done) => {
      settled = done;
    });
    await vi.advanceTimersByTimeAsync(39);
    expect(settled).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toEqual([]);
    expect(gate.pendingRemovals()).toMatchObject([{ participant: { participantId: 'a' }, error: 'onRemove did not settle within 40 ms' }]);
  });

  it('runs retries concurrently, not one after another', async () => {
    const s = scripted();
    const { gate } = setup({ onRemove: s.onRemove });
    for (const id of ['a', 'b', 'c']) await gate.admit(join(CN, { participantId: id }));
    s.plan.push(fail, fail, fail);
    await gate.restrict(takedown());
    const gates3 = [deferred(), deferred(), deferred()];
    for (const d of gates3) s.plan.push(() => d.promise);
    const retrying = gate.retryRemovals();
    await tick();
    expect(s.calls).toHaveLength(6); // all three retries are out before any settles
    for (const d of gates3) d.resolve();
    expect((await retrying).map((p) => p.participantId).sort()).toEqual(['a', 'b', 'c']);
  });

  it('never calls onRemove again while a timed-out first call is still in flight', async () => {
    const s = scripted();
    const { gate, removals } = setup({ onRemove: s.onRemove, removalTimeoutMs: 20 });
    await gate.admit(join(CN, { participantId: 'a' }));
    const slow = deferred();
    s.plan.push(() => slow.promise);
    const result = await gate.restrict(takedown());
    expect(result.pending).toHaveLength(1);
    s.plan.push(() => Promise.resolve());
    expect(await gate.retryRemovals()).toEqual([]);
    expect(s.calls).toEqual(['a']);
    expect(s.maxInFlightPerEntry).toBe(1);
    slow.resolve();
    await tick();
    expect(removals.map((e) => e.status)).toEqual(['pending', 'removed']);
    expect(gate.participants('m-1')).toEqual([]);
  });
});

describe('overlapping restrictions', () => {
  it('a participant pending under r1 stays pending when r1 is lifted while r2 covers them', async () => {
    const s = scripted();
    const { gate } = setup({ onRemove: s.onRemove });
    await gate.admit(join(CN, { participantId: 'a' }));
    s.plan.push(fail, fail);
    await gate.restrict(takedown({ id: 'r2' }));
    // A corrected demand: its own attempt fails too, and the removal is now tracked under it.
    expect((await gate.restrict(takedown({ id: 'r1' }))).pending).toMatchObject([{ meetingId: 'm-1', participantId: 'a' }]);
    expect(gate.pendingRemovals()).toMatchObject([{ participant: { participantId: 'a' }, restrictionId: 'r1' }]);
    await gate.lift('r1');
    expect(gate.participants('m-1')).toHaveLength(1);
    expect(gate.pendingRemovals()).toMatchObject([{ participant: { participantId: 'a' }, restrictionId: 'r2' }]);
    expect((await gate.retryRemovals()).map((p) => p.participantId)).toEqual(['a']);
    expect(gate.participants('m-1')).toEqual([]);
  });

  it('a removal in flight for r1 that fails after r1 was lifted stays pending under r2 that covers them', async () => {
    const s = scripted();
    const { gate, removals } = setup({ onRemove: s.onRemove });
    await gate.admit(join(CN, { participantId: 'a' }));
    const kick = deferred();
    s.plan.push(() => kick.promise);
    const first = gate.restrict(takedown({ id: 'r1' }));
    await tick();
    const second = gate.restrict(takedown({ id: 'r2' }));
    await tick();
    await gate.lift('r1');
    kick.reject(new Error('media server down'));
    await first;
    expect((await second).pending).toMatchObject([{ meetingId: 'm-1', participantId: 'a' }]);
    expect(s.calls).toEqual(['a']);
    expect(gate.pendingRemovals()).toMatchObject([{ participant: { participantId: 'a' }, restrictionId: 'r2' }]);
    expect(removals.map((e) => [e.status, e.restrictionId])).toEqual([['pending', 'r2']]);
  });

  it('a pending removal whose last covering restriction is lifted is dropped, and the retry calls nobody', async () => {
    const s = scripted();
    const { gate } = setup({ onRemove: s.onRemove });
    await gate.admit(join(CN, { participantId: 'a' }));
    s.plan.push(fail, fail);
    await gate.restrict(takedown({ id: 'r1' }));
    await gate.restrict(takedown({ id: 'r2', scope: { meetings: ['m-1', 'm-2'] } }));
    await gate.lift('r1');
    await gate.lift('r2');
    expect(gate.pendingRemovals()).toEqual([]);
    expect(await gate.retryRemovals()).toEqual([]);
    expect(s.calls).toHaveLength(2);
  });
});

describe('exemptions', () => {
  it('a participant exempted while their removal is pending is no longer pending, and no retry calls onRemove for them', async () => {
    const s = scripted();
    const { gate } = setup({ onRemove: s.onRemove });
    await gate.admit(join(CN, { participantId: 'a' }));
    s.plan.push(fail);
    await gate.restrict(takedown());
    expect(gate.pendingRemovals()).toHaveLength(1);
    await gate.exempt({ id: 'appeal-1', restrictionId: 'req-1', participants: ['a'], reason: 'appeal upheld' });
    expect(gate.pendingRemovals()).toEqual([]);
    expect(await gate.retryRemovals()).toEqual([]);
    expect(s.calls).toEqual(['a']);
    expect(gate.participants('m-1')).toEqual([{ meetingId: 'm-1', participantId: 'a' }]);
  });
});

describe('store changes', () => {
  it('a lift through another gate sharing the store ends the pending removal here; a restriction added there removes through the guarded call', async () => {
    const store = new InMemoryRestrictionStore();
    const s = scripted();
    const here = setup({ onRemove: s.onRemove, restrictions: store });
    const there = setup({ restrictions: store });
    await Promise.all([here.gate.ready(), there.gate.ready()]);
    await here.gate.admit(join(CN, { participantId: 'a' }));
    s.plan.push(fail);
    await there.gate.restrict(takedown());
    await expect.poll(() => here.gate.pendingRemovals().length).toBe(1);
    expect(here.removals.map((e) => [e.status, e.restrictionId])).toEqual([['pending', 'req-1']]);
    await there.gate.lift('req-1');
    await expect.poll(() => here.gate.restrictions().length).toBe(0);
    expect(here.gate.pendingRemovals()).toEqual([]);
    expect(await here.gate.retryRemovals()).toEqual([]);
    expect(s.calls).toEqual(['a']);
  });
});

describe('events', () => {
  it('restriction.accepted comes before the removal events it causes, also with a synchronous onRemove', async () => {
    const { gate } = setup({ onRemove: () => undefined });
    const events = recordEvents(gate);
    await gate.admit(join(CN));
    await gate.restrict(takedown());
    expect(events.filter((e) => e.type !== 'decision').map((e) => e.type)).toEqual(['restriction.accepted', 'removal']);
  });

  it('restriction.accepted comes first when the synchronous onRemove fails (pending)', async () => {
    const { gate } = setup({ onRemove: fail });
    const events = recordEvents(gate);
    await gate.admit(join(CN));
    await gate.restrict(takedown());
    expect(events.filter((e) => e.type === 'restriction.accepted' || e.type === 'removal').map((e) => e.type)).toEqual(['restriction.accepted', 'removal']);
  });
});

describe('a closed gate does nothing more', () => {
  it('a restrict waiting on its store put when close() resolved neither registers nor calls onRemove', async () => {
    const put = deferred();
    const store = new InMemoryRestrictionStore();
    const realPut = store.put.bind(store);
    store.put = async (doc) => {
      await put.promise;
      return realPut(doc);
    };
    const s = scripted();
    const { gate, removals } = setup({ onRemove: s.onRemove, restrictions: store });
    await gate.ready();
    await gate.admit(join(CN));
    const restricting = gate.restrict(takedown());
    await tick();
    await gate.close();
    put.resolve();
    await expect(restricting).rejects.toMatchObject({ code: 'E_CLOSED' });
    expect(s.calls).toEqual([]);
    expect(removals).toEqual([]);
    expect(gate.restrictions()).toEqual([]);
  });

  it('retryRemovals after close calls nothing', async () => {
    const s = scripted();
    const { gate } = setup({ onRemove: s.onRemove });
    await gate.admit(join(CN));
    s.plan.push(fail);
    await gate.restrict(takedown());
    await gate.close();
    await gate.retryRemovals().catch(() => undefined);
    expect(s.calls).toHaveLength(1);
  });
});

describe('timers never call back synchronously', () => {
  it('scheduleAt with a time already passed defers the call', async () => {
    let now = 1_000;
    const clock = () => now;
    let fired = 0;
    scheduleAt(clock, 500, () => fired++);
    expect(fired).toBe(0);
    await sleep(5);
    expect(fired).toBe(1);
    // A clock with its own scheduler that answers at once is deferred too.
    const eager = Object.assign(() => now, { schedule: (_at: number, fn: () => void) => (fn(), () => undefined) });
    scheduleAt(eager, 500, () => fired++);
    expect(fired).toBe(1);
    await tick();
    expect(fired).toBe(2);
    now += 1;
  });

  it('a window start that fires after its end (stalled event loop) expires the restriction instead of overflowing the stack', async () => {
    // A clock without a scheduler (real timers): it jumps while the loop is stalled.
    const T = Date.parse('2026-01-01T00:00:00Z');
    let skew = 0;
    const clock = () => T + skew;
    const s = scripted();
    const { gate, errors } = setup({ onRemove: s.onRemove, clock });
    const events = recordEvents(gate);
    await gate.admit(join(CN));
    await gate.restrict(takedown({ validFrom: new Date(T + 20).toISOString(), validUntil: new Date(T + 40).toISOString() }));
    // By the time the start's timer fires, the window is long over.
    skew = 10_000;
    await sleep(60);
    expect(errors).toEqual([]);
    expect(s.calls).toEqual([]);
    expect(events.filter((e) => e.type === 'restriction.lifted')).toMatchObject([{ restrictionId: 'req-1', expired: true }]);
  });
});
