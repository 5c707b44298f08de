import { parseLiteral } from '../src/address/internal/literal.js';
import { classify } from '../src/address/internal/non-global.js';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Address6 } from 'ip-address';
import { Reader } from 'maxmind';
import { describe, expect, test } from 'vitest';
import { buildMmdb } from 'geoadmit/mmdb';
import { buildGeoIp2Mmdb, buildIpLocationDbMmdb } from '../src/testing/index.js';
import { MaxMindResolver } from 'geoadmit';
import { ipv6NetworkTextFromWords, parseIpv6Words } from '../src/address/ip.js';
import { SearchTree } from '../src/geo/internal/tree.js';
import { checkIPv6Grammar, formatIPv6 } from '../src/address/internal/ipv6.js';
import { Ipv6Scan, scanIpv6 } from '../src/address/internal/ipv6-text.js';
import { nonGlobalRange } from '../src/address/internal/non-global.js';
import { normalizeAddress, redactAddress } from 'geoadmit';

const REAL_DB = 'node_modules/@ip-location-db/geolite2-country-mmdb/geolite2-country.mmdb';
const real = readFileSync(REAL_DB);
const MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');

interface PrivateReader {
  metadata: { nodeCount: number; recordSize: 24 | 28 | 32; ipVersion: 4 | 6; searchTreeSize: number };
  findAddressInTree(ip: string): [number | null, number];
}

function setup(buffer: Buffer): { reader: PrivateReader; tree: SearchTree } {
  const reader = new Reader(buffer) as unknown as PrivateReader;
  const md = reader.metadata;
  const tree = new SearchTree(buffer, md.nodeCount, md.recordSize, md.ipVersion, md.searchTreeSize, buffer.lastIndexOf(MARKER));
  return { reader, tree };
}

const words = (bytes: number[]): Uint32Array => {
  const w = new Uint32Array(4);
  for (let k = 0; k < 4; k++) w[k] = ((bytes[4 * k]! << 24) | (bytes[4 * k + 1]! << 16) | (bytes[4 * k + 2]! << 8) | bytes[4 * k + 3]!) >>> 0;
  return w;
};

const bytes16 = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 });
// Mostly zero groups, so `::` runs of every length and position occur.
const sparseBytes16 = fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 255 })), { minLength: 16, maxLength: 16 });
const v4 = fc.nat(0xffffffff);
const dotted = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

/** Spellings of one IPv6 value: compressed, full, upper case, leading zeros, with a dotted tail. */
function spellings(b: number[]): string[] {
  const a = Address6.fromUnsignedByteArray(b);
  const full = a.canonicalForm(); // 8 groups of 4 digits
  const compact = a.correctForm();
  const noZeros = full
    .split(':')
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':');
  const tail = `${full.split(':').slice(0, 6).join(':')}:${dotted(((b[12]! << 24) | (b[13]! << 16) | (b[14]! << 8) | b[15]!) >>> 0)}`;
  return [full, compact, compact.toUpperCase(), noZeros, tail];
}

