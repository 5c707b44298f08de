/** createGate's options: unknown keys refused with the closest known name, values checked (SPEC 12). */
import { describe, expect, it } from 'vitest';
import { createGate, StaticResolver, type GateOptions } from 'geoadmit';
import { join, STATIC_TABLE } from './helpers/fixtures.js';

const geo = new StaticResolver(STATIC_TABLE as never);
const make = (options: Record<string, unknown>) => () => createGate({ geo, ...options } as GateOptions);

describe('createGate options', () => {
  it.each([
    ['trustedProxy', 'trustedProxies'],
    ['restriction', 'restrictions'],
    ['removalTimeout', 'removalTimeoutMs'],
    ['onremove', 'onRemove'],
    ['cdnn', 'cdn'],
  ])('refuses %s, naming %s', (key, known) => {
    expect(make({ [key]: 1 })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', argument: key, message: expect.stringContaining(`did you mean "${known}"`) }),
    );
  });

  it('refuses unknown audit keys with the audit. prefix', () => {
    expect(make({ audit: { ipp: 'omit' } })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', argument: 'audit.ipp', message: expect.stringContaining('did you mean "audit.ip"') }),
    );
  });

  it('names a key with no close match without guessing', () => {
    expect(make({ zzzzzzzz: true })).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG', message: 'createGate: unknown option "zzzzzzzz"' }));
  });

  it.each([
    [{ removalTimeoutMs: 0 }, 'removalTimeoutMs'],
    [{ removalTimeoutMs: Number.NaN }, 'removalTimeoutMs'],
    [{ ruleTimeoutMs: -1 }, 'ruleTimeoutMs'],
    [{ onRuleError: 'ignore' }, 'onRuleError'],
    [{ forwardedHeader: 'x-real-ip' }, 'forwardedHeader'],
    [{ audit: { ip: 'full' } }, 'audit.ip'],
    [{ audit: { ip: 'hmac' } }, 'audit.hmacKey'],
    [{ onRemove: 'kick' }, 'onRemove'],
    [{ rules: [{ name: 'x' }] }, 'rules[0]'],
  ])('refuses %j naming %s', (options, argument) => {
    expect(make(options)).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG', argument }));
  });

  it('accepts every documented option', async () => {
    const gate = createGate({
      geo,
      trustedProxies: 'loopback, 10.0.0.0/8',
      forwardedHeader: 'x-forwarded-for',
      cdn: 'cloudflare',
      restrictions: [],
      rules: [],
      locationSources: [],
      onRuleError: 'admit',
      ruleTimeoutMs: 500,
      audit: { ip: 'omit', onFailure: 'admit' },
      onRemove: () => undefined,
      removalTimeoutMs: 2_000,
      clock: () => 0,
    });
    expect((await gate.admit(join('10.1.2.3', { headers: { 'x-forwarded-for': '1.2.4.8' } }))).location.country).toBe('CN');
  });
});

describe('trusted proxies in every form', () => {
  const viaProxy = join('10.1.2.3', { headers: { 'x-forwarded-for': '1.2.4.8' } });
  it.each([
    ['a list', ['10.0.0.0/8']],
    ['a name', ['uniquelocal']],
    ['a comma-separated string', 'loopback, 10.0.0.0/8'],
    ['a function', (address: string, hop: number) => hop === 0 && address.startsWith('10.')],
  ])('%s', async (_, trustedProxies) => {
    const gate = createGate({ geo, trustedProxies: trustedProxies as GateOptions['trustedProxies'] });
    const d = await gate.admit(viaProxy);
    expect(d.address).toBe('1.2.4.8');
    expect(d.location.country).toBe('CN');
  });

  it('a CDN alone: its client header counts only from inside its ranges', async () => {
    const gate = createGate({ geo, cdn: { header: 'x-cdn-client', ranges: ['203.0.113.0/24'] } });
    expect((await gate.admit(join('203.0.113.7', { headers: { 'x-cdn-client': '1.2.4.8' } }))).address).toBe('1.2.4.8');
    expect((await gate.admit(join('9.9.9.9', { participantId: 'p-2', headers: { 'x-cdn-client': '1.2.4.8' } }))).address).toBe('9.9.9.9');
  });
});
