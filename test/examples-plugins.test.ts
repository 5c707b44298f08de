import { afterEach, describe, expect, it } from 'vitest';
import { createGate, StaticResolver, type Gate, type GateOptions } from 'geoadmit';
import { anonymizerRule } from '../examples/plugins/anonymizer-rule.js';
import { DIAL_IN_SOURCE, dialInLocationSource } from '../examples/plugins/dial-in-location.js';

const geo = new StaticResolver({
  '1.2.4.0/24': 'CN',
  '8.8.8.0/24': 'US',
  '81.2.69.0/24': { country: 'GB', anonymizer: true },
});
const takedownCN = { id: 'r-cn', authority: { name: 'Example Authority', jurisdiction: 'CN' }, regions: ['CN'], scope: { meetings: ['m-1'] } };

let gates: Gate[] = [];
afterEach(async () => {
  await Promise.all(gates.map((g) => g.close()));
  gates = [];
});
function setup(options: Partial<GateOptions>): Gate {
  const gate = createGate({ geo, ...options });
  gates.push(gate);
  return gate;
}

describe('anonymizer rule example', () => {
  const optedIn = new Set(['m-verified']);
  const rules = [anonymizerRule({ appliesTo: (join) => optedIn.has(join.meetingId) })];

  it('denies anonymising addresses in meetings that opted in, with the rule named', async () => {
    const gate = setup({ rules });
    const decision = await gate.admit({ meetingId: 'm-verified', participantId: 'p', peerAddress: '81.2.69.1' });
    expect(decision.admitted).toBe(false);
    expect(decision.reasons).toEqual([{ code: 'rule', rule: 'deny-anonymizers', message: expect.stringMatching(/VPN/) }]);
  });

  it('leaves other meetings and non-anonymising or unknown addresses alone', async () => {
    const gate = setup({ rules });
    expect((await gate.admit({ meetingId: 'm-open', participantId: 'p', peerAddress: '81.2.69.1' })).admitted).toBe(true);
    expect((await gate.admit({ meetingId: 'm-verified', participantId: 'q', peerAddress: '8.8.8.8' })).admitted).toBe(true);
    // Unknown location: no evidence of anonymisation, so no denial from this rule.
    expect((await gate.admit({ meetingId: 'm-verified', participantId: 'r', peerAddress: '192.0.2.1' })).admitted).toBe(true);
  });

  it('adds to a restriction’s denial and cannot lift it', async () => {
    const gate = setup({ rules: [anonymizerRule({ appliesTo: () => true, name: 'vpn-check' })], restrictions: [takedownCN] });
    const cn = await gate.admit({ meetingId: 'm-1', participantId: 'p', peerAddress: '1.2.4.8' });
    expect(cn.reasons.map((r) => r.code)).toEqual(['region-restricted']);
    const vpn = await gate.admit({ meetingId: 'm-1', participantId: 'q', peerAddress: '81.2.69.1' });
    expect(vpn.reasons).toMatchObject([{ code: 'rule', rule: 'vpn-check' }]);
  });
});

describe('dial-in location source example', () => {
  // The PSTN gateway's own address is private: by IP alone, callers have no location.
  const GATEWAY = '10.0.0.5';
  const sources = [dialInLocationSource()];

  it('treats a caller with a mainland China number like a web participant located there', async () => {
    const gate = setup({ locationSources: sources, restrictions: [takedownCN] });
    const caller = await gate.admit({ meetingId: 'm-1', participantId: 'caller', peerAddress: GATEWAY, context: { dialIn: '+86 10 1234 5678' } });
    const web = await gate.admit({ meetingId: 'm-1', participantId: 'web', peerAddress: '1.2.4.8' });
    expect(caller.admitted).toBe(false);
    expect(caller.reasons).toEqual(web.reasons);
    expect(caller.location).toEqual({ country: 'CN', subdivisions: [], source: DIAL_IN_SOURCE });
  });

  it('admits callers from numbers outside the restricted region (Hong Kong, Taiwan, US)', async () => {
    const gate = setup({ locationSources: sources, restrictions: [takedownCN] });
    for (const [number, country] of [['+852 2345 6789', 'HK'], ['+886 2 2345 6789', 'TW'], ['+1 212 555 0123', 'US']] as const) {
      const d = await gate.admit({ meetingId: 'm-1', participantId: number, peerAddress: GATEWAY, context: { dialIn: number } });
      expect(d.admitted).toBe(true);
      expect(d.location.country).toBe(country);
    }
  });

  it('removes a present caller when a restriction arrives', async () => {
    const removed: string[] = [];
    const gate = setup({ locationSources: sources, onRemove: (p) => void removed.push(p.participantId) });
    await gate.admit({ meetingId: 'm-1', participantId: 'caller-cn', peerAddress: GATEWAY, context: { dialIn: '+8613800138000' } });
    await gate.admit({ meetingId: 'm-1', participantId: 'caller-hk', peerAddress: GATEWAY, context: { dialIn: '+85223456789' } });
    await gate.restrict(takedownCN);
    expect(removed).toEqual(['caller-cn']);
  });

  it('gives no evidence for missing, non-geographic, invalid or hostile values, keeping the IP location', async () => {
    const gate = setup({ locationSources: [dialInLocationSource({ contextKey: 'caller' })] });
    const values: unknown[] = ['+800 1234 5678', '12345', 'not a number', 42, null, { toString: () => '+8610' }, `+86 10 1234 5678${' '.repeat(40)}`];
    for (const [i, caller] of values.entries()) {
      const d = await gate.admit({ meetingId: 'm', participantId: `p${i}`, peerAddress: '8.8.8.8', context: { caller } });
      expect(d.location.country).toBe('US');
    }
    // Only the configured key counts, and never an inherited one.
    const inherited = Object.create({ caller: '+86 10 1234 5678' }) as Record<string, unknown>;
    expect((await gate.admit({ meetingId: 'm', participantId: 'x', peerAddress: '8.8.8.8', context: inherited })).location.country).toBe('US');
    expect((await gate.admit({ meetingId: 'm', participantId: 'y', peerAddress: '8.8.8.8', context: { dialIn: '+86 10 1234 5678' } })).location.country).toBe('US');
  });
});
