/**
 * One conferencing node of a test fleet, run as a child process: a gate with
 * its own roster over a Redis restriction store, driven by the parent test
 * over Node's IPC channel. Bundled to plain ESM by `test/helpers/fleet/build.ts`.
 *
 * Parent → child: `{ id, cmd, args }` (see `Commands`); child → parent:
 * `{ id, ok: true, result }` / `{ id, ok: false, error }`, plus unsolicited
 * `{ event: 'removed' | 'gate', ... }` messages. Timestamps are
 * `process.hrtime.bigint()` (CLOCK_MONOTONIC on Linux, shared by every
 * process on the host), sent as decimal strings of nanoseconds.
 */
import { createGate, StaticResolver, type Gate, type Join, type Restriction } from 'geoadmit';
import { createRedisRestrictionStore, type RedisRestrictionStore } from 'geoadmit/redis';
import { STATIC_TABLE } from './fixtures.js';

/** What the parent passes in `GEOADMIT_FLEET_NODE` (JSON). */
export interface FleetNodeConfig {
  name: string;
  url: string;
  connectTimeoutMs: number;
  blockMs: number;
  lastKnownRestrictions?: Restriction[];
  /** The gate's `nodeId` (default: the name). */
  nodeId?: string;
  fleetTimeoutMs?: number;
}

const config = JSON.parse(process.env.GEOADMIT_FLEET_NODE ?? '{}') as FleetNodeConfig;
const send = (message: unknown): void => void process.send?.(message);
const now = () => process.hrtime.bigint().toString();

const store: RedisRestrictionStore = createRedisRestrictionStore({
  url: config.url,
  connectTimeoutMs: config.connectTimeoutMs,
  blockMs: config.blockMs,
  onError: (error) => send({ event: 'gate', type: 'store-error', payload: { message: error.message } }),
});
const gate: Gate = createGate({
  geo: new StaticResolver(STATIC_TABLE as never),
  restrictions: store,
  nodeId: config.nodeId ?? config.name,
  ...(config.fleetTimeoutMs ? { fleetTimeoutMs: config.fleetTimeoutMs } : {}),
  ...(config.lastKnownRestrictions ? { lastKnownRestrictions: config.lastKnownRestrictions } : {}),
  onRemove: (participant, decision) => {
    send({ event: 'removed', at: now(), participant, restrictionId: decision.reasons[0]?.restrictionId });
  },
});
for (const type of [
  'store.disconnected',
  'store.reconnected',
  'store.resynced',
  'store.regressed',
  'restriction.accepted',
  'restriction.lifted',
  'error',
] as const) {
  gate.on(type, (payload) => send({ event: 'gate', type, at: now(), payload: JSON.parse(JSON.stringify(payload)) }));
}

const sortedIds = () =>
  gate
    .restrictions()
    .map((r) => r.id)
    .sort();

/** The commands a node answers. */
const commands = {
  async ready() {
    const started = Date.now();
    await gate.ready();
    return { ms: Date.now() - started };
  },
  async admit(args: { join: Join }) {
    const started = performance.now();
    const decision = await gate.admit(args.join);
    return { admitted: decision.admitted, reasons: decision.reasons, ms: performance.now() - started };
  },
  /** Admits many joins in a row; reports the slowest one. */
  async admitMany(args: { joins: Join[] }) {
    let admitted = 0;
    let maxMs = 0;
    const started = performance.now();
    for (const join of args.joins) {
      const t = performance.now();
      if ((await gate.admit(join)).admitted) admitted += 1;
      maxMs = Math.max(maxMs, performance.now() - t);
    }
    return { admitted, maxMs, totalMs: performance.now() - started };
  },
  async restrict(args: { doc: unknown }) {
    const startedAt = now();
    const result = await gate.restrict(args.doc);
    return { startedAt, id: result.restriction.id, removed: result.removed, coverage: result.coverage };
  },
  /** The fleet-wide preview, without the normalised restriction. */
  async preview(args: { doc: unknown }) {
    const { removed, matched, meetingsReached, meetingsUndisturbed, coverage } = await gate.preview(args.doc);
    return { removed, matched, meetingsReached, meetingsUndisturbed, coverage };
  },
  fleetOverview: async (args: { meetingId?: string }) => gate.fleetOverview(args.meetingId),
  nodes: async () => gate.nodes(),
  async lift(args: { id: string }) {
    const startedAt = now();
    await gate.lift(args.id);
    return { startedAt };
  },
  participants: async (args: { meetingId?: string }) => gate.participants(args.meetingId),
  restrictions: async () => sortedIds(),
  /** Writes back what this gate still enforces (after `store.regressed`). */
  reseed: async () => store.reseed(gate.restrictions().map((r) => r.source as never)),
  async close() {
    await gate.close();
    await store.close();
    return {};
  },
} satisfies Record<string, (args: never) => Promise<unknown>>;

/** Command names the parent may send. */
export type FleetCommand = keyof typeof commands;

process.on('message', (raw: unknown) => {
  const { id, cmd, args } = raw as { id: number; cmd: FleetCommand; args: unknown };
  const run = commands[cmd] as ((args: unknown) => Promise<unknown>) | undefined;
  if (run === undefined) {
    send({ id, ok: false, error: { name: 'Error', message: `unknown command ${JSON.stringify(cmd)}` } });
    return;
  }
  run(args ?? {}).then(
    (result) => send({ id, ok: true, result }),
    (error: unknown) => {
      const e = error as { name?: string; code?: string; message?: string };
      send({ id, ok: false, error: { name: e.name ?? 'Error', code: e.code, message: e.message ?? String(error) } });
    },
  );
});
// The parent going away (test crash) must not leave nodes behind.
process.on('disconnect', () => process.exit(0));
send({ event: 'hello', pid: process.pid });
