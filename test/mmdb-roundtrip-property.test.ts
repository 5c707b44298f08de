import { Address6 } from 'ip-address';
import { Reader } from 'maxmind';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { buildMmdb, type MmdbRecord, type MmdbValue } from 'geoadmit/mmdb';

/** A network as [family, first address, prefix] with addresses as bigints. */
interface Net {
  v6: boolean;
  start: bigint;
  prefix: number;
}

const bits = (net: Net) => (net.v6 ? 128 : 32);
const last = (net: Net) => net.start | ((1n << BigInt(bits(net) - net.prefix)) - 1n);
const contains = (net: Net, v6: boolean, address: bigint) => net.v6 === v6 && address >= net.start && address <= last(net);
const overlaps = (a: Net, b: Net) => a.v6 === b.v6 && a.start <= last(b) && b.start <= last(a);
const cidr = (net: Net) => `${format(net.v6, net.start)}/${net.prefix}`;

function format(v6: boolean, address: bigint): string {
  if (v6) return Address6.fromBigInt(address).correctForm();
  return [24n, 16n, 8n, 0n].map((s) => (address >> s) & 255n).join('.');
}

// IPv6 networks stay inside 2000::/3 so they never meet the IPv4 space (::/96) or its alias.
const v6Net = fc.tuple(fc.bigInt({ min: 0n, max: (1n << 125n) - 1n }), fc.integer({ min: 3, max: 128 })).map(([low, prefix]): Net => {
  const address = (1n << 125n) | low;
  const mask = ((1n << BigInt(prefix)) - 1n) << BigInt(128 - prefix);
  return { v6: true, start: address & mask, prefix };
});
const v4Net = fc.tuple(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), fc.integer({ min: 1, max: 32 })).map(([address, prefix]): Net => {
  const mask = ((1n << BigInt(prefix)) - 1n) << BigInt(32 - prefix);
  return { v6: false, start: address & mask, prefix };
});

const key = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((k) => k !== '__proto__');
const scalar: fc.Arbitrary<MmdbValue> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  fc.integer({ min: -(2 ** 31), max: -1 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
  fc.boolean(),
  fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)),
);
const { value } = fc.letrec<{ value: MmdbValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
}));
const record: fc.Arbitrary<MmdbRecord> = fc.dictionary(key, value, { maxKeys: 5 });

/** Keeps the networks that do not overlap one kept earlier. */
function disjoint(nets: Net[]): Net[] {
  const kept: Net[] = [];
  for (const net of nets) if (!kept.some((k) => overlaps(k, net))) kept.push(net);
  return kept;
}

describe('property: what is written is what the maxmind reader reads', () => {
  test.each([6, 4] as const)('non-overlapping networks in an IPv%i database', (ipVersion) => {
    const nets = ipVersion === 6 ? fc.array(fc.oneof(v4Net, v6Net), { maxLength: 25 }) : fc.array(v4Net, { maxLength: 25 });
    fc.assert(
      fc.property(
        nets.map(disjoint).chain((kept) => fc.tuple(fc.constant(kept), fc.array(record, { minLength: kept.length, maxLength: kept.length }))),
        fc.array(fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: (1n << 128n) - 1n })), { maxLength: 10 }),
        fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
        ([kept, records], probes, salt) => {
          const db = buildMmdb(
            kept.map((net, i) => ({ network: cidr(net), data: records[i]! })),
            { databaseType: 'Property', ipVersion },
          );
          const reader = new Reader(db);
          kept.forEach((net, i) => {
            const size = last(net) - net.start + 1n;
            for (const address of [net.start, last(net), net.start + (salt % size)]) {
              const [found, prefix] = reader.getWithPrefixLength(format(net.v6, address));
              expect(found).toEqual(records[i]);
              expect(prefix).toBe(net.prefix);
              if (!net.v6 && ipVersion === 6) {
                // The IPv4-mapped spelling reaches the same record.
                expect(reader.getWithPrefixLength(`::ffff:${format(false, address)}`)).toEqual([records[i], 96 + net.prefix]);
              }
            }
          });
          for (const [wantV6, raw] of probes) {
            const v6 = wantV6 && ipVersion === 6;
            const address = v6 ? (1n << 125n) | (raw & ((1n << 125n) - 1n)) : raw & 0xffff_ffffn;
            const owner = kept.findIndex((net) => contains(net, v6, address));
            expect(reader.get(format(v6, address))).toEqual(owner === -1 ? null : records[owner]);
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  test('most-specific-wins answers like a longest-prefix-match model', () => {
    // Dense IPv4 networks inside 10.0.0.0/8 so that many overlap.
    const dense = fc.tuple(fc.integer({ min: 0, max: 0xff_ffff }), fc.integer({ min: 8, max: 32 })).map(([low, prefix]): Net => {
      const mask = ((1n << BigInt(prefix)) - 1n) << BigInt(32 - prefix);
      return { v6: false, start: ((10n << 24n) | BigInt(low)) & mask, prefix };
    });
    const unique = fc.uniqueArray(dense, { maxLength: 30, selector: cidr });
    fc.assert(
      fc.property(unique, fc.array(fc.integer({ min: 0, max: 0x1ff_ffff }), { maxLength: 30 }), (nets, probes) => {
        const db = buildMmdb(
          nets.map((net, i) => ({ network: cidr(net), data: { i } })),
          { databaseType: 'Property', overlap: 'most-specific-wins' },
        );
        const reader = new Reader(db);
        const extra = nets.flatMap((net) => [net.start, last(net)]);
        for (const address of [...probes.map((p) => (9n << 24n) + BigInt(p)), ...extra]) {
          let best = -1;
          nets.forEach((net, i) => {
            if (contains(net, false, address) && (best === -1 || net.prefix > nets[best]!.prefix)) best = i;
          });
          expect(reader.get(format(false, address))).toEqual(best === -1 ? null : { i: best });
          expect(reader.get(`::ffff:${format(false, address)}`)).toEqual(best === -1 ? null : { i: best });
        }
      }),
      { numRuns: 50 },
    );
  });
});
