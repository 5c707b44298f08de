import { describe, expect, it } from 'vitest';
import { createGate, GeoadmitError, StaticResolver, type Decision, type Join, type Rule } from 'geoadmit';
import { join, STATIC_TABLE, takedown } from './helpers/fixtures.js';

function setup(options: Partial<Parameters<typeof createGate>[0]> = {}) {
  const gate = createGate({ geo: new StaticResolver(STATIC_TABLE as never), ...options });
  const decisions: unknown[] = [];
  const errors: { message: string; context: string }[] = [];
  gate.on('decision', (e) => decisions.push(e));
  gate.on('error', (e) => errors.push(e));
  return { gate, decisions, errors };
}

describe('admit: restriction matching', () => {
  it('denies a participant in the restricted country and admits others', async () => {
    const { gate } = setup({ restrictions: [takedown()] });
    const cn = await gate.admit(join('1.2.4.8'));
    expect(cn.admitted).toBe(false);
    expect(cn.reasons).toEqual([{ code: 'region-restricted', restrictionId: 'req-1', region: 'CN' }]);
    expect(cn.location.country).toBe('CN');
    for (const ip of ['202.181.0.1', '8.8.8.8', '81.2.69.5']) {
      const d = await gate.admit(join(ip));
      expect(d.admitted, ip).toBe(true);
      expect(d.reasons).toEqual([]);
    }
  });

  it('only applies to meetings and host accounts in scope', async () => {
    const { gate } = setup({ restrictions: [takedown({ scope: { meetings: ['m-1'], hostAccounts: ['acct-9'] } })] });
    expect((await gate.admit(join('1.2.4.8', { meetingId: 'm-2' }))).admitted).toBe(true);
    expect((await gate.admit(join('1.2.4.8', { meetingId: 'm-3', hostAccountId: 'acct-9' }))).admitted).toBe(false);
    expect((await gate.admit(join('1.2.4.8', { meetingId: 'm-3', hostAccountId: 'acct-8' }))).admitted).toBe(true);
  });

  it('lists a restriction matched through both meeting and account once', async () => {
    const { gate } = setup({ restrictions: [takedown({ scope: { meetings: ['m-1'], hostAccounts: ['acct-9'] } })] });
    const d = await gate.admit(join('1.2.4.8', { hostAccountId: 'acct-9' }));
    expect(d.reasons).toHaveLength(1);
  });

  it('matches subdivisions inside their country only', async () => {
    const { gate } = setup({ restrictions: [takedown({ regions: ['CN-XZ'] })] });
    expect((await gate.admit(join('36.110.1.1'))).admitted).toBe(false);
    expect((await gate.admit(join('223.5.5.5'))).admitted).toBe(true); // CN-ZJ
    // Country known, subdivision unknown: treated as unknown location by a subdivision restriction (admit by default).
    const unknownSub = await gate.admit(join('1.2.4.8'));
    expect(unknownSub.admitted).toBe(true);
  });

  it('a country-level participant counts as unknown for a subdivision restriction that denies unknowns', async () => {
    const { gate } = setup({ restrictions: [takedown({ regions: ['CN-XZ'], unknownLocation: 'deny' })] });
    const d = await gate.admit(join('1.2.4.8'));
    expect(d.admitted).toBe(false);
    expect(d.reasons[0]?.code).toBe('unknown-location');
    expect((await gate.admit(join('8.8.8.8'))).admitted).toBe(true);
  });

  it('puts dry-run matches in decision.dryRun and denies nobody', async () => {
    const { gate } = setup({ restrictions: [takedown({ mode: 'dry-run' })] });
    const d = await gate.admit(join('1.2.4.8'));
    expect(d.admitted).toBe(true);
    expect(d.reasons).toEqual([]);
    expect(d.dryRun).toEqual([{ code: 'region-restricted', restrictionId: 'req-1', region: 'CN' }]);
  });

  it('matches the IPv6 and IPv4-mapped forms of a restricted address', async () => {
    const { gate } = setup({ restrictions: [takedown()] });
    expect((await gate.admit(join('2001:da8::1'))).admitted).toBe(false);
    expect((await gate.admit(join('::ffff:1.2.4.8'))).admitted).toBe(false);
    expect((await gate.admit(join('64:ff9b::102:408'))).admitted).toBe(false);
  });
});

