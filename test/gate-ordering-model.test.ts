/**
 * SPEC 11 as a property: fast-check's scheduler interleaves admits (with an
 * async rule), restricts, lifts, leaves, onRemove settling and clock steps in
 * every order it likes; after each run the guarantees must hold.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGate, StaticResolver, type GateEventMap, type RestrictionDocument } from 'geoadmit';
import { steppingClock } from './helpers/stepping-clock.js';

const T0 = Date.parse('2020-06-04T00:00:00Z');
const ADDRESS = { CN: '1.2.4.8', HK: '202.181.0.1', US: '8.8.8.8' } as const;
type Region = keyof typeof ADDRESS;
const MEETINGS = ['m-1', 'm-2'] as const;
const PARTICIPANTS = ['p-1', 'p-2', 'p-3'] as const;

type Command =
  | { op: 'admit'; meetingId: string; participantId: string; region: Region }
  | { op: 'restrict'; meetings: string[]; everywhere: boolean; region: 'CN' | 'HK'; startsIn?: number; dryRun: boolean }
  | { op: 'lift'; which: number }
  | { op: 'leave'; meetingId: string; participantId: string }
  | { op: 'clock'; to: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('admit' as const),
      meetingId: fc.constantFrom(...MEETINGS),
      participantId: fc.constantFrom(...PARTICIPANTS),
      region: fc.constantFrom<Region>('CN', 'HK', 'US'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        op: fc.constant('restrict' as const),
        meetings: fc.subarray([...MEETINGS], { minLength: 1 }),
        // `{ all: true }` sanctions exercise the roster's per-country index.
        everywhere: fc.boolean(),
        region: fc.constantFrom<'CN' | 'HK'>('CN', 'HK'),
        startsIn: fc.integer({ min: -2_000, max: 2_000 }),
        dryRun: fc.boolean(),
      },
      { requiredKeys: ['op', 'meetings', 'everywhere', 'region', 'dryRun'] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('lift' as const), which: fc.nat(5) }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('leave' as const), meetingId: fc.constantFrom(...MEETINGS), participantId: fc.constantFrom(...PARTICIPANTS) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clock' as const), to: fc.integer({ min: -3_000, max: 3_000 }) }) },
);

describe('SPEC 11 under arbitrary interleavings', () => {
  it('holds its guarantees after every run', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(command, { minLength: 1, maxLength: 20 }), fc.boolean(), async (s, commands, failSome) => {
        const clock = steppingClock(T0);
        let removeCalls = 0;
        const gate = createGate({
          geo: new StaticResolver({ '1.2.4.0/24': 'CN', '202.181.0.0/24': 'HK', '8.8.8.0/24': 'US' }),
          clock,
          rules: [{ name: 'async', evaluate: () => s.schedule(Promise.resolve(undefined), 'rule') }],
          onRemove: () => {
            removeCalls++;
            // Some removals fail (they stay pending); every one settles when the scheduler says so.
            return s.schedule(failSome && removeCalls % 3 === 0 ? Promise.reject(new Error('media server said no')) : Promise.resolve(), 'onRemove');
          },
        });
        const log: { seq: number; kind: 'decision' | 'leave'; meetingId: string; participantId: string; admitted?: boolean; country?: string }[] = [];
        let seq = 0;
        gate.on('decision', (e) =>
          log.push({
            seq: seq++,
            kind: 'decision',
            meetingId: e.meetingId,
            participantId: e.participantId,
            admitted: e.outcome === 'admitted',
            country: e.location.country,
          }),
        );
        const lifecycle: GateEventMap['restriction.accepted' | 'restriction.lifted'][] = [];
        gate.on('restriction.accepted', (e) => lifecycle.push(e));
        gate.on('restriction.lifted', (e) => lifecycle.push(e));
        gate.on('error', () => {});

        const restricted: string[] = [];
        const lifted = new Set<string>();
        const accepted = new Set<string>();
        const docs = new Map<string, RestrictionDocument>();
        const runs = commands.map((c, i) =>
          s.schedule(Promise.resolve(c.op), `start ${i}`).then(async () => {
            switch (c.op) {
              case 'admit':
                await gate.admit({ meetingId: c.meetingId, participantId: c.participantId, peerAddress: ADDRESS[c.region] });
                return;
              case 'restrict': {
                const id = `r-${i}`;
                const common = {
                  id,
                  regions: [c.region],
                  mode: c.dryRun ? ('dry-run' as const) : ('enforce' as const),
                  ...(c.startsIn !== undefined ? { validFrom: new Date(T0 + c.startsIn).toISOString() } : {}),
                };
                const doc: RestrictionDocument = c.everywhere
                  ? { ...common, kind: 'sanctions', authority: { name: 'Operator compliance', jurisdiction: 'US' }, scope: { all: true } }
                  : { ...common, authority: { name: 'Authority', jurisdiction: c.region }, scope: { meetings: c.meetings } };
                docs.set(id, doc);
                restricted.push(id);
                await gate.restrict(doc);
                accepted.add(id);
                return;
              }
              case 'lift': {
                const id = restricted[c.which % Math.max(1, restricted.length)];
                if (id === undefined) return;
                try {
                  await gate.lift(id);
                  lifted.add(id);
                } catch (error) {
                  expect(error).toMatchObject({ code: 'E_UNKNOWN_RESTRICTION' });
                }
                return;
              }
              case 'leave':
                gate.leave(c.meetingId, c.participantId);
                log.push({ seq: seq++, kind: 'leave', meetingId: c.meetingId, participantId: c.participantId });
                return;
              case 'clock':
                clock.step(T0 + c.to);
                return;
            }
          }),
        );
        await s.waitFor(Promise.all(runs));
        await s.waitAll();

        const now = clock();
        const registered = new Map(gate.restrictions().map((r) => [r.id, r]));
        // A lifted restriction stays lifted; an accepted one not lifted is still there.
        for (const id of accepted) expect(registered.has(id)).toBe(!lifted.has(id));
        for (const id of lifted) expect(registered.has(id)).toBe(false);
        // Each restriction is accepted once and lifted at most once (never re-applied after a lift).
        for (const id of accepted) {
          const mine = lifecycle.filter((e) => e.restrictionId === id).map((e) => e.type);
          expect(mine).toEqual(lifted.has(id) ? ['restriction.accepted', 'restriction.lifted'] : ['restriction.accepted']);
        }

        const pending = new Set(gate.pendingRemovals().map((p) => `${p.participant.meetingId}/${p.participant.participantId}`));
        const present = gate.participants();
        const presentKeys = new Set(present.map((p) => `${p.meetingId}/${p.participantId}`));
        // Pending removals are of present participants.
        for (const k of pending) expect(presentKeys.has(k)).toBe(true);
        for (const p of present) {
          const key = `${p.meetingId}/${p.participantId}`;
          // On the roster only after an admission, and not after leaving (a denied re-join leaves the earlier entry).
          const mine = log.filter((e) => e.meetingId === p.meetingId && e.participantId === p.participantId && (e.kind === 'leave' || e.admitted));
          const last = mine.at(-1);
          expect(last).toMatchObject({ kind: 'decision', admitted: true });
          // Nobody stays past an enforced, active restriction that covers them, unless their removal is pending.
          if (pending.has(key)) continue;
          const region = last?.country;
          for (const r of registered.values()) {
            const active = (r.validFrom === undefined || now >= r.validFrom) && (r.validUntil === undefined || now < r.validUntil);
            if (!active || r.mode !== 'enforce' || !(r.scope.all || r.scope.meetings.includes(p.meetingId))) continue;
            expect(r.regions.includes(region ?? '')).toBe(false);
          }
        }
        await gate.close();
      }),
      { numRuns: 500 },
    );
  }, 120_000);
});
