/** Warnings: configuration that quietly weakens enforcement is an event. */
import { describe, expect, it } from 'vitest';
import { createGate, StaticResolver, type GateOptions } from 'geoadmit';
import type { WarningEvent } from 'geoadmit/audit';
import { createManualClock } from 'geoadmit/testing';
import { join, STATIC_TABLE } from './helpers/fixtures.js';

function setup(options: Partial<GateOptions> = {}) {
  const clock = createManualClock('2020-06-04T00:00:00Z');
  const gate = createGate({ geo: new StaticResolver(STATIC_TABLE as never), clock, ...options });
  const warnings: WarningEvent[] = [];
  gate.on('warning', (w) => warnings.push(w));
  return { gate, clock, warnings };
}

const behindProxy = (peer: string, participantId = 'p') => join(peer, { participantId, headers: { 'x-forwarded-for': '1.2.4.8' } });

describe('forwarded-header-untrusted', () => {
  it('warns when a non-global peer no trusted proxy covers sends the forwarded header; the participant is an unknown location', async () => {
    const { gate, warnings } = setup();
    const d = await gate.admit(behindProxy('10.1.2.3'));
    expect(d.location.unknown).toBe('non-global');
    expect(warnings).toEqual([
      {
        type: 'warning',
        time: '2020-06-04T00:00:00.000Z',
        code: 'forwarded-header-untrusted',
        message: expect.stringContaining('x-forwarded-for'),
        peer: '10.1.2.0/24',
        // Every event names the gate (node) that raised it.
        node: gate.nodeId,
      },
    ]);
  });

  it('at most once a minute per peer /24 or /48, by the gate clock', async () => {
    const { gate, clock, warnings } = setup();
    await gate.admit(behindProxy('10.1.2.3', 'a'));
    await gate.admit(behindProxy('10.1.2.200', 'b')); // same /24
    await gate.admit(behindProxy('fd00:1:2:3::1', 'c'));
    await gate.admit(behindProxy('fd00:1:2:ffff::9', 'd')); // same /48
    await gate.admit(behindProxy('10.9.9.9', 'e')); // another /24
    expect(warnings.map((w) => w.peer)).toEqual(['10.1.2.0/24', 'fd00:1:2::/48', '10.9.9.0/24']);
    clock.advance(59_000);
    await gate.admit(behindProxy('10.1.2.3', 'f'));
    expect(warnings).toHaveLength(3);
    clock.advance(1_000);
    await gate.admit(behindProxy('10.1.2.3', 'g'));
    expect(warnings.map((w) => w.peer)).toEqual(['10.1.2.0/24', 'fd00:1:2::/48', '10.9.9.0/24', '10.1.2.0/24']);
  });

  it('redacts the peer as audit.ip says', async () => {
    const omit = setup({ audit: { ip: 'omit' } });
    await omit.gate.admit(behindProxy('10.1.2.3'));
    expect(omit.warnings[0]).not.toHaveProperty('peer');
    const hmac = setup({ audit: { ip: 'hmac', hmacKey: 'k' } });
    await hmac.gate.admit(behindProxy('10.1.2.3'));
    expect(hmac.warnings[0]?.peer).toMatch(/^hmac:[0-9a-f]{64}$/);
  });

  it('reads the configured header only, and says nothing for trusted proxies, global peers or joins without the header', async () => {
    const { gate, warnings } = setup({ trustedProxies: ['10.0.0.0/8'] });
    await gate.admit(behindProxy('10.1.2.3')); // trusted
    await gate.admit(behindProxy('8.8.8.8', 'g')); // a global peer is a client, not a proxy
    await gate.admit(join('192.168.1.1', { participantId: 'n' })); // no header
    expect(warnings).toEqual([]);
    const fwd = setup({ forwardedHeader: 'forwarded' });
    await fwd.gate.admit(behindProxy('192.168.1.1')); // x-forwarded-for is not the header this gate reads
    await fwd.gate.admit(join('192.168.1.1', { participantId: 'q', headers: { forwarded: 'for=1.2.4.8' } }));
    expect(fwd.warnings.map((w) => w.message)).toEqual([expect.stringContaining('forwarded header')]);
  });
});

describe('trust-all-proxies', () => {
  it.each([[['0.0.0.0/0']], [['::/0']], [['10.0.0.0/8', '0.0.0.0/0']]])('warns at creation for %j, after listeners attach', async (trustedProxies) => {
    const { gate, warnings } = setup({ trustedProxies });
    expect(warnings).toEqual([]);
    await Promise.resolve();
    expect(warnings).toEqual([
      {
        type: 'warning',
        time: '2020-06-04T00:00:00.000Z',
        code: 'trust-all-proxies',
        message: expect.stringContaining('every address'),
        node: gate.nodeId,
      },
    ]);
  });

  it('says nothing for an ordinary list', async () => {
    const { warnings } = setup({ trustedProxies: ['10.0.0.0/8', 'loopback'] });
    await Promise.resolve();
    expect(warnings).toEqual([]);
  });
});

