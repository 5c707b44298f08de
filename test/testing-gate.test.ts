/** createTestGate: a gate over the synthetic table, with a manual clock, recorded removals and events. */
import { afterEach, describe, expect, it } from 'vitest';
import { GeoadmitError, type ParticipantRef, type Rule } from 'geoadmit';
import { addressIn, createManualClock, createTestGate, staticResolver, TEST_GATE_START, type TestGate, type TestGateOptions } from 'geoadmit/testing';

const takedownCN = { id: 'r-cn', authority: { name: 'Example Authority', jurisdiction: 'CN' }, regions: ['CN'], scope: { meetings: ['m-1'] } };

let open: TestGate[] = [];
afterEach(async () => {
  await Promise.all(open.map((t) => t.close()));
  open = [];
});
function setup(options?: TestGateOptions): TestGate {
  const t = createTestGate(options);
  open.push(t);
  return t;
}

describe('createTestGate', () => {
  it('admits a participant located in the region it is asked for, each join from its own address', async () => {
    const t = setup();
    const first = await t.join('m-1', 'p-1', 'CN-XZ');
    const second = await t.join('m-1', 'p-2', 'CN-XZ');
    expect(first).toMatchObject({ admitted: true, reasons: [], location: { country: 'CN', subdivisions: ['CN-XZ'], source: 'synthetic' } });
    expect(first.address).toBe(addressIn('CN-XZ', 0));
    expect(second.address).toBe(addressIn('CN-XZ', 1));
    expect((await t.join('m-1', 'p-3', 'DE')).address).toBe(addressIn('DE', 0));
    expect(t.gate.participants('m-1').map((p) => p.participantId)).toEqual(['p-1', 'p-2', 'p-3']);
  });

  it('passes options through to createGate: restrictions and rules decide as in production', async () => {
    const rule: Rule = { name: 'no-bots', evaluate: ({ join }) => (join.participantId.startsWith('bot') ? { deny: true, message: 'no bots' } : undefined) };
    const t = setup({ restrictions: [takedownCN], rules: [rule] });
    expect(await t.join('m-1', 'p-cn', 'CN-BJ')).toMatchObject({ admitted: false, reasons: [{ code: 'region-restricted', restrictionId: 'r-cn' }] });
    expect((await t.join('m-1', 'p-hk', 'HK')).admitted).toBe(true);
    expect((await t.join('m-2', 'p-cn', 'CN')).admitted).toBe(true);
    expect(await t.join('m-2', 'bot-1', 'US')).toMatchObject({ admitted: false, reasons: [{ code: 'rule', rule: 'no-bots', message: 'no bots' }] });
  });

  it('merges extra into the join: host account, headers, or an address of your own', async () => {
    const hostPolicy = { id: 'hp', kind: 'host-policy', regions: ['US-CA'], scope: { hostAccounts: ['acct-1'] } } as const;
    const t = setup({ restrictions: [hostPolicy], trustedProxies: [`${addressIn('DE', 200)}/32`] });
    expect((await t.join('m-1', 'p-1', 'US-CA', { hostAccountId: 'acct-1' })).reasons).toMatchObject([{ code: 'region-restricted', restrictionId: 'hp' }]);
    expect((await t.join('m-1', 'p-2', 'US-CA')).admitted).toBe(true);
    expect((await t.join('m-1', 'p-3', 'US-TX', { hostAccountId: 'acct-1' })).admitted).toBe(true);
    const own = await t.join('m-1', 'p-4', 'US', { peerAddress: '10.1.2.3' });
    expect(own.location).toEqual({ subdivisions: [], source: 'unknown', unknown: 'non-global' });
    // Through a trusted proxy, the forwarded client address decides.
    const proxied = await t.join('m-1', 'p-5', 'DE', {
      peerAddress: addressIn('DE', 200),
      headers: { 'x-forwarded-for': addressIn('US-CA', 9) },
      hostAccountId: 'acct-1',
    });
    expect(proxied.location.subdivisions).toEqual(['US-CA']);
    expect(proxied.admitted).toBe(false);
  });

  it('records every completed onRemove in removed, and still calls yours', async () => {
    const mine: string[] = [];
    const t = setup({ onRemove: (p) => void mine.push(p.participantId) });
    await t.join('m-1', 'p-cn-1', 'CN');
    await t.join('m-1', 'p-cn-2', 'CN-GD');
    await t.join('m-1', 'p-us', 'US');
    const result = await t.gate.restrict(takedownCN);
    expect(t.removed).toEqual<ParticipantRef[]>([
      { meetingId: 'm-1', participantId: 'p-cn-1' },
      { meetingId: 'm-1', participantId: 'p-cn-2' },
    ]);
    expect(mine).toEqual(['p-cn-1', 'p-cn-2']);
    expect(result.removed.map((p) => p.participantId)).toEqual(['p-cn-1', 'p-cn-2']);
  });

  it('leaves a participant whose onRemove failed out of removed (the gate holds it pending)', async () => {
    const t = setup({
      onRemove: (p) => {
        if (p.participantId === 'p-stuck') throw new Error('media server down');
      },
    });
    await t.join('m-1', 'p-stuck', 'CN');
    await t.join('m-1', 'p-gone', 'CN');
    const result = await t.gate.restrict(takedownCN);
    expect(t.removed.map((p) => p.participantId)).toEqual(['p-gone']);
    expect(result.pending.map((p) => p.participantId)).toEqual(['p-stuck']);
    expect(t.gate.pendingRemovals().map((p) => p.participant.participantId)).toEqual(['p-stuck']);
  });

  it('records every event in order, and eventsOf picks one type', async () => {
    const failing: Rule = {
      name: 'broken',
      evaluate: () => {
        throw new Error('boom');
      },
    };
    const t = setup({ rules: [failing], onRuleError: 'admit' });
    await t.gate.restrict(takedownCN);
    await t.join('m-1', 'p-1', 'US');
    await t.join('m-1', 'p-2', 'CN');
    await expect(t.gate.restrict({ ...takedownCN, id: 'r-hk', regions: ['HK'] })).rejects.toMatchObject({ code: 'E_OUT_OF_JURISDICTION' });
    await t.gate.lift('r-cn');
    const types = t.events.map((e) => e.type);
    expect(types).toEqual(['restriction.accepted', 'error', 'decision', 'error', 'decision', 'restriction.refused', 'restriction.lifted']);
    expect(t.eventsOf('decision').map((e) => [e.participantId, e.outcome])).toEqual([
      ['p-1', 'admitted'],
      ['p-2', 'denied'],
    ]);
    expect(t.eventsOf('error')[0]).toMatchObject({ context: 'rule', rule: 'broken' });
    expect(t.eventsOf('restriction.refused')[0]).toMatchObject({ restrictionId: 'r-hk', code: 'E_OUT_OF_JURISDICTION' });
    expect(t.eventsOf('removal')).toEqual([]);
  });

  it('records warnings: a trust-everything proxy list, and a forwarded header from an untrusted private peer', async () => {
    const trustAll = setup({ trustedProxies: ['0.0.0.0/0', '::/0'] });
    await Promise.resolve(); // said once listeners can attach
    expect(trustAll.eventsOf('warning')).toMatchObject([{ type: 'warning', code: 'trust-all-proxies' }]);

    const untrusted = setup();
    const d = await untrusted.join('m-1', 'p-1', 'CN', { peerAddress: '10.0.0.7', headers: { 'x-forwarded-for': addressIn('CN') } });
    expect(d.location.unknown).toBe('non-global');
    expect(untrusted.events.map((e) => e.type)).toEqual(['warning', 'decision']);
    expect(untrusted.eventsOf('warning')).toMatchObject([{ code: 'forwarded-header-untrusted', peer: expect.stringMatching(/^10\.0\.0\./) }]);
  });

  it('records the removal events of a restriction and the restrictions a gate starts with', async () => {
    const t = setup({ restrictions: [takedownCN] });
    await Promise.resolve(); // initial restrictions are announced once listeners can attach
    expect(t.eventsOf('restriction.accepted').map((e) => e.restrictionId)).toEqual(['r-cn']);
    await t.join('m-2', 'p-1', 'CN-SH');
    await t.gate.restrict({ ...takedownCN, id: 'r-cn-2', scope: { meetings: ['m-2'] } });
    expect(t.eventsOf('removal')).toMatchObject([{ participantId: 'p-1', restrictionId: 'r-cn-2', status: 'removed', location: { subdivisions: ['CN-SH'] } }]);
  });

  it('drives timed restrictions with its manual clock, starting at TEST_GATE_START', async () => {
    const t = setup();
    expect(t.clock()).toBe(TEST_GATE_START);
    const from = new Date(TEST_GATE_START + 60_000).toISOString();
    const until = new Date(TEST_GATE_START + 120_000).toISOString();
    await t.join('m-1', 'p-1', 'CN');
    await t.gate.restrict({ ...takedownCN, validFrom: from, validUntil: until });
    expect(t.removed).toEqual([]);
    expect((await t.join('m-1', 'p-2', 'CN')).admitted).toBe(true);
    t.clock.advance(60_000);
    // Without an async onRemove of yours, the removals the clock triggers are recorded at once.
    expect(t.removed.map((p) => p.participantId).sort()).toEqual(['p-1', 'p-2']);
    expect((await t.join('m-1', 'p-3', 'CN')).admitted).toBe(false);
    t.clock.advance(60_000);
    expect((await t.join('m-1', 'p-4', 'CN')).admitted).toBe(true);
  });

  it('takes your own clock, geo, or overrides for the default resolver', async () => {
    const clock = createManualClock('2030-01-01T00:00:00Z');
    const own = setup({ clock, geo: staticResolver({ '1.2.4.0/24': 'CN' }) });
    expect(own.clock).toBe(clock);
    expect((await own.join('m', 'p', 'CN', { peerAddress: '1.2.4.8' })).location).toMatchObject({ country: 'CN', source: 'static' });
    expect((await own.join('m', 'q', 'CN')).location.unknown).toBe('not-in-database');
    expect(own.eventsOf('decision')[0]?.time).toBe('2030-01-01T00:00:00.000Z');

    const vpn = addressIn('GB', 5);
    const overridden = setup({ overrides: { [vpn]: { country: 'GB', anonymizer: true } }, restrictions: [{ ...takedownCN, anonymizers: 'deny' }] });
    expect(await overridden.join('m-1', 'p', 'GB', { peerAddress: vpn })).toMatchObject({ admitted: false, reasons: [{ code: 'anonymizer' }] });
    expect((await overridden.join('m-1', 'q', 'GB')).admitted).toBe(true);
  });

  it('refuses options that are not an object, overrides beside a geo of your own, and unknown regions in join', async () => {
    expect(() => createTestGate(null as never)).toThrow(GeoadmitError);
    expect(() => createTestGate([] as never)).toThrow(/createTestGate: options must be an object/);
    const t = setup();
    await expect(t.join('m', 'p', 'Atlantis')).rejects.toMatchObject({ code: 'E_INVALID_CONFIG', argument: 'region' });
    expect(t.events).toEqual([]);
    expect(() => createTestGate({ geo: staticResolver({}), overrides: { '8.8.8.0/24': 'US' } })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', argument: 'overrides' }),
    );
    // Invalid createGate options are createGate's own errors, unknown keys included.
    expect(() => createTestGate({ restrictions: [{ id: 'x' } as never] })).toThrow(expect.objectContaining({ code: 'E_INVALID_RESTRICTION' }));
    expect(() => createTestGate({ trustedProxy: ['10.0.0.0/8'] } as never)).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', message: expect.stringContaining('unknown option "trustedProxy"') }),
    );
  });

  it('close() releases everything: no handles left, safe twice, the gate refuses further joins', async () => {
    const before = process
      .getActiveResourcesInfo()
      .filter((r) => r !== 'TTYWrap')
      .sort();
    // Timed restrictions (on the manual clock), an async rule and an async onRemove (bounded by real timers).
    const slowRule: Rule = { name: 'slow', evaluate: () => new Promise((resolve) => setImmediate(() => resolve(undefined))) };
    const t = createTestGate({
      restrictions: [{ ...takedownCN, validUntil: new Date(TEST_GATE_START + 86_400_000).toISOString() }],
      rules: [slowRule],
      onRemove: () => new Promise((resolve) => setImmediate(resolve)),
    });
    await t.join('m-1', 'p-1', 'US');
    await t.join('m-2', 'p-2', 'CN');
    await t.gate.restrict({ ...takedownCN, id: 'later', validFrom: new Date(TEST_GATE_START + 3_600_000).toISOString() });
    await t.gate.restrict({ ...takedownCN, id: 'now', scope: { meetings: ['m-2'] } });
    expect(t.removed).toHaveLength(1);
    await t.close();
    await t.close();
    const after = process
      .getActiveResourcesInfo()
      .filter((r) => r !== 'TTYWrap')
      .sort();
    expect(after).toEqual(before);
    const count = t.events.length;
    await expect(t.join('m-1', 'p-2', 'US')).rejects.toMatchObject({ code: 'E_CLOSED' });
    expect(t.events.length).toBe(count);
  });
});
