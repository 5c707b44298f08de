import { describe, expect, it } from 'vitest';
import type { Location } from 'geoadmit';
import { describeCapabilityGaps, isActive, matchRestriction, restrictionInScope, validateRestriction } from '../src/restrictions/index.js';

function setup(over: Record<string, unknown> = {}) {
  return validateRestriction({
    id: 'r-1',
    kind: 'sanctions',
    authority: { name: 'Operator compliance', jurisdiction: 'US' },
    regions: ['CN'],
    scope: { meetings: ['m-1'], hostAccounts: ['acct-1'] },
    ...over,
  });
}

const at = (country?: string, subdivisions: string[] = [], extra: Partial<Location> = {}): Location =>
  country === undefined ? { subdivisions, source: 'unknown', unknown: 'not-in-database', ...extra } : { country, subdivisions, source: 'static', ...extra };

const deny = (region: string) => ({ code: 'region-restricted', region });
const UNKNOWN_SUB = { code: 'unknown-location', message: 'subdivision unknown' };

describe('matchRestriction rules', () => {
  it.each([
    ['deny list: location in the region', {}, at('CN'), deny('CN')],
    ['deny list: location elsewhere', {}, at('US'), undefined],
    ['deny list: HK is not CN', {}, at('HK'), undefined],
    ['deny list: TW is not CN', {}, at('TW'), undefined],
    ['deny list: location in a subdivision of the region', {}, at('CN', ['CN-XZ']), deny('CN')],
    ['deny list: the first matching region is named', { regions: ['US', 'CN-XZ', 'CN'] }, at('CN', ['CN-XZ']), deny('CN-XZ')],
    ['subdivision region: in it', { regions: ['CN-XZ'] }, at('CN', ['CN-XZ']), deny('CN-XZ')],
    ['subdivision region: replaced code from the database', { regions: ['CN-JL'] }, at('CN', ['CN-22']), deny('CN-JL')],
    ['subdivision region: another subdivision', { regions: ['CN-XZ'] }, at('CN', ['CN-BJ']), undefined],
    ['subdivision region: another country', { regions: ['CN-XZ'] }, at('US'), undefined],
    ['subdivision region: subdivision unknown, admit', { regions: ['CN-XZ'] }, at('CN'), undefined],
    ['subdivision region: subdivision unknown, deny', { regions: ['CN-XZ'], unknownLocation: 'deny' }, at('CN'), UNKNOWN_SUB],
    ['subdivision region: only a coarser level known, deny', { regions: ['FR-01'], unknownLocation: 'deny' }, at('FR', ['FR-ARA']), UNKNOWN_SUB],
    ['subdivision region: a sibling of the region, deny', { regions: ['FR-01'], unknownLocation: 'deny' }, at('FR', ['FR-IDF']), undefined],
    ['unknown location, admit (default)', {}, at(undefined), undefined],
    ['unknown location, deny', { unknownLocation: 'deny' }, at(undefined), { code: 'unknown-location', message: 'not-in-database' }],
    [
      'invalid address, deny',
      { unknownLocation: 'deny' },
      at(undefined, [], { unknown: 'invalid-address' }),
      { code: 'invalid-address', message: 'invalid-address' },
    ],
    ['anonymizer, admit (default)', {}, at('US', [], { anonymizer: true }), undefined],
    ['anonymizer, deny', { anonymizers: 'deny' }, at('US', [], { anonymizer: true }), { code: 'anonymizer' }],
    ['anonymizer, deny, unknown country', { anonymizers: 'deny' }, at(undefined, [], { anonymizer: true }), { code: 'anonymizer' }],
    ['anonymizer in the region: region wins', { anonymizers: 'deny' }, at('CN', [], { anonymizer: true }), deny('CN')],
    ['anonymizer before unknown location', { anonymizers: 'deny', unknownLocation: 'deny' }, at(undefined, [], { anonymizer: true }), { code: 'anonymizer' }],
  ] as const)('%s', (_name, over, location, expected) => {
    expect(matchRestriction(setup(over), location)).toEqual(expected);
  });

  const allow = (over: Record<string, unknown> = {}) =>
    setup({ kind: 'host-policy', authority: undefined, regions: undefined, allowRegions: ['US', 'CA-QC'], ...over });

  it.each([
    ['allow list: inside', {}, at('US'), undefined],
    ['allow list: inside a subdivision entry', {}, at('CA', ['CA-QC']), undefined],
    ['allow list: elsewhere', {}, at('CN'), { code: 'not-in-allowed-regions' }],
    ['allow list: another subdivision of an allowed subdivision country', {}, at('CA', ['CA-ON']), { code: 'not-in-allowed-regions' }],
    ['allow list: unknown location denied by default', {}, at(undefined), { code: 'unknown-location', message: 'not-in-database' }],
    ['allow list: unknown location admitted when told', { unknownLocation: 'admit' }, at(undefined), undefined],
    ['allow list: subdivision unknown denied by default', {}, at('CA'), UNKNOWN_SUB],
    ['allow list: subdivision unknown admitted when told', { unknownLocation: 'admit' }, at('CA'), undefined],
    ['allow list: anonymizer inside, deny', { anonymizers: 'deny' }, at('US', [], { anonymizer: true }), { code: 'anonymizer' }],
  ] as const)('%s', (_name, over, location, expected) => {
    expect(matchRestriction(allow(over), location)).toEqual(expected);
  });

  it('ignores the window and the scope (the gate checks them)', () => {
    const r = setup({ validFrom: '2020-06-01T00:00:00Z', validUntil: '2020-06-02T00:00:00Z', scope: { meetings: ['other'] } });
    expect(matchRestriction(r, at('CN'))).toEqual(deny('CN'));
  });
});

