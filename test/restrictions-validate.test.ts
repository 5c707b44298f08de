import { describe, expect, it } from 'vitest';
import { GeoadmitError } from 'geoadmit';
import { validateRestriction } from 'geoadmit';

/** A valid takedown; `over` replaces fields (undefined deletes one). */
function setup(over: Record<string, unknown> = {}): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    id: 'req-2020-06-04-a',
    authority: { name: 'Example Authority', jurisdiction: 'CN' },
    regions: ['CN'],
    scope: { meetings: ['m-1001'], hostAccounts: ['acct-42'] },
    ...over,
  };
  for (const [k, v] of Object.entries(over)) if (v === undefined) delete doc[k];
  return doc;
}

function refusal(doc: unknown, options?: Parameters<typeof validateRestriction>[1]): GeoadmitError {
  try {
    validateRestriction(doc, options);
  } catch (e) {
    expect(e).toBeInstanceOf(GeoadmitError);
    return e as GeoadmitError;
  }
  throw new Error('expected the document to be refused');
}

function expectInvalid(doc: unknown, path: string, message?: RegExp): GeoadmitError {
  const err = refusal(doc);
  expect(err.code).toBe('E_INVALID_RESTRICTION');
  expect(err.issues?.map((i) => i.path)).toContain(path);
  if (message !== undefined) expect(err.issues?.find((i) => i.path === path)?.message).toMatch(message);
  return err;
}

describe('validateRestriction: valid documents', () => {
  it('normalises the documented example, filling defaults and parsing the window', () => {
    const r = validateRestriction({
      id: 'req-2020-06-04-a',
      kind: 'takedown',
      authority: { name: 'Example Authority', jurisdiction: 'CN' },
      regions: ['CN'],
      scope: { meetings: ['m-1001'], hostAccounts: ['acct-42'] },
      mode: 'enforce',
      validFrom: '2020-06-01T00:00:00Z',
      validUntil: '2020-06-05T00:00:00Z',
      unknownLocation: 'admit',
      anonymizers: 'admit',
      reference: 'letter 2020-117',
    });
    expect(r).toMatchObject({
      id: 'req-2020-06-04-a',
      kind: 'takedown',
      authority: { name: 'Example Authority', jurisdiction: 'CN' },
      regions: ['CN'],
      scope: { meetings: ['m-1001'], hostAccounts: ['acct-42'], all: false },
      mode: 'enforce',
      validFrom: Date.UTC(2020, 5, 1),
      validUntil: Date.UTC(2020, 5, 5),
      unknownLocation: 'admit',
      anonymizers: 'admit',
      reference: 'letter 2020-117',
    });
    expect(r.allowRegions).toBeUndefined();
  });

  it('fills defaults: takedown, enforce, admit, admit, no window', () => {
    const r = validateRestriction(setup());
    expect(r.kind).toBe('takedown');
    expect(r.mode).toBe('enforce');
    expect(r.unknownLocation).toBe('admit');
    expect(r.anonymizers).toBe('admit');
    expect(r.validFrom).toBeUndefined();
    expect(r.validUntil).toBeUndefined();
    expect(r.reference).toBeUndefined();
  });

  it('canonicalises and deduplicates regions and scope lists', () => {
    const r = validateRestriction(setup({ regions: ['cn', 'CN', 'CN-22', 'cn-jl', 'CN-XZ'], scope: { meetings: ['a', 'b', 'a'], hostAccounts: ['x', 'x'] } }));
    expect(r.regions).toEqual(['CN', 'CN-JL', 'CN-XZ']);
    expect(r.scope.meetings).toEqual(['a', 'b']);
    expect(r.scope.hostAccounts).toEqual(['x']);
    expect(r.authority?.jurisdiction).toBe('CN');
  });

  it('returns a deeply frozen result that keeps the document as given, without freezing the input', () => {
    const doc = setup({ regions: ['cn'] });
    const r = validateRestriction(doc);
    expect(Object.isFrozen(r)).toBe(true);
    expect(Object.isFrozen(r.regions)).toBe(true);
    expect(Object.isFrozen(r.scope)).toBe(true);
    expect(Object.isFrozen(r.scope.meetings)).toBe(true);
    expect(Object.isFrozen(r.source)).toBe(true);
    expect(r.source.regions).toEqual(['cn']);
    expect(Object.isFrozen(doc)).toBe(false);
    (doc.regions as string[]).push('US');
    expect(r.source.regions).toEqual(['cn']);
  });

  it('accepts every kind, mode and policy value, and timezone offsets', () => {
    const s = validateRestriction(
      setup({ kind: 'sanctions', authority: { name: 'Operator compliance', jurisdiction: 'US' }, regions: ['IR', 'KP', 'UA-43'], scope: { all: true } }),
    );
    expect(s.kind).toBe('sanctions');
    expect(s.scope.all).toBe(true);
    const h = validateRestriction({
      id: 'h',
      kind: 'host-policy',
      regions: ['US'],
      scope: { hostAccounts: ['a'] },
      mode: 'dry-run',
      unknownLocation: 'deny',
      anonymizers: 'deny',
    });
    expect(h).toMatchObject({ kind: 'host-policy', mode: 'dry-run', unknownLocation: 'deny', anonymizers: 'deny' });
    expect(h.authority).toBeUndefined();
    const w = validateRestriction(setup({ validFrom: '2020-06-01T08:00:00+08:00', validUntil: '2020-06-01T00:00:01.5Z' }));
    expect(w.validFrom).toBe(Date.UTC(2020, 5, 1));
    expect(w.validUntil).toBe(Date.UTC(2020, 5, 1, 0, 0, 1, 500));
  });

  it('host-policy allow lists default to denying unknown locations unless told to admit them', () => {
    const a = validateRestriction({ id: 'h', kind: 'host-policy', allowRegions: ['us', 'CA'], scope: { meetings: ['m'] } });
    expect(a.regions).toEqual([]);
    expect(a.allowRegions).toEqual(['US', 'CA']);
    expect(a.unknownLocation).toBe('deny');
    const b = validateRestriction({ id: 'h', kind: 'host-policy', allowRegions: ['US'], scope: { meetings: ['m'] }, unknownLocation: 'admit' });
    expect(b.unknownLocation).toBe('admit');
  });

  it('accepts ids and scope ids of 256 characters, and prototype names as ids', () => {
    const long = 'x'.repeat(256);
    const r = validateRestriction(setup({ id: long, scope: { meetings: ['__proto__', 'constructor', long] } }));
    expect(r.id).toBe(long);
    expect(r.scope.meetings).toEqual(['__proto__', 'constructor', long]);
    expect(validateRestriction(setup({ id: '__proto__' })).id).toBe('__proto__');
  });
});

