import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createGate, GeoadmitError, InMemoryRestrictionStore, StaticResolver, type GateOptions, type ParticipantRef } from 'geoadmit';
import { createManualClock } from 'geoadmit/testing';
import { STATIC_TABLE, takedown } from './helpers/fixtures.js';

function setup(options: Partial<GateOptions> = {}) {
  const removedCalls: ParticipantRef[] = [];
  const events: { type: string }[] = [];
  const gate = createGate({
    geo: new StaticResolver(STATIC_TABLE as never),
    onRemove: (p) => {
      removedCalls.push(p);
    },
    ...options,
  });
  for (const t of ['decision', 'removal', 'restriction.accepted', 'restriction.refused', 'restriction.lifted', 'error'] as const) {
    gate.on(t, (e) => events.push(e));
  }
  return { gate, removedCalls, events };
}

async function fill(gate: ReturnType<typeof createGate>, meetingId: string, ips: string[], hostAccountId?: string) {
  let i = 0;
  for (const peerAddress of ips) {
    const d = await gate.admit({ meetingId, participantId: `${meetingId}-p${i++}`, peerAddress, ...(hostAccountId ? { hostAccountId } : {}) });
    expect(d.admitted).toBe(true);
  }
}

describe('restrict on a running meeting', () => {
  it('removes exactly the 3 restricted participants among 10,000', async () => {
    const { gate, removedCalls, events } = setup();
    const ips: string[] = Array.from({ length: 10_000 }, (_, i) => (i % 2 ? '8.8.8.8' : '202.181.0.1'));
    ips[17] = '1.2.4.8';
    ips[4242] = '2001:da8::5';
    ips[9999] = '223.5.5.5';
    await fill(gate, 'm-1', ips);
    await fill(gate, 'm-2', ['1.2.4.8', '8.8.8.8']);
    const result = await gate.restrict(takedown());
    expect(result.removed.map((p) => p.participantId).sort()).toEqual(['m-1-p17', 'm-1-p4242', 'm-1-p9999']);
    expect(removedCalls).toHaveLength(3);
    expect(gate.participants('m-1')).toHaveLength(9_997);
    expect(gate.participants('m-2')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'removal')).toHaveLength(3);
    const accepted = events.find((e) => e.type === 'restriction.accepted') as unknown as {
      meetingsReached: number;
      meetingsUndisturbed: number;
      removed: number;
    };
    expect(accepted).toMatchObject({ meetingsReached: 1, meetingsUndisturbed: 0, removed: 3 });
  });

  it('leaves a meeting without restricted participants undisturbed', async () => {
    const { gate, removedCalls, events } = setup();
    await fill(gate, 'm-1', ['8.8.8.8', '202.181.0.1']);
    const result = await gate.restrict(takedown());
    expect(result.removed).toEqual([]);
    expect(result.meetingsReached).toEqual(['m-1']);
    expect(result.meetingsUndisturbed).toEqual(['m-1']);
    expect(removedCalls).toEqual([]);
    expect(gate.participants('m-1')).toHaveLength(2);
    expect(events.find((e) => e.type === 'restriction.accepted')).toMatchObject({ meetingsReached: 1, meetingsUndisturbed: 1 });
  });

  it("an account-scoped takedown reaches that account's running meetings and no others", async () => {
    const { gate } = setup();
    await fill(gate, 'd-1', ['1.2.4.8', '8.8.8.8'], 'acct-d');
    await fill(gate, 'd-2', ['223.5.5.5', '202.181.0.1'], 'acct-d');
    await fill(gate, 'x-1', ['1.2.4.8', '8.8.8.8'], 'acct-x');
    const result = await gate.restrict(takedown({ scope: { hostAccounts: ['acct-d'] } }));
    expect(result.removed.map((p) => p.participantId).sort()).toEqual(['d-1-p0', 'd-2-p0']);
    expect(result.meetingsReached.sort()).toEqual(['d-1', 'd-2']);
    expect(gate.participants('x-1')).toHaveLength(2);
  });

  it('a dry-run restriction removes nobody but reports who it would have removed', async () => {
    const { gate, removedCalls } = setup();
    await fill(gate, 'm-1', ['1.2.4.8', '8.8.8.8']);
    const result = await gate.restrict(takedown({ mode: 'dry-run' }));
    expect(result.removed).toEqual([]);
    expect(result.matched).toEqual([{ meetingId: 'm-1', participantId: 'm-1-p0' }]);
    expect(removedCalls).toEqual([]);
    expect(gate.participants('m-1')).toHaveLength(2);
  });

  it('an all-scoped sanctions restriction walks every meeting', async () => {
    const { gate } = setup();
    await fill(gate, 'a', ['1.2.4.8', '8.8.8.8']);
    await fill(gate, 'b', ['2001:da8::1']);
    const result = await gate.restrict({
      id: 's',
      kind: 'sanctions',
      authority: { name: 'Operator compliance', jurisdiction: 'US' },
      regions: ['CN'],
      scope: { all: true },
    });
    expect(result.removed).toHaveLength(2);
    expect(gate.size).toBe(1);
  });

  it('a refused restriction changes nothing and is recorded', async () => {
    const { gate, events } = setup();
    await fill(gate, 'm-1', ['202.181.0.1']);
    const error = await gate.restrict(takedown({ regions: ['HK'] })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GeoadmitError);
    expect((error as GeoadmitError).code).toBe('E_OUT_OF_JURISDICTION');
    expect(gate.restrictions()).toEqual([]);
    expect(gate.participants('m-1')).toHaveLength(1);
    expect(events.find((e) => e.type === 'restriction.refused')).toMatchObject({ code: 'E_OUT_OF_JURISDICTION', restrictionId: 'req-1', regions: ['HK'] });
  });

  it('refuses a duplicate id and keeps the first', async () => {
    const { gate } = setup();
    await gate.restrict(takedown());
    const error = await gate.restrict(takedown({ regions: ['CN-XZ'] })).catch((e: unknown) => e);
    expect((error as GeoadmitError).code).toBe('E_INVALID_RESTRICTION');
    expect((error as GeoadmitError).path).toBe('$.id');
    expect(gate.restrictions().map((r) => r.regions)).toEqual([['CN']]);
  });
});