describe('admit: unknown locations', () => {
  it('reports each unknown cause distinctly and admits by default', async () => {
    const { gate, decisions } = setup({ restrictions: [takedown()] });
    const cases: [string, string][] = [
      ['10.1.2.3', 'non-global'],
      ['0x7f.1', 'invalid-address'],
      ['5.5.5.5', 'not-in-database'],
    ];
    for (const [ip, cause] of cases) {
      const d = await gate.admit(join(ip));
      expect(d.admitted, ip).toBe(true);
      expect(d.location.unknown, ip).toBe(cause);
      expect(d.location.country).toBeUndefined();
      expect(d.reasons).toEqual([]);
    }
    expect(decisions.map((e) => (e as { location: { unknown?: string } }).location.unknown)).toEqual(['non-global', 'invalid-address', 'not-in-database']);
  });

  it('denies unknown locations when the restriction says so, with the cause', async () => {
    const { gate } = setup({ restrictions: [takedown({ unknownLocation: 'deny' })] });
    const invalid = await gate.admit(join('1.2.4.08'));
    expect(invalid.admitted).toBe(false);
    expect(invalid.reasons).toEqual([{ code: 'invalid-address', restrictionId: 'req-1', message: 'invalid-address' }]);
    const priv = await gate.admit(join('192.168.1.1'));
    expect(priv.reasons[0]).toMatchObject({ code: 'unknown-location', message: 'non-global' });
  });

  it('gives lookup-error when the resolver throws, never an exception', async () => {
    const geo = {
      metadata: { name: 'broken' },
      capabilities: { countries: true, subdivisions: false, anonymizers: false },
      resolve: () => {
        throw new Error('damaged tree');
      },
    };
    const gate = createGate({ geo });
    const d = await gate.admit(join('8.8.8.8'));
    expect(d.admitted).toBe(true);
    expect(d.location.unknown).toBe('lookup-error');
  });
});

describe('admit: anonymizers and host policies', () => {
  it('denies anonymising addresses only when the restriction says so', async () => {
    const { gate } = setup({ restrictions: [{ id: 'pol', kind: 'host-policy', regions: ['KP'], anonymizers: 'deny', scope: { meetings: ['m-1'] } }] });
    const d = await gate.admit(join('81.2.69.5'));
    expect(d.admitted).toBe(false);
    expect(d.reasons).toEqual([{ code: 'anonymizer', restrictionId: 'pol' }]);
    expect((await gate.admit(join('8.8.8.8'))).admitted).toBe(true);
  });

  it('an allow-list host policy denies everyone elsewhere and unknown locations', async () => {
    const { gate } = setup({ restrictions: [{ id: 'allow', kind: 'host-policy', allowRegions: ['US', 'GB'], scope: { hostAccounts: ['acct-1'] } }] });
    const j = (ip: string) => join(ip, { hostAccountId: 'acct-1' });
    expect((await gate.admit(j('8.8.8.8'))).admitted).toBe(true);
    expect((await gate.admit(j('202.181.0.1'))).reasons).toEqual([{ code: 'not-in-allowed-regions', restrictionId: 'allow' }]);
    expect((await gate.admit(j('10.0.0.1'))).reasons[0]?.code).toBe('unknown-location');
  });

  it('a host policy cannot lift a takedown', async () => {
    const { gate } = setup({
      restrictions: [takedown(), { id: 'allow', kind: 'host-policy', allowRegions: ['CN', 'US'], scope: { meetings: ['m-1'] } }],
    });
    expect((await gate.admit(join('1.2.4.8'))).admitted).toBe(false);
  });

  it('lists every match, in an order independent of registration', async () => {
    const a = takedown({ id: 'a' });
    const b = { id: 'b', kind: 'sanctions', authority: { name: 'Operator compliance', jurisdiction: 'US' }, regions: ['CN'], scope: { all: true } } as const;
    const c = takedown({ id: 'c', mode: 'dry-run' });
    const one = await setup({ restrictions: [a, b, c] }).gate.admit(join('1.2.4.8'));
    const two = await setup({ restrictions: [c, b, a] }).gate.admit(join('1.2.4.8'));
    expect(one).toEqual(two);
    expect(one.reasons.map((r) => r.restrictionId)).toEqual(['a', 'b']);
    expect(one.dryRun.map((r) => r.restrictionId)).toEqual(['c']);
  });
});

