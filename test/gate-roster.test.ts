/** The roster's indexes (meeting, host account, country) agree with a plain list under any sequence of changes. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Location } from 'geoadmit';
import { Roster, type RosterEntry } from '../src/gate/internal/roster.js';

const LOCATIONS: Location[] = [
  { country: 'CN', subdivisions: [], source: 't' },
  { country: 'CN', subdivisions: ['CN-BJ'], source: 't' },
  { country: 'HK', subdivisions: [], source: 't' },
  { country: 'US', subdivisions: ['US-CA'], source: 't' },
  { subdivisions: [], source: 'unknown', unknown: 'not-in-database' },
];

const op = fc.oneof(
  fc.record({ op: fc.constant('add' as const), m: fc.nat(3), p: fc.nat(4), h: fc.option(fc.nat(2), { nil: undefined }), l: fc.nat(LOCATIONS.length - 1) }),
  fc.record({ op: fc.constant('remove' as const), m: fc.nat(3), p: fc.nat(4) }),
  fc.record({ op: fc.constant('removeMeeting' as const), m: fc.nat(3) }),
  fc.record({ op: fc.constant('removeEntry' as const), pick: fc.nat(50) }),
);

describe('roster indexes', () => {
  it('match a reference list after any sequence of adds, re-joins and removals', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const roster = new Roster();
        const model = new Map<string, RosterEntry>();
        const seen: RosterEntry[] = [];
        for (const o of ops) {
          if (o.op === 'add') {
            const e = roster.add(`m${o.m}`, `p${o.p}`, o.h === undefined ? undefined : `h${o.h}`, LOCATIONS[o.l]!, undefined);
            model.set(`m${o.m}/p${o.p}`, e);
            seen.push(e);
          } else if (o.op === 'remove') {
            expect(roster.remove(`m${o.m}`, `p${o.p}`)).toBe(model.get(`m${o.m}/p${o.p}`));
            model.delete(`m${o.m}/p${o.p}`);
          } else if (o.op === 'removeMeeting') {
            const n = [...model.keys()].filter((k) => k.startsWith(`m${o.m}/`));
            expect(roster.removeMeeting(`m${o.m}`)).toBe(n.length);
            for (const k of n) model.delete(k);
          } else {
            // A removal decided about an older entry never takes the current one.
            const e = seen[o.pick % Math.max(1, seen.length)];
            if (e === undefined) continue;
            const current = model.get(`${e.meetingId}/${e.participantId}`) === e;
            expect(roster.removeEntry(e)).toBe(current);
            if (current) model.delete(`${e.meetingId}/${e.participantId}`);
          }
        }
        const all = [...model.values()];
        expect(roster.size).toBe(all.length);
        const byCountry = (c: string | undefined) => all.filter((e) => e.location.country === c).sort((a, b) => a.generation - b.generation);
        for (const c of ['CN', 'HK', 'US', undefined]) {
          expect([...roster.inCountry(c)].sort((a, b) => a.generation - b.generation)).toEqual(byCountry(c));
        }
        for (let m = 0; m < 4; m++) {
          const mine = all.filter((e) => e.meetingId === `m${m}`);
          expect(roster.participants(`m${m}`).sort((a, b) => a.generation - b.generation)).toEqual(mine.sort((a, b) => a.generation - b.generation));
          expect([...roster.entriesOf(`m${m}`)]).toHaveLength(mine.length);
          expect(roster.hasMeeting(`m${m}`)).toBe(mine.length > 0);
        }
        for (let h = 0; h < 3; h++) {
          const meetings = new Set(all.filter((e) => e.hostAccountId === `h${h}`).map((e) => e.meetingId));
          expect(new Set(roster.meetingsOfHost(`h${h}`))).toEqual(meetings);
        }
      }),
      { numRuns: 300 },
    );
  });
});
