import { describe, expectTypeOf, it } from 'vitest';
import {
  createGate,
  StaticResolver,
  type Decision,
  type Gate,
  type ParticipantRef,
  type Reason,
  type RestrictionDocument,
  type RestrictResult,
} from 'geoadmit';
import type { DecisionEvent } from 'geoadmit/audit';

describe('public types of the gate', () => {
  const gate: Gate = createGate({ geo: new StaticResolver({}) });

  it('types admit, restrict and events', () => {
    expectTypeOf(gate.admit).returns.toEqualTypeOf<Promise<Decision>>();
    expectTypeOf(gate.restrict).returns.toEqualTypeOf<Promise<RestrictResult>>();
    expectTypeOf<RestrictResult['removed']>().toEqualTypeOf<ParticipantRef[]>();
    expectTypeOf<Decision['reasons']>().toEqualTypeOf<Reason[]>();
    expectTypeOf<Reason['code']>().toEqualTypeOf<
      'region-restricted' | 'not-in-allowed-regions' | 'unknown-location' | 'anonymizer' | 'rule' | 'invalid-address' | 'audit-unavailable'
    >();
    gate.on('decision', (e) => {
      expectTypeOf(e).toEqualTypeOf<DecisionEvent>();
      expectTypeOf(e.reasons).toEqualTypeOf<Reason[]>();
    });
    gate.on('removal', (e) => expectTypeOf(e.restrictionId).toBeString());
    expectTypeOf(gate.on('error', () => undefined)).toEqualTypeOf<() => void>();
  });

  it('refuses calls that must not compile', () => {
    // Type-level only: never called.
    const mustNotCompile = () => {
      // @ts-expect-error: no such event
      gate.on('meeting.ended', () => undefined);
      // @ts-expect-error: a join needs a meeting, a participant and an address
      void gate.admit({ meetingId: 'm' });
      // @ts-expect-error: the gate has no operation that ends a meeting or suspends an account
      void gate.suspendAccount;
      // @ts-expect-error: audit.ip is one of four modes
      createGate({ geo: new StaticResolver({}), audit: { ip: 'full' } });
    };
    expectTypeOf(mustNotCompile).toBeFunction();
  });
});

describe('restriction documents are typed', () => {
  const gate: Gate = createGate({ geo: new StaticResolver({}) });

  it('refuses a misspelt kind or field at compile time, accepts documents and JSON', () => {
    const check = () => {
      // @ts-expect-error a misspelt kind and field do not compile
      void gate.restrict({ kind: 'takedwn', regoins: ['CN'] });
      // @ts-expect-error nor does a document without its regions
      void gate.preview({ id: 'x', authority: { name: 'A', jurisdiction: 'CN' }, scope: { meetings: ['m'] } });
      // @ts-expect-error nor an initial restriction of an unknown kind
      createGate({ geo: new StaticResolver({}), restrictions: [{ id: 'x', kind: 'ban', regions: ['CN'], scope: { all: true } }] });
      void gate.restrict({ id: 'x', authority: { name: 'A', jurisdiction: 'CN' }, regions: ['CN'], scope: { meetings: ['m'] } });
      const fromJson: unknown = JSON.parse('{}');
      void gate.restrict(fromJson); // validated at run time
      const doc: RestrictionDocument = { id: 'y', kind: 'sanctions', authority: { name: 'Ops', jurisdiction: 'US' }, regions: ['CN'], scope: { all: true } };
      void gate.preview(doc);
    };
    expectTypeOf(check).toBeFunction();
  });
});