describe('restrictionInScope', () => {
  it('matches by meeting or host account', () => {
    const r = setup();
    expect(restrictionInScope(r, 'm-1')).toBe(true);
    expect(restrictionInScope(r, 'm-2', 'acct-1')).toBe(true);
    expect(restrictionInScope(r, 'm-2', 'acct-2')).toBe(false);
    expect(restrictionInScope(r, 'm-2')).toBe(false);
    expect(restrictionInScope(r, 'acct-1')).toBe(false);
  });

  it('all: true applies to every meeting; prototype names are ordinary ids', () => {
    expect(restrictionInScope(setup({ scope: { all: true } }), 'anything')).toBe(true);
    const r = setup({ scope: { meetings: ['__proto__'] } });
    expect(restrictionInScope(r, '__proto__')).toBe(true);
    expect(restrictionInScope(r, 'constructor')).toBe(false);
    expect(restrictionInScope(r, 'toString', 'hasOwnProperty')).toBe(false);
  });
});

describe('isActive', () => {
  it('is inside [validFrom, validUntil)', () => {
    const r = setup({ validFrom: '2020-06-01T00:00:00Z', validUntil: '2020-06-05T00:00:00Z' });
    const from = Date.UTC(2020, 5, 1);
    const until = Date.UTC(2020, 5, 5);
    expect(isActive(r, from - 1)).toBe(false);
    expect(isActive(r, from)).toBe(true);
    expect(isActive(r, until - 1)).toBe(true);
    expect(isActive(r, until)).toBe(false);
  });

  it('open ends are unbounded', () => {
    expect(isActive(setup(), 0)).toBe(true);
    expect(isActive(setup({ validFrom: '2020-06-01T00:00:00Z' }), Date.UTC(2100, 0))).toBe(true);
    expect(isActive(setup({ validUntil: '2020-06-01T00:00:00Z' }), 0)).toBe(true);
  });
});

describe('describeCapabilityGaps', () => {
  const full = { countries: true, subdivisions: true, anonymizers: true };
  const countryOnly = { countries: true, subdivisions: false, anonymizers: false };

  it('no warnings when the data suffices', () => {
    expect(describeCapabilityGaps(setup({ regions: ['CN-XZ'], anonymizers: 'deny' }), full)).toEqual([]);
    expect(describeCapabilityGaps(setup(), countryOnly)).toEqual([]);
  });

  it('warns about subdivision regions without subdivision data', () => {
    const warnings = describeCapabilityGaps(setup({ regions: ['CN', 'CN-XZ'] }), countryOnly);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/CN-XZ/);
    expect(warnings[0]).toMatch(/unknown location/);
    const allowWarnings = describeCapabilityGaps(
      setup({ kind: 'host-policy', authority: undefined, regions: undefined, allowRegions: ['US-CA'] }),
      countryOnly,
    );
    expect(allowWarnings[0]).toMatch(/allowRegions.*US-CA/);
  });

  it('warns about anonymizers: deny without anonymizer data, and about no country data', () => {
    expect(describeCapabilityGaps(setup({ anonymizers: 'deny' }), countryOnly)).toEqual([expect.stringMatching(/anonymiz/)]);
    expect(describeCapabilityGaps(setup(), { countries: false, subdivisions: false, anonymizers: true })).toEqual([
      expect.stringMatching(/cannot tell countries/),
    ]);
  });
});
