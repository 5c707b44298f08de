/** Behaviours found in review: closed gates, audit prefixes, expiry, retries, plugins' evidence, catch-up. */
import { describe, expect, it } from 'vitest';
import {
  createGate,
  GeoadmitError,
  InMemoryRestrictionStore,
  MaxMindResolver,
  StaticResolver,
  type GateEventMap,
  type GateOptions,
  type RestrictionChange,
  type RestrictionStore,
  type RestrictionSubscriber,
} from 'geoadmit';
import { createManualClock } from 'geoadmit/testing';
import { GEOLITE2_COUNTRY, join, STATIC_TABLE, takedown } from './helpers/fixtures.js';

function record(gate: ReturnType<typeof createGate>) {
  const events: GateEventMap[keyof GateEventMap][] = [];
  for (const t of ['decision', 'removal', 'restriction.accepted', 'restriction.refused', 'restriction.lifted', 'error'] as const)
    gate.on(t, (e) => events.push(e));
  return events;
}

describe('a closed gate', () => {
  it('refuses to admit or preview rather than admitting everyone', async () => {
    const gate = createGate({ geo: new StaticResolver(STATIC_TABLE as never), restrictions: [takedown()] });
    await gate.close();
    await expect(gate.admit(join('1.2.4.8'))).rejects.toMatchObject({ code: 'E_CLOSED' });
    await expect(gate.preview(takedown({ id: 'x' }))).rejects.toMatchObject({ code: 'E_CLOSED' });
    expect(gate.size).toBe(0);
  });
});

describe('audit prefixes', () => {
  const single = new StaticResolver({ '1.2.4.8/32': 'CN', '2001:da8::1/128': 'CN', '8.8.8.0/24': 'US' });
  it.each([
    ['truncate', '1.2.4.0/24', '2001:da8::/48'],
    ['hmac', undefined, undefined],
    ['omit', undefined, undefined],
    ['raw', '1.2.4.8/32', '2001:da8::1/128'],
  ] as const)('a single-address table entry never reveals the address under %s', async (ip, v4, v6) => {
    const gate = createGate({ geo: single, audit: { ip, hmacKey: 'k' } });
    const events = record(gate);
    await gate.admit(join('1.2.4.8', { participantId: 'a' }));
    await gate.admit(join('2001:da8::1', { participantId: 'b' }));
    await gate.admit(join('8.8.8.8', { participantId: 'c' }));
    const networks = events.flatMap((e) => (e.type === 'decision' ? [e.location.network] : []));
    expect(networks).toEqual([v4, v6, '8.8.8.0/24']);
    if (ip !== 'raw') expect(JSON.stringify(events)).not.toMatch(/1\.2\.4\.8|2001:da8::1\b/);
  });
});

describe('expired restrictions', () => {
  it('stay listed and liftable; the id stays taken until lifted', async () => {
    const clock = createManualClock('2020-06-01T00:00:00Z');
    const gate = createGate({ geo: new StaticResolver(STATIC_TABLE as never), clock });
    const events = record(gate);
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
    const events = record(gate);
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
    const events = record(gate);
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
    const events = record(gate);
    await gate.ready();
    await Promise.resolve();
    const accepted = events.filter((e) => e.type === 'restriction.accepted');
    expect(accepted).toHaveLength(1);
    expect(accepted[0]).toMatchObject({ restrictionId: 'xz', warnings: [expect.stringContaining('CN-XZ')] });
    await geo.close();
  });
});

describe('plugins', () => {
  it('a rule returning a never-settling thenable is bounded by ruleTimeoutMs', async () => {
    const gate = createGate({
      geo: new StaticResolver(STATIC_TABLE as never),
      rules: [{ name: 'thenable', evaluate: () => ({ then() {} }) as never }],
      ruleTimeoutMs: 30,
    });
    const events = record(gate);
    const d = await gate.admit(join('8.8.8.8'));
    expect(d.reasons).toEqual([expect.objectContaining({ code: 'rule', rule: 'thenable' })]);
    expect(events.some((e) => e.type === 'error' && e.context === 'rule')).toBe(true);
  });

  it("a location source's evidence is checked and canonicalised like a database answer", async () => {
    const evidence: Record<string, unknown> = {};
    const gate = createGate({
      geo: new StaticResolver(STATIC_TABLE as never),
      restrictions: [takedown()],
      locationSources: [{ name: 'dial-in', locate: (j) => (evidence[j.participantId] as never) ?? undefined }],
    });
    const events = record(gate);
    evidence.lower = { country: 'cn' };
    evidence.junk = { country: 'Narnia', subdivisions: 7 };
    evidence.partial = { country: 'CN', subdivisions: ['CN-22', 'US-CA', 42] };
    const lower = await gate.admit(join('10.0.0.1', { participantId: 'lower' }));
    expect(lower.admitted).toBe(false);
    expect(lower.location).toEqual({ country: 'CN', subdivisions: [], source: 'dial-in' });
    const junk = await gate.admit(join('10.0.0.1', { participantId: 'junk' }));
    expect(junk.admitted).toBe(true);
    expect(junk.location.unknown).toBe('non-global');
    expect(events.some((e) => e.type === 'error' && e.message.includes('dial-in'))).toBe(true);
    expect((await gate.admit(join('10.0.0.1', { participantId: 'partial' }))).location.subdivisions).toEqual(['CN-JL']);
  });
});

describe('hostile header objects', () => {
  it('headers whose getters throw give an unknown location, not an exception', async () => {
    const gate = createGate({ geo: new StaticResolver(STATIC_TABLE as never), trustedProxies: ['10.0.0.0/8'] });
    const headers = new Proxy(
      {},
      {
        get: () => {
          throw new Error('trap');
        },
        ownKeys: () => {
          throw new Error('trap');
        },
      },
    );
    const d = await gate.admit(join('10.0.0.1', { headers: headers as never }));
    expect(d.admitted).toBe(true);
    expect(d.location.unknown).toBe('invalid-address');
  });
});

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

it('GeoadmitError is what a closed gate rejects with', async () => {
  const gate = createGate({ geo: new StaticResolver({}) });
  await gate.close();
  expect(await gate.admit(join('8.8.8.8')).catch((e: unknown) => e)).toBeInstanceOf(GeoadmitError);
});