describe('validateRestriction: invalid documents (code and JSON path)', () => {
  it('refuses non-objects at $', () => {
    for (const doc of [null, undefined, 42, 'doc', [setup()], true]) expectInvalid(doc, '$');
  });

  it('names the path in the message and the path property', () => {
    const err = expectInvalid(setup({ regions: ['CN', 'XX'] }), '$.regions[1]');
    expect(err.path).toBe('$.regions[1]');
    expect(err.message).toMatch(/^\$\.regions\[1\]: unknown region code "XX"/);
    expect(err.restrictionId).toBe('req-2020-06-04-a');
  });

  it.each([
    ['unknown top-level field', { extra: 1 }, '$.extra', /unknown field "extra"/],
    ['unknown authority field', { authority: { name: 'a', jurisdiction: 'CN', email: 'x' } }, '$.authority.email', /unknown field/],
    ['unknown scope field', { scope: { meetings: ['m'], rooms: ['r'] } }, '$.scope.rooms', /unknown field/],
    ['odd unknown key', { 'a b': 1 }, '$["a b"]', /unknown field/],
    ['missing id', { id: undefined }, '$.id', /required/],
    ['id of wrong type', { id: 7 }, '$.id', /must be a string, not a number/],
    ['empty id', { id: '' }, '$.id', /empty/],
    ['id too long', { id: 'x'.repeat(257) }, '$.id', /at most 256/],
    ['unknown kind', { kind: 'order' }, '$.kind', /one of "takedown", "sanctions", "host-policy"/],
    ['kind of wrong type', { kind: 1 }, '$.kind', undefined],
    ['missing authority (takedown)', { authority: undefined }, '$.authority', /required for a takedown/],
    ['missing authority (sanctions)', { kind: 'sanctions', authority: undefined }, '$.authority', /required for a sanctions/],
    ['authority of wrong type', { authority: 'CN' }, '$.authority', /must be an object, not a string/],
    ['authority without name', { authority: { jurisdiction: 'CN' } }, '$.authority.name', /required/],
    ['authority with empty name', { authority: { name: '', jurisdiction: 'CN' } }, '$.authority.name', /empty/],
    ['unknown jurisdiction', { authority: { name: 'a', jurisdiction: 'XX' } }, '$.authority.jurisdiction', /unknown region code "XX"/],
    ['jurisdiction without country', { authority: { name: 'a', jurisdiction: 'XZ' } }, '$.authority.jurisdiction', /without its country.*CN-XZ/],
    ['missing regions', { regions: undefined }, '$.regions', /required/],
    ['empty regions', { regions: [] }, '$.regions', /at least one region/],
    ['regions not an array', { regions: 'CN' }, '$.regions', /must be an array, not a string/],
    ['region of wrong type', { regions: ['CN', 5] }, '$.regions[1]', /must be a string, not a number/],
    ['unknown region code', { regions: ['CN', 'XX'] }, '$.regions[1]', /unknown region code "XX"/],
    ['subdivision without its country', { regions: ['XZ'] }, '$.regions[0]', /subdivision "XZ" written without its country/],
    ['subdivision with a leading hyphen only', { regions: ['-CA'] }, '$.regions[0]', /without its country/],
    ['unknown subdivision', { regions: ['CN-ZZ'] }, '$.regions[0]', /unknown subdivision code "CN-ZZ"/],
    ['incomplete code', { regions: ['CN-'] }, '$.regions[0]', /unknown region code/],
    ['whitespace in code', { regions: [' CN'] }, '$.regions[0]', /unknown region code/],
    ['too many regions', { kind: 'sanctions', regions: Array.from({ length: 1001 }, () => 'CN') }, '$.regions', /at most 1000/],
    ['allowRegions on a takedown', { allowRegions: ['CN'], regions: undefined }, '$.allowRegions', /only host-policy/],
    ['missing scope', { scope: undefined }, '$.scope', /required/],
    ['scope of wrong type', { scope: ['m'] }, '$.scope', /must be an object, not an array/],
    ['empty scope', { scope: {} }, '$.scope', /empty scope/],
    ['scope with empty meetings', { scope: { meetings: [] } }, '$.scope.meetings', /must not be empty/],
    ['scope with empty accounts', { scope: { meetings: ['m'], hostAccounts: [] } }, '$.scope.hostAccounts', /must not be empty/],
    ['scope id empty', { scope: { meetings: ['m', ''] } }, '$.scope.meetings[1]', /empty/],
    ['scope id of wrong type', { scope: { hostAccounts: [{}] } }, '$.scope.hostAccounts[0]', /must be a string/],
    ['scope id too long', { scope: { meetings: ['x'.repeat(257)] } }, '$.scope.meetings[0]', /at most 256/],
    ['too many scope ids', { scope: { meetings: Array.from({ length: 10_001 }, (_, i) => `m${i}`) } }, '$.scope.meetings', /at most 10000/],
    ['all-scope takedown', { scope: { all: true } }, '$.scope.all', /takedown cannot apply to all meetings/],
    ['all: false', { kind: 'sanctions', scope: { all: false } }, '$.scope.all', /must be true/],
    ['all with meetings', { kind: 'sanctions', scope: { all: true, meetings: ['m'] } }, '$.scope', /cannot be combined/],
    ['unknown mode', { mode: 'enforcing' }, '$.mode', /one of "enforce", "dry-run"/],
    ['validFrom without timezone', { validFrom: '2020-06-01T00:00:00' }, '$.validFrom', /date and time with a time zone/],
    ['validFrom an impossible date', { validFrom: '2020-02-30' }, '$.validFrom', /ISO 8601 date/],
    ['validFrom a time without seconds or zone', { validFrom: '2020-06-01T08:00' }, '$.validFrom', /with a time zone/],
    ['validUntil impossible date', { validUntil: '2020-02-30T00:00:00Z' }, '$.validUntil', /ISO 8601/],
    ['validUntil as a number', { validUntil: 1591315200000 }, '$.validUntil', /must be a string, not a number/],
    ['validUntil before validFrom', { validFrom: '2020-06-05T00:00:00Z', validUntil: '2020-06-01T00:00:00Z' }, '$.validUntil', /after validFrom/],
    ['validUntil equal to validFrom', { validFrom: '2020-06-05T00:00:00Z', validUntil: '2020-06-05T00:00:00Z' }, '$.validUntil', /after validFrom/],
    [
      'validUntil before validFrom across offsets',
      { validFrom: '2020-06-05T00:00:00Z', validUntil: '2020-06-05T07:00:00+08:00' },
      '$.validUntil',
      /after validFrom/,
    ],
    ['unknown unknownLocation', { unknownLocation: 'maybe' }, '$.unknownLocation', /one of "admit", "deny"/],
    ['unknown anonymizers', { anonymizers: true }, '$.anonymizers', /one of "admit", "deny"/],
    ['reference too long', { reference: 'x'.repeat(4097) }, '$.reference', /at most 4096/],
    ['reference of wrong type', { reference: 117 }, '$.reference', /must be a string/],
  ] as const)('%s', (_name, over, path, message) => {
    expectInvalid(setup(over as Record<string, unknown>), path, message);
  });

  it.each([
    ['neither regions nor allowRegions', { id: 'h', kind: 'host-policy', scope: { meetings: ['m'] } }, '$.regions'],
    ['both regions and allowRegions', { id: 'h', kind: 'host-policy', regions: ['US'], allowRegions: ['CA'], scope: { meetings: ['m'] } }, '$.allowRegions'],
    ['empty allowRegions', { id: 'h', kind: 'host-policy', allowRegions: [], scope: { meetings: ['m'] } }, '$.allowRegions'],
    ['unknown allow region', { id: 'h', kind: 'host-policy', allowRegions: ['US', 'QQ'], scope: { meetings: ['m'] } }, '$.allowRegions[1]'],
  ])('host policy: %s', (_name, doc, path) => {
    expectInvalid(doc, path);
  });

  it('reports every problem of a document, not only the first', () => {
    const err = expectInvalid(setup({ id: 5, regions: ['XX', 'CN'], scope: {}, mode: 'x', extra: true }), '$.id');
    expect(err.issues?.map((i) => i.path).sort()).toEqual(['$.extra', '$.id', '$.mode', '$.regions[0]', '$.scope'].sort());
    expect(err.restrictionId).toBeUndefined();
    expect(err.message).toMatch(/and 4 more problems/);
  });

  it('refuses a duplicate id against a set or a predicate', () => {
    const err = refusal(setup(), { existingIds: new Set(['req-2020-06-04-a']) });
    expect(err.code).toBe('E_INVALID_RESTRICTION');
    expect(err.path).toBe('$.id');
    expect(err.message).toMatch(/duplicate restriction id "req-2020-06-04-a"/);
    expect(refusal(setup(), { existingIds: (id) => id.startsWith('req-') }).path).toBe('$.id');
    expect(validateRestriction(setup(), { existingIds: new Set(['other']) }).id).toBe('req-2020-06-04-a');
  });

  it('a malformed document is refused as invalid even when its regions also reach outside the jurisdiction', () => {
    const err = refusal(setup({ regions: ['HK'], mode: 'x' }));
    expect(err.code).toBe('E_INVALID_RESTRICTION');
    expect(err.issues?.every((i) => i.code === 'E_INVALID_RESTRICTION')).toBe(true);
  });

  it('caps the number of issues reported for a hostile document', () => {
    const err = refusal(setup({ kind: 'sanctions', regions: Array.from({ length: 1000 }, () => 'XX') }));
    expect(err.issues!.length).toBeLessThanOrEqual(100);
    expect(err.message).toMatch(/and 999 more problems/);
  });
});

describe('one date rule everywhere (issue 14)', () => {
  it('a date-only validFrom / validUntil is midnight UTC, as check --at and report --from read it', () => {
    const r = validateRestriction(setup({ validFrom: '2020-06-01', validUntil: '2020-06-05' }));
    expect(r.validFrom).toBe(Date.UTC(2020, 5, 1));
    expect(r.validUntil).toBe(Date.UTC(2020, 5, 5));
  });

  it('windows compare across the two forms', () => {
    expect(() => validateRestriction(setup({ validFrom: '2020-06-05', validUntil: '2020-06-04T23:59:59Z' }))).toThrow(/validUntil: must be after validFrom/);
  });
});
