import {
  createGate,
  type Decision,
  ErrorCode,
  type Gate,
  type GateEventMap,
  type GateOptions,
  GeoadmitError,
  type GeoResolver,
  type Join,
  type ParticipantRef,
  type StaticTable,
} from '../index.js';
import { GATE_EVENT_TYPES } from '../events/index.js';
import { isPlainObject } from '../internal/objects.js';
import { addressIn } from './addresses.js';
import { createManualClock, type ManualClock } from './clock.js';
import { MAX_INDEX } from './internal/allocation.js';
import { testResolver } from './resolver.js';

/** Any event a gate emits (the union of {@link GateEventMap}). */
export type TestGateEvent = GateEventMap[keyof GateEventMap];

/** Where {@link createTestGate}'s clock starts unless a clock is given: 2025-01-01T00:00:00Z. */
export const TEST_GATE_START = Date.UTC(2025, 0, 1);

/**
 * Options of {@link createTestGate}: every `createGate` option (passed
 * through unchanged, so `createGate` checks them), with `geo` optional.
 */
export interface TestGateOptions extends Omit<GateOptions, 'geo' | 'clock'> {
  /** The resolver; default `testResolver(overrides)`. */
  geo?: GeoResolver;
  /** Overrides for the default {@link testResolver} (not allowed together with `geo`). */
  overrides?: StaticTable;
  /** The gate's clock; default a manual clock at {@link TEST_GATE_START}. */
  clock?: ManualClock;
}

/** What a join made by {@link TestGate.join} may add or replace (merged into the join). */
export type TestJoinExtra = Partial<Omit<Join, 'meetingId' | 'participantId'>>;

/** A gate wired for tests: see {@link createTestGate}. */
export interface TestGate {
  /** The gate itself. */
  readonly gate: Gate;
  /** Its manual clock: `clock.advance(ms)` runs timed restrictions and timers. */
  readonly clock: ManualClock;
  /** Every participant whose `onRemove` completed, in order (yours, when given, ran first and did not fail). */
  readonly removed: ParticipantRef[];
  /** Every event the gate emitted, in order, all types (`decision`, `removal`, `restriction.*`, `warning`, `error`, …). */
  readonly events: TestGateEvent[];
  /** The events of one type, in order. */
  eventsOf<E extends keyof GateEventMap>(type: E): GateEventMap[E][];
  /**
   * Admit `participantId` into `meetingId` from an address that the synthetic
   * table places in `region` (each join in a region gets its next address,
   * cycling through its 254). `extra` is merged into the join: `hostAccountId`,
   * `headers`, `context`, or a `peerAddress` of your own (then `region` is not used).
   */
  join(meetingId: string, participantId: string, region: string, extra?: TestJoinExtra): Promise<Decision>;
  /** Close the gate and stop recording. Safe to call twice. The `geo` you passed, if any, stays yours to close. */
  close(): Promise<void>;
}

/**
 * A gate over {@link testResolver} with a manual clock, recording every
 * removal and every event, and a `join` helper that admits a participant
 * located in a region — a rule or an integration test in a few lines.
 * Options pass through to `createGate` (which refuses unknown ones); your
 * `onRemove`, if given, is still called. Call `close()` when done (e.g. in
 * `afterEach`): it leaves no timers or handles behind.
 *
 * @throws GeoadmitError `E_INVALID_CONFIG` for options that are not an
 * object, or `overrides` together with `geo`; whatever `createGate` throws.
 * @example
 * const t = createTestGate({ restrictions: [takedownOfCN] });
 * expect(await t.join('m-1', 'p-1', 'CN-BJ')).toBeDenied('region-restricted');
 * expect(await t.join('m-1', 'p-2', 'HK')).toBeAdmitted();
 * await t.gate.restrict(anotherDemand);
 * expect(t.removed).toHaveRemoved(['p-3']);
 * await t.close();
 */
export function createTestGate(options: TestGateOptions = {}): TestGate {
  if (!isPlainObject(options as unknown)) {
    throw new GeoadmitError(ErrorCode.InvalidConfig, 'createTestGate: options must be an object', { argument: 'options' });
  }
  const { geo, overrides, clock = createManualClock(TEST_GATE_START), onRemove, ...gateOptions } = options;
  if (geo !== undefined && overrides !== undefined) {
    throw new GeoadmitError(ErrorCode.InvalidConfig, 'createTestGate: overrides apply to the default testResolver(); with your own geo, put them in it', {
      argument: 'overrides',
    });
  }
  const removed: ParticipantRef[] = [];
  const events: TestGateEvent[] = [];
  const gate = createGate({
    ...gateOptions,
    geo: geo ?? testResolver(overrides),
    clock,
    // Synchronous when yours is (or is absent), so a removal the clock triggers is recorded at once.
    onRemove: (participant, decision) => {
      const record = () => void removed.push({ ...participant });
      const pending = onRemove?.(participant, decision);
      if (pending === undefined || typeof (pending as Promise<void>).then !== 'function') return record();
      return Promise.resolve(pending).then(record);
    },
  });
  // Every type on the one list, so a new event type is recorded without a change here.
  const unsubscribe = GATE_EVENT_TYPES.map((type) => gate.on(type, (event: TestGateEvent) => void events.push(event)));
  const nextIndex = new Map<string, number>();
  let closing: Promise<void> | undefined;

  return {
    gate,
    clock,
    removed,
    events,
    eventsOf: <E extends keyof GateEventMap>(type: E) => events.filter((e): e is GateEventMap[E] => e.type === type),
    // async: a region that is not in the table rejects, like every other failure of a join.
    async join(meetingId, participantId, region, extra = {}) {
      let peerAddress = extra.peerAddress;
      if (peerAddress === undefined) {
        const index = nextIndex.get(region) ?? 0;
        peerAddress = addressIn(region, index);
        nextIndex.set(region, (index + 1) % (MAX_INDEX + 1));
      }
      return gate.admit({ ...extra, meetingId, participantId, peerAddress });
    },
    close() {
      closing ??= gate.close().finally(() => {
        for (const off of unsubscribe) off();
      });
      return closing;
    },
  };
}
