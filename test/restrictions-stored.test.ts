import { afterEach, describe, expect, test } from 'vitest';
import { createGate, GeoadmitError, InMemoryRestrictionStore, type Restriction, StaticResolver } from 'geoadmit';
import { createRedisRestrictionStore } from 'geoadmit/redis';
import type { ErrorEvent } from '../src/events/types.js';
import { markParsedJson, validateRestriction, validateStoredRestriction } from '../src/restrictions/index.js';
import { takeParsedJson } from '../src/restrictions/parsed-json.js';
import { describeWithRedis, startRedis, takedown } from './helpers/redis-server.js';

// Documents read back from a store are validated without the defensive copy when the store marks them as
// its own JSON.parse result. Every verdict must be the one validateRestriction gives for the same document.

function verdict(run: () => unknown): unknown {
  try {
    return { ok: run() };
  } catch (error) {
    if (!(error instanceof GeoadmitError)) throw error;
    return { code: error.code, message: error.message, path: error.path, issues: error.issues, restrictionId: error.restrictionId };
  }
}

function parsedMarked(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (typeof value === 'object' && value !== null) markParsedJson(value);
  return value;
}

const authority = { name: 'Example Authority', jurisdiction: 'CN' };
const big = (n: number, length: number) => Array.from({ length: n }, (_, i) => `${i}`.padStart(length, 'm'));
let deep: unknown = 'x';
for (let i = 0; i < 70; i++) deep = { d: deep };

/** Each as JSON text: valid documents of every shape, then every way of being wrong, hostile sizes included. */
const TEXTS: string[] = [
  JSON.stringify(takedown('plain')),
  JSON.stringify({
    id: 'full',
    kind: 'takedown',
    authority,
    regions: ['cn-22', 'CN-XZ', 'cn-xz'],
    scope: { meetings: ['a', 'b', 'a'], hostAccounts: ['h'] },
    mode: 'dry-run',
    validFrom: '2026-01-01T00:00:00Z',
    validUntil: '2027-01-01T00:00:00Z',
    unknownLocation: 'deny',
    anonymizers: 'deny',
    reference: 'ref',
    notice: { text: 'Blocked.', url: 'https://example.org/n' },
    appeal: { url: 'https://example.org/a' },
  }),
  JSON.stringify({ id: 'sanction', kind: 'sanctions', authority: { name: 'OFAC', jurisdiction: 'US' }, regions: ['IR', 'KP'], scope: { all: true } }),
  JSON.stringify({ id: 'policy', kind: 'host-policy', allowRegions: ['DE', 'FR'], scope: { hostAccounts: ['acme'] } }),
  // Field rules.
  JSON.stringify({ ...takedown('bad-region'), regions: ['CN', 'XX'] }),
  JSON.stringify({ ...takedown('outside'), regions: ['HK'] }),
  JSON.stringify({ ...takedown('unknown-field'), colour: 'red' }),
  JSON.stringify({ ...takedown('scope-all'), scope: { all: true } }),
  JSON.stringify({ ...takedown('window'), validFrom: '2027-01-01T00:00:00Z', validUntil: '2026-01-01T00:00:00Z' }),
  JSON.stringify({ ...takedown('notice'), notice: {} }),
  JSON.stringify({ ...takedown('url'), appeal: { url: 'http://example.org' } }),
  JSON.stringify({ id: '', authority, regions: ['CN'], scope: { meetings: ['m'] } }),
  JSON.stringify({ id: 7, authority, regions: ['CN'], scope: { meetings: ['m'] } }),
  '{"id":"proto","authority":{"name":"A","jurisdiction":"CN"},"regions":["CN"],"scope":{"meetings":["m"]},"__proto__":{"kind":"sanctions"}}',
  '{"id":"dup-key","id":"dup-key-2","authority":{"name":"A","jurisdiction":"CN"},"regions":["CN"],"scope":{"meetings":["m"]}}',
  '[1,2,3]',
  '"a string"',
  'null',
  // The copy's bounds: too large, too long, too deep, not a JSON number.
  JSON.stringify({ ...takedown('too-large'), scope: { meetings: big(5_000, 250) } }),
  JSON.stringify({ ...takedown('large-reference'), reference: 'r'.repeat(2 * 1024 * 1024) }),
  JSON.stringify({ ...takedown('too-long'), regions: Array.from({ length: 100_001 }, () => 'CN') }),
  JSON.stringify({ ...takedown('many-keys'), ...Object.fromEntries(Array.from({ length: 100_001 }, (_, i) => [`k${i}`, 1])) }),
  JSON.stringify({ ...takedown('too-deep'), extra: deep }),
  '{"id":"infinite","authority":{"name":"A","jurisdiction":"CN"},"regions":["CN"],"scope":{"meetings":["m"]},"weight":1e400}',
  // Within the bounds but close to them.
  JSON.stringify({ ...takedown('near-limit'), scope: { meetings: big(3_900, 250) } }),
];

