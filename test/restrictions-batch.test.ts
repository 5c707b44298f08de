import { describe, expect, it } from 'vitest';
import { GeoadmitError } from 'geoadmit';
import { validateRestriction, validateRestrictions } from 'geoadmit';

const good = (id: string) => ({
  id,
  authority: { name: 'Example Authority', jurisdiction: 'CN' },
  regions: ['CN'],
  scope: { meetings: ['m-1001'] },
});

describe('validateRestrictions', () => {
  it('collects every problem of a mixed array, with $[i] paths, and keeps the valid documents', () => {
    const docs = [
      good('a'),
      { ...good('b'), regions: ['CN', 'XX'], extra: 1 },
      { ...good('c'), regions: ['HK'] },
      good('a'),
      'not a document',
      { ...good('d'), kind: 'host-policy', authority: undefined, allowRegions: ['US'], regions: undefined },
    ];
    const { valid, problems } = validateRestrictions(JSON.parse(JSON.stringify(docs)));
    expect(valid.map((r) => r.id)).toEqual(['a', 'd']);
    expect(problems.map(({ index, id, code, path }) => ({ index, id, code, path }))).toEqual([
      { index: 1, id: 'b', code: 'E_INVALID_RESTRICTION', path: '$[1].regions[1]' },
      { index: 1, id: 'b', code: 'E_INVALID_RESTRICTION', path: '$[1].extra' },
      { index: 2, id: 'c', code: 'E_OUT_OF_JURISDICTION', path: '$[2].regions[0]' },
      { index: 3, id: 'a', code: 'E_INVALID_RESTRICTION', path: '$[3].id' },
      { index: 4, id: undefined, code: 'E_INVALID_RESTRICTION', path: '$[4]' },
    ]);
    expect(problems[3]?.message).toMatch(/duplicate restriction id "a"/);
    for (const p of problems) expect(p.message.length).toBeGreaterThan(0);
  });

  it('takes a single document, with $ paths', () => {
    expect(validateRestrictions(good('a')).valid).toHaveLength(1);
    const { valid, problems } = validateRestrictions({ ...good('a'), regions: [] });
    expect(valid).toEqual([]);
    expect(problems).toMatchObject([{ index: 0, id: 'a', path: '$.regions', code: 'E_INVALID_RESTRICTION' }]);
  });

  it('reports a non-document input instead of throwing', () => {
    expect(validateRestrictions(null).problems).toMatchObject([{ index: 0, path: '$' }]);
    expect(validateRestrictions([]).problems).toEqual([]);
  });
});

describe('prototype pollution', () => {
  it('a JSON document with a "__proto__" key is refused as an unknown field and pollutes nothing', () => {
    const text =
      '{"id":"p","__proto__":{"polluted":true,"kind":"sanctions"},"authority":{"name":"a","jurisdiction":"CN"},"regions":["CN"],"scope":{"meetings":["m"]}}';
    const doc = JSON.parse(text);
    try {
      validateRestriction(doc);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(GeoadmitError);
      expect((e as GeoadmitError).code).toBe('E_INVALID_RESTRICTION');
      expect((e as GeoadmitError).path).toBe('$.__proto__');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('nested "__proto__" and "constructor" keys are unknown fields too', () => {
    const doc = JSON.parse(
      '{"id":"p","authority":{"name":"a","jurisdiction":"CN","__proto__":{"x":1}},"regions":["CN"],"scope":{"meetings":["m"],"constructor":{"prototype":{"y":1}}}}',
    );
    const { problems } = validateRestrictions(doc);
    expect(problems.map((p) => p.path).sort()).toEqual(['$.authority.__proto__', '$.scope.constructor']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(({} as Record<string, unknown>).y).toBeUndefined();
  });

  it('"__proto__" and "constructor" are ordinary ids, meeting ids and account ids', () => {
    const r = validateRestriction({
      id: '__proto__',
      authority: { name: 'constructor', jurisdiction: 'CN' },
      regions: ['CN'],
      scope: { meetings: ['__proto__', 'constructor'], hostAccounts: ['hasOwnProperty'] },
    });
    expect(r.id).toBe('__proto__');
    expect(r.scope.meetings).toEqual(['__proto__', 'constructor']);
    const batch = validateRestrictions([{ ...r.source }, { ...r.source }]);
    expect(batch.problems).toMatchObject([{ index: 1, path: '$[1].id' }]);
  });

  it('fields inherited from a polluted prototype are not read', () => {
    const proto = { authority: { name: 'a', jurisdiction: 'CN' }, regions: ['CN'] };
    const doc = Object.assign(Object.create(proto) as Record<string, unknown>, { id: 'x', scope: { meetings: ['m'] } });
    const { problems } = validateRestrictions(doc);
    // Not plain data: refused as a whole, and nothing from the prototype is read into it.
    expect(problems).toMatchObject([{ path: '$', code: 'E_INVALID_RESTRICTION', message: expect.stringMatching(/not plain data/) }]);
    const own = validateRestrictions({ ...doc });
    expect(own.problems.map((p) => p.path)).toContain('$.authority');
  });
});

describe('hostile objects', () => {
  it('a document whose getter throws is refused, not crashed on', () => {
    const doc = { id: 'g', regions: ['CN'], scope: { meetings: ['m'] } };
    Object.defineProperty(doc, 'authority', {
      enumerable: true,
      get: () => {
        throw new Error('boom');
      },
    });
    const { problems } = validateRestrictions([doc]);
    expect(problems).toMatchObject([{ index: 0, path: '$[0].authority', code: 'E_INVALID_RESTRICTION' }]);
    expect(() => validateRestriction(doc)).toThrow(GeoadmitError);
  });
});
