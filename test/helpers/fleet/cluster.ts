/**
 * Fleet tests: gates in separate Node processes sharing one Redis. Builds the
 * node script (`test/helpers/fleet-node.ts`) once per test file and talks to
 * each node over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join as joinPath } from 'node:path';
import { buildSync } from 'esbuild';
import { Redis } from 'ioredis';
import { afterAll, afterEach } from 'vitest';
import type { Restriction } from '../../../src/restrictions/types.js';
import type { FleetCommand, FleetNodeConfig } from '../fleet-node.js';
import { startRedis, type StartRedisOptions, type TestRedis } from '../redis-server.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

let built: { dir: string; script: string } | undefined;

/**
 * Bundles the node script into `.tmp/fleet-<pid>/node.mjs` (inside the repo,
 * so `ioredis` and the other packages resolve from its node_modules).
 */
export function buildFleetNode(): string {
  if (built) return built.script;
  const dir = joinPath(repo, '.tmp', `fleet-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const script = joinPath(dir, 'node.mjs');
  // GEOADMIT_FLEET_SRC runs the nodes on another copy of src/ (e.g. to try a patch to the store).
  const src = process.env.GEOADMIT_FLEET_SRC ?? joinPath(repo, 'src');
  buildSync({
    entryPoints: [joinPath(repo, 'test/helpers/fleet-node.ts')],
    outfile: script,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    alias: {
      'geoadmit/redis': joinPath(src, 'redis/index.ts'),
      geoadmit: joinPath(src, 'index.ts'),
    },
    logLevel: 'error',
  });
  built = { dir, script };
  return script;
}

/** An unsolicited message from a node. */
export type NodeEvent =
  | { event: 'removed'; at: string; participant: { meetingId: string; participantId: string }; restrictionId?: string }
  | { event: 'gate'; type: string; at: string; payload: Record<string, unknown> };

/** An error a node's command failed with, as the parent sees it (name, code, message). */
export class NodeCommandError extends Error {
  readonly code: string | undefined;
  constructor(error: { name: string; code?: string; message: string }, node: string, cmd: string) {
    super(`${node}: ${cmd}: ${error.message}`);
    this.name = error.name;
    this.code = error.code;
  }
}

/** A running node process. */
export interface FleetNode {
  readonly name: string;
  readonly pid: number;
  /** Every event received so far, in order. */
  readonly events: NodeEvent[];
  /** Sends a command and resolves with its result (rejects with {@link NodeCommandError}). */
  call<T = unknown>(cmd: FleetCommand, args?: unknown): Promise<T>;
  /** Removal events so far. */
  removed(): Extract<NodeEvent, { event: 'removed' }>[];
  /** Types of gate events so far (`store.disconnected`, `error`, ...). */
  gateEvents(): string[];
  /** Closes the gate and store and waits for the process to exit. */
  stop(): Promise<void>;
}

/** Options for {@link Fleet.node}. */
export interface NodeOptions {
  name: string;
  url: string;
  lastKnownRestrictions?: Restriction[];
  connectTimeoutMs?: number;
  blockMs?: number;
  nodeId?: string;
  fleetTimeoutMs?: number;
}

/**
 * Per-file fleet fixture: registers hooks that stop every node and Redis
 * started through it after each test, and remove the built script at the end.
 * Call it inside a `describeWithRedis` body.
 */
export function useFleet() {
  const nodes = new Set<FleetNode>();
  const servers = new Set<TestRedis>();
  const extra: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    await Promise.all([...nodes].map((n) => n.stop()));
    nodes.clear();
    for (const fn of extra.splice(0).reverse()) await fn();
    await Promise.all([...servers].map((s) => s.dispose()));
    servers.clear();
  });
  afterAll(() => {
    if (built) rmSync(built.dir, { recursive: true, force: true });
    built = undefined;
  });
  return {
    async redis(options: StartRedisOptions = {}): Promise<TestRedis> {
      const redis = await startRedis(options);
      servers.add(redis);
      return redis;
    },
    async node(options: NodeOptions): Promise<FleetNode> {
      const node = await startNode(options);
      nodes.add(node);
      return node;
    },
    /** Starts one node per name on `url` and waits until every gate is ready. */
    async readyNodes(url: string, names: readonly string[]): Promise<FleetNode[]> {
      const started = await Promise.all(names.map((name) => this.node({ name, url })));
      await Promise.all(started.map((n) => n.call('ready')));
      return started;
    },
    /** Runs `fn` after the test, before Redis servers are disposed. */
    cleanup(fn: () => Promise<void> | void): void {
      extra.push(fn);
    },
  };
}

/** Starts one node process and waits until it is listening for commands (not until its gate is ready). */
export async function startNode(options: NodeOptions): Promise<FleetNode> {
  const config: FleetNodeConfig = {
    name: options.name,
    url: options.url,
    connectTimeoutMs: options.connectTimeoutMs ?? 400,
    blockMs: options.blockMs ?? 200,
    ...(options.lastKnownRestrictions ? { lastKnownRestrictions: options.lastKnownRestrictions } : {}),
    ...(options.nodeId ? { nodeId: options.nodeId } : {}),
    ...(options.fleetTimeoutMs ? { fleetTimeoutMs: options.fleetTimeoutMs } : {}),
  };
  const child: ChildProcess = fork(buildFleetNode(), [], {
    execArgv: [],
    env: { ...process.env, GEOADMIT_FLEET_NODE: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const events: NodeEvent[] = [];
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; cmd: string }>();
  let nextId = 1;
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exit.then(() => {
    exited = true;
    for (const w of waiting.values()) w.reject(new Error(`${options.name}: node exited before answering ${w.cmd}`));
    waiting.clear();
  });
  const hello = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${options.name}: node exited at start (code ${code})`)));
    child.on('message', (raw: unknown) => {
      const message = raw as { id?: number; ok?: boolean; result?: unknown; error?: { name: string; code?: string; message: string }; event?: string };
      if (message.event === 'hello') return resolve();
      if (message.event !== undefined) {
        events.push(message as NodeEvent);
        return;
      }
      const w = waiting.get(message.id ?? -1);
      if (w === undefined) return;
      waiting.delete(message.id!);
      if (message.ok) w.resolve(message.result);
      else w.reject(new NodeCommandError(message.error!, options.name, w.cmd));
    });
  });
  await hello;
  const node: FleetNode = {
    name: options.name,
    pid: child.pid!,
    events,
    call<T>(cmd: FleetCommand, args?: unknown): Promise<T> {
      if (exited) return Promise.reject(new Error(`${options.name}: node has exited`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, cmd });
        child.send({ id, cmd, args });
      });
    },
    removed: () => events.filter((e): e is Extract<NodeEvent, { event: 'removed' }> => e.event === 'removed'),
    gateEvents: () => events.flatMap((e) => (e.event === 'gate' ? [e.type] : [])),
    async stop() {
      if (exited) return;
      // A node stuck on a hung Redis must not hold the suite up: close politely, then kill.
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await node.call('close').catch(() => undefined);
      child.disconnect?.();
      await exit;
      clearTimeout(timer);
    },
  };
  return node;
}

