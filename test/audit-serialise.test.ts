import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/internal/canonical-json.js';
import { SERIALISED_TYPES, serialiseRecord } from '../src/audit/internal/serialise.js';

// Strings with escapes, astral characters and lone surrogates; numbers JSON cannot carry.
const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('', '"', '\\', '\u2028', '\ud800', 'a\nb'));
const num = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -0, 1e21, Number.NaN, Number.POSITIVE_INFINITY));
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const texts = fc.array(text, { maxLength: 4 });
/** Anything JSON-ish, for values in the wrong place. */
const junk = fc.oneof(text, num, fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 2 }), fc.dictionary(text, text, { maxKeys: 2 }));

const reason = fc.record({ code: text, restrictionId: opt(text), region: opt(text), rule: opt(text), message: opt(text) }, { requiredKeys: ['code'] });
const location = fc.record(
  {
    country: opt(text),
    subdivisions: texts,
    anonymizer: opt(fc.boolean()),
    source: text,
    network: opt(text),
    databaseBuilt: opt(text),
    unknown: opt(text),
  },
  { requiredKeys: ['subdivisions', 'source'] },
);
const authority = fc.record({ name: text, jurisdiction: text });

/** Every event type the gate emits and every record the log writes about itself, optional fields present or not. */
const records: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  decision: fc.record(
    {
      type: fc.constant('decision'),
      time: text,
      meetingId: text,
      hostAccountId: opt(text),
      participantId: text,
      outcome: fc.constantFrom('admitted', 'denied'),
      reasons: fc.array(reason, { maxLength: 3 }),
      dryRun: fc.array(reason, { maxLength: 2 }),
      restrictionIds: texts,
      location,
      address: opt(text),
    },
    { requiredKeys: ['type', 'time', 'meetingId', 'participantId', 'outcome', 'reasons', 'dryRun', 'restrictionIds', 'location'] },
  ),
  removal: fc.record(
    {
      type: fc.constant('removal'),
      time: text,
      meetingId: text,
      hostAccountId: opt(text),
      participantId: text,
      restrictionId: text,
      reasons: fc.array(reason, { maxLength: 3 }),
      location,
      address: opt(text),
      status: fc.constantFrom('removed', 'pending'),
    },
    { requiredKeys: ['type', 'time', 'meetingId', 'participantId', 'restrictionId', 'reasons', 'location', 'status'] },
  ),
  'restriction.accepted': fc.record(
    {
      type: fc.constant('restriction.accepted'),
      time: text,
      restrictionId: text,
      digest: text,
      kind: text,
      authority: opt(authority),
      regions: texts,
      allowRegions: opt(texts),
      scope: fc.record({ meetings: texts, hostAccounts: texts, all: fc.boolean() }),
      mode: fc.constantFrom('enforce', 'dry-run'),
      validFrom: opt(text),
      validUntil: opt(text),
      reference: opt(text),
      warnings: texts,
      meetingsReached: num,
      meetingsUndisturbed: num,
      removed: num,
    },
    {
      requiredKeys: [
        'type',
        'time',
        'restrictionId',
        'digest',
        'kind',
        'regions',
        'scope',
        'mode',
        'warnings',
        'meetingsReached',
        'meetingsUndisturbed',
        'removed',
      ],
    },
  ),
  'restriction.refused': fc.record(
    {
      type: fc.constant('restriction.refused'),
      time: text,
      restrictionId: opt(text),
      kind: opt(text),
      authority: opt(authority),
      regions: opt(texts),
      code: text,
      reason: text,
      path: opt(text),
      reference: opt(text),
    },
    { requiredKeys: ['type', 'time', 'code', 'reason'] },
  ),
  'restriction.lifted': fc.record({
    type: fc.constant('restriction.lifted'),
    time: text,
    restrictionId: text,
    digest: text,
    kind: text,
    authority: opt(authority),
    expired: fc.boolean(),
  }),
  'exemption.granted': fc.record(
    {
      type: fc.constant('exemption.granted'),
      time: text,
      exemptionId: text,
      restrictionId: text,
      restrictionDigest: text,
      kind: opt(text),
      authority: opt(authority),
      participants: texts,
      hostAccounts: texts,
      networks: num,
      reason: text,
      validUntil: opt(text),
    },
    { requiredKeys: ['type', 'time', 'exemptionId', 'restrictionId', 'restrictionDigest', 'participants', 'hostAccounts', 'networks', 'reason'] },
  ),
  'exemption.revoked': fc.record(
    {
      type: fc.constant('exemption.revoked'),
      time: text,
      exemptionId: text,
      restrictionId: text,
      kind: opt(text),
      authority: opt(authority),
      expired: fc.boolean(),
    },
    { requiredKeys: ['type', 'time', 'exemptionId', 'restrictionId', 'expired'] },
  ),
  'geo.reloaded': fc.record(
    { type: fc.constant('geo.reloaded'), time: text, source: text, file: text, databaseBuilt: opt(text) },
    { requiredKeys: ['type', 'time', 'source', 'file'] },
  ),
  ...Object.fromEntries(
    ['store.disconnected', 'store.reconnected', 'store.resynced', 'store.regressed'].map((type) => [
      type,
      fc.record({ type: fc.constant(type), time: text, store: text, message: opt(text), version: opt(text) }, { requiredKeys: ['type', 'time', 'store'] }),
    ]),
  ),
  warning: fc.record(
    { type: fc.constant('warning'), time: text, code: fc.constantFrom('forwarded-header-untrusted', 'trust-all-proxies'), message: text, peer: opt(text) },
    { requiredKeys: ['type', 'time', 'code', 'message'] },
  ),
  error: fc.record(
    {
      type: fc.constant('error'),
      time: text,
      context: text,
      message: text,
      code: opt(text),
      meetingId: opt(text),
      participantId: opt(text),
      rule: opt(text),
      file: opt(text),
    },
    { requiredKeys: ['type', 'time', 'context', 'message'] },
  ),
  'audit.start': fc.record(
    { type: fc.constant('audit.start'), time: text, version: fc.constant(1), previous: opt(fc.record({ file: text, seq: num, hash: text })) },
    { requiredKeys: ['type', 'time', 'version'] },
  ),
  'audit.gap': fc.record({
    type: fc.constant('audit.gap'),
    time: text,
    dropped: num,
    from: text,
    to: text,
    types: fc.dictionary(text, num, { maxKeys: 4 }),
  }),
  'audit.checkpoint': fc.record({
    type: fc.constant('audit.checkpoint'),
    time: text,
    seq: num,
    hash: text,
    signature: text,
    publicKeyFingerprint: text,
  }),
};

