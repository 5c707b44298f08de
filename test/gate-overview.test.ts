import { describe, expect, it } from 'vitest';
import { createGate, StaticResolver } from 'geoadmit';

describe('gate.overview', () => {
  it('counts present participants per meeting by country and subdivision, never addresses', async () => {
    const gate = createGate({
      geo: new StaticResolver({ '1.2.4.0/24': { country: 'CN', subdivisions: ['CN-BJ'] }, '202.181.0.0/16': 'HK', '8.8.8.0/24': 'US' }),
    });
    await gate.admit({ meetingId: 'm-1', participantId: 'a', peerAddress: '1.2.4.8', hostAccountId: 'acct' });
    await gate.admit({ meetingId: 'm-1', participantId: 'b', peerAddress: '202.181.0.1' });
    await gate.admit({ meetingId: 'm-1', participantId: 'c', peerAddress: '10.0.0.1' });
    await gate.admit({ meetingId: 'm-2', participantId: 'd', peerAddress: '8.8.8.8' });
    const all = gate.overview();
    expect(all).toEqual([
      { meetingId: 'm-1', hostAccountIds: ['acct'], participants: 3, countries: { CN: 1, HK: 1, unknown: 1 }, subdivisions: { 'CN-BJ': 1 } },
      { meetingId: 'm-2', hostAccountIds: [], participants: 1, countries: { US: 1 }, subdivisions: {} },
    ]);
    expect(JSON.stringify(all)).not.toMatch(/1\.2\.4|202\.181|10\.0\.0/);
    expect(gate.overview('m-2')).toHaveLength(1);
    expect(gate.overview('nope')).toEqual([]);
    gate.leave('m-2', 'd');
    expect(gate.overview().map((m) => m.meetingId)).toEqual(['m-1']);
    await gate.close();
  });
});
