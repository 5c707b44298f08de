import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { ErrorCode, GeoadmitError } from '../errors/index.js';
import { guardInput, keysOf, optionValues } from '../internal/options.js';
import type { ExemptionDocument, Restriction } from '../restrictions/types.js';
import type { FleetChannel, RestrictionSnapshot, RestrictionStore, RestrictionSubscriber, StoredExemption } from '../store/types.js';
import type { ScriptedRedis } from './internal/connection.js';
import { clusterMisconfigured, connectionOptions, duplicateFor, isCluster, unavailable, whenReady, within, withScripts } from './internal/connection.js';
import { RedisFleetChannel } from './internal/fleet.js';
import { parseStoredExemption, parseStoredRestriction } from './internal/documents.js';
import { ioredis } from './internal/ioredis.js';
import type { LoadedSnapshot, Observed, StoreKeys } from './internal/subscription.js';
import { observe, Subscription } from './internal/subscription.js';
import { canonicalVersion, compareVersions } from './internal/versions.js';
import { errorText } from '../internal/objects.js';

/** Options of {@link createRedisRestrictionStore}. */
export interface RedisRestrictionStoreOptions {
  /**
   * An ioredis client to use for commands. The store defines its Lua scripts
   * on it (as `geoadmit*` commands) and opens its own duplicates for
   * subscriptions; `close()` leaves this client open. Prefer a client with
   * `enableOfflineQueue: false`. Give either `client` or `url`.
   *
   * A `Cluster` works as is with the default prefix; its duplicates keep its
   * startup nodes and options (credentials, TLS).
   */
  client?: Redis | Cluster;
  /** Redis URL for a connection the store creates and owns (default `redis://127.0.0.1:6379`). */
  url?: string;
  /**
   * Prefix of the store's keys (default `{geoadmit}:`): `<prefix>restrictions`,
   * `<prefix>exemptions`, `<prefix>changes`, `<prefix>meta`, `<prefix>nodes`, and the fleet's
   * channels `<prefix>fleet...`. The braces are a Redis Cluster hash tag:
   * every key of the store lives in one slot, as its atomic scripts need.
   * With a `Cluster` client the prefix must carry a hash tag; `'geoadmit:'`
   * keeps the layout of versions before the tag (one Redis server only).
   */
  prefix?: string;
  /**
   * How long a call waits for a connection, and then for a reply, before it
   * rejects with `E_STORE_UNAVAILABLE` (default 2000 ms).
   */
  connectTimeoutMs?: number;
  /** How long one blocking stream read waits for changes (default 5000 ms). */
  blockMs?: number;
  /**
   * Cap on the change stream's length (default 10000; 0 keeps every change).
   * Subscribers that fall further behind reload a snapshot.
   */
  maxStreamLength?: number;
  /**
   * Receives problems that have no subscriber to go to, such as a malformed
   * document skipped by `snapshot()`. Default: `process.emitWarning`.
   */
  onError?: (error: Error) => void;
}

/** The result of {@link RedisRestrictionStore.reseed}. */
export interface ReseedResult {
  /** The store's version after re-seeding. */
  version: string;
  /** Ids written back (they were missing). */
  written: string[];
  /** Ids left alone (already present: the store's copy wins). */
  existing: string[];
  /** Exemption ids written back (they were missing). */
  exemptionsWritten: string[];
}

/**
 * An exemption to write back: as the store holds it, or as `gate.exemptions()`
 * lists it (the document it was granted with and the digest it is bound to).
 */
export type ReseedExemption = StoredExemption | { readonly source: ExemptionDocument; readonly restrictionDigest: string };