describe('forwarded-header-untrusted advice', () => {
  it('says how to tell a proxy missing from trustedProxies from a client spoofing the header, instead of just "add it"', async () => {
    const { gate, warnings } = setup();
    await gate.admit(behindProxy('10.1.2.3'));
    const message = warnings[0]!.message;
    expect(message).toMatch(/if that peer is one of your own proxies or load balancers/);
    expect(message).toMatch(/add it to trustedProxies/);
    expect(message).toMatch(/if it is not yours, a client is sending x-forwarded-for itself/);
    expect(message).toMatch(/keep it untrusted/);
  });
});

describe('forwarded-header-missing', () => {
  const fromProxy = (peer: string, participantId: string, headers?: Record<string, string>) =>
    join(peer, { participantId, ...(headers === undefined ? {} : { headers }) });

  it('warns when a trusted proxy sends no forwarded header: its participants all get the proxy’s (unknown) location', async () => {
    const { gate, warnings } = setup({ trustedProxies: ['10.0.0.0/8'] });
    const d = await gate.admit(fromProxy('10.1.2.3', 'a'));
    expect(d.location.unknown).toBe('non-global');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      type: 'warning',
      time: '2020-06-04T00:00:00.000Z',
      code: 'forwarded-header-missing',
      message: expect.stringMatching(/trusted proxy without the x-forwarded-for header.*make the proxy set x-forwarded-for/),
      peer: '10.1.2.0/24',
    });
  });

  it('warns for a blank header, and for a global trusted proxy whose own location would be used', async () => {
    const { gate, warnings } = setup({ trustedProxies: ['10.0.0.0/8', '8.8.8.8'] });
    await gate.admit(fromProxy('10.1.2.3', 'a', { 'x-forwarded-for': '  ' }));
    const d = await gate.admit(fromProxy('8.8.8.8', 'b'));
    expect(d.location.country).toBe('US');
    expect(warnings.map((w) => [w.code, w.peer])).toEqual([
      ['forwarded-header-missing', '10.1.2.0/24'],
      ['forwarded-header-missing', '8.8.8.0/24'],
    ]);
    expect(warnings[1]!.message).toMatch(/located by the proxy's own address/);
  });

  it('warns when the header a trusted proxy sends holds no usable address', async () => {
    const { gate, warnings } = setup({ trustedProxies: ['10.0.0.0/8'] });
    const d = await gate.admit(fromProxy('10.1.2.3', 'a', { 'x-forwarded-for': 'garbage' }));
    expect(d.location.unknown).toBe('invalid-address');
    const fwd = setup({ trustedProxies: ['10.0.0.0/8'], forwardedHeader: 'forwarded' });
    await fwd.gate.admit(fromProxy('10.1.2.3', 'b', { forwarded: 'for=unknown' }));
    for (const w of [...warnings, ...fwd.warnings]) {
      expect(w).toMatchObject({ code: 'forwarded-header-missing', peer: '10.1.2.0/24', message: expect.stringMatching(/holds no usable address/) });
    }
    expect(warnings).toHaveLength(1);
    expect(fwd.warnings).toHaveLength(1);
    // The message never carries what the header held (hostile input).
    expect(warnings[0]!.message).not.toContain('garbage');
  });

  it('at most once a minute per proxy, by the gate clock', async () => {
    const { gate, clock, warnings } = setup({ trustedProxies: ['10.0.0.0/8'] });
    await gate.admit(fromProxy('10.1.2.3', 'a'));
    await gate.admit(fromProxy('10.1.2.3', 'b', { 'x-forwarded-for': 'nonsense' }));
    await gate.admit(fromProxy('10.1.2.4', 'c')); // another proxy (same /24): said separately
    expect(warnings).toHaveLength(2);
    clock.advance(59_999);
    await gate.admit(fromProxy('10.1.2.3', 'd'));
    expect(warnings).toHaveLength(2);
    clock.advance(1);
    await gate.admit(fromProxy('10.1.2.3', 'e'));
    expect(warnings).toHaveLength(3);
  });

  it('says nothing when the trusted proxy names the client, for untrusted peers without a header, or when the CDN header answers', async () => {
    const { gate, warnings } = setup({ trustedProxies: ['10.0.0.0/8'] });
    expect((await gate.admit(fromProxy('10.1.2.3', 'a', { 'x-forwarded-for': '1.2.4.8' }))).location.country).toBe('CN');
    await gate.admit(fromProxy('192.168.1.1', 'b')); // not a proxy: a client on the LAN
    await gate.admit(fromProxy('8.8.8.8', 'c'));
    await gate.admit(fromProxy('10.1.2.3', 'd', { 'x-forwarded-for': '192.168.7.7' })); // a LAN client behind the proxy
    expect(warnings).toEqual([]);
    const cdn = setup({ trustedProxies: ['10.0.0.0/8'], cdn: { header: 'cf-connecting-ip', ranges: ['10.0.0.0/8'] } });
    await cdn.gate.admit(fromProxy('10.1.2.3', 'e', { 'cf-connecting-ip': '1.2.4.8' }));
    expect(cdn.warnings).toEqual([]);
  });

  it('redacts the proxy as audit.ip says', async () => {
    const omit = setup({ trustedProxies: ['10.0.0.0/8'], audit: { ip: 'omit' } });
    await omit.gate.admit(fromProxy('10.1.2.3', 'a'));
    expect(omit.warnings).toHaveLength(1);
    expect(omit.warnings[0]).not.toHaveProperty('peer');
  });
});
