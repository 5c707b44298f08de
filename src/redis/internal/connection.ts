import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { ErrorCode, GeoadmitError } from '../../errors/index.js';
import { FLEET_SCRIPTS } from './fleet-scripts.js';
import { SCRIPTS, SCRIPTS_4 } from './scripts.js';

/** A client the store takes: one Redis server, or a Redis Cluster. */
export type Client = Redis | Cluster;

/** True for an ioredis `Cluster` (without loading ioredis to compare classes). */
export function isCluster(conn: Client): conn is Cluster {
  return (conn as { isCluster?: unknown }).isCluster === true;
}

/** The store's scripts as ioredis adds them to a connection at runtime. */
interface ScriptMethods {
  geoadmitPut(hash: string, stream: string, meta: string, ...args: string[]): Promise<string[]>;
  geoadmitDelete(hash: string, stream: string, meta: string, ...args: string[]): Promise<string[]>;
  geoadmitReseed(hash: string, stream: string, meta: string, exemptions: string, ...args: string[]): Promise<string[]>;
  geoadmitSnapshot(hash: string, stream: string, meta: string): Promise<string[]>;
  geoadmitSnapshotAll(hash: string, stream: string, meta: string, exemptions: string): Promise<string[]>;
  geoadmitPutExemption(exemptions: string, stream: string, meta: string, ...args: string[]): Promise<string[]>;
  geoadmitDeleteExemption(exemptions: string, stream: string, meta: string, ...args: string[]): Promise<string[]>;
  geoadmitState(hash: string, stream: string, meta: string, fromVersion: string, epoch: string): Promise<StreamState>;
  geoadmitAnnounce(nodes: string, nodeId: string, figures: string, forgetAfterMs: string): Promise<number>;
  geoadmitMembers(nodes: string): Promise<(string | number)[]>;
  geoadmitLeave(nodes: string, nodeId: string): Promise<number>;
}

/** A connection with the store's scripts defined on it. */
export type ScriptedRedis = Client & ScriptMethods;

/** What the STATE script answers (see scripts.ts). */
export type StreamState = [
  lastVersion: string,
  length: number,
  entriesAdded: number,
  firstVersion: string,
  fromPresent: number,
  epoch: string,
  trimmed: string,
  trimmedCount: number,
];

/** Defines the store's scripts on a connection (idempotent; EVALSHA with EVAL fallback). */
export function withScripts(conn: Client): ScriptedRedis {
  const scripted = conn as ScriptedRedis;
  const define = (scripts: Record<string, string>, numberOfKeys: number) => {
    for (const [name, lua] of Object.entries(scripts)) {
      if (typeof (scripted as unknown as Record<string, unknown>)[name] !== 'function') conn.defineCommand(name, { lua, numberOfKeys });
    }
  };
  define(SCRIPTS, 3);
  define(SCRIPTS_4, 4);
  define(FLEET_SCRIPTS, 1);
  return scripted;
}

/**
 * A new connection like `conn` for the store's own use (blocking reads,
 * subscriptions), with the store's connection options. A `Cluster` keeps its
 * startup nodes and its own options — credentials, TLS, NAT map — with the
 * store's options merged into its per-node `redisOptions`.
 */
export function duplicateFor(conn: Client, connectTimeoutMs: number): Client {
  const ours = connectionOptions(connectTimeoutMs);
  if (!isCluster(conn)) return conn.duplicate(ours);
  const own = conn.options;
  const { lazyConnect, enableOfflineQueue, retryStrategy: _perNode, ...perNode } = ours;
  const options: ClusterOptions = {
    lazyConnect,
    enableOfflineQueue,
    clusterRetryStrategy: backoff,
    redisOptions: { ...own.redisOptions, ...perNode },
  };
  return conn.duplicate([], options);
}

/** Reconnect forever with capped exponential backoff: an outage must never end the subscription. */
export function backoff(times: number): number {
  return Math.min(50 * 2 ** Math.min(times, 5), 1000);
}

/**
 * Options for connections the store creates. Commands are never queued while
 * disconnected (they would otherwise run minutes later, long after the caller
 * was told the store is unavailable), and a command in flight when the
 * connection drops is not silently re-sent (a re-sent put would report a
 * conflict with itself).
 */
export function connectionOptions(connectTimeoutMs: number): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    connectTimeout: connectTimeoutMs,
    retryStrategy: backoff,
  };
}

/** The store cannot be reached: `E_STORE_UNAVAILABLE` wrapping the cause. */
export function unavailable(what: string, cause?: unknown): GeoadmitError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new GeoadmitError(ErrorCode.StoreUnavailable, `Redis restriction store unavailable (${what})${detail}`, {
    cause,
  });
}

/**
 * A reply that says the store is set up wrong for a Redis Cluster, not that
 * Redis is down: `CROSSSLOT` (the store's keys hash to different slots: the
 * prefix has no hash tag) or `MOVED` / `ASK` (a plain connection to one
 * cluster node that does not serve the store's slot). Reported as
 * `E_INVALID_CONFIG` naming the fix, never as unavailability: retrying will
 * not help. Undefined for any other error.
 */
export function clusterMisconfigured(what: string, cause: unknown, prefix: string): GeoadmitError | undefined {
  const text = cause instanceof Error ? cause.message : '';
  const reply = /^(CROSSSLOT|MOVED|ASK)\b/.exec(text)?.[1];
  if (reply === undefined) return undefined;
  const fix =
    reply === 'CROSSSLOT'
      ? `the store's keys ("${prefix}restrictions", ...) are in different cluster slots: give a prefix with a hash tag, such as the default '{geoadmit}:'`
      : 'the client is a plain connection to one node of a Redis Cluster: pass an ioredis Cluster (new Cluster([...nodes])) as "client"';
  return new GeoadmitError(ErrorCode.InvalidConfig, `Redis restriction store misconfigured for a Redis Cluster (${what}): Redis answered ${reply}; ${fix}`, {
    argument: reply === 'CROSSSLOT' ? 'prefix' : 'client',
    cause,
  });
}

// One 'ready' listener per connection however many calls wait on it.
const readiness = new WeakMap<Client, Promise<void>>();

function nextReady(conn: Client): Promise<void> {
  let pending = readiness.get(conn);
  if (!pending) {
    pending = new Promise<void>((resolve) => conn.once('ready', () => resolve())).finally(() => readiness.delete(conn));
    readiness.set(conn, pending);
  }
  return pending;
}

/**
 * Resolves once `conn` is ready to take commands; rejects after `timeoutMs`
 * (Infinity: never) or when `signal` aborts. Starts a lazy connection. With
 * `next`, waits for the next 'ready' event even if the status still says
 * ready (it does for a moment after the connection was dropped on purpose).
 */
export function whenReady(conn: Client, timeoutMs: number, signal?: AbortSignal, next = false): Promise<void> {
  if (conn.status === 'ready' && !next) return Promise.resolve();
  const ready = nextReady(conn);
  if (conn.status === 'wait' || conn.status === 'end') {
    // Errors surface through 'error' events and the readiness wait below.
    conn.connect().catch(() => undefined);
  }
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    const onAbort = () => settle(new Error('aborted'));
    void ready.then(() => settle());
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (Number.isFinite(timeoutMs)) {
      timer = setTimeout(() => settle(new Error(`not connected within ${timeoutMs} ms`)), timeoutMs);
    }
  });
}

/** Rejects with `E_STORE_UNAVAILABLE` when `promise` takes longer than `timeoutMs`. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(unavailable(what, new Error(`no reply within ${timeoutMs} ms; the outcome is unknown`))), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
