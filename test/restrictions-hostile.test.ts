import { describe, expect, it } from 'vitest';
import { GeoadmitError, validateRestriction, validateRestrictions } from 'geoadmit';

/** A valid takedown; `over` replaces fields. */
function setup(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'req-1',
    authority: { name: 'Example Authority', jurisdiction: 'CN' },
    regions: ['CN'],
    scope: { meetings: ['m-1001'] },
    ...over,
  };
}

function refusal(doc: unknown): { error: GeoadmitError; ms: number } {
  const started = performance.now();
  let caught: unknown;
  try {
    validateRestriction(doc);
  } catch (e) {
    caught = e;
  }
  const ms = performance.now() - started;
  // Never a bare Error: every refusal is a GeoadmitError with the restriction code.
  expect(caught).toBeInstanceOf(GeoadmitError);
  expect((caught as GeoadmitError).code).toBe('E_INVALID_RESTRICTION');
  return { error: caught as GeoadmitError, ms };
}

describe('oversized documents are refused before schema validation', () => {
  it('a 10 MB document of 880,000 unknown fields is refused in milliseconds', () => {
    const doc = setup();
    for (let i = 0; i < 880_000; i++) doc[`unknown_field_${i}`] = 'x';
    // The floor for any check of an in-memory object: listing its keys once.
    const started = performance.now();
    expect(Object.keys(doc)).toHaveLength(880_004);
    const enumeration = performance.now() - started;
    const { error, ms } = refusal(doc);
    expect(error.message).toMatch(/not acceptable plain data: an object with 880004 keys \(at most 100000\)/);
    expect(error.path).toBe('$');
    // Refused "in milliseconds" (13 s and 850 MB before, schema work per field). Machine speed varies, so the
    // bound is relative: refusing costs about one listing of the keys, nothing per field.
    expect(ms).toBeLessThan(3 * enumeration + 100);
  });

  it('a document over 1 MiB serialised is refused, naming where the budget ran out', () => {
    const { error } = refusal(setup({ reference: 'r'.repeat(1024 * 1024) }));
    expect(error.message).toMatch(/larger than 1048576 bytes serialised/);
    expect(error.path).toBe('$.reference');
  });

  it('1 MiB spread over many small unknown fields is refused just the same', () => {
    const doc = setup();
    for (let i = 0; i < 60_000; i++) doc[`field_${i}`] = 'xxxxxxxx';
    const { error } = refusal(doc);
    expect(error.message).toMatch(/larger than 1048576 bytes/);
  });

  it('a list over 100,000 entries is refused with its path', () => {
    const meetings = Array.from({ length: 100_001 }, (_, i) => `m${i}`);
    const { error } = refusal(setup({ scope: { meetings } }));
    expect(error.message).toMatch(/a list of 100001 entries \(at most 100000\)/);
    expect(error.path).toBe('$.scope.meetings');
  });

  it('a batch of more than 100,000 documents is one problem, not 100,001 validations', () => {
    const docs = Array.from({ length: 100_001 }, () => 0);
    const { valid, problems } = validateRestrictions(docs);
    expect(valid).toEqual([]);
    expect(problems).toEqual([expect.objectContaining({ path: '$', code: 'E_INVALID_RESTRICTION', message: expect.stringMatching(/100001 entries/) })]);
  });
});

describe('hostile objects are refused with E_INVALID_RESTRICTION, never a bare Error', () => {
  it('a Proxy is refused without running any of its traps', () => {
    const traps: string[] = [];
    const handler: ProxyHandler<object> = {};
    for (const trap of ['get', 'has', 'ownKeys', 'getOwnPropertyDescriptor', 'getPrototypeOf'] as const) {
      (handler as Record<string, unknown>)[trap] = () => {
        traps.push(trap);
        throw new Error(`trap ${trap}`);
      };
    }
    const { error } = refusal(new Proxy(setup(), handler));
    expect(error.message).toMatch(/a Proxy is not plain data/);
    expect(traps).toEqual([]);
  });

  it('a Proxy nested inside the document is refused at its path', () => {
    const { error } = refusal(setup({ scope: new Proxy({ meetings: ['m-1'] }, {}) }));
    expect(error.path).toBe('$.scope');
    expect(error.message).toMatch(/Proxy/);
  });

  it('a throwing getter is refused (and never called)', () => {
    let called = 0;
    const doc = setup();
    Object.defineProperty(doc, 'regions', {
      enumerable: true,
      get() {
        called++;
        throw new Error('boom');
      },
    });
    const { error } = refusal(doc);
    expect(error.path).toBe('$.regions');
    expect(error.message).toMatch(/accessor property/);
    expect(called).toBe(0);
  });

  it('a cyclic object is refused at the path where the cycle closes', () => {
    const scope: Record<string, unknown> = { meetings: ['m-1'] };
    scope['self'] = scope;
    const { error } = refusal(setup({ scope }));
    expect(error.path).toBe('$.scope.self');
    expect(error.message).toMatch(/cycle/);
    // The id is still named when it can be read without running the document's code.
    expect(error.restrictionId).toBe('req-1');
  });

  it('class instances and Dates are not plain data', () => {
    expect(refusal(setup({ validFrom: new Date('2020-06-01T00:00:00Z') })).error.message).toMatch(/a Date is not plain data/);
    class Scope {
      meetings = ['m-1'];
    }
    expect(refusal(setup({ scope: new Scope() })).error.path).toBe('$.scope');
  });

  it('validateRestrictions lists hostile entries as problems and keeps the good ones', () => {
    const bad = setup({ id: 'req-2' });
    Object.defineProperty(bad, 'scope', { enumerable: true, get: () => ({ meetings: ['m'] }) });
    const { valid, problems } = validateRestrictions([setup(), bad, new Proxy(setup({ id: 'req-3' }), {})]);
    expect(valid.map((r) => r.id)).toEqual(['req-1']);
    expect(problems.map((p) => [p.path, p.code])).toEqual([
      ['$[1].scope', 'E_INVALID_RESTRICTION'],
      ['$[2]', 'E_INVALID_RESTRICTION'],
    ]);
  });

  it('a Proxy as the batch itself is one problem', () => {
    const { valid, problems } = validateRestrictions(new Proxy([setup()], {}));
    expect(valid).toEqual([]);
    expect(problems[0]?.message).toMatch(/Proxy/);
  });

  it('a plain document with an own __proto__ key is read as data, not as a prototype', () => {
    const doc = JSON.parse(
      '{"id":"req-1","authority":{"name":"A","jurisdiction":"CN"},"regions":["CN"],"scope":{"meetings":["m"]},"__proto__":{"mode":"dry-run"}}',
    );
    const { error } = refusal(doc);
    expect(error.message).toMatch(/unknown field "__proto__"/);
  });
});

describe('plainDataSnapshot counts what JSON.stringify would write', () => {
  it('sizes agree for plain ASCII data, and the copy is equal to the input', async () => {
    const { plainDataSnapshot } = await import('../src/internal/objects.js');
    const doc = { id: 'req-1', n: [1, 2.5, -3, 1e21, 0], flags: { a: true, b: false, c: null }, nested: [{ x: 'y' }, []], s: '' };
    const snap = plainDataSnapshot(doc, { maxBytes: 1 << 20, maxListLength: 10 });
    expect(snap).toEqual({ ok: true, value: doc, bytes: JSON.stringify(doc).length });
  });
});
