/** Warnings: configuration that quietly weakens enforcement is an event (SPEC 12). */
import { describe, expect, it } from 'vitest';
import { createGate, StaticResolver, type GateOptions, type WarningEvent } from 'geoadmit';
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
    const { warnings } = setup({ trustedProxies });
    expect(warnings).toEqual([]);
    await Promise.resolve();
    expect(warnings).toEqual([
      { type: 'warning', time: '2020-06-04T00:00:00.000Z', code: 'trust-all-proxies', message: expect.stringContaining('every address') },
    ]);
  });

  it('says nothing for an ordinary list', async () => {
    const { warnings } = setup({ trustedProxies: ['10.0.0.0/8', 'loopback'] });
    await Promise.resolve();
    expect(warnings).toEqual([]);
  });
});