describe('admit: hostile join input', () => {
  it('throws E_INVALID_JOIN only for missing or bad ids and address', async () => {
    const { gate } = setup();
    const bad: unknown[] = [
      undefined,
      null,
      {},
      { meetingId: 'm', participantId: 'p' },
      { meetingId: '', participantId: 'p', peerAddress: '1.2.3.4' },
      { meetingId: 'm', participantId: 'x'.repeat(257), peerAddress: '1.2.3.4' },
      { meetingId: 'm', participantId: 7, peerAddress: '1.2.3.4' },
      { meetingId: 'm', participantId: 'p', peerAddress: 42 },
      { meetingId: 'm', participantId: 'p', peerAddress: '1.2.3.4', hostAccountId: '' },
    ];
    for (const j of bad) {
      const error = await gate.admit(j as Join).catch((e: unknown) => e);
      expect(error, JSON.stringify(j)).toBeInstanceOf(GeoadmitError);
      expect((error as GeoadmitError).code).toBe('E_INVALID_JOIN');
    }
    expect(gate.size).toBe(0);
  });

  it('never throws for hostile addresses and headers', async () => {
    const { gate } = setup({ trustedProxies: ['10.0.0.0/8'] });
    const hostile: Join[] = [
      join('', {}),
      join('\u0000'),
      join('1.2.3.4\n'),
      join('１.２.３.４'),
      join('10.0.0.1', { headers: { 'x-forwarded-for': 'a'.repeat(100_000) } }),
      join('10.0.0.1', { headers: { 'x-forwarded-for': Array.from({ length: 1000 }, () => '1.2.4.8').join(',') } }),
      join('10.0.0.1', { headers: { forwarded: 'for="[::1', 'x-forwarded-for': ['1.1.1.1', '\u0007'] } }),
      join('10.0.0.1', { headers: 'nonsense' as never }),
      join('10.0.0.1', { headers: { 'x-forwarded-for': 42 as never } }),
    ];
    for (const j of hostile) {
      const d = await gate.admit(j);
      expect(typeof d.admitted).toBe('boolean');
    }
  });

  it('treats ids like __proto__ as ordinary ids', async () => {
    const { gate } = setup({ restrictions: [takedown({ id: '__proto__', scope: { meetings: ['__proto__', 'constructor'] } })] });
    expect((await gate.admit(join('1.2.4.8', { meetingId: '__proto__', participantId: '__proto__' }))).admitted).toBe(false);
    expect((await gate.admit(join('8.8.8.8', { meetingId: 'constructor', participantId: 'constructor' }))).admitted).toBe(true);
    expect((await gate.admit(join('1.2.4.8', { meetingId: 'toString' }))).admitted).toBe(true);
    expect(gate.participants('constructor')).toEqual([{ meetingId: 'constructor', participantId: 'constructor' }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('trusted proxies', () => {
  it('uses forwarded headers only from trusted peers', async () => {
    const { gate } = setup({ trustedProxies: ['10.0.0.0/8'], restrictions: [takedown()] });
    const viaProxy = await gate.admit(join('10.1.2.3', { headers: { 'x-forwarded-for': '1.2.4.8' } }));
    expect(viaProxy.admitted).toBe(false);
    expect(viaProxy.address).toBe('1.2.4.8');
    const spoofed = await gate.admit(join('8.8.8.8', { headers: { 'x-forwarded-for': '1.2.4.8' } }));
    expect(spoofed.admitted).toBe(true);
    expect(spoofed.address).toBe('8.8.8.8');
  });

  it('reads RFC 7239 Forwarded when configured, and only then', async () => {
    const forwarded = setup({ trustedProxies: ['10.0.0.0/8'], forwardedHeader: 'forwarded', restrictions: [takedown()] });
    const headers = { forwarded: 'for="[2001:da8::7]:4711";proto=https', 'x-forwarded-for': '8.8.8.8' };
    const d = await forwarded.gate.admit(join('10.1.2.3', { headers }));
    expect(d.address).toBe('2001:da8::7');
    expect(d.admitted).toBe(false);
    const xff = setup({ trustedProxies: ['10.0.0.0/8'], restrictions: [takedown()] });
    expect((await xff.gate.admit(join('10.1.2.3', { headers }))).address).toBe('8.8.8.8');
  });

  it('refuses an invalid trusted-proxy CIDR at configuration time', () => {
    expect(() => createGate({ geo: new StaticResolver({}), trustedProxies: ['10.0.0.0/33'] })).toThrow(GeoadmitError);
  });
});

describe('rules', () => {
  const denyAll: Rule = { name: 'deny-all', evaluate: () => ({ deny: true, message: 'closed meeting' }) };

  it('adds a denial with the rule name, sync or async', async () => {
    const asyncRule: Rule = { name: 'async-deny', evaluate: async () => ({ deny: true }) };
    const { gate } = setup({ rules: [denyAll, asyncRule] });
    const d = await gate.admit(join('8.8.8.8'));
    expect(d.admitted).toBe(false);
    expect(d.reasons).toEqual([
      { code: 'rule', rule: 'async-deny' },
      { code: 'rule', rule: 'deny-all', message: 'closed meeting' },
    ]);
  });

  it('cannot lift a restriction denial', async () => {
    const lifter: Rule = { name: 'lifter', evaluate: () => ({ deny: false }) };
    const { gate } = setup({ rules: [lifter], restrictions: [takedown()] });
    expect((await gate.admit(join('1.2.4.8'))).admitted).toBe(false);
  });

  it('sees the join, its location and the restrictions in scope', async () => {
    let seen: Parameters<Rule['evaluate']>[0] | undefined;
    const spy: Rule = {
      name: 'spy',
      evaluate: (ctx) => {
        seen = ctx;
        return undefined;
      },
    };
    const { gate } = setup({ rules: [spy], restrictions: [takedown(), takedown({ id: 'other', scope: { meetings: ['m-9'] } })] });
    await gate.admit(join('8.8.8.8'));
    expect(seen?.location.country).toBe('US');
    expect(seen?.join.meetingId).toBe('m-1');
    expect(seen?.restrictions.map((r) => r.id)).toEqual(['req-1']);
  });

  it('a throwing, rejecting or hanging rule is an error event and denies by default', async () => {
    const throwing: Rule = {
      name: 'throws',
      evaluate: () => {
        throw new Error('boom');
      },
    };
    const rejecting: Rule = { name: 'rejects', evaluate: () => Promise.reject(new Error('nope')) };
    const hanging: Rule = { name: 'hangs', evaluate: () => new Promise(() => undefined) };
    const { gate, errors } = setup({ rules: [throwing, rejecting, hanging], ruleTimeoutMs: 50 });
    const d = await gate.admit(join('8.8.8.8'));
    expect(d.admitted).toBe(false);
    expect(d.reasons.map((r) => r.rule)).toEqual(['hangs', 'rejects', 'throws']);
    expect(errors.filter((e) => e.context === 'rule')).toHaveLength(3);
  });

  it("onRuleError: 'admit' ignores a failing rule", async () => {
    const throwing: Rule = {
      name: 'throws',
      evaluate: () => {
        throw new Error('boom');
      },
    };
    const { gate, errors } = setup({ rules: [throwing], onRuleError: 'admit' });
    expect((await gate.admit(join('8.8.8.8'))).admitted).toBe(true);
    expect(errors).toHaveLength(1);
  });
});

describe('location sources', () => {
  it('the first source with a country replaces the IP location', async () => {
    const dialIn = { name: 'dial-in', locate: (j: Join) => (j.context?.dialIn === '+86' ? { country: 'CN', subdivisions: [], source: 'dial-in' } : undefined) };
    const broken = {
      name: 'broken',
      locate: () => {
        throw new Error('x');
      },
    };
    const { gate, errors } = setup({ locationSources: [broken, dialIn], restrictions: [takedown()] });
    const d: Decision = await gate.admit(join('10.0.0.5', { context: { dialIn: '+86' } }));
    expect(d.admitted).toBe(false);
    expect(d.location.source).toBe('dial-in');
    expect((await gate.admit(join('10.0.0.6'))).admitted).toBe(true);
    expect(errors).toHaveLength(2);
  });
});

describe('events', () => {
  it('a throwing listener does not stop the others or the decision', async () => {
    const { gate, decisions, errors } = setup();
    gate.on('decision', () => {
      throw new Error('listener bug');
    });
    const seen: unknown[] = [];
    gate.on('decision', (e) => seen.push(e));
    expect((await gate.admit(join('8.8.8.8'))).admitted).toBe(true);
    expect(decisions).toHaveLength(1);
    expect(seen).toHaveLength(1);
    expect(errors.some((e) => e.context === 'listener')).toBe(true);
  });

  it('on() returns an unsubscribe function', async () => {
    const { gate } = setup();
    const seen: unknown[] = [];
    const off = gate.on('decision', (e) => seen.push(e));
    await gate.admit(join('8.8.8.8'));
    off();
    await gate.admit(join('8.8.8.8'));
    expect(seen).toHaveLength(1);
  });

  it('once() hears one event; off() removes a listener', async () => {
    const { gate } = setup();
    const once: unknown[] = [];
    const many: unknown[] = [];
    const listener = (e: unknown) => many.push(e);
    gate.once('decision', (e) => once.push(e));
    gate.on('decision', listener);
    await gate.admit(join('8.8.8.8'));
    gate.off('decision', listener);
    await gate.admit(join('8.8.8.8'));
    expect(once).toHaveLength(1);
    expect(many).toHaveLength(1);
  });

  it('audit-unavailable denies while a deny-policy sink is unhealthy', async () => {
    const { gate } = setup();
    gate.setAuditHealth('sink-1', false, 'deny');
    expect((await gate.admit(join('8.8.8.8'))).reasons).toEqual([{ code: 'audit-unavailable', message: 'the audit log cannot record decisions' }]);
    gate.setAuditHealth('sink-1', true, 'deny');
    expect((await gate.admit(join('8.8.8.8'))).admitted).toBe(true);
    gate.setAuditHealth('sink-2', false, 'buffer');
    expect((await gate.admit(join('8.8.8.8'))).admitted).toBe(true);
  });
});
