import { describe, expect, it } from 'vitest';
import { compileTrustedProxies, resolveClientAddress, type ClientAddressInput, type TrustedProxies } from '../src/address/index.js';

const xff = (peerAddress: string, value: string | string[] | undefined): ClientAddressInput => ({ peerAddress, headers: { 'X-Forwarded-For': value } });

describe('untrustedForwarded: a forwarded header from a non-global peer nobody trusts', () => {
  it('flags the load balancer missing from trustedProxies: no list, an empty list, a list without it', () => {
    const lists: (TrustedProxies | undefined)[] = [undefined, compileTrustedProxies([]), compileTrustedProxies(''), compileTrustedProxies(['192.0.2.0/24'])];
    for (const trusted of lists) {
      for (const peer of [
        '10.1.2.3',
        '172.16.0.5',
        '192.168.1.1',
        '127.0.0.1',
        '100.64.0.7',
        '169.254.0.1',
        'fd00::5',
        '::1',
        'fe80::1%eth0',
        '::ffff:10.0.0.1',
      ]) {
        const r = resolveClientAddress(xff(peer, '1.2.4.8'), trusted);
        expect(r, `${peer} ${trusted?.cidrs.join(',')}`).toMatchObject({ ok: true, global: false, via: 'peer', untrustedForwarded: true });
      }
    }
  });

  it('the configured header is what counts', () => {
    const forwarded = compileTrustedProxies([], { header: 'forwarded' });
    expect(resolveClientAddress({ peerAddress: '10.1.2.3', headers: { Forwarded: 'for=1.2.4.8' } }, forwarded).untrustedForwarded).toBe(true);
    // A client's own X-Forwarded-For passed through is not what this deployment's proxies write.
    expect(resolveClientAddress(xff('10.1.2.3', '1.2.4.8'), forwarded).untrustedForwarded).toBeUndefined();
    expect(resolveClientAddress({ peerAddress: '10.1.2.3', headers: { Forwarded: 'for=1.2.4.8' } }).untrustedForwarded).toBeUndefined();
  });

  it('is not set for a global peer, a trusted peer, no header, a blank header or an invalid peer', () => {
    const trusted = compileTrustedProxies(['10.0.0.0/8']);
    expect(resolveClientAddress(xff('81.2.69.160', '1.2.4.8'))).not.toHaveProperty('untrustedForwarded');
    expect(resolveClientAddress(xff('2001:da8::1', '1.2.4.8'), trusted)).not.toHaveProperty('untrustedForwarded');
    expect(resolveClientAddress(xff('10.1.2.3', '1.2.4.8'), trusted)).not.toHaveProperty('untrustedForwarded');
    expect(resolveClientAddress({ peerAddress: '10.1.2.3' })).not.toHaveProperty('untrustedForwarded');
    expect(resolveClientAddress(xff('10.1.2.3', ' \t'))).not.toHaveProperty('untrustedForwarded');
    expect(resolveClientAddress(xff('10.1.2.3', ['', ' ']))).not.toHaveProperty('untrustedForwarded');
    expect(resolveClientAddress(xff('10.1.2.3', undefined))).not.toHaveProperty('untrustedForwarded');
    expect(resolveClientAddress(xff('010.1.2.3', '1.2.4.8'))).not.toHaveProperty('untrustedForwarded');
    // A private client behind a trusted proxy (an office network) is not a misconfiguration.
    expect(resolveClientAddress(xff('10.1.2.3', '192.168.1.20'), trusted)).toMatchObject({ address: '192.168.1.20', global: false });
    expect(resolveClientAddress(xff('10.1.2.3', '192.168.1.20'), trusted)).not.toHaveProperty('untrustedForwarded');
  });

  it('flags an inner proxy missing from the list: the walk stops at a non-global hop with more to its left', () => {
    const trusted = compileTrustedProxies(['10.0.0.0/8']);
    const r = resolveClientAddress(xff('10.1.2.3', '1.2.4.8, 192.168.7.7'), trusted);
    expect(r).toMatchObject({ ok: true, address: '192.168.7.7', via: 'x-forwarded-for', untrustedForwarded: true });
    // Stopping at a global hop is the client, as intended.
    expect(resolveClientAddress(xff('10.1.2.3', '6.6.6.6, 1.2.4.8'), trusted)).not.toHaveProperty('untrustedForwarded');
  });

  it('reads headers only when it matters, and hostile header objects never throw', () => {
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('trap');
        },
      },
    );
    expect(resolveClientAddress({ peerAddress: '10.1.2.3', headers: hostile })).toMatchObject({ ok: false, cause: 'invalid-address' });
    // A global peer without trusted proxies never touches the headers.
    expect(resolveClientAddress({ peerAddress: '81.2.69.160', headers: hostile })).toMatchObject({ ok: true, address: '81.2.69.160' });
  });
});