describe('strict IPv6 parser agrees with ip-address', () => {
  test('every spelling of random values parses to the same 128 bits', () => {
    fc.assert(
      fc.property(fc.oneof(bytes16, sparseBytes16), (b) => {
        const expected = words(b);
        const out = new Uint32Array(4);
        for (const text of spellings(b)) {
          expect(parseIpv6Words(text, out), text).toBe(true);
          expect([...out], text).toEqual([...expected]);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('on arbitrary text over the IPv6 alphabet, whatever both accept is the same value', () => {
    const alphabet = fc.constantFrom(...'0123456789abcdefABCDEF:.:::'.split(''));
    fc.assert(
      fc.property(
        fc.array(alphabet, { minLength: 2, maxLength: 45 }).map((cs) => cs.join('')),
        (text) => {
          const out = new Uint32Array(4);
          const fast = parseIpv6Words(text, out);
          let slow: number[] | undefined;
          try {
            const a = new Address6(text);
            slow = a.toByteArray();
          } catch {
            slow = undefined;
          }
          if (fast && slow !== undefined) {
            const padded = [...new Array(16 - slow.length).fill(0), ...slow];
            expect([...out]).toEqual([...words(padded)]);
          }
        },
      ),
      { numRuns: 5000 },
    );
  });

  test('refuses what is not strict RFC 4291 text', () => {
    const out = new Uint32Array(4);
    for (const bad of [
      '',
      ':',
      ':::',
      '1:::2',
      '1::2::3',
      '12345::',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1::2:3:4:5:6:7:8',
      'g::',
      '1:',
      ':1',
      '::1.2.3',
      '::01.2.3.4',
      '::1.2.3.4:5',
      '::1.2.3.4.5',
      '1:2:3:4:5:6:7:1.2.3.4',
      'fe80::1%eth0',
      '2001:db8::/32',
      ' ::1',
      '[::1]',
    ]) {
      expect(parseIpv6Words(bad, out), bad).toBe(false);
    }
  });
});

describe('the strict parser takes exactly what the address grammar check passes', () => {
  test('arbitrary text over the IPv6 alphabet: accepted by one iff accepted by the other', () => {
    const alphabet = fc.constantFrom(...'0123456789abcdefABCDEF:.:::'.split(''));
    const out = new Uint32Array(4);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(alphabet, { minLength: 0, maxLength: 46 }).map((cs) => cs.join('')),
          fc.oneof(bytes16, sparseBytes16).chain((b) => fc.constantFrom(...spellings(b))),
        ),
        (text) => {
          expect(parseIpv6Words(text, out), text).toBe(checkIPv6Grammar(text) === undefined);
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('IPv6 text agrees with ip-address', () => {
  test('formatIPv6 is correctForm() for random and embedded-IPv4 shaped values', () => {
    const shaped = fc.tuple(
      fc.constantFrom(
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff],
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0],
        [0x20, 0x02],
      ),
      fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 }),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          bytes16,
          sparseBytes16,
          shaped.map(([head, rest]) => [...head, ...rest.slice(head.length)]),
        ),
        (b) => {
          expect(formatIPv6(Uint8Array.from(b))).toBe(Address6.fromUnsignedByteArray(b).correctForm());
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('masked, RFC 5952-compressed text for every prefix length', () => {
    fc.assert(
      fc.property(fc.oneof(bytes16, sparseBytes16), fc.integer({ min: 0, max: 128 }), (b, prefix) => {
        const a = Address6.fromUnsignedByteArray(b);
        const expected = `${new Address6(`${a.correctForm()}/${prefix}`).startAddress().correctForm()}/${prefix}`;
        expect(ipv6NetworkTextFromWords(words(b), prefix)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('direct tree walk agrees with the maxmind reader', () => {
  test('real GeoLite2 data: record and prefix length for random IPv4 and IPv6 addresses', () => {
    const { reader, tree } = setup(real);
    fc.assert(
      fc.property(v4, fc.oneof(bytes16, sparseBytes16), (n, b) => {
        const [p4, len4] = reader.findAddressInTree(dotted(n));
        const hit4 = tree.walk4(n);
        expect(tree.isData(hit4) ? hit4 : null).toBe(p4);
        expect(tree.depth).toBe(len4);
        const text = Address6.fromUnsignedByteArray(b).correctForm();
        const [p6, len6] = reader.findAddressInTree(text);
        const hit6 = tree.walk6(words(b));
        expect(tree.isData(hit6) ? hit6 : null).toBe(p6);
        expect(tree.depth).toBe(len6);
      }),
      { numRuns: 3000 },
    );
  });

  test.each([24, 28, 32] as const)('%i-bit records, IPv4 and IPv6 trees', (recordSize) => {
    const entries: Record<string, Record<string, string>> = {};
    for (let i = 0; i < 200; i++) entries[`${1 + i}.${(i * 7) % 256}.0.0/${16 + (i % 9)}`] = { country_code: i % 2 ? 'CN' : 'US' };
    for (let i = 0; i < 50; i++) entries[`2001:${(0xda8 + i).toString(16)}::/${32 + (i % 17)}`] = { country_code: 'HK' };
    for (const ipVersion of [4, 6] as const) {
      const ipv4Only = Object.fromEntries(Object.entries(entries).filter(([k]) => !k.includes(':')));
      const buffer = buildMmdb(ipVersion === 4 ? ipv4Only : entries, { databaseType: 'country ipvAll', recordSize, ipVersion });
      const { reader, tree } = setup(buffer);
      fc.assert(
        fc.property(
          fc.oneof(v4, fc.integer({ min: 0x01000000, max: 0xd0ffffff })),
          fc.oneof(bytes16, fc.constant<number[]>([0x20, 0x01, 0x0d, 0xa8, ...new Array<number>(12).fill(1)])),
          (n, b) => {
            const [p4, len4] = reader.findAddressInTree(dotted(n));
            const hit4 = tree.walk4(n);
            expect(tree.isData(hit4) ? hit4 : null).toBe(p4);
            expect(tree.depth).toBe(len4);
            if (ipVersion === 6) {
              const [p6, len6] = reader.findAddressInTree(Address6.fromUnsignedByteArray(b).correctForm());
              const hit6 = tree.walk6(words(b));
              expect(tree.isData(hit6) ? hit6 : null).toBe(p6);
              expect(tree.depth).toBe(len6);
            }
          },
        ),
        { numRuns: 300 },
      );
    }
  });
});

describe('resolver answers match the reader record for record', () => {
  const geo = MaxMindResolver.fromBuffers([{ name: 'real', buffer: real }]);
  const reader = new Reader(real) as unknown as { getWithPrefixLength(ip: string): [{ country_code?: string } | null, number] };

  test('random IPv4 and IPv6 addresses, each looked up twice (memo hit and miss agree)', () => {
    fc.assert(
      fc.property(v4, fc.oneof(bytes16, sparseBytes16), (n, b) => {
        const cases: [string, string][] = [[dotted(n), dotted(n)]];
        const six = Address6.fromUnsignedByteArray(b).correctForm();
        // IPv4-mapped addresses are looked up as IPv4 (ip-location-db does not alias them).
        if (!/^::ffff:/.test(six)) cases.push([six, six]);
        cases.push([`::ffff:${dotted(n)}`, dotted(n)]);
        for (const [input, written] of cases) {
          // Special-purpose ranges are answered before any lookup, and embedded IPv4 forms
          // (IPv4-compatible ::/96, NAT64, 6to4, Teredo) are looked up by their IPv4 address,
          // as StaticResolver does.
          const literal = parseLiteral(input);
          const { ip, global } = classify(literal.ok ? literal.ip : { family: 4, v4: 0 });
          const asked = ip.family === 4 ? dotted(ip.v4) : written;
          const [rec, prefix] = reader.getWithPrefixLength(asked);
          for (let round = 0; round < 2; round++) {
            const loc = geo.resolve(input);
            if (!global) {
              expect(loc.unknown, input).toBe('non-global');
              continue;
            }
            if (rec === null) {
              expect(loc.unknown, input).toBe('not-in-database');
              continue;
            }
            expect(loc.country, input).toBe(rec.country_code);
            expect(loc.network?.endsWith(`/${prefix}`), input).toBe(true);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('addresses in one network share the memoised answer; other networks do not', () => {
    const a = geo.resolve('1.2.4.8');
    const b = geo.resolve('1.2.4.9');
    expect(a.network).toBe('1.2.4.0/22');
    expect(b).toBe(a);
    const c = geo.resolve('8.8.8.8');
    expect(c).not.toBe(a);
    expect(c.country).toBe('US');
    expect(Object.isFrozen(a)).toBe(true);
  });

  test('spellings the reader would guess are refused before any lookup', () => {
    for (const bad of ['0x01.2.4.8', '1.2.4', '16909320', '01.2.4.8', '::ffff:01.2.4.8', '1.2.4.8%eth0', '１.2.4.8']) {
      expect(geo.resolve(bad).unknown, bad).toBe('invalid-address');
    }
  });
});

describe('address fast paths agree with the general ones', () => {
  test('a canonical IPv6 text is recognised exactly when it equals the formatted value', () => {
    const out = new Uint32Array(4);
    fc.assert(
      fc.property(
        fc.oneof(bytes16, sparseBytes16).chain((b) => fc.constantFrom(...spellings(b), Address6.fromUnsignedByteArray(b).correctForm())),
        (text) => {
          const scan = scanIpv6(text, out);
          expect(scan).not.toBe(Ipv6Scan.Invalid);
          const bytes = new Uint8Array(16);
          for (let k = 0; k < 16; k++) bytes[k] = ((out[k >> 2] as number) >>> (24 - 8 * (k & 3))) & 255;
          expect(scan === Ipv6Scan.Canonical, text).toBe(formatIPv6(bytes) === text);
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('normalising canonical or other spellings gives the formatted text', () => {
    fc.assert(
      fc.property(fc.oneof(bytes16, sparseBytes16), (b) => {
        const expected = normalizeAddress(Address6.fromUnsignedByteArray(b).correctForm());
        for (const text of spellings(b)) expect(normalizeAddress(text), text).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  test('IPv4 non-global check by first octet agrees with the range list', () => {
    const ranges: [number, number][] = [
      ['0.0.0.0', 8],
      ['10.0.0.0', 8],
      ['100.64.0.0', 10],
      ['127.0.0.0', 8],
      ['169.254.0.0', 16],
      ['172.16.0.0', 12],
      ['192.0.0.0', 24],
      ['192.0.2.0', 24],
      ['192.88.99.0', 24],
      ['192.168.0.0', 16],
      ['198.18.0.0', 15],
      ['198.51.100.0', 24],
      ['203.0.113.0', 24],
      ['224.0.0.0', 4],
      ['240.0.0.0', 4],
      ['255.255.255.255', 32],
    ].map(([a, p]) => {
      const [w, x, y, z] = String(a).split('.').map(Number) as [number, number, number, number];
      return [((w << 24) | (x << 16) | (y << 8) | z) >>> 0, Number(p)];
    });
    const special = (n: number) => ranges.some(([net, p]) => (p === 0 ? true : n >>> (32 - p) === net >>> (32 - p)));
    fc.assert(
      fc.property(v4, (n) => {
        expect(nonGlobalRange({ family: 4, v4: n }) !== undefined, dotted(n)).toBe(special(n));
      }),
      { numRuns: 20000 },
    );
  });

  test('IPv6 redaction of canonical text is the /48 the general path gives', () => {
    fc.assert(
      fc.property(fc.oneof(bytes16, sparseBytes16), (b) => {
        const n = normalizeAddress(Address6.fromUnsignedByteArray(b).correctForm());
        if (!n.ok) return;
        const expected =
          n.family === 4 ? `${n.address.slice(0, n.address.lastIndexOf('.'))}.0/24` : `${new Address6(`${n.address}/48`).startAddress().correctForm()}/48`;
        for (const text of spellings(b)) expect(redactAddress(text, 'truncate'), text).toBe(expected);
      }),
      { numRuns: 2000 },
    );
    // Embedded IPv4 forms in canonical text are redacted as their IPv4 address.
    expect(redactAddress('::ffff:102:408', 'truncate')).toBe('1.2.4.0/24');
    expect(redactAddress('2002:102:408::1', 'truncate')).toBe('1.2.4.0/24');
  });

  test('IPv4 redaction by text slicing is the /24 of the address', () => {
    fc.assert(
      fc.property(v4, (n) => {
        expect(redactAddress(dotted(n), 'truncate')).toBe(`${dotted((n & 0xffffff00) >>> 0)}/24`);
        expect(redactAddress(`::ffff:${dotted(n)}`, 'truncate')).toBe(`${dotted((n & 0xffffff00) >>> 0)}/24`);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the single-database IPv4 shortcut answers as the layered path does', () => {
  // An IPv4 address embedded in IPv6 text other than ::ffff: (here IPv4-compatible ::a.b.c.d) walks
  // the same records through the general path; the answers must agree field for field but `network`.
  const table = {
    '1.2.4.0/24': { country: 'CN' },
    '81.2.69.0/24': { country: 'GB', anonymous: { vpn: true } },
    '8.8.8.0/24': { country: 'US', anonymous: false },
  } as const;
  test.each([
    ['GeoIP2 City with anonymiser traits', buildGeoIp2Mmdb(table)],
    ['ip-location-db', buildIpLocationDbMmdb(table)],
  ])('%s', (_label, buffer) => {
    const geo = MaxMindResolver.fromBuffers([{ name: 'db', buffer }]);
    for (const ip of ['1.2.4.8', '81.2.69.1', '8.8.8.8', '9.9.9.9', '1.2.5.1']) {
      const fast = geo.resolve(ip);
      const general = geo.resolve(`::${ip}`);
      const { network: _a, ...f } = fast;
      const { network: _b, ...g } = general;
      expect(f, ip).toEqual(g);
    }
  });
});