/** Polls `condition` (which may be async) until it holds, or fails naming `what`. */
export async function eventually(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A join from the static test table: `cn` → 1.2.4.x (CN), `hk` → 202.181.0.x (HK), `us` → 9.9.9.x (US). */
export function join(meetingId: string, participantId: string, where: 'cn' | 'hk' | 'us', n = 8) {
  const prefix = { cn: '1.2.4', hk: '202.181.0', us: '9.9.9' }[where];
  return { meetingId, participantId, peerAddress: `${prefix}.${n % 250}` };
}

/** Milliseconds between two `process.hrtime.bigint()` strings. */
export function elapsedMs(from: string, to: string): number {
  return Number(BigInt(to) - BigInt(from)) / 1e6;
}

/** The `q`-quantile (0..1) of `values` by nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** The restriction ids in the store's hash (sorted), read on a connection of its own. */
export async function storeIds(url: string, prefix = '{geoadmit}:'): Promise<string[]> {
  const admin = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  admin.on('error', () => undefined);
  try {
    return (await admin.hkeys(`${prefix}restrictions`)).sort();
  } finally {
    admin.disconnect();
  }
}

/** Waits until every node enforces exactly the store's restriction set; resolves to that set. */
export async function converged(nodes: readonly FleetNode[], url: string, timeoutMs = 10_000): Promise<string[]> {
  let last = '';
  try {
    await eventually(
      async () => {
        const want = JSON.stringify(await storeIds(url));
        const have = await Promise.all(nodes.map((n) => n.call<string[]>('restrictions')));
        last = `store ${want}; ${nodes.map((n, i) => `${n.name} ${JSON.stringify(have[i])}`).join('; ')}`;
        return have.every((ids) => JSON.stringify(ids) === want);
      },
      'the nodes to converge on the store',
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}: ${last}`);
  }
  return storeIds(url);
}
