/** The anonymizer rule, tested as a plugin author would: a test gate, synthetic addresses, the matchers. */
import { afterEach, describe, expect, it } from 'vitest';
import 'geoadmit/vitest';
import { addressIn, createTestGate, type TestGate, type TestGateOptions } from 'geoadmit/testing';
import { anonymizerRule } from '../src/index.js';

// The synthetic table knows no anonymisers: mark one British address as a VPN exit.
const VPN = addressIn('GB', 1);
const overrides = { [VPN]: { country: 'GB', anonymizer: { vpn: true } } };
const takedownCN = { id: 'r-cn', authority: { name: 'Example Authority', jurisdiction: 'CN' }, regions: ['CN'], scope: { meetings: ['m-1'] } };

let t: TestGate;
afterEach(() => t.close());
function setup(options: TestGateOptions): TestGate {
  t = createTestGate({ overrides, ...options });
  return t;
}

describe('anonymizerRule', () => {
  const optedIn = new Set(['m-verified']);
  const rules = [anonymizerRule({ appliesTo: (join) => optedIn.has(join.meetingId) })];

  it('denies anonymising addresses in meetings that opted in, with the rule named', async () => {
    setup({ rules });
    const decision = await t.join('m-verified', 'p', 'GB', { peerAddress: VPN });
    expect(decision).toBeDenied('rule');
    expect(decision.reasons).toEqual([{ code: 'rule', rule: 'deny-anonymizers', message: expect.stringMatching(/VPN/) }]);
    expect(t.eventsOf('decision')).toMatchObject([{ outcome: 'denied', reasons: [{ code: 'rule', rule: 'deny-anonymizers' }] }]);
  });

  it('leaves other meetings and non-anonymising or unknown addresses alone', async () => {
    setup({ rules });
    expect(await t.join('m-open', 'p', 'GB', { peerAddress: VPN })).toBeAdmitted();
    expect(await t.join('m-verified', 'q', 'US')).toBeAdmitted();
    expect(await t.join('m-verified', 'q6', 'GB-SCT', { peerAddress: addressIn('GB-SCT', { ipv6: true }) })).toBeAdmitted();
    // Unknown location: no evidence of anonymisation, so no denial from this rule.
    const unknown = await t.join('m-verified', 'r', 'GB', { peerAddress: '192.0.2.1' });
    expect(unknown).toBeAdmitted();
    expect(unknown.location.unknown).toBe('non-global');
  });

  it('adds to a restriction’s denial and cannot lift it', async () => {
    setup({ rules: [anonymizerRule({ appliesTo: () => true, name: 'vpn-check' })], restrictions: [takedownCN] });
    const cn = await t.join('m-1', 'p', 'CN');
    expect(cn).toBeDenied('region-restricted');
    expect(cn.reasons.map((r) => r.code)).toEqual(['region-restricted']);
    const vpn = await t.join('m-1', 'q', 'GB', { peerAddress: VPN });
    expect(vpn.reasons).toMatchObject([{ code: 'rule', rule: 'vpn-check' }]);
  });
});
