import fc from 'fast-check';
import { iso31661, iso31662 } from 'iso-3166';
import { describe, expect, it } from 'vitest';
import { GeoadmitError } from 'geoadmit';
import { validateRestriction } from 'geoadmit';
import { territoryAliases, territoryParents } from '../src/regions/index.js';

function takedown(jurisdiction: string, regions: string[], kind?: string) {
  return {
    id: 'req-1',
    ...(kind === undefined ? {} : { kind }),
    authority: { name: 'Authority', jurisdiction },
    regions,
    scope: { meetings: ['m-1'] },
  };
}

function outcome(doc: unknown): { ok: true } | { ok: false; code: string; path?: string; message: string } {
  try {
    validateRestriction(doc);
    return { ok: true };
  } catch (e) {
    if (!(e instanceof GeoadmitError)) throw e;
    return { ok: false, code: e.code, path: e.path, message: e.message };
  }
}

describe('jurisdictional containment (takedowns)', () => {
  it.each([
    ['CN', ['CN']],
    ['CN', ['CN-XZ']],
    ['CN', ['CN-22']],
    ['CN', ['CN', 'CN-XZ', 'cn-bj']],
    ['US', ['US-CA']],
    ['US-CA', ['US-CA']],
    ['FR', ['FR-01']],
    ['FR-ARA', ['FR-01']],
    ['HK', ['CN-HK']],
    ['cn', ['CN-JL']],
  ])('%s authority may target %j', (jurisdiction, regions) => {
    expect(outcome(takedown(jurisdiction, regions))).toEqual({ ok: true });
  });

  it.each([
    ['CN', ['HK'], 0],
    ['CN', ['MO'], 0],
    ['CN', ['TW'], 0],
    ['CN', ['CN-HK'], 0],
    ['CN', ['CN-TW'], 0],
    ['CN', ['CN-MO'], 0],
    ['CN', ['CN-91'], 0],
    ['CN', ['US'], 0],
    ['CN', ['CN', 'CN-XZ', 'HK'], 2],
    ['US-CA', ['US'], 0],
    ['US-CA', ['US-NY'], 0],
    ['US-CA', ['US-CA', 'US-OR'], 1],
    ['US', ['US-PR'], 0],
    ['FR', ['FR-974'], 0],
    ['FR-IDF', ['FR-01'], 0],
  ])('%s authority may not target %j (refused at $.regions[%i])', (jurisdiction, regions, index) => {
    const result = outcome(takedown(jurisdiction, regions));
    expect(result).toMatchObject({ ok: false, code: 'E_OUT_OF_JURISDICTION', path: `$.regions[${index}]` });
  });

  it('names the region and the jurisdiction in the message and lists every offending region', () => {
    try {
      validateRestriction(takedown('CN', ['CN', 'HK', 'CN-TW', 'US']));
      expect.unreachable();
    } catch (e) {
      const err = e as GeoadmitError;
      expect(err.code).toBe('E_OUT_OF_JURISDICTION');
      expect(err.restrictionId).toBe('req-1');
      expect(err.message).toMatch(/^\$\.regions\[1\]: region "HK" is outside the authority's jurisdiction "CN"/);
      expect(err.issues?.map((i) => [i.path, i.code])).toEqual([
        ['$.regions[1]', 'E_OUT_OF_JURISDICTION'],
        ['$.regions[2]', 'E_OUT_OF_JURISDICTION'],
        ['$.regions[3]', 'E_OUT_OF_JURISDICTION'],
      ]);
      expect(err.issues?.[1]?.message).toMatch(/"CN-TW" \(TW\)/);
    }
  });

  it('does not apply to sanctions or host policies', () => {
    expect(outcome(takedown('US', ['CN', 'HK', 'IR'], 'sanctions'))).toEqual({ ok: true });
    expect(outcome(takedown('US', ['CN', 'HK'], 'host-policy'))).toEqual({ ok: true });
  });
});

// An independent reference: the raw iso-3166 parent links plus the alias tables.
const assigned = iso31661.filter((c) => c.state === 'assigned').map((c) => c.alpha2);
const isoParent = new Map(iso31662.map((s) => [s.code, s.parent]));
const aliasOf = (code: string) => territoryAliases.get(code) ?? code;

function referenceInside(outer: string, inner: string): boolean {
  const target = aliasOf(outer);
  let cur: string | undefined = aliasOf(inner);
  while (cur !== undefined) {
    if (cur === target) return true;
    const parent: string | undefined = territoryParents.get(cur) ?? isoParent.get(cur);
    cur = parent === undefined ? undefined : aliasOf(parent);
  }
  return false;
}

describe('containment property', () => {
  const anyCode = fc.oneof(fc.constantFrom(...assigned), fc.constantFrom(...iso31662.map((s) => s.code)));
  // Pairs drawn from one country (and the territories ISO files under it) make
  // "inside" common enough to exercise both outcomes; unrelated pairs cover the rest.
  const territories = [...territoryAliases.keys(), ...territoryAliases.values(), ...territoryParents.keys()];
  const related = fc.constantFrom(...assigned).chain((country) => {
    const own = [country, ...iso31662.filter((s) => s.code.startsWith(`${country}-`)).map((s) => s.code)];
    const jurisdiction = fc.oneof({ arbitrary: fc.constant(country), weight: 3 }, { arbitrary: fc.constantFrom(...own), weight: 1 });
    const region = fc.oneof(
      { arbitrary: fc.constantFrom(...own), weight: 8 },
      { arbitrary: fc.constantFrom(...territories), weight: 1 },
      { arbitrary: anyCode, weight: 1 },
    );
    return fc.tuple(jurisdiction, fc.array(region, { minLength: 1, maxLength: 3 }));
  });
  const unrelated = fc.tuple(anyCode, fc.array(anyCode, { minLength: 1, maxLength: 4 }));

  it('a takedown is accepted iff every region is inside the jurisdiction', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof({ arbitrary: related, weight: 3 }, { arbitrary: unrelated, weight: 1 }), ([jurisdiction, regions]) => {
        const expected = regions.every((r) => referenceInside(jurisdiction, r));
        accepted += expected ? 1 : 0;
        const result = outcome(takedown(jurisdiction, regions));
        if (expected) {
          expect(result).toEqual({ ok: true });
        } else {
          const first = regions.findIndex((r) => !referenceInside(jurisdiction, r));
          expect(result).toMatchObject({ ok: false, code: 'E_OUT_OF_JURISDICTION', path: `$.regions[${first}]` });
        }
      }),
      { numRuns: 2000 },
    );
    // Both outcomes must be well represented for the property to mean anything.
    expect(accepted).toBeGreaterThan(400);
    expect(accepted).toBeLessThan(1600);
  });
});
