/** The dial-in location source, tested as a plugin author would: a test gate, synthetic addresses, the matchers. */
import { afterEach, describe, expect, it } from 'vitest';
import 'geoadmit/vitest';
import type { Decision } from 'geoadmit';
import { addressIn, createTestGate, type TestGate, type TestGateOptions } from 'geoadmit/testing';
import { DIAL_IN_SOURCE, dialInLocationSource } from '../src/index.js';

// The PSTN gateway's own address is private: by IP alone, callers have no location.
const GATEWAY = '10.0.0.5';
const takedownCN = { id: 'r-cn', authority: { name: 'Example Authority', jurisdiction: 'CN' }, regions: ['CN'], scope: { meetings: ['m-1'] } };

let t: TestGate;
afterEach(() => t.close());
function setup(options: TestGateOptions = {}): TestGate {
  t = createTestGate({ locationSources: [dialInLocationSource()], ...options });
  return t;
}
/** A caller reaching the meeting through the gateway, with the number the gateway received. */
function call(meetingId: string, participantId: string, context: Record<string, unknown>): Promise<Decision> {
  return t.gate.admit({ meetingId, participantId, peerAddress: GATEWAY, context });
}

describe('dialInLocationSource', () => {
  it('treats a caller with a mainland China number like a web participant located there', async () => {
    setup({ restrictions: [takedownCN] });
    const caller = await call('m-1', 'caller', { dialIn: '+86 10 1234 5678' });
    const web = await t.join('m-1', 'web', 'CN');
    expect(caller).toBeDenied('region-restricted');
    expect(caller.reasons).toEqual(web.reasons);
    expect(caller.location).toEqual({ country: 'CN', subdivisions: [], source: DIAL_IN_SOURCE });
  });

  it('admits callers from numbers outside the restricted region (Hong Kong, Taiwan, US)', async () => {
    setup({ restrictions: [takedownCN] });
    for (const [number, country] of [
      ['+852 2345 6789', 'HK'],
      ['+886 2 2345 6789', 'TW'],
      ['+1 212 555 0123', 'US'],
    ] as const) {
      const d = await call('m-1', number, { dialIn: number });
      expect(d).toBeAdmitted();
      expect(d.location.country).toBe(country);
    }
  });

  it('removes a present caller when a restriction arrives', async () => {
    setup();
    await call('m-1', 'caller-cn', { dialIn: '+8613800138000' });
    await call('m-1', 'caller-hk', { dialIn: '+85223456789' });
    expect(await t.gate.restrict(takedownCN)).toHaveRemoved(['caller-cn']);
    expect(t.removed).toEqual([{ meetingId: 'm-1', participantId: 'caller-cn' }]);
  });

  it('gives no evidence for missing, non-geographic, invalid or hostile values, keeping the IP location', async () => {
    setup({ locationSources: [dialInLocationSource({ contextKey: 'caller' })] });
    const us = addressIn('US');
    const values: unknown[] = ['+800 1234 5678', '12345', 'not a number', 42, null, { toString: () => '+8610' }, `+86 10 1234 5678${' '.repeat(40)}`];
    for (const [i, caller] of values.entries()) {
      const d = await t.join('m', `p${i}`, 'US', { peerAddress: us, context: { caller } });
      expect(d.location.country).toBe('US');
    }
    // Only the configured key counts, and never an inherited one.
    const inherited = Object.create({ caller: '+86 10 1234 5678' }) as Record<string, unknown>;
    expect((await t.join('m', 'x', 'US', { context: inherited })).location.country).toBe('US');
    expect((await t.join('m', 'y', 'US', { context: { dialIn: '+86 10 1234 5678' } })).location.country).toBe('US');
  });
});