/** A {@link RestrictionStore} kept in Redis, shared by every node of a fleet. */
export interface RedisRestrictionStore extends RestrictionStore {
  /** Always named `redis`; `prefix` is the key prefix the store's hash and stream use. */
  readonly metadata: { readonly name: 'redis'; readonly prefix: string };
  /**
   * Writes back every given restriction, and every given exemption, whose id
   * is missing from the store, in one atomic step (restrictions first);
   * subscribers receive them as `put` and `exempt` changes. This is how an
   * operator recovers after `store.regressed` (Redis restarted without its
   * data, or a failover to a replica that missed writes): take what a gate
   * still enforces and holds and re-seed, e.g.
   * `await store.reseed(gate.restrictions().map((r) => r.source), gate.exemptions())`.
   */
  reseed(restrictions: readonly Restriction[], exemptions?: readonly ReseedExemption[]): Promise<ReseedResult>;
  /**
   * Fleet membership and the question/answer channel between the gates
   * sharing this store (heartbeats in `<prefix>nodes`, messages over
   * pub/sub): participant ids and counts only, never an address.
   */
  readonly fleet: FleetChannel;
  /** Stops every subscription and closes the connections the store opened (not a client passed in). */
  close(): Promise<void>;
}

const OPTION_KEYS = keysOf<RedisRestrictionStoreOptions>({
  client: true,
  url: true,
  prefix: true,
  connectTimeoutMs: true,
  blockMs: true,
  maxStreamLength: true,
  onError: true,
});

const DEFAULTS = { prefix: '{geoadmit}:', connectTimeoutMs: 2000, blockMs: 5000, maxStreamLength: 10_000 };

/** True when `prefix` holds a Redis Cluster hash tag: `{`, then at least one character, then `}`. */
function hasHashTag(prefix: string): boolean {
  const open = prefix.indexOf('{');
  return open >= 0 && prefix.indexOf('}', open + 1) > open + 1;
}

/**
 * Creates a Redis-backed restriction store: current restrictions in the hash
 * `<prefix>restrictions`, every change appended to the stream
 * `<prefix>changes` (the entry id is the change's version). Writes update both
 * atomically; subscribers follow the stream on their own connection and catch
 * up after an outage from their last version.
 *
 * @example
 * import { createRedisRestrictionStore } from 'geoadmit/redis';
 * const store = createRedisRestrictionStore({ url: process.env.REDIS_URL });
 * const gate = createGate({ geo, restrictions: store });
 * // ...
 * await store.close();
 */
export function createRedisRestrictionStore(options: RedisRestrictionStoreOptions = {}): RedisRestrictionStore {
  // Options are read deep inside: a getter or Proxy trap that throws there is bad configuration, not a crash.
  return guardInput('createRedisRestrictionStore', 'options', () => new RedisStore(options));
}

class RedisStore implements RedisRestrictionStore {
  readonly metadata: { readonly name: 'redis'; readonly prefix: string };
  readonly #conn: ScriptedRedis;
  readonly #owned: boolean;
  readonly #keys: StoreKeys;
  readonly #timeoutMs: number;
  readonly #blockMs: number;
  readonly #maxlen: string;
  readonly #onError: (error: Error) => void;
  readonly #subscriptions = new Set<Subscription>();
  readonly #observed: Observed = { epoch: '', version: '0-0' };
  readonly #fleet: RedisFleetChannel;
  readonly #prefix: string;
  #closed = false;