describe('preview', () => {
  it('answers what restrict would do without registering anything', async () => {
    const { gate, removedCalls, events } = setup();
    await fill(gate, 'm-1', ['1.2.4.8', '8.8.8.8']);
    await fill(gate, 'm-2', ['8.8.8.8']);
    const preview = await gate.preview(takedown({ scope: { meetings: ['m-1', 'm-2', 'm-3'] } }));
    expect(preview.matched).toEqual([{ meetingId: 'm-1', participantId: 'm-1-p0' }]);
    expect(preview.meetingsReached).toEqual(['m-1', 'm-2']);
    expect(preview.meetingsUndisturbed).toEqual(['m-2']);
    expect(gate.restrictions()).toEqual([]);
    expect(removedCalls).toEqual([]);
    expect(events.filter((e) => e.type !== 'decision')).toEqual([]);
    const real = await gate.restrict(takedown({ scope: { meetings: ['m-1', 'm-2', 'm-3'] } }));
    expect(real.removed).toEqual(preview.matched);
    expect(real.meetingsUndisturbed).toEqual(preview.meetingsUndisturbed);
  });
});

describe('onRemove failures', () => {
  it('a throwing onRemove does not stop the others and leaves the participant pending', async () => {
    let failFor = 'm-1-p0';
    const calls: string[] = [];
    const { gate, events } = setup({
      onRemove: async (p) => {
        calls.push(p.participantId);
        if (p.participantId === failFor) throw new Error('media server unreachable');
      },
    });
    await fill(gate, 'm-1', ['1.2.4.8', '223.5.5.5', '8.8.8.8']);
    const result = await gate.restrict(takedown());
    expect(result.removed.map((p) => p.participantId)).toEqual(['m-1-p1']);
    expect(result.pending.map((p) => p.participantId)).toEqual(['m-1-p0']);
    expect(gate.pendingRemovals().map((p) => p.participant.participantId)).toEqual(['m-1-p0']);
    expect(events.some((e) => e.type === 'error' && (e as { participantId?: string }).participantId === 'm-1-p0')).toBe(true);
    expect(
      gate
        .participants('m-1')
        .map((p) => p.participantId)
        .sort(),
    ).toEqual(['m-1-p0', 'm-1-p2']);
    failFor = '';
    expect((await gate.retryRemovals()).map((p) => p.participantId)).toEqual(['m-1-p0']);
    expect(gate.pendingRemovals()).toEqual([]);
    expect(gate.participants('m-1').map((p) => p.participantId)).toEqual(['m-1-p2']);
  });
});

describe('lift', () => {
  it('stops enforcing; nobody is re-admitted automatically', async () => {
    const { gate, events } = setup();
    await fill(gate, 'm-1', ['1.2.4.8']);
    await gate.restrict(takedown());
    expect(gate.size).toBe(0);
    await gate.lift('req-1');
    expect(gate.size).toBe(0);
    expect(gate.restrictions()).toEqual([]);
    expect((await gate.admit({ meetingId: 'm-1', participantId: 'again', peerAddress: '1.2.4.8' })).admitted).toBe(true);
    expect(events.find((e) => e.type === 'restriction.lifted')).toMatchObject({ restrictionId: 'req-1', expired: false });
    await expect(gate.lift('req-1')).rejects.toMatchObject({ code: 'E_UNKNOWN_RESTRICTION' });
  });
});

