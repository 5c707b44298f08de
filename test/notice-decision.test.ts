import { describe, expect, it } from 'vitest';
import { createGate, ErrorCode, StaticResolver, validateRestriction, type Decision, type ParticipantRef } from 'geoadmit';
import { join, STATIC_TABLE, takedown } from './helpers/fixtures.js';

const NOTICE = { text: 'This meeting is unavailable in your region by order of Example Authority.', url: 'https://transparency.example.org/req-1' };
const APPEAL = { text: 'Write to appeals@example.org if you are not in the region named.', url: 'https://example.org/appeal' };

function gateWith(restrictions: unknown[], onRemove?: (p: ParticipantRef, d: Decision) => void) {
  return createGate({ geo: new StaticResolver(STATIC_TABLE as never), restrictions: restrictions as never, ...(onRemove ? { onRemove } : {}) });
}

/** Everything personal a join carries: none of it may appear in a notice. */
function expectNothingPersonal(notice: unknown): void {
  const text = JSON.stringify(notice);
  for (const personal of ['1.2.4', 'p-1', 'm-1', 'CN-', '"country"', 'location', 'address', 'subdivisions', 'source']) {
    expect(text, personal).not.toContain(personal);
  }
}

describe('notice and appeal in restriction documents', () => {
  it('accepts text and https URLs and keeps them on the restriction', () => {
    const r = validateRestriction(takedown({ notice: NOTICE, appeal: APPEAL }));
    expect(r.notice).toEqual(NOTICE);
    expect(r.appeal).toEqual(APPEAL);
    expect(Object.isFrozen(r.notice)).toBe(true);
  });

  it.each([
    [{ notice: { url: 'http://example.org/n' } }, '$.notice.url', /https/],
    [{ notice: { url: 'javascript:alert(1)' } }, '$.notice.url', /https/],
    [{ notice: { url: 'https://example.org/<script>' } }, '$.notice.url', /angle brackets/],
    [{ notice: { url: 'https://example.org/a\r\nSet-Cookie: x=1' } }, '$.notice.url', /printable ASCII/],
    [{ notice: { url: 'https://user:pw@example.org/' } }, '$.notice.url', /user name or password/],
    [{ notice: { url: 'not a url' } }, '$.notice.url', /printable|URL/],
    [{ notice: { text: 'x'.repeat(501) } }, '$.notice.text', /at most 500/],
    [{ notice: { text: '' } }, '$.notice.text', /empty/],
    [{ notice: { text: 'evil\u202etxt' } }, '$.notice.text', /control/],
    [{ notice: { text: 42 } }, '$.notice.text', /string/],
    [{ notice: { txt: 'hello' } }, '$.notice.txt', /unknown field/],
    [{ notice: {} }, '$.notice', /text, url or both/],
    [{ notice: 'see our site' }, '$.notice', /object/],
    [{ appeal: { url: 'ftp://example.org/appeal' } }, '$.appeal.url', /https/],
    [{ appeal: { text: 'ok', email: 'a@b' } }, '$.appeal.email', /unknown field/],
  ])('refuses %j at its JSON path', (over, path, message) => {
    let caught: unknown;
    try {
      validateRestriction(takedown(over));
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: ErrorCode.InvalidRestriction, path });
    expect((caught as Error).message).toMatch(message);
  });

  it('accepts exactly 500 characters of text', () => {
    expect(validateRestriction(takedown({ notice: { text: 'x'.repeat(500) } })).notice?.text).toHaveLength(500);
  });
});

describe('decision.notice', () => {
  it('a denial by an enforced restriction carries its public facts only', async () => {
    const gate = gateWith([takedown({ reference: 'letter 2020-117', notice: NOTICE, appeal: APPEAL })]);
    const d = await gate.admit(join('1.2.4.8', { hostAccountId: 'acct-1' }));
    expect(d.admitted).toBe(false);
    expect(d.notice).toEqual({
      restrictionId: 'req-1',
      kind: 'takedown',
      authority: { name: 'Example Authority', jurisdiction: 'CN' },
      reference: 'letter 2020-117',
      text: NOTICE.text,
      url: NOTICE.url,
      appeal: APPEAL,
    });
    expectNothingPersonal(d.notice);
  });

  it('a restriction without notice wording still names itself and its authority', async () => {
    const gate = gateWith([takedown()]);
    const d = await gate.admit(join('1.2.4.8'));
    expect(d.notice).toEqual({ restrictionId: 'req-1', kind: 'takedown', authority: { name: 'Example Authority', jurisdiction: 'CN' } });
  });

  it('is absent for admitted joins, dry-run matches and rule denials', async () => {
    const gate = gateWith([takedown({ mode: 'dry-run', notice: NOTICE })]);
    const dry = await gate.admit(join('1.2.4.8'));
    expect(dry.admitted).toBe(true);
    expect(dry.notice).toBeUndefined();
    const ruled = createGate({
      geo: new StaticResolver(STATIC_TABLE as never),
      rules: [{ name: 'no-one', evaluate: () => ({ deny: true, message: 'closed' }) }],
    });
    const d = await ruled.admit(join('8.8.8.8'));
    expect(d.admitted).toBe(false);
    expect(d.reasons[0]?.code).toBe('rule');
    expect(d.notice).toBeUndefined();
  });

  it('prefers a legal demand over a host policy when both deny', async () => {
    const gate = gateWith([
      { id: 'a-host', kind: 'host-policy', regions: ['CN'], scope: { meetings: ['m-1'] }, notice: { text: 'host choice' } },
      takedown({ id: 'z-demand', notice: NOTICE }),
    ]);
    const d = await gate.admit(join('1.2.4.8'));
    expect(d.reasons.map((r) => r.restrictionId)).toEqual(['a-host', 'z-demand']);
    expect(d.notice?.restrictionId).toBe('z-demand');
  });

  it('a host policy denial carries its own notice', async () => {
    const gate = gateWith([{ id: 'hp', kind: 'host-policy', allowRegions: ['US'], scope: { meetings: ['m-1'] }, notice: { text: 'US only' } }]);
    const d = await gate.admit(join('1.2.4.8'));
    expect(d.notice).toEqual({ restrictionId: 'hp', kind: 'host-policy', text: 'US only' });
  });

  it('a removal passes the same notice to onRemove, with nothing personal in it', async () => {
    const removed: Decision[] = [];
    const gate = gateWith([], (_p, d) => {
      removed.push(d);
    });
    expect((await gate.admit(join('1.2.4.8'))).admitted).toBe(true);
    const result = await gate.restrict(takedown({ reference: 'letter 2020-117', notice: NOTICE, appeal: APPEAL }));
    expect(result.removed).toHaveLength(1);
    expect(removed).toHaveLength(1);
    const denied = await gate.admit(join('1.2.4.8', { participantId: 'p-2' }));
    expect(removed[0]?.notice).toEqual(denied.notice);
    expect(removed[0]?.notice?.appeal).toEqual(APPEAL);
    expectNothingPersonal(removed[0]?.notice);
  });
});