  constructor(options: RedisRestrictionStoreOptions) {
    const o = optionValues<RedisRestrictionStoreOptions>(options, 'createRedisRestrictionStore', OPTION_KEYS);
    o.string('url', { what: 'a Redis URL (redis://host:port)' });
    o.func('onError');
    if (options.client !== undefined && options.url !== undefined) {
      throw new GeoadmitError(ErrorCode.InvalidConfig, 'createRedisRestrictionStore: give either "client" or "url", not both', {
        argument: 'url',
      });
    }
    const prefix = options.prefix ?? DEFAULTS.prefix;
    if (typeof prefix !== 'string') {
      throw new GeoadmitError(ErrorCode.InvalidConfig, 'createRedisRestrictionStore: "prefix" must be a string', {
        argument: 'prefix',
      });
    }
    this.#timeoutMs = positive(options.connectTimeoutMs, DEFAULTS.connectTimeoutMs, 'connectTimeoutMs', 1);
    this.#blockMs = positive(options.blockMs, DEFAULTS.blockMs, 'blockMs', 1);
    this.#maxlen = String(positive(options.maxStreamLength, DEFAULTS.maxStreamLength, 'maxStreamLength', 0));
    this.#onError = options.onError ?? ((error) => process.emitWarning(error));
    this.#keys = { hash: `${prefix}restrictions`, stream: `${prefix}changes`, meta: `${prefix}meta`, exemptions: `${prefix}exemptions` };
    this.metadata = Object.freeze({ name: 'redis' as const, prefix });
    if (options.client !== undefined && isCluster(options.client) && !hasHashTag(prefix)) {
      throw new GeoadmitError(
        ErrorCode.InvalidConfig,
        `createRedisRestrictionStore: with a Redis Cluster client the "prefix" needs a hash tag so that all of the store's keys share one slot; ${JSON.stringify(prefix)} has none: use the default '{geoadmit}:' (or e.g. ${JSON.stringify(`{${prefix.replace(/[{}]/g, '').replace(/:$/, '') || 'geoadmit'}}:`)})`,
        { argument: 'prefix' },
      );
    }
    this.#prefix = prefix;
    this.#owned = options.client === undefined;
    const conn = options.client ?? new (ioredis().Redis)(options.url ?? 'redis://127.0.0.1:6379', connectionOptions(this.#timeoutMs));
    // Connection failures reach callers as E_STORE_UNAVAILABLE; this only keeps ioredis from logging them.
    if (this.#owned) conn.on('error', () => undefined);
    this.#conn = withScripts(conn);
    this.#fleet = new RedisFleetChannel({
      prefix,
      // Long after any fleet timeout: only members gone for good are forgotten.
      forgetAfterMs: 10 * 60_000,
      timeoutMs: this.#timeoutMs,
      command: (what, run) => this.#command(what, run),
      connect: () => duplicateFor(this.#conn, this.#timeoutMs),
      report: (error) => this.#onError(error),
    });
  }

  get fleet(): FleetChannel {
    return this.#fleet;
  }

  compareVersions(a: string, b: string): number {
    return compareVersions(a, b);
  }

  async snapshot(): Promise<RestrictionSnapshot> {
    const { snapshot, problems } = await this.#command('snapshot', (conn) => this.#load(conn));
    for (const problem of problems) this.#onError(problem);
    return snapshot;
  }

  async put(restriction: Restriction): Promise<{ version: string; conflict?: false } | { conflict: true }> {
    const id = restrictionId(restriction, '$.id');
    const doc = JSON.stringify(restriction);
    const [status, version = '0-0', epoch = ''] = await this.#command(`put ${JSON.stringify(id)}`, (conn) =>
      conn.geoadmitPut(this.#keys.hash, this.#keys.stream, this.#keys.meta, this.#maxlen, randomUUID(), id, doc),
    );
    observe(this.#observed, epoch, version);
    if (status === 'conflict') return { conflict: true };
    return { version };
  }

  async delete(id: string, options: { always?: boolean } = {}): Promise<{ version: string; existed: boolean }> {
    if (typeof id !== 'string') {
      throw new GeoadmitError(ErrorCode.InvalidConfig, 'delete: "id" must be a string', { argument: 'id' });
    }
    const always = options?.always === true ? '1' : '0';
    const [status, version = '0-0', epoch = ''] = await this.#command(`delete ${JSON.stringify(id)}`, (conn) =>
      conn.geoadmitDelete(this.#keys.hash, this.#keys.stream, this.#keys.meta, this.#maxlen, randomUUID(), id, always),
    );
    observe(this.#observed, epoch, version);
    return { version, existed: status === 'ok' };
  }

  async putExemption(exemption: StoredExemption): Promise<{ version: string; conflict?: false } | { conflict: true }> {
    const id = restrictionId(exemption as unknown as Restriction, '$.id');
    const doc = JSON.stringify(exemption);
    const [status, version = '0-0', epoch = ''] = await this.#command(`exempt ${JSON.stringify(id)}`, (conn) =>
      conn.geoadmitPutExemption(this.#keys.exemptions, this.#keys.stream, this.#keys.meta, this.#maxlen, randomUUID(), id, doc),
    );
    observe(this.#observed, epoch, version);
    if (status === 'conflict') return { conflict: true };
    return { version };
  }

  async deleteExemption(id: string): Promise<{ version: string; existed: boolean }> {
    if (typeof id !== 'string') {
      throw new GeoadmitError(ErrorCode.InvalidConfig, 'deleteExemption: "id" must be a string', { argument: 'id' });
    }
    const [status, version = '0-0', epoch = ''] = await this.#command(`revoke exemption ${JSON.stringify(id)}`, (conn) =>
      conn.geoadmitDeleteExemption(this.#keys.exemptions, this.#keys.stream, this.#keys.meta, this.#maxlen, randomUUID(), id),
    );
    observe(this.#observed, epoch, version);
    return { version, existed: status === 'ok' };
  }

  async reseed(restrictions: readonly Restriction[], exemptions: readonly ReseedExemption[] = []): Promise<ReseedResult> {
    const args: string[] = [String(restrictions.length)];
    restrictions.forEach((restriction, i) => {
      args.push(restrictionId(restriction, `$[${i}].id`), JSON.stringify(restriction));
    });
    exemptions.forEach((exemption, i) => {
      const stored = storedExemption(exemption, `exemptions[${i}]`);
      args.push(stored.id, JSON.stringify(stored));
    });
    const [version = '0-0', epoch = '', count = '0', ...written] = await this.#command('reseed', (conn) =>
      conn.geoadmitReseed(this.#keys.hash, this.#keys.stream, this.#keys.meta, this.#keys.exemptions, this.#maxlen, randomUUID(), ...args),
    );
    observe(this.#observed, epoch, version);
    const restrictionsWritten = written.slice(0, Number(count));
    const wrote = new Set(restrictionsWritten);
    const existing = restrictions.map((r) => r.id).filter((id) => !wrote.has(id));
    const exemptionsWritten = written.slice(Number(count));
    return { version, written: restrictionsWritten, existing: [...new Set(existing)], exemptionsWritten };
  }

  subscribe(fromVersion: string, subscriber: RestrictionSubscriber): () => void {
    if (this.#closed) throw new GeoadmitError(ErrorCode.Closed, 'subscribe: the Redis restriction store is closed');
    const from = canonicalVersion(fromVersion, 'fromVersion');
    const subscription = new Subscription(
      {
        name: this.metadata.name,
        keys: this.#keys,
        blockMs: this.#blockMs,
        timeoutMs: this.#timeoutMs,
        connect: () => duplicateFor(this.#conn, this.#timeoutMs),
        loadSnapshot: (conn) => this.#load(conn),
        observed: this.#observed,
      },
      from,
      subscriber,
    );
    this.#subscriptions.add(subscription);
    return () => {
      this.#subscriptions.delete(subscription);
      subscription.stop();
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#fleet.close();
    const running = [...this.#subscriptions];
    this.#subscriptions.clear();
    for (const subscription of running) subscription.stop();
    await Promise.all(running.map((s) => s.done));
    if (!this.#owned) return;
    if (this.#conn.status === 'ready') {
      await within(this.#conn.quit(), this.#timeoutMs, 'close').catch(() => undefined);
    }
    this.#conn.disconnect();
  }

  /** Runs one command once connected, bounded in time; every failure is `E_STORE_UNAVAILABLE`. */
  async #command<T>(what: string, run: (conn: ScriptedRedis) => Promise<T>): Promise<T> {
    if (this.#closed) throw new GeoadmitError(ErrorCode.Closed, `${what}: the Redis restriction store is closed`);
    try {
      await whenReady(this.#conn, this.#timeoutMs);
    } catch (cause) {
      throw unavailable(what, cause);
    }
    try {
      return await within(run(this.#conn), this.#timeoutMs, what);
    } catch (cause) {
      if (cause instanceof GeoadmitError) throw cause;
      // Set up wrong for a cluster: retrying cannot help, so it is not reported as an outage.
      const misconfigured = clusterMisconfigured(what, cause, this.#prefix);
      if (misconfigured !== undefined) throw misconfigured;
      // Redis answered with an error: the script did not run.
      if (cause instanceof ioredis().ReplyError) throw unavailable(what, cause);
      // The connection went before the reply: the script ran completely or not at all, but which is unknown.
      const detail = errorText(cause);
      throw unavailable(what, new Error(`the connection was lost before the reply; the outcome is unknown (${detail})`, { cause }));
    }
  }

  /** Loads the whole set and its version in one script call (one round trip, consistent). */
  async #load(conn: ScriptedRedis): Promise<LoadedSnapshot> {
    const reply = await conn.geoadmitSnapshotAll(this.#keys.hash, this.#keys.stream, this.#keys.meta, this.#keys.exemptions);
    const [version = '0-0', epoch = '', count = '0'] = reply;
    const end = 3 + (Number(count) || 0);
    const restrictions: Restriction[] = [];
    const exemptions: StoredExemption[] = [];
    const problems: Error[] = [];
    for (let i = 3; i + 1 < end; i += 2) {
      const id = reply[i] as string;
      const parsed = parseStoredRestriction(id, reply[i + 1] as string, `${this.#keys.hash} field ${JSON.stringify(id)}`);
      if (parsed instanceof Error) problems.push(parsed);
      else restrictions.push(parsed);
    }
    for (let i = end; i + 1 < reply.length; i += 2) {
      const id = reply[i] as string;
      const parsed = parseStoredExemption(id, reply[i + 1] as string, `${this.#keys.exemptions} field ${JSON.stringify(id)}`);
      if (parsed instanceof Error) problems.push(parsed);
      else exemptions.push(parsed);
    }
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    restrictions.sort(byId);
    exemptions.sort(byId);
    observe(this.#observed, epoch, version);
    const snapshot: RestrictionSnapshot = { version, restrictions };
    if (exemptions.length > 0) snapshot.exemptions = exemptions;
    return { snapshot, epoch, problems };
  }
}

function positive(value: number | undefined, fallback: number, argument: string, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new GeoadmitError(ErrorCode.InvalidConfig, `createRedisRestrictionStore: "${argument}" must be an integer of at least ${min}, got ${String(value)}`, {
      argument,
    });
  }
  return value;
}

// The gate validates documents; this only guards the key the store files them under.
/** The exemption as the store holds it, from either shape `reseed` takes; `E_INVALID_RESTRICTION` naming the entry otherwise. */
function storedExemption(exemption: ReseedExemption, argument: string): StoredExemption {
  const given = exemption as { source?: unknown; restrictionDigest?: unknown; id?: unknown } | null;
  const digest = given?.restrictionDigest;
  const doc = given !== null && typeof given === 'object' && given.source !== null && typeof given.source === 'object' ? given.source : given;
  const id = (doc as { id?: unknown } | null)?.id;
  if (typeof digest !== 'string' || digest === '' || typeof id !== 'string' || id === '') {
    throw new GeoadmitError(
      ErrorCode.InvalidRestriction,
      `${argument}: an exemption to re-seed needs a non-empty string id and restrictionDigest (pass gate.exemptions() as it is)`,
      { argument },
    );
  }
  return { ...(doc as ExemptionDocument), restrictionDigest: digest };
}

function restrictionId(restriction: Restriction, path: string): string {
  const id: unknown = (restriction as { id?: unknown } | null)?.id;
  if (typeof id !== 'string' || id === '') {
    throw new GeoadmitError(ErrorCode.InvalidRestriction, `${path}: a restriction needs a non-empty string id`, { path });
  }
  return id;
}
