import { describe, expect, it } from 'vitest';
import { createGate, ErrorCode, GeoadmitError, InMemoryRestrictionStore, type ParticipantRef, StaticResolver } from 'geoadmit';
import type { ExemptionGrantedEvent, ExemptionRevokedEvent } from 'geoadmit/audit';
import { createManualClock } from 'geoadmit/testing';
import { join, STATIC_TABLE, takedown } from './helpers/fixtures.js';

const CN = '1.2.4.8';
const CN_OTHER = '223.5.5.5';

function setup(options: Record<string, unknown> = {}) {
  const removed: ParticipantRef[] = [];
  const granted: ExemptionGrantedEvent[] = [];
  const revoked: ExemptionRevokedEvent[] = [];
  const gate = createGate({
    geo: new StaticResolver(STATIC_TABLE as never),
    trustedProxies: ['10.0.0.0/8'],
    onRemove: (p) => {
      removed.push(p);
    },
    ...options,
  });
  gate.on('exemption.granted', (e) => granted.push(e));
  gate.on('exemption.revoked', (e) => revoked.push(e));
  return { gate, removed, granted, revoked };
}

/** A join arriving through the trusted proxy 10.0.0.1 from client address `ip`. */
function viaProxy(ip: string, over: Record<string, string> = {}) {
  return { ...join('10.0.0.1', over), headers: { 'x-forwarded-for': ip } };
}

async function refusal(promise: Promise<unknown>): Promise<GeoadmitError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GeoadmitError);
  return error as GeoadmitError;
}

describe('exemptions narrow one restriction', () => {
  it('by participant: the covered participant is admitted and the decision names the exemption; others are still denied', async () => {
    const { gate, granted } = setup({ restrictions: [takedown()] });
    const before = await gate.admit(join(CN, { participantId: 'p-7' }));
    expect(before.admitted).toBe(false);
    const exemption = await gate.exempt({ id: 'appeal-17', restrictionId: 'req-1', participants: ['p-7'], reason: 'appeal 17: resident in HK' });
    expect(exemption).toMatchObject({ id: 'appeal-17', restrictionId: 'req-1', participants: ['p-7'], hostAccounts: [], networks: [] });
    const after = await gate.admit(join(CN, { participantId: 'p-7' }));
    expect(after.admitted).toBe(true);
    expect(after.exempted).toEqual([{ code: 'exempted', restrictionId: 'req-1', exemptionId: 'appeal-17' }]);
    expect(after.notice).toBeUndefined();
    expect((await gate.admit(join(CN, { participantId: 'p-8' }))).admitted).toBe(false);
    expect(granted).toHaveLength(1);
    expect(granted[0]).toMatchObject({
      type: 'exemption.granted',
      exemptionId: 'appeal-17',
      restrictionId: 'req-1',
      kind: 'takedown',
      authority: { name: 'Example Authority', jurisdiction: 'CN' },
      participants: ['p-7'],
      networks: 0,
      reason: 'appeal 17: resident in HK',
    });
    expect(gate.exemptions().map((e) => e.id)).toEqual(['appeal-17']);
  });

  it('by host account: every meeting of that account is spared that restriction', async () => {
    const { gate } = setup({ restrictions: [takedown({ scope: { hostAccounts: ['acct-1', 'acct-2'] } })] });
    await gate.exempt({ id: 'licence-1', restrictionId: 'req-1', hostAccounts: ['acct-1'], reason: 'licence 2020-4' });
    const spared = await gate.admit(join(CN, { meetingId: 'm-9', hostAccountId: 'acct-1' }));
    expect(spared.admitted).toBe(true);
    expect(spared.exempted).toEqual([{ code: 'exempted', restrictionId: 'req-1', exemptionId: 'licence-1' }]);
    expect((await gate.admit(join(CN, { meetingId: 'm-9', hostAccountId: 'acct-2', participantId: 'p-2' }))).admitted).toBe(false);
  });

  it('by network: only client addresses inside it (read through the trusted proxy) are spared', async () => {
    const { gate, granted } = setup({ restrictions: [takedown()] });
    await gate.exempt({ id: 'net-1', restrictionId: 'req-1', networks: ['1.2.4.0/25'], reason: 'licensed network' });
    const inside = await gate.admit(viaProxy(CN, { participantId: 'p-in' }));
    expect(inside.admitted).toBe(true);
    expect(inside.exempted?.[0]?.exemptionId).toBe('net-1');
    expect((await gate.admit(viaProxy('1.2.4.200', { participantId: 'p-out' }))).admitted).toBe(false);
    expect((await gate.admit(viaProxy(CN_OTHER, { participantId: 'p-other' }))).admitted).toBe(false);
    // The audit event counts the networks; it never lists them (a /32 is one person's address).
    expect(granted[0]?.networks).toBe(1);
    expect(JSON.stringify(granted[0])).not.toContain('1.2.4');
  });

  it('never admits anyone another restriction denies, and never touches another restriction', async () => {
    const { gate } = setup({
      restrictions: [
        takedown(),
        { id: 'sanctions-1', kind: 'sanctions', authority: { name: 'Operator compliance', jurisdiction: 'US' }, regions: ['CN'], scope: { all: true } },
      ],
    });
    await gate.exempt({ id: 'appeal-1', restrictionId: 'req-1', participants: ['p-1'], reason: 'appeal' });
    const d = await gate.admit(join(CN, { participantId: 'p-1' }));
    expect(d.admitted).toBe(false);
    expect(d.reasons).toEqual([{ code: 'region-restricted', restrictionId: 'sanctions-1', region: 'CN' }]);
    expect(d.exempted).toEqual([{ code: 'exempted', restrictionId: 'req-1', exemptionId: 'appeal-1' }]);
    expect(d.notice?.restrictionId).toBe('sanctions-1');
    // An exemption of a restriction that does not apply to the join changes nothing.
    const elsewhere = await gate.admit(join(CN, { meetingId: 'm-2', participantId: 'p-1' }));
    expect(elsewhere.admitted).toBe(false);
    expect(elsewhere.exempted).toBeUndefined();
  });

  it('does not carry over to a different restriction registered later under the same id', async () => {
    const { gate } = setup({ restrictions: [takedown()] });
    await gate.exempt({ id: 'appeal-1', restrictionId: 'req-1', participants: ['p-1'], reason: 'appeal' });
    await gate.lift('req-1');
    await gate.restrict(takedown({ reference: 'a second letter' }));
    expect((await gate.admit(join(CN, { participantId: 'p-1' }))).admitted).toBe(false);
  });
});

