import { describe, expect, it } from 'vitest';
import { createGate, StaticResolver } from 'geoadmit';
import type { RedactionMode } from 'geoadmit/audit';
import { join, recordEvents, STATIC_TABLE } from './helpers/fixtures.js';

const CLIENTS = ['1.2.4.8', '202.181.0.77', '8.8.8.8', '2001:da8:1234:5678::9', '192.168.7.9', '81.2.69.201'];

async function scenario(ip: RedactionMode) {
  const events: unknown[] = [];
  const gate = createGate({
    geo: new StaticResolver(STATIC_TABLE as never),
    trustedProxies: ['10.0.0.0/8'],
    audit: { ip, hmacKey: 'operator-secret' },
    onRemove: () => undefined,
  });
  for (const type of ['decision', 'removal', 'restriction.accepted', 'restriction.refused', 'restriction.lifted', 'error'] as const) {
    gate.on(type, (e) => events.push(e));
  }
  let n = 0;
  for (const client of CLIENTS) {
    await gate.admit({ meetingId: 'm-1', participantId: `p${n++}`, peerAddress: client });
    await gate.admit({ meetingId: 'm-1', participantId: `p${n++}`, peerAddress: '10.9.9.9', headers: { 'x-forwarded-for': client } });
  }
  await gate.restrict({ id: 'r1', authority: { name: 'A', jurisdiction: 'CN' }, regions: ['CN'], scope: { meetings: ['m-1'] } });
  await gate.restrict({ id: 'r2', authority: { name: 'A', jurisdiction: 'CN' }, regions: ['HK'], scope: { meetings: ['m-1'] } }).catch(() => undefined);
  await gate.lift('r1');
  return JSON.stringify(events);
}

describe('audit address redaction', () => {
  it.each(['truncate', 'hmac', 'omit'] as const)('no full client address appears in any event with %s', async (mode) => {
    const serialised = await scenario(mode);
    expect(serialised).toContain('"removal"');
    for (const client of [...CLIENTS, '10.9.9.9', '2001:da8:1234:5678:0:0:0:9']) {
      expect(serialised, `${mode} leaked ${client}`).not.toContain(`"${client}"`);
      expect(serialised).not.toContain(client);
    }
  });

  it('truncates to /24 and /48 by default', async () => {
    const serialised = await scenario('truncate');
    expect(serialised).toContain('1.2.4.0/24');
    expect(serialised).toContain('2001:da8:1234::/48');
  });

  it('hmac pseudonyms are stable across gates with the same key', async () => {
    const a = JSON.parse(await scenario('hmac')) as { address?: string }[];
    const b = JSON.parse(await scenario('hmac')) as { address?: string }[];
    expect(a.map((e) => e.address)).toEqual(b.map((e) => e.address));
    expect(a.some((e) => e.address?.startsWith('hmac:'))).toBe(true);
  });

  it('raw is an explicit opt-in and shows the normalised address', async () => {
    const serialised = await scenario('raw');
    expect(serialised).toContain('"1.2.4.8"');
  });
});

describe('audit prefixes', () => {
  const single = new StaticResolver({ '1.2.4.8/32': 'CN', '2001:da8::1/128': 'CN', '8.8.8.0/24': 'US' });
  it.each([
    ['truncate', '1.2.4.0/24', '2001:da8::/48'],
    ['hmac', undefined, undefined],
    ['omit', undefined, undefined],
    ['raw', '1.2.4.8/32', '2001:da8::1/128'],
  ] as const)('a single-address table entry never reveals the address under %s', async (ip, v4, v6) => {
    const gate = createGate({ geo: single, audit: { ip, hmacKey: 'k' } });
    const events = recordEvents(gate);
    await gate.admit(join('1.2.4.8', { participantId: 'a' }));
    await gate.admit(join('2001:da8::1', { participantId: 'b' }));
    await gate.admit(join('8.8.8.8', { participantId: 'c' }));
    const networks = events.flatMap((e) => (e.type === 'decision' ? [e.location.network] : []));
    expect(networks).toEqual([v4, v6, '8.8.8.0/24']);
    if (ip !== 'raw') expect(JSON.stringify(events)).not.toMatch(/1\.2\.4\.8|2001:da8::1\b/);
  });
});
