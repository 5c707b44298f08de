/** A gate's lifecycle: closing, restrictions it starts with, windows that end, retried removals. */
import { describe, expect, it } from 'vitest';
import { createGate, GeoadmitError, MaxMindResolver, StaticResolver } from 'geoadmit';
import { createManualClock } from 'geoadmit/testing';
import { GEOLITE2_COUNTRY, join, recordEvents, STATIC_TABLE, takedown } from './helpers/fixtures.js';

describe('a closed gate', () => {
  it('refuses to admit or preview rather than admitting everyone', async () => {
    const gate = createGate({ geo: new StaticResolver(STATIC_TABLE as never), restrictions: [takedown()] });
    await gate.close();
    await expect(gate.admit(join('1.2.4.8'))).rejects.toMatchObject({ code: 'E_CLOSED' });
    await expect(gate.preview(takedown({ id: 'x' }))).rejects.toMatchObject({ code: 'E_CLOSED' });
    expect(gate.size).toBe(0);
  });
});

it('GeoadmitError is what a closed gate rejects with', async () => {
  const gate = createGate({ geo: new StaticResolver({}) });
  await gate.close();
  expect(await gate.admit(join('8.8.8.8')).catch((e: unknown) => e)).toBeInstanceOf(GeoadmitError);
});

describe('expired restrictions', () => {
  it('stay listed and liftable; the id stays taken until lifted', async () => {
    const clock = createManualClock('2020-06-01T00:00:00Z');
    const gate = createGate({ geo: new StaticResolver(STATIC_TABLE as never), clock });
    const events = recordEvents(gate);
    await gate.restrict(takedown({ validUntil: '2020-06-02T00:00:00Z' }));
    clock.set('2020-06-03T00:00:00Z');
    expect(gate.restrictions().map((r) => r.id)).toEqual(['req-1']);
    expect((await gate.admit(join('1.2.4.8'))).admitted).toBe(true);
    await expect(gate.restrict(takedown())).rejects.toMatchObject({ code: 'E_INVALID_RESTRICTION', path: '$.id' });
    await gate.lift('req-1');
    expect(gate.restrictions()).toEqual([]);
    const lifted = events.filter((e) => e.type === 'restriction.lifted');
    expect(lifted.map((e) => e.type === 'restriction.lifted' && e.expired)).toEqual([true, false]);
    await gate.restrict(takedown());
    expect((await gate.admit(join('1.2.4.8', { participantId: 'again' }))).admitted).toBe(false);
  });

  it('accepted and lifted events carry the same document digest', async () => {
    const gate = createGate({ geo: new StaticResolver(STATIC_TABLE as never) });
    const events = recordEvents(gate);
    await gate.restrict(takedown());
    await gate.lift('req-1');
    await gate.restrict(takedown({ scope: { meetings: ['m-2'] } }));
    const digests = events.flatMap((e) => (e.type === 'restriction.accepted' || e.type === 'restriction.lifted' ? [e.digest] : []));
    expect(digests).toHaveLength(3);
    expect(digests[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(digests[1]).toBe(digests[0]);
    expect(digests[2]).not.toBe(digests[0]);
  });
});

describe('retried removals', () => {
  it('record the completed removal in the audit events', async () => {
    let fail = true;
    const gate = createGate({
      geo: new StaticResolver(STATIC_TABLE as never),
      onRemove: () => {
        if (fail) throw new Error('media server down');
      },
    });
    const events = recordEvents(gate);
    await gate.admit(join('1.2.4.8'));
    await gate.restrict(takedown());
    fail = false;
    await gate.retryRemovals();
    const removals = events.flatMap((e) => (e.type === 'removal' ? [[e.participantId, e.status, e.restrictionId]] : []));
    expect(removals).toEqual([
      ['p-1.2.4.8', 'pending', 'req-1'],
      ['p-1.2.4.8', 'removed', 'req-1'],
    ]);
  });
});

describe('restrictions given to createGate', () => {
  it('are recorded as accepted, with capability warnings, for listeners attached right away', async () => {
    const geo = await MaxMindResolver.open([GEOLITE2_COUNTRY]);
    const gate = createGate({ geo, restrictions: [takedown({ id: 'xz', regions: ['CN-XZ'] })] });
    const events = recordEvents(gate);
    await gate.ready();
    await Promise.resolve();
    const accepted = events.filter((e) => e.type === 'restriction.accepted');
    expect(accepted).toHaveLength(1);
    expect(accepted[0]).toMatchObject({ restrictionId: 'xz', warnings: [expect.stringContaining('CN-XZ')] });
    await geo.close();
  });
});