describe('validating documents read back from a store', () => {
  test('a marked document gets exactly the verdict validateRestriction gives', () => {
    for (const text of TEXTS) {
      const expected = verdict(() => validateRestriction(JSON.parse(text)));
      const existing = verdict(() => validateRestriction(JSON.parse(text), { existingIds: new Set(['plain', 'full']) }));
      expect(
        verdict(() => validateStoredRestriction(parsedMarked(text))),
        text.slice(0, 80),
      ).toEqual(expected);
      expect(
        verdict(() => validateStoredRestriction(parsedMarked(text), { existingIds: new Set(['plain', 'full']) })),
        text.slice(0, 80),
      ).toEqual(existing);
    }
  });

  test('the verdicts cover acceptance, every rule and every bound', () => {
    const codes = TEXTS.map((text) => verdict(() => validateStoredRestriction(parsedMarked(text))) as { ok?: unknown; code?: string; message?: string });
    const accepted = codes.flatMap((v) => (v.ok === undefined ? [] : [(v.ok as { id: string }).id]));
    expect(accepted).toEqual(['plain', 'full', 'sanction', 'policy', 'dup-key-2', 'near-limit']);
    const messages = codes.map((v) => v.message ?? '').join('\n');
    for (const bound of [
      'larger than 1048576 bytes',
      'a list of 100001 entries',
      'an object with 100005 keys',
      'nested deeper than 64',
      'Infinity is not a JSON number',
    ]) {
      expect(messages).toContain(bound);
    }
    expect(codes.some((v) => v.code === 'E_OUT_OF_JURISDICTION')).toBe(true);
  });

  test('what a marked document yields is deep-frozen and separate from the parsed input', () => {
    const input = parsedMarked(TEXTS[1] as string) as Record<string, unknown>;
    const r = validateStoredRestriction(input);
    expect(r.source).not.toBe(input);
    expect(r.source).toEqual(JSON.parse(TEXTS[1] as string));
    const frozen = (v: unknown): boolean => typeof v !== 'object' || v === null || (Object.isFrozen(v) && Object.values(v).every(frozen));
    expect(frozen(r)).toBe(true);
    (input.scope as { meetings: string[] }).meetings.push('later');
    expect(r.scope.meetings).toEqual(['a', 'b']);
  });

  test('the mark is taken once, and only JSON.parse results a store marked are trusted', () => {
    const value = JSON.parse(JSON.stringify(takedown('once'))) as object;
    markParsedJson(value);
    expect(takeParsedJson(value)).toBe(true);
    expect(takeParsedJson(value)).toBe(false);
    // An unmarked object with an accessor is refused by the copy, as validateRestriction refuses it.
    let reads = 0;
    const hostile = { ...takedown('getter') } as Record<string, unknown>;
    Object.defineProperty(hostile, 'regions', { enumerable: true, get: () => (++reads > 1 ? ['US'] : ['CN']) });
    expect(verdict(() => validateStoredRestriction(hostile))).toEqual(verdict(() => validateRestriction(hostile)));
    expect(verdict(() => validateStoredRestriction(hostile))).toMatchObject({ code: 'E_INVALID_RESTRICTION', message: expect.stringContaining('accessor') });
    expect(reads).toBe(0);
  });
});

