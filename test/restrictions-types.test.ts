import { describe, expect, expectTypeOf, it } from 'vitest';
import { validateRestriction, validateRestrictions, type NormalizedRestriction, type Restriction, type RestrictionProblem } from 'geoadmit';
// Internals (not exported from the package root), tested where they live.
import { canonicalRegion } from '../src/regions/index.js';
import { matchRestriction, type RestrictionMatch } from '../src/restrictions/index.js';

describe('public types', () => {
  it('validation turns unknown input into normalised restrictions', () => {
    expectTypeOf(validateRestriction).parameter(0).toEqualTypeOf<unknown>();
    expectTypeOf(validateRestriction).returns.toEqualTypeOf<NormalizedRestriction>();
    expectTypeOf(validateRestrictions).returns.toEqualTypeOf<{ valid: NormalizedRestriction[]; problems: RestrictionProblem[] }>();
    expectTypeOf(canonicalRegion).returns.toEqualTypeOf<string | undefined>();
  });

  it('matching takes a normalised restriction, never a raw document', () => {
    expectTypeOf(matchRestriction).returns.toEqualTypeOf<RestrictionMatch | undefined>();
    const raw: Restriction = { id: 'r', authority: { name: 'a', jurisdiction: 'CN' }, regions: ['CN'], scope: { meetings: ['m'] } };
    // @ts-expect-error a raw document must be validated first
    expectTypeOf(matchRestriction).toBeCallableWith(raw, { subdivisions: [], source: 'static' });
  });

  it('normalised restrictions are read-only (and frozen)', () => {
    const r = validateRestriction({ id: 'r', authority: { name: 'a', jurisdiction: 'CN' }, regions: ['CN'], scope: { meetings: ['m'] } });
    expect(() => {
      // @ts-expect-error readonly
      r.mode = 'dry-run';
    }).toThrow(TypeError); // frozen at run time too
    expectTypeOf(r.regions).toEqualTypeOf<readonly string[]>();
  });
});