describe('timed restrictions', () => {
  it('starts by itself at validFrom (removing present participants) and stops at validUntil', async () => {
    const clock = createManualClock('2020-06-01T00:00:00Z');
    const { gate, removedCalls, events } = setup({ clock });
    await fill(gate, 'm-1', ['1.2.4.8', '8.8.8.8']);
    const result = await gate.restrict(takedown({ validFrom: '2020-06-03T00:00:00Z', validUntil: '2020-06-05T00:00:00Z' }));
    expect(result.active).toBe(false);
    expect(result.removed).toEqual([]);
    expect((await gate.admit({ meetingId: 'm-1', participantId: 'early', peerAddress: '1.2.4.8' })).admitted).toBe(true);

    clock.set('2020-06-03T00:00:00Z');
    await new Promise((r) => setImmediate(r));
    expect(removedCalls.map((p) => p.participantId).sort()).toEqual(['early', 'm-1-p0']);
    expect((await gate.admit({ meetingId: 'm-1', participantId: 'during', peerAddress: '1.2.4.8' })).admitted).toBe(false);

    clock.set('2020-06-05T00:00:00Z');
    expect((await gate.admit({ meetingId: 'm-1', participantId: 'after', peerAddress: '1.2.4.8' })).admitted).toBe(true);
    expect(events.find((e) => e.type === 'restriction.lifted')).toMatchObject({ restrictionId: 'req-1', expired: true });
    expect(clock.pending()).toBe(0);
  });

  it('close() clears timers', async () => {
    const clock = createManualClock('2020-06-01T00:00:00Z');
    const { gate } = setup({ clock });
    await gate.restrict(takedown({ validFrom: '2020-06-03T00:00:00Z', validUntil: '2020-06-05T00:00:00Z' }));
    expect(clock.pending()).toBe(2);
    await gate.close();
    expect(clock.pending()).toBe(0);
  });
});

describe('roster', () => {
  it('a re-join with the same id replaces the earlier entry', async () => {
    const { gate } = setup();
    await gate.admit({ meetingId: 'm-1', participantId: 'p', peerAddress: '8.8.8.8' });
    await gate.admit({ meetingId: 'm-1', participantId: 'p', peerAddress: '1.2.4.8' });
    expect(gate.size).toBe(1);
    const result = await gate.restrict(takedown());
    expect(result.removed).toEqual([{ meetingId: 'm-1', participantId: 'p' }]);
  });

  it('leave and endMeeting keep the roster exact', async () => {
    const { gate } = setup();
    await fill(gate, 'm-1', ['8.8.8.8', '8.8.8.8']);
    await fill(gate, 'm-2', ['8.8.8.8'], 'acct');
    expect(gate.leave('m-1', 'm-1-p0')).toBe(true);
    expect(gate.leave('m-1', 'm-1-p0')).toBe(false);
    expect(gate.endMeeting('m-2')).toBe(1);
    expect(gate.size).toBe(1);
  });

  it('joining and leaving 1,000,000 participants leaves an empty roster and returns memory', async () => {
    // No event recording here: the test's own event list would be the only thing growing.
    const gate = createGate({ geo: new StaticResolver(STATIC_TABLE as never) });
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1_000_000; i++) {
      const meetingId = `m-${i % 1000}`;
      const participantId = `participant-${i}`;
      await gate.admit({ meetingId, participantId, peerAddress: '8.8.8.8', hostAccountId: `acct-${i % 100}` });
      if (i >= 100) gate.leave(`m-${(i - 100) % 1000}`, `participant-${i - 100}`);
    }
    for (let i = 1_000_000 - 100; i < 1_000_000; i++) gate.leave(`m-${i % 1000}`, `participant-${i}`);
    expect(gate.size).toBe(0);
    expect(gate.participants()).toEqual([]);
    gc();
    const after = process.memoryUsage().heapUsed;
    // Nothing per participant is retained: far less than one byte per churned participant remains.
    expect(after - before).toBeLessThan(64 * 1024 * 1024);
  }, 120_000);
});

describe('shared restriction store', () => {
  it('a restriction added through gate 1 removes matching participants on gate 2', async () => {
    const store = new InMemoryRestrictionStore();
    const one = setup({ restrictions: store });
    const two = setup({ restrictions: store });
    await one.gate.ready();
    await two.gate.ready();
    await fill(one.gate, 'm-1', ['1.2.4.8', '8.8.8.8']);
    await fill(two.gate, 'm-1', ['223.5.5.5', '202.181.0.1']);
    const result = await one.gate.restrict(takedown());
    expect(result.removed).toEqual([{ meetingId: 'm-1', participantId: 'm-1-p0' }]);
    await new Promise((r) => setImmediate(r));
    expect(two.removedCalls).toEqual([{ meetingId: 'm-1', participantId: 'm-1-p0' }]);
    expect(two.gate.restrictions().map((r) => r.id)).toEqual(['req-1']);
    // Lifting through gate 2 reaches gate 1.
    await two.gate.lift('req-1');
    await new Promise((r) => setImmediate(r));
    expect(one.gate.restrictions()).toEqual([]);
    // Gate 1 emitted exactly one accepted event (no duplicate from the feed echo).
    expect(one.events.filter((e) => e.type === 'restriction.accepted')).toHaveLength(1);
  });

  it('a gate that starts late catches up from the store', async () => {
    const store = new InMemoryRestrictionStore();
    const one = setup({ restrictions: store });
    await one.gate.ready();
    await one.gate.restrict(takedown());
    const late = setup({ restrictions: store });
    await late.gate.ready();
    expect((await late.gate.admit({ meetingId: 'm-1', participantId: 'x', peerAddress: '1.2.4.8' })).admitted).toBe(false);
  });
});