describe('the direct serialiser writes exactly the canonical JSON', () => {
  it('covers every event type it serialises directly', () => {
    expect(Object.keys(records).sort()).toEqual([...SERIALISED_TYPES].sort());
  });

  it.each(Object.keys(records))('%s: equal to canonicalJson for every shape', (type) => {
    fc.assert(
      fc.property(records[type] as fc.Arbitrary<Record<string, unknown>>, (record) => {
        expect(serialiseRecord(record)).toBe(canonicalJson(record));
      }),
      { numRuns: 300 },
    );
  });

  it.each(Object.keys(records))('%s: still equal with extra keys, wrong value types and key orders (the fallback)', (type) => {
    fc.assert(
      fc.property(
        records[type] as fc.Arbitrary<Record<string, unknown>>,
        fc.dictionary(text, junk, { maxKeys: 3 }),
        fc.option(fc.constantFrom('location', 'reasons', 'authority', 'scope', 'regions', 'time', 'types', 'previous'), { nil: undefined }),
        junk,
        (record, extra, replaced, value) => {
          const mixed: Record<string, unknown> = { ...extra, ...record };
          if (replaced !== undefined && replaced in mixed) mixed[replaced] = value;
          // Reverse the key order too: canonical output does not depend on it.
          const reversed = Object.fromEntries(Object.entries(mixed).reverse());
          expect(serialiseRecord(reversed)).toBe(canonicalJson(reversed));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('hostile values fall back too: cycles, toJSON, undefined members, unknown types', () => {
    const cyclic: Record<string, unknown> = { type: 'decision', time: 't', location: { source: 's', subdivisions: [] } };
    (cyclic.location as Record<string, unknown>).self = cyclic;
    const cases: object[] = [
      cyclic,
      { type: 'decision', time: { toJSON: () => 'later' } },
      { type: 'warning', time: 't', code: 'trust-all-proxies', message: undefined, peer: () => 1 },
      { type: 'decision', time: 't', reasons: [undefined, { code: 'x', toJSON: () => 'r' }] },
      { type: 'something.new', b: 1, a: [1, { d: 2, c: 3 }] },
      { type: 'audit.gap', time: 't', types: { b: 2, a: 1n } },
      Object.assign(Object.create({ inherited: 'x' }), { type: 'warning', time: 't', code: 'c', message: 'm' }),
    ];
    for (const record of cases) expect(serialiseRecord(record)).toBe(canonicalJson(record));
  });
});