describe('refused exemptions leave nothing half-applied', () => {
  const cases: [string, Record<string, unknown>, string, string][] = [
    ['unknown restriction', { restrictionId: 'nope' }, ErrorCode.UnknownRestriction, '$.restrictionId'],
    ['network with host bits', { networks: ['1.2.4.8/24'] }, ErrorCode.InvalidRestriction, '$.networks[0]'],
    ['unknown field', { participant: ['p-1'] }, ErrorCode.InvalidRestriction, '$.participant'],
    ['nothing covered', { participants: undefined }, ErrorCode.InvalidRestriction, '$'],
    ['empty reason', { reason: '' }, ErrorCode.InvalidRestriction, '$.reason'],
    ['missing reason', { reason: undefined }, ErrorCode.InvalidRestriction, '$.reason'],
    ['participant not a string', { participants: ['p-1', 7] }, ErrorCode.InvalidRestriction, '$.participants[1]'],
    ['bad validUntil', { validUntil: 'tomorrow' }, ErrorCode.InvalidRestriction, '$.validUntil'],
    ['validUntil in the past', { validUntil: '2000-01-01T00:00:00Z' }, ErrorCode.InvalidRestriction, '$.validUntil'],
    ['stored-only field', { restrictionDigest: '0123456789abcdef' }, ErrorCode.InvalidRestriction, '$.restrictionDigest'],
  ];
  it.each(cases)('%s', async (_name, over, code, path) => {
    const store = new InMemoryRestrictionStore();
    const { gate, granted } = setup({ restrictions: store });
    await gate.ready();
    await gate.restrict(takedown());
    const before = (await store.snapshot()).version;
    const doc = { id: 'x-1', restrictionId: 'req-1', participants: ['p-1'], reason: 'appeal', ...over };
    for (const key of Object.keys(doc)) if ((doc as Record<string, unknown>)[key] === undefined) delete (doc as Record<string, unknown>)[key];
    const error = await refusal(gate.exempt(doc as never));
    expect(error.code).toBe(code);
    expect(error.path).toBe(path);
    expect(error.message).toContain(path);
    expect(gate.exemptions()).toEqual([]);
    expect(granted).toEqual([]);
    expect((await store.snapshot()).version).toBe(before);
    expect((await store.snapshot()).exemptions).toBeUndefined();
    expect((await gate.admit(join(CN))).admitted).toBe(false);
    await gate.close();
  });

  it('refuses a second exemption with the same id and keeps the first', async () => {
    const { gate } = setup({ restrictions: [takedown()] });
    await gate.exempt({ id: 'a', restrictionId: 'req-1', participants: ['p-1'], reason: 'appeal' });
    const error = await refusal(gate.exempt({ id: 'a', restrictionId: 'req-1', participants: ['p-2'], reason: 'other' }));
    expect(error.code).toBe(ErrorCode.InvalidRestriction);
    expect(error.path).toBe('$.id');
    expect(gate.exemptions().map((e) => e.participants)).toEqual([['p-1']]);
  });

  it('revoking an unknown exemption is E_UNKNOWN_RESTRICTION', async () => {
    const { gate } = setup({ restrictions: [takedown()] });
    expect((await refusal(gate.revokeExemption('nope'))).code).toBe(ErrorCode.UnknownRestriction);
  });
});

