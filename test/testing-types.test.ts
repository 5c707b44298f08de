/** Types of the testing kit and the vitest matchers: checked by `tsc` (npm run typecheck), asserted at run time too. */
import { describe, expect, expectTypeOf, it } from 'vitest';
import 'geoadmit/vitest';
import type { Decision, Gate, GateEventMap, ParticipantRef, ReasonCode } from 'geoadmit';
import { addressIn, createTestGate, type ManualClock, testRegions, testResolver, type TestGate, type TestGateEvent } from 'geoadmit/testing';
import type { GeoadmitMatchers } from 'geoadmit/vitest';

describe('testing kit types', () => {
  it('addressIn takes an index or { ipv6, index }', () => {
    expectTypeOf(addressIn).toBeCallableWith('CN');
    expectTypeOf(addressIn).toBeCallableWith('US-CA', 3);
    expectTypeOf(addressIn).toBeCallableWith('DE', { ipv6: true });
    expectTypeOf(addressIn).toBeCallableWith('DE', { ipv6: true, index: 3 });
    expectTypeOf(addressIn('CN')).toEqualTypeOf<string>();
    expectTypeOf(testRegions('countries')).toEqualTypeOf<string[]>();
    // @ts-expect-error an index is a number
    expect(() => addressIn('CN', '3')).toThrow();
    // @ts-expect-error unknown option
    expect(() => addressIn('CN', { v6: true })).toThrow();
    // @ts-expect-error a region is a string
    expect(() => addressIn(86)).toThrow();
  });

  it('createTestGate returns the gate, a manual clock, removals, typed events and join', async () => {
    const t = createTestGate({ restrictions: [], audit: { ip: 'omit' } });
    expectTypeOf(t).toEqualTypeOf<TestGate>();
    expectTypeOf(t.gate).toEqualTypeOf<Gate>();
    expectTypeOf(t.clock).toEqualTypeOf<ManualClock>();
    expectTypeOf(t.removed).toEqualTypeOf<ParticipantRef[]>();
    expectTypeOf(t.events).toEqualTypeOf<TestGateEvent[]>();
    expectTypeOf(t.eventsOf('removal')).toEqualTypeOf<GateEventMap['removal'][]>();
    expectTypeOf(t.join('m', 'p', 'CN', { hostAccountId: 'a' })).resolves.toEqualTypeOf<Decision>();
    // @ts-expect-error meetingId is join's first argument, not an extra
    expect(() => t.join('m', 'p', 'CN', { meetingId: 'other' })).toBeTypeOf('function');
    // @ts-expect-error geo must be a resolver
    expect(() => createTestGate({ geo: 'geolite' })).toThrow();
    // @ts-expect-error not an event type
    t.eventsOf('decided');
    expect(testResolver().metadata.name).toBe('synthetic');
    await t.close();
  });
});

describe('matcher types', () => {
  it('adds toBeAdmitted, toBeDenied(code?) and toHaveRemoved(ids) to expect, and as asymmetric matchers', () => {
    const decision: Decision = { admitted: true, reasons: [], dryRun: [], location: { subdivisions: [], source: 'test', country: 'US' } };
    expectTypeOf(expect(decision).toBeAdmitted).toEqualTypeOf<() => void>();
    expectTypeOf(expect(decision).toBeDenied).parameter(0).toEqualTypeOf<ReasonCode | undefined>();
    expectTypeOf(expect([]).toHaveRemoved).parameter(0).toEqualTypeOf<readonly string[]>();
    expectTypeOf<GeoadmitMatchers<void>['toBeDenied']>().toEqualTypeOf<(code?: ReasonCode) => void>();
    expect(decision).toBeAdmitted();
    expect({ d: decision }).toEqual({ d: expect.toBeAdmitted() });
    // @ts-expect-error not a reason code
    expect(() => expect(decision).toBeDenied('region_restricted')).toThrow(/not a reason code/);
    // @ts-expect-error toBeAdmitted takes no argument
    expect(() => expect(decision).toBeAdmitted(true)).not.toThrow();
    // @ts-expect-error ids are an array
    expect(() => expect([]).toHaveRemoved('p-1')).toThrow(/array of participant ids/);
    // @ts-expect-error ids are strings
    expect(() => expect([]).toHaveRemoved([1])).toThrow(/array of participant ids/);
  });
});
