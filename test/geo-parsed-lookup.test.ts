// The gate parses each join's address once and hands the parsed value to the
// resolver (`resolveParsed`): for this package's resolvers that lookup must
// answer exactly as `resolve(text)`, over real and built databases, for every
// address family and embedded-IPv4 form, and after a reload.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { resolveClient } from '../src/address/ip.js';
import { type GeoResolver, MaxMindResolver, OverlayResolver, StaticResolver } from 'geoadmit';
import { parsedResolver, resolveParsed } from '../src/geo/parsed.js';
import { buildGeoIp2Mmdb, buildIpLocationDbMmdb } from '../src/testing/index.js';
import { createGate } from 'geoadmit';
import { makeTempDir } from './helpers/temp-dir.js';

const REAL_DB = 'node_modules/@ip-location-db/geolite2-country-mmdb/geolite2-country.mmdb';
const real = readFileSync(REAL_DB);
const dotted = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
const hex = (n: number): string => n.toString(16);

/** Addresses in every form a socket or header may carry: IPv4, IPv6, and IPv6 forms that embed IPv4. */
const address = fc.oneof(
  fc.nat(0xffffffff).map(dotted),
  fc.nat(0xffffffff).map((n) => `::ffff:${dotted(n)}`),
  fc.nat(0xffffffff).map((n) => `64:ff9b::${dotted(n)}`),
  fc.nat(0xffffffff).map((n) => `2002:${hex(n >>> 16)}:${hex(n & 0xffff)}::1`),
  fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((g) => [0x2000 | (g[0]! & 0x1fff), ...g.slice(1)].map(hex).join(':')),
);

/** What the gate does: client resolution, then the parsed lookup for a global address. */
function parsedAnswer(geo: GeoResolver, text: string) {
  const client = resolveClient({ peerAddress: text });
  if (!client.ok || !client.global || client.ip === undefined) return undefined;
  const parsed = parsedResolver(geo);
  expect(parsed).toBeDefined();
  return { parsed: parsed![resolveParsed](client.ip, client.address), text: geo.resolve(client.address), original: geo.resolve(text) };
}

function agrees(geo: GeoResolver, runs: number): void {
  fc.assert(
    fc.property(address, (text) => {
      const a = parsedAnswer(geo, text);
      if (a === undefined) return;
      expect(a.parsed, text).toEqual(a.text);
      expect(a.parsed, text).toEqual(a.original);
    }),
    { numRuns: runs },
  );
}

const table = {
  '1.2.4.0/24': { country: 'CN' },
  '81.2.69.0/24': { country: 'GB', anonymous: { vpn: true } },
  '8.8.8.0/24': { country: 'US', anonymous: false },
  '2400:cb00::/32': { country: 'JP' },
} as const;