describe('revocation: nobody the restriction covers stays', () => {
  it('removes present participants the restriction covers again, with the notice, and keeps the others', async () => {
    const { gate, removed, revoked } = setup({ restrictions: [takedown({ notice: { text: 'Unavailable in your region.' } })] });
    await gate.exempt({ id: 'e-1', restrictionId: 'req-1', participants: ['p-1', 'p-2'], reason: 'appeal' });
    await gate.exempt({ id: 'e-2', restrictionId: 'req-1', participants: ['p-2'], reason: 'second appeal' });
    for (const p of ['p-1', 'p-2']) expect((await gate.admit(join(CN, { participantId: p }))).admitted).toBe(true);
    expect((await gate.admit(join('8.8.8.8', { participantId: 'p-us' }))).admitted).toBe(true);
    const result = await gate.revokeExemption('e-1');
    // p-2 is still covered by e-2; p-us was never covered.
    expect(result.removed).toEqual([{ meetingId: 'm-1', participantId: 'p-1' }]);
    expect(removed).toEqual([{ meetingId: 'm-1', participantId: 'p-1' }]);
    expect(
      gate
        .participants('m-1')
        .map((p) => p.participantId)
        .sort(),
    ).toEqual(['p-2', 'p-us']);
    expect(revoked).toEqual([expect.objectContaining({ type: 'exemption.revoked', exemptionId: 'e-1', restrictionId: 'req-1', expired: false })]);
    expect(gate.exemptions().map((e) => e.id)).toEqual(['e-2']);
    expect((await gate.admit(join(CN, { participantId: 'p-1' }))).admitted).toBe(false);
  });

  it('a restriction that starts later spares present exempted participants (by participant and by network)', async () => {
    const clock = createManualClock(Date.parse('2030-01-01T00:00:00Z'));
    const { gate, removed } = setup({ clock, restrictions: [takedown({ validFrom: '2030-01-01T01:00:00Z' })] });
    await gate.exempt({ id: 'e-p', restrictionId: 'req-1', participants: ['p-1'], reason: 'appeal' });
    await gate.exempt({ id: 'e-n', restrictionId: 'req-1', networks: ['1.2.4.0/24'], reason: 'licensed network' });
    expect((await gate.admit(viaProxy(CN_OTHER, { participantId: 'p-1' }))).admitted).toBe(true);
    expect((await gate.admit(viaProxy(CN, { participantId: 'p-net' }))).admitted).toBe(true);
    expect((await gate.admit(viaProxy(CN_OTHER, { participantId: 'p-3' }))).admitted).toBe(true);
    clock.advance(60 * 60 * 1000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(removed.map((p) => p.participantId)).toEqual(['p-3']);
    // Revoking the network exemption removes the participant it covered.
    const result = await gate.revokeExemption('e-n');
    expect(result.removed.map((p) => p.participantId)).toEqual(['p-net']);
  });

  it('an exemption reaching validUntil stops covering and the restriction removes whom it covers again', async () => {
    const clock = createManualClock(Date.parse('2030-01-01T00:00:00Z'));
    const { gate, removed, revoked } = setup({ clock, restrictions: [takedown()] });
    await gate.exempt({ id: 'e-1', restrictionId: 'req-1', participants: ['p-1'], reason: 'visit', validUntil: '2030-01-02T00:00:00Z' });
    expect((await gate.admit(join(CN, { participantId: 'p-1' }))).admitted).toBe(true);
    clock.advance(24 * 60 * 60 * 1000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(removed.map((p) => p.participantId)).toEqual(['p-1']);
    expect(revoked).toEqual([expect.objectContaining({ exemptionId: 'e-1', expired: true })]);
    expect((await gate.admit(join(CN, { participantId: 'p-1' }))).admitted).toBe(false);
  });
});

describe('hostile exemption input', () => {
  it('refuses a Proxy, a throwing getter and a cycle with E_INVALID_RESTRICTION, and treats __proto__ as an ordinary id', async () => {
    const { gate } = setup({ restrictions: [takedown()] });
    const base = { id: 'x', restrictionId: 'req-1', participants: ['p-1'], reason: 'appeal' };
    const cyclic: Record<string, unknown> = { ...base };
    cyclic.self = cyclic;
    const hostile = [
      new Proxy(base, {}),
      Object.defineProperty({ ...base }, 'reason', {
        enumerable: true,
        get() {
          throw new Error('boom');
        },
      }),
      cyclic,
      null,
      'appeal',
    ];
    for (const input of hostile) {
      const error = await refusal(gate.exempt(input as never));
      expect(error.code).toBe(ErrorCode.InvalidRestriction);
    }
    expect(gate.exemptions()).toEqual([]);
    await gate.exempt({ id: '__proto__', restrictionId: 'req-1', participants: ['__proto__', 'constructor'], reason: 'ordinary ids' });
    expect((await gate.admit(join(CN, { participantId: '__proto__' }))).admitted).toBe(true);
    expect((await gate.admit(join(CN, { participantId: 'toString' }))).admitted).toBe(false);
    expect((await refusal(gate.revokeExemption(42 as never))).code).toBe(ErrorCode.UnknownRestriction);
  });
});
