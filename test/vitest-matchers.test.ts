/** geoadmit/vitest: the matchers pass and fail as documented, and their failure messages explain why. */
import { afterEach, describe, expect, it } from 'vitest';
import 'geoadmit/vitest';
import type { Decision, RestrictResult } from 'geoadmit';
import { addressIn, createTestGate, type TestGate } from 'geoadmit/testing';

const takedownCN = { id: 'r-cn', authority: { name: 'Example Authority', jurisdiction: 'CN' }, regions: ['CN'], scope: { meetings: ['m-1'] } };
const dryRunXZ = { ...takedownCN, id: 'r-xz-dry', regions: ['CN-XZ'], mode: 'dry-run' as const, scope: { meetings: ['m-2'] } };

let t: TestGate;
afterEach(() => t?.close());

/** The message of the assertion error `fn` throws (fails the test when it passes). */
function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the assertion to fail');
}

describe('toBeAdmitted', () => {
  it('passes for an admitted decision and fails for a denied one, showing reasons, location and restriction ids', async () => {
    t = createTestGate({ restrictions: [takedownCN] });
    const admitted = await t.join('m-1', 'p-hk', 'HK');
    expect(admitted).toBeAdmitted();
    expect(admitted).not.toBeDenied();

    const denied = await t.join('m-1', 'p-cn', 'CN-BJ');
    expect(denied).not.toBeAdmitted();
    const message = failure(() => expect(denied).toBeAdmitted());
    expect(message).toContain('expected the join to be admitted, but it was denied');
    expect(message).toContain('- region-restricted: restriction "r-cn", region CN');
    expect(message).toContain(`location: CN (CN-BJ), source synthetic, network ${addressIn('CN-BJ').replace(/1$/, '0')}/24`);
    expect(message).toContain('restriction ids: r-cn');
    expect(message).toContain(`address: ${addressIn('CN-BJ')}`);
  });

  it('shows dry-run matches and the .not failure', async () => {
    t = createTestGate({ restrictions: [dryRunXZ] });
    const d = await t.join('m-2', 'p', 'CN-XZ');
    expect(d).toBeAdmitted();
    const message = failure(() => expect(d).not.toBeAdmitted());
    expect(message).toContain('expected the join not to be admitted, but it was admitted');
    expect(message).toContain('reasons: none');
    expect(message).toContain('dry run:\n    - region-restricted: restriction "r-xz-dry", region CN-XZ');
    expect(message).toContain('restriction ids: r-xz-dry');
  });

  it('names the unknown cause of an unknown location', async () => {
    t = createTestGate({ restrictions: [{ ...takedownCN, unknownLocation: 'deny' }] });
    const d = await t.join('m-1', 'p', 'CN', { peerAddress: '192.168.0.7' });
    const message = failure(() => expect(d).toBeAdmitted());
    expect(message).toContain('- unknown-location: restriction "r-cn"');
    expect(message).toContain('location: unknown (non-global), source unknown');
  });

  it('says "did you forget await" for a promise and shows anything else it received', async () => {
    t = createTestGate();
    const pending = t.join('m', 'p', 'US');
    expect(failure(() => expect(pending).toBeAdmitted())).toBe('expected a Decision (from gate.admit), but received a Promise: did you forget `await`?');
    await pending;
    expect(failure(() => expect({ admitted: 'yes' }).toBeAdmitted())).toBe('expected a Decision (from gate.admit), but received {"admitted":"yes"}');
    expect(failure(() => expect(undefined).toBeDenied())).toBe('expected a Decision (from gate.admit), but received undefined');
  });
});