describe('a gate starting on its store’s snapshot', () => {
  /** An in-memory store whose snapshot is given as it is (a store other than ours may repeat an id). */
  function storeWith(restrictions: unknown[]): InMemoryRestrictionStore {
    const store = new InMemoryRestrictionStore();
    store.snapshot = async () => ({ version: '0', restrictions: restrictions as Restriction[] });
    return store;
  }

  test('registers in the snapshot’s order; an id written twice is its last document, at its first place', async () => {
    const docs = [takedown('b', 'm-b'), takedown('a', 'm-a1'), 'not an object', { id: 5 }, takedown('c'), takedown('a', 'm-a2')];
    const gate = createGate({ geo: new StaticResolver({ '1.2.4.0/24': 'CN' }), restrictions: storeWith(docs) });
    await gate.ready();
    expect(gate.restrictions().map((r) => [r.id, r.scope.meetings[0]])).toEqual([
      ['b', 'm-b'],
      ['a', 'm-a2'],
      ['c', 'm-1'],
    ]);
    await gate.close();
  });

  test('registers every document in order when no id repeats, refusing the invalid ones', async () => {
    const errors: string[] = [];
    const docs = [takedown('z'), { ...takedown('bad'), regions: ['XX'] }, takedown('y'), takedown('x')];
    const gate = createGate({ geo: new StaticResolver({ '1.2.4.0/24': 'CN' }), restrictions: storeWith(docs) });
    gate.on('error', (e) => errors.push(e.message));
    await gate.ready();
    expect(gate.restrictions().map((r) => r.id)).toEqual(['z', 'y', 'x']);
    expect(errors).toEqual([expect.stringContaining('restriction store holds an invalid restriction; not enforced: $.regions[0]')]);
    await gate.close();
  });
});

describeWithRedis('a gate starting on a Redis store', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  test('enforces the valid documents and refuses each invalid one with the validator’s own error', async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.dispose());
    const seed = createRedisRestrictionStore({ url: redis.url });
    cleanup.push(() => seed.close());
    await seed.reseed([takedown('good-1'), takedown('good-2', 'm-2')]);
    const written = {
      'bad-region': { ...takedown('bad-region'), regions: ['XX'] },
      'too-large': { ...takedown('too-large'), scope: { meetings: big(5_000, 250) } },
      outside: { ...takedown('outside'), regions: ['HK'] },
    };
    const { Redis } = await import('ioredis');
    const admin = new Redis(redis.url);
    cleanup.push(() => void admin.disconnect());
    for (const [id, doc] of Object.entries(written)) await admin.hset('{geoadmit}:restrictions', id, JSON.stringify(doc));

    const store = createRedisRestrictionStore({ url: redis.url });
    const gate = createGate({ geo: new StaticResolver({ '1.2.4.0/24': 'CN' }), restrictions: store });
    cleanup.push(
      () => store.close(),
      () => gate.close(),
    );
    const errors: ErrorEvent[] = [];
    gate.on('error', (e) => errors.push(e));
    await gate.ready();
    expect(gate.restrictions().map((r) => r.id)).toEqual(['good-1', 'good-2']);
    const expected = Object.values(written).map((doc) => {
      try {
        validateRestriction(doc);
      } catch (error) {
        return { code: (error as GeoadmitError).code, message: `restriction store holds an invalid restriction; not enforced: ${(error as Error).message}` };
      }
      throw new Error('expected the document to be refused');
    });
    expect(errors.map((e) => ({ code: e.code, message: e.message })).sort((a, b) => a.message.localeCompare(b.message))).toEqual(
      expected.sort((a, b) => a.message.localeCompare(b.message)),
    );
  });
});
