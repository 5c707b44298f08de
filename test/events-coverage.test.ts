/**
 * One list of gate event types (`GATE_EVENT_TYPES`), and every consumer of the
 * gate's events handles every type on it: the audit sink records them all,
 * the testing kit's gate records them all, the operator console forwards all
 * but the ones it withholds on purpose, and the audit serialiser has a direct
 * shape for each. Adding an event type to `GateEventMap` without handling it
 * in each of these fails here (and, for the list itself, at compile time).
 */
import { afterAll, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { createGate, type Gate, type GateEventMap, StaticResolver } from 'geoadmit';
import { createJsonlAuditSink } from 'geoadmit/audit';
import { createConsole } from 'geoadmit/console';
import { createTestGate } from 'geoadmit/testing';
import { SERIALISED_TYPES } from '../src/audit/internal/serialise.js';
import { GATE_EVENT_TYPES } from '../src/events/index.js';
import { OPERATOR_WITHHELD_EVENTS } from '../src/console/internal/events.js';
import { makeTempDir } from './helpers/temp-dir.js';

const tmp = makeTempDir('geoadmit-events-');
afterAll(() => tmp.cleanup());

const gateOf = (): Gate => createGate({ geo: new StaticResolver({ '1.2.4.0/24': 'CN' }) });
const ALL = [...GATE_EVENT_TYPES].sort();

/**
 * Runs `build` while watching every gate's `on` (gates share one prototype), and
 * answers the event types it subscribed to on the gate `gateIn(built)`.
 */
async function typesSubscribed<T>(build: () => T, gateIn: (built: T) => Gate): Promise<{ built: T; types: string[] }> {
  const probe = gateOf();
  const on = vi.spyOn(Object.getPrototypeOf(probe) as Gate, 'on');
  try {
    const built = build();
    const gate = gateIn(built);
    const types = on.mock.calls.filter((_, i) => on.mock.contexts[i] === gate).map(([type]) => type as string);
    return { built, types: [...new Set(types)].sort() };
  } finally {
    on.mockRestore();
    await probe.close();
  }
}

describe('GATE_EVENT_TYPES', () => {
  it('is exactly the gate event map, each type once', () => {
    expectTypeOf<(typeof GATE_EVENT_TYPES)[number]>().toEqualTypeOf<keyof GateEventMap>();
    expect(new Set(GATE_EVENT_TYPES).size).toBe(GATE_EVENT_TYPES.length);
    expect(Object.isFrozen(GATE_EVENT_TYPES)).toBe(true);
  });
});

describe('every consumer handles every event type', () => {
  it('the audit sink records every type', async () => {
    const gate = gateOf();
    const sink = createJsonlAuditSink(`${tmp.dir}/audit.jsonl`, { fsync: 'never' });
    const { types } = await typesSubscribed(
      () => sink.attach(gate),
      () => gate,
    );
    expect(types).toEqual(ALL);
    await sink.close();
    await gate.close();
  });

  it('the testing kit records every type', async () => {
    const { built: t, types } = await typesSubscribed(
      () => createTestGate(),
      (t) => t.gate,
    );
    expect(types).toEqual(ALL);
    await t.close();
  });

  it('the operator console forwards every type but the ones it withholds on purpose', async () => {
    const gate = gateOf();
    const { built: handler, types } = await typesSubscribed(
      () => createConsole(gate, { token: 'x'.repeat(32) }),
      () => gate,
    );
    // Errors carry causes and server paths: they belong in the server's log, not on an operator's page.
    expect([...OPERATOR_WITHHELD_EVENTS]).toEqual(['error']);
    expect([...types, ...OPERATOR_WITHHELD_EVENTS].sort()).toEqual(ALL);
    handler.close();
    await gate.close();
  });

  it('the audit serialiser has a direct shape for every type', () => {
    expect(ALL.filter((type) => !SERIALISED_TYPES.includes(type))).toEqual([]);
  });
});
