import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGate, StaticResolver, type RestrictionDocument } from 'geoadmit';

// A small world: each address has a fixed, known location (or none).
const WORLD: Record<string, { country?: string; subdivisions: string[]; anonymizer?: boolean }> = {
  '1.2.4.8': { country: 'CN', subdivisions: ['CN-BJ'] },
  '1.2.5.8': { country: 'CN', subdivisions: [] },
  '36.110.1.1': { country: 'CN', subdivisions: ['CN-XZ'] },
  '202.181.0.1': { country: 'HK', subdivisions: [] },
  '8.8.8.8': { country: 'US', subdivisions: ['US-CA'] },
  '9.9.9.9': { country: 'US', subdivisions: ['US-NY'], anonymizer: true },
  '81.2.69.1': { country: 'GB', subdivisions: ['GB-ENG'], anonymizer: true },
  '5.5.5.5': { subdivisions: [] }, // not in the table
  '10.0.0.1': { subdivisions: [] }, // private
};
const TABLE = {
  '1.2.4.0/24': { country: 'CN', subdivisions: ['CN-BJ'] },
  '1.2.5.0/24': 'CN',
  '36.110.0.0/16': { country: 'CN', subdivisions: ['CN-XZ'] },
  '202.181.0.0/24': 'HK',
  '8.8.8.0/24': { country: 'US', subdivisions: ['US-CA'] },
  '9.9.9.0/24': { country: 'US', subdivisions: ['US-NY'], anonymizer: true },
  '81.2.69.0/24': { country: 'GB', subdivisions: ['GB-ENG'], anonymizer: true },
};
const REGIONS = ['CN', 'CN-BJ', 'CN-XZ', 'HK', 'US', 'US-CA', 'GB', 'GB-ENG'];
const MEETINGS = ['m1', 'm2', 'm3'];
const HOSTS = ['h1', 'h2'];

interface Doc {
  id: string;
  kind: 'sanctions' | 'host-policy';
  authority?: { name: string; jurisdiction: string };
  regions?: string[];
  allowRegions?: string[];
  scope: { meetings?: string[]; hostAccounts?: string[] } | { all: true };
  mode: 'enforce' | 'dry-run';
  unknownLocation: 'admit' | 'deny';
  anonymizers: 'admit' | 'deny';
}

const docArb = (i: number) =>
  fc
    .record({
      allow: fc.boolean(),
      regions: fc.uniqueArray(fc.constantFrom(...REGIONS), { minLength: 1, maxLength: 3 }),
      scope: fc.oneof(
        fc.record({ meetings: fc.uniqueArray(fc.constantFrom(...MEETINGS), { minLength: 1, maxLength: 2 }) }),
        fc.record({ hostAccounts: fc.uniqueArray(fc.constantFrom(...HOSTS), { minLength: 1, maxLength: 2 }) }),
        fc.constant({ all: true as const }),
      ),
      mode: fc.constantFrom('enforce' as const, 'dry-run' as const),
      unknownLocation: fc.constantFrom('admit' as const, 'deny' as const),
      anonymizers: fc.constantFrom('admit' as const, 'deny' as const),
    })
    .map(
      ({ allow, regions, scope, mode, unknownLocation, anonymizers }): Doc => ({
        id: `r${i}`,
        kind: allow ? 'host-policy' : 'sanctions',
        ...(allow ? { allowRegions: regions } : { regions, authority: { name: 'Operator', jurisdiction: 'US' } }),
        scope,
        mode,
        unknownLocation,
        anonymizers,
      }),
    );

// The reference model: written from the document rules (docs/restrictions.md) alone, independently of the gate.
function inRegion(loc: (typeof WORLD)[string], region: string): boolean {
  return region.includes('-') ? loc.subdivisions.includes(region) : loc.country === region;
}
function referenceMatches(doc: Doc, loc: (typeof WORLD)[string]): boolean {
  const list = doc.regions ?? doc.allowRegions ?? [];
  if (loc.anonymizer && doc.anonymizers === 'deny') return true;
  if (loc.country === undefined) return doc.unknownLocation === 'deny';
  if (doc.allowRegions) {
    if (list.some((r) => inRegion(loc, r))) return false;
    // Country of an allowed subdivision but subdivision unknown: an unknown location for that rule.
    const unknownHere = loc.subdivisions.length === 0 && list.some((r) => r.startsWith(`${loc.country}-`));
    return unknownHere ? doc.unknownLocation === 'deny' : true;
  }
  if (list.some((r) => inRegion(loc, r))) return true;
  const subdivisionUnknown = loc.subdivisions.length === 0 && list.some((r) => r.startsWith(`${loc.country}-`));
  return subdivisionUnknown && doc.unknownLocation === 'deny';
}
function inScope(doc: Doc, meetingId: string, host: string | undefined): boolean {
  if ('all' in doc.scope) return true;
  return (doc.scope.meetings ?? []).includes(meetingId) || (host !== undefined && (doc.scope.hostAccounts ?? []).includes(host));
}

describe('admit agrees with a reference model', () => {
  it('a join is denied iff some enforce-mode restriction in scope matches its location', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 6 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => docArb(i)))),
        fc.array(
          fc.record({
            ip: fc.constantFrom(...Object.keys(WORLD)),
            meetingId: fc.constantFrom(...MEETINGS),
            host: fc.option(fc.constantFrom(...HOSTS), { nil: undefined }),
          }),
          { minLength: 1, maxLength: 10 },
        ),
        async (docs, joins) => {
          const gate = createGate({ geo: new StaticResolver(TABLE), restrictions: docs as unknown as RestrictionDocument[] });
          for (const [i, j] of joins.entries()) {
            const d = await gate.admit({ meetingId: j.meetingId, participantId: `p${i}`, peerAddress: j.ip, ...(j.host ? { hostAccountId: j.host } : {}) });
            const loc = WORLD[j.ip]!;
            const applicable = docs.filter((doc) => inScope(doc, j.meetingId, j.host) && referenceMatches(doc, loc));
            const expectDenied = applicable.some((doc) => doc.mode === 'enforce');
            expect(d.admitted).toBe(!expectDenied);
            expect(new Set(d.reasons.map((r) => r.restrictionId))).toEqual(new Set(applicable.filter((x) => x.mode === 'enforce').map((x) => x.id)));
            expect(new Set(d.dryRun.map((r) => r.restrictionId))).toEqual(new Set(applicable.filter((x) => x.mode === 'dry-run').map((x) => x.id)));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