describe('resolveParsed answers exactly as resolve(text)', () => {
  test('GeoLite2 country (the single-database IPv4 memo and the IPv6 walk), repeated addresses included', () => {
    const geo = MaxMindResolver.fromBuffers([{ name: 'geolite2', buffer: real }]);
    agrees(geo, 3000);
    // Twice over a small set: answers served from the memo agree too.
    for (const text of ['1.2.4.8', '8.8.8.8', '81.2.69.1', '2400:cb00::1', '1.2.4.9', '1.2.4.8']) {
      const a = parsedAnswer(geo, text)!;
      expect(a.parsed, text).toEqual(a.text);
    }
  });

  test('memoised answers (IPv4 and IPv6) equal a fresh resolver answer, across networks sharing a memo way', () => {
    const geo = MaxMindResolver.fromBuffers([{ name: 'geolite2', buffer: real }]);
    const texts = fc.sample(address, { numRuns: 4000, seed: 12 });
    const first = texts.map((t) => parsedAnswer(geo, t)?.parsed);
    const again = texts.map((t) => parsedAnswer(geo, t)?.parsed);
    const fresh = MaxMindResolver.fromBuffers([{ name: 'geolite2', buffer: real }]);
    texts.forEach((t, i) => {
      expect(again[i], t).toEqual(first[i]);
      if (first[i] === undefined) return; // not global: the gate never asks the resolver
      expect(first[i], t).toEqual(fresh.resolve(t));
    });
  });

  test.each([
    ['GeoIP2 City with anonymiser traits', buildGeoIp2Mmdb(table)],
    ['ip-location-db', buildIpLocationDbMmdb(table)],
  ])('built %s database, alone and layered (the general path)', (_label, buffer) => {
    agrees(MaxMindResolver.fromBuffers([{ name: 'db', buffer }]), 500);
    agrees(
      MaxMindResolver.fromBuffers([
        { name: 'a', buffer },
        { name: 'b', buffer: real },
      ]),
      500,
    );
    for (const text of ['1.2.4.8', '81.2.69.1', '8.8.8.8', '9.9.9.9', '::ffff:1.2.4.8', '2400:cb00::5']) {
      const a = parsedAnswer(MaxMindResolver.fromBuffers([{ name: 'db', buffer }]), text)!;
      expect(a.parsed, text).toEqual(a.text);
    }
  });

  test('StaticResolver and OverlayResolver (a static layer over the database)', () => {
    const fix = new StaticResolver({ '1.2.4.0/24': 'US', '2400:cb00::/32': 'KR' });
    agrees(fix, 500);
    const overlay = new OverlayResolver([fix, MaxMindResolver.fromBuffers([{ name: 'geolite2', buffer: real }])]);
    agrees(overlay, 1000);
    expect(parsedAnswer(overlay, '1.2.4.8')!.parsed.country).toBe('US');
  });

  test('a subclass or an object with its own resolve is asked by text', () => {
    class Fixed extends StaticResolver {
      override resolve() {
        return Object.freeze({ country: 'FR', subdivisions: [], source: 'fixed' });
      }
    }
    expect(parsedResolver(new Fixed({ '1.2.4.0/24': 'CN' }))).toBeUndefined();
    const own = new StaticResolver({ '1.2.4.0/24': 'CN' });
    own.resolve = () => Object.freeze({ country: 'FR', subdivisions: [], source: 'fixed' });
    expect(parsedResolver(own)).toBeUndefined();
  });

  test('a gate over a subclass that overrides resolve uses the override', async () => {
    class Fixed extends StaticResolver {
      override resolve() {
        return Object.freeze({ country: 'FR', subdivisions: [], source: 'fixed' });
      }
    }
    const gate = createGate({ geo: new Fixed({ '1.2.4.0/24': 'CN' }) });
    const d = await gate.admit({ meetingId: 'm', participantId: 'p', peerAddress: '1.2.4.8' });
    expect(d.location.country).toBe('FR');
    await gate.close();
  });
});

describe('after a reload the parsed lookup answers from the new database (no memoised answer survives)', () => {
  const { dir, cleanup } = makeTempDir('geoadmit-parsed-');
  afterAll(cleanup);

  test('IPv4 and IPv6 answers change with the file', async () => {
    const file = join(dir, 'db.mmdb');
    writeFileSync(file, buildIpLocationDbMmdb({ '1.2.4.0/24': { country: 'CN' }, '2400:cb00::/32': { country: 'JP' } }));
    const geo = await MaxMindResolver.open(file);
    const gate = createGate({ geo });
    const admit = async (peerAddress: string) => (await gate.admit({ meetingId: 'm', participantId: peerAddress, peerAddress })).location.country;
    expect(await admit('1.2.4.8')).toBe('CN');
    expect(await admit('1.2.4.8')).toBe('CN');
    expect(await admit('2400:cb00::1')).toBe('JP');
    writeFileSync(file, buildIpLocationDbMmdb({ '1.2.4.0/24': { country: 'DE' }, '2400:cb00::/32': { country: 'KR' } }));
    const result = await geo.reload();
    expect(result.reloaded).toEqual([file]);
    expect(await admit('1.2.4.8')).toBe('DE');
    expect(await admit('2400:cb00::1')).toBe('KR');
    await gate.close();
    await geo.close();
  });
});
