/** removalTimeoutMs (docs/enforcement.md): an onRemove that does not settle in time leaves its participant pending; late outcomes are recorded. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createGate, StaticResolver, type GateEventMap, type GateOptions } from 'geoadmit';
import type { RemovalEvent } from 'geoadmit/audit';
import { join, STATIC_TABLE, takedown } from './helpers/fixtures.js';

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function setup(options: Partial<GateOptions>) {
  const gate = createGate({ geo: new StaticResolver(STATIC_TABLE as never), ...options });
  const removals: RemovalEvent[] = [];
  const errors: GateEventMap['error'][] = [];
  gate.on('removal', (e) => removals.push(e));
  gate.on('error', (e) => errors.push(e));
  return { gate, removals, errors };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe('removalTimeoutMs', () => {
  it('defaults to 10 seconds', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { gate } = setup({ onRemove: () => new Promise<void>(() => {}) });
    await gate.admit(join('1.2.4.8'));
    let settled = false;
    const restricting = gate.restrict(takedown()).then((r) => {
      settled = true;
      return r;
    });
    await vi.advanceTimersByTimeAsync(9_999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const result = await restricting;
    expect(result.pending).toMatchObject([{ meetingId: 'm-1', participantId: 'p-1.2.4.8' }]);
    expect(gate.pendingRemovals()[0]?.error).toBe('onRemove did not settle within 10000 ms');
  });

  it('a late success is recorded as removed and clears the pending removal', async () => {
    const kick = deferred();
    const { gate, removals } = setup({ onRemove: () => kick.promise, removalTimeoutMs: 20 });
    await gate.admit(join('1.2.4.8'));
    const result = await gate.restrict(takedown());
    expect(result.pending).toHaveLength(1);
    expect(gate.participants('m-1')).toHaveLength(1);
    kick.resolve();
    await tick();
    expect(removals.map((e) => e.status)).toEqual(['pending', 'removed']);
    expect(gate.pendingRemovals()).toEqual([]);
    expect(gate.participants('m-1')).toEqual([]);
  });

  it('a late failure keeps the participant pending with the new error', async () => {
    const kick = deferred();
    const { gate, removals, errors } = setup({ onRemove: () => kick.promise, removalTimeoutMs: 20 });
    await gate.admit(join('1.2.4.8'));
    await gate.restrict(takedown());
    kick.reject(new Error('media server unreachable'));
    await tick();
    expect(removals.map((e) => e.status)).toEqual(['pending']);
    expect(gate.pendingRemovals()[0]?.error).toBe('media server unreachable');
    expect(errors.map((e) => e.context)).toEqual(['onRemove', 'onRemove']);
    expect(gate.participants('m-1')).toHaveLength(1);
  });

  it('a late success after the participant re-joined leaves the new entry alone', async () => {
    const kick = deferred();
    const { gate, removals } = setup({ onRemove: () => kick.promise, removalTimeoutMs: 20 });
    await gate.admit(join('1.2.4.8', { participantId: 'p' }));
    await gate.restrict(takedown());
    await gate.admit(join('8.8.8.8', { participantId: 'p' }));
    expect(gate.pendingRemovals()).toEqual([]); // the re-join replaced the pending entry
    kick.resolve();
    await tick();
    expect(gate.participants('m-1')).toEqual([{ meetingId: 'm-1', participantId: 'p' }]);
    expect(removals.map((e) => e.status)).toEqual(['pending']);
  });

  it('a lift drops the pending removals of that restriction: a retry cannot re-apply it', async () => {
    let fail = true;
    const calls: string[] = [];
    const { gate } = setup({
      onRemove: (p) => {
        calls.push(p.participantId);
        if (fail) throw new Error('no');
      },
    });
    await gate.admit(join('1.2.4.8'));
    await gate.restrict(takedown());
    expect(gate.pendingRemovals()).toHaveLength(1);
    await gate.lift('req-1');
    expect(gate.pendingRemovals()).toEqual([]);
    fail = false;
    expect(await gate.retryRemovals()).toEqual([]);
    expect(calls).toEqual(['p-1.2.4.8']);
    expect(gate.participants('m-1')).toHaveLength(1);
  });

  it('a participant already being removed is not removed twice by a second restriction', async () => {
    const kick = deferred();
    let calls = 0;
    const { gate } = setup({
      onRemove: () => {
        calls++;
        return kick.promise;
      },
    });
    await gate.admit(join('1.2.4.8'));
    const first = gate.restrict(takedown());
    await tick();
    // The second waits on the call already out rather than making another one.
    const second = gate.restrict(takedown({ id: 'req-2' }));
    await tick();
    expect(calls).toBe(1);
    kick.resolve();
    expect((await first).removed).toHaveLength(1);
    expect((await second).matched).toHaveLength(1);
    expect((await second).removed).toHaveLength(1);
    expect(calls).toBe(1);
  });
});

describe('closing with removals in flight', () => {
  it('stops waiting: restrict resolves with them pending, and no timer outlives the gate', async () => {
    const { gate, removals } = setup({ onRemove: () => new Promise<void>(() => {}) });
    await gate.admit(join('1.2.4.8'));
    const restricting = gate.restrict(takedown());
    await tick();
    await gate.close();
    const result = await restricting;
    expect(result.pending).toMatchObject([{ meetingId: 'm-1', participantId: 'p-1.2.4.8' }]);
    expect(removals.map((e) => e.status)).toEqual(['pending']);
  });
});