describe('toBeDenied', () => {
  it('passes for a denied decision, and with a code only when a reason has that code', async () => {
    t = createTestGate({
      restrictions: [{ ...takedownCN, anonymizers: 'deny' }],
      overrides: { [addressIn('NL', 3)]: { country: 'NL', anonymizer: true } },
      rules: [{ name: 'no-bots', evaluate: ({ join }) => (join.participantId.startsWith('bot') ? { deny: true, message: 'bots stay out' } : undefined) }],
    });
    const cnBot = await t.join('m-1', 'bot-1', 'CN');
    expect(cnBot).toBeDenied();
    expect(cnBot).toBeDenied('region-restricted');
    expect(cnBot).toBeDenied('rule');
    expect(cnBot).not.toBeDenied('anonymizer');
    expect(await t.join('m-1', 'p-vpn', 'NL', { peerAddress: addressIn('NL', 3) })).toBeDenied('anonymizer');

    const message = failure(() => expect(cnBot).toBeDenied('anonymizer'));
    expect(message).toMatch(
      /^expected the join to be denied with a reason of code "anonymizer", but its reasons were (rule, region-restricted|region-restricted, rule)\n/,
    );
    expect(message).toContain('- rule: rule "no-bots" — bots stay out');
    expect(message).toContain('location: CN, source synthetic');

    const admitted = await t.join('m-1', 'p-us', 'US-NY');
    const admittedMessage = failure(() => expect(admitted).toBeDenied('region-restricted'));
    expect(admittedMessage).toContain('expected the join to be denied with a reason of code "region-restricted", but it was admitted');
    expect(admittedMessage).toContain('location: US (US-NY), source synthetic');

    expect(failure(() => expect(cnBot).not.toBeDenied('rule'))).toContain('expected the join not to be denied with a reason of code "rule", but it was');
  });

  it('refuses a code that is not a reason code, listing the valid ones', async () => {
    t = createTestGate();
    const d = await t.join('m', 'p', 'US');
    expect(failure(() => expect(d).toBeDenied('region_restricted' as never))).toMatch(
      /^toBeDenied: "region_restricted" is not a reason code \(one of region-restricted, not-in-allowed-regions, unknown-location, anonymizer, rule/,
    );
  });

  it('works as an asymmetric matcher and on resolved promises', async () => {
    t = createTestGate({ restrictions: [takedownCN] });
    const decisions = { cn: await t.join('m-1', 'a', 'CN'), us: await t.join('m-1', 'b', 'US') };
    expect(decisions).toEqual({ cn: expect.toBeDenied('region-restricted'), us: expect.toBeAdmitted() });
    await expect(t.join('m-1', 'c', 'CN-XZ')).resolves.toBeDenied();
  });
});

describe('toHaveRemoved', () => {
  async function restricted(): Promise<RestrictResult> {
    t = createTestGate({
      onRemove: (p) => {
        if (p.participantId === 'p-stuck') throw new Error('media server down');
      },
    });
    for (const [id, region] of [
      ['p-1', 'CN'],
      ['p-2', 'CN-GD'],
      ['p-stuck', 'CN'],
      ['p-us', 'US'],
    ] as const)
      await t.join('m-1', id, region);
    await t.join('m-3', 'p-3', 'CN');
    return t.gate.restrict(takedownCN);
  }

  it('compares participant ids in any order, for a restrict result or createTestGate().removed', async () => {
    const result = await restricted();
    expect(result).toHaveRemoved(['p-2', 'p-1']);
    expect(t.removed).toHaveRemoved(['p-1', 'p-2']);
    expect(result).not.toHaveRemoved(['p-1']);
    expect(result).not.toHaveRemoved(['p-1', 'p-2', 'p-stuck']);
    expect(await t.gate.restrict({ ...takedownCN, id: 'r-none', regions: ['CN-XZ'] })).toHaveRemoved([]);
  });

  it('fails showing what was removed, missing, unexpected, pending and matched, and the meetings', async () => {
    const result = await restricted();
    const message = failure(() => expect(result).toHaveRemoved(['p-1', 'p-stuck', 'p-3']));
    expect(message).toContain('expected restriction "r-cn" to remove [p-1, p-stuck, p-3], but it removed [p-1, p-2]');
    expect(message).toContain('removed: p-1 (m-1), p-2 (m-1)');
    expect(message).toContain('missing: p-stuck, p-3');
    expect(message).toContain('unexpected: p-2');
    expect(message).toContain('pending (onRemove failed): p-stuck (m-1)');
    expect(message).toContain('matched: p-1 (m-1), p-2 (m-1), p-stuck (m-1)');
    expect(message).toContain('meetings reached: m-1; undisturbed: none');

    expect(failure(() => expect(result).not.toHaveRemoved(['p-1', 'p-2']))).toContain(
      'expected restriction "r-cn" not to remove exactly [p-1, p-2], but it did',
    );
    expect(failure(() => expect(t.removed).toHaveRemoved(['p-9']))).toContain('expected the removed participants to be [p-9], but they were [p-1, p-2]');
    expect(failure(() => expect(t.removed).not.toHaveRemoved(['p-2', 'p-1']))).toContain(
      'expected the removed participants not to be exactly [p-2, p-1], but they were',
    );
  });

  it('refuses ids that are not an array of strings, and says what it received otherwise', async () => {
    const result = await restricted();
    expect(failure(() => expect(result).toHaveRemoved('p-1' as never))).toMatch(/^toHaveRemoved: expected an array of participant ids/);
    expect(failure(() => expect(result).toHaveRemoved([1] as never))).toMatch(/^toHaveRemoved: expected an array of participant ids/);
    expect(failure(() => expect({} as Decision).toHaveRemoved([]))).toBe(
      'expected a RestrictResult (from gate.restrict) or a list of participants, but received {}',
    );
    expect(failure(() => expect(Promise.resolve(result)).toHaveRemoved([]))).toContain('did you forget `await`?');
  });
});
