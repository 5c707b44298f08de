import { randomUUID } from 'node:crypto';
import type { RestrictionChange, RestrictionSnapshot, RestrictionStoreEvents, RestrictionSubscriber } from '../../store/types.js';
import type { Client, ScriptedRedis, StreamState } from './connection.js';
import { backoff, whenReady, withScripts } from './connection.js';
import { parseStoredExemption, parseStoredRestriction } from './documents.js';
import { EMPTY_VERSION, compareVersions, versionTime } from './versions.js';
import { errorText } from '../../internal/objects.js';

/** Redis keys of one store. */
export interface StoreKeys {
  hash: string;
  stream: string;
  meta: string;
  /** The hash of current exemptions (their changes share the stream). */
  exemptions: string;
}

/** A snapshot as read from Redis, with the epoch and the documents that had to be skipped. */
export interface LoadedSnapshot {
  snapshot: RestrictionSnapshot;
  epoch: string;
  problems: Error[];
}

/** See {@link SubscriptionContext.observed}. */
export interface Observed {
  epoch: string;
  version: string;
}

/** Records a version and epoch read from or written to Redis; a new epoch replaces the old history. */
export function observe(observed: Observed, epoch: string, version: string): void {
  if (epoch !== '' && epoch !== observed.epoch) {
    observed.epoch = epoch;
    observed.version = version;
  } else if (compareVersions(version, observed.version) > 0) {
    observed.version = version;
  }
}

/** What a subscription needs from its store. */
interface SubscriptionContext {
  name: string;
  keys: StoreKeys;
  blockMs: number;
  /** How long a reply may be late before the connection counts as lost. */
  timeoutMs: number;
  /** A new connection of the subscription's own (blocking reads tie it up). */
  connect(): Client;
  loadSnapshot(conn: ScriptedRedis): Promise<LoadedSnapshot>;
  /**
   * The newest version and epoch the store itself has written or read
   * (`''` / `0-0` when none), shared by its subscriptions: a version the
   * store committed must still be in Redis, even if no subscriber saw it yet.
   */
  observed: Observed;
}

// Entries read per XREAD: bounds memory when catching up on a long backlog.
const BATCH = 500;

type StreamEntry = [id: string, fields: string[]];

/**
 * Follows the change stream on a dedicated blocking connection, delivering
 * each version at most once and in order, across outages, trims and restarts.
 */
export class Subscription {
  /** Settles when the loop has ended (after `stop()`). */
  readonly done: Promise<void>;
  readonly #abort = new AbortController();
  readonly #conn: ScriptedRedis;
  #lastDelivered: string;
  /** The history the delivered versions belong to ('' until known). */
  #epoch = '';
  #outage = false;
  /** Between a 'ready' and a 'close' event (ioredis's status lags when we drop the connection). */
  #connected = false;
  readonly #ctx: SubscriptionContext;
  readonly #subscriber: RestrictionSubscriber;

  constructor(ctx: SubscriptionContext, fromVersion: string, subscriber: RestrictionSubscriber) {
    this.#ctx = ctx;
    this.#subscriber = subscriber;
    this.#lastDelivered = fromVersion;
    this.#conn = withScripts(ctx.connect());
    // A lost (or never made) connection shows as 'close'; the error before it says why.
    let lastError = 'connection closed';
    this.#conn.on('error', (error: Error) => (lastError = error.message));
    this.#conn.on('ready', () => {
      lastError = 'connection closed';
      this.#connected = true;
    });
    this.#conn.on('close', () => {
      this.#connected = false;
      this.#lost(lastError);
    });
    this.done = this.#run();
  }

  /** Stops the loop and closes the connection (a blocked XREAD is interrupted). */
  stop(): void {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort();
    this.#conn.disconnect();
  }

  get #stopped(): boolean {
    return this.#abort.signal.aborted;
  }

  async #run(): Promise<void> {
    let checked = false;
    let first = true;
    let failures = 0;
    while (!this.#stopped) {
      try {
        if (!this.#connected) await whenReady(this.#conn, Number.POSITIVE_INFINITY, this.#abort.signal, true);
        if (this.#outage) {
          this.#outage = false;
          this.#emit('store.reconnected', { store: this.#ctx.name, time: Date.now() });
          checked = false;
        }
        if (!checked) {
          // Where do we stand against the store? (first start, or back after an outage)
          await this.#reconcile(first);
          checked = true;
          first = false;
        }
        const reply = await this.#read();
        failures = 0;
        for (const [, entries] of reply ?? []) {
          for (const entry of entries) {
            if (this.#stopped) return;
            this.#deliver(entry);
          }
        }
      } catch (error) {
        if (this.#stopped) return;
        failures += 1;
        if (this.#conn.status === 'ready') {
          // The server answered with an error (e.g. the key holds another type): not an outage.
          this.#report(error);
        } else {
          this.#lost(errorText(error));
        }
        await sleep(backoff(failures), this.#abort.signal);
      }
    }
  }

  /**
   * One blocking read. A server that stops answering (hung, or a network
   * path that silently drops packets) would leave it waiting forever, so a
   * read that overruns its block time by the connect timeout drops the
   * connection: that is reported as an outage and ioredis reconnects.
   */
  async #read(): Promise<[string, StreamEntry[]][] | null> {
    const limit = this.#ctx.blockMs + this.#ctx.timeoutMs;
    const timer = setTimeout(() => {
      this.#connected = false;
      this.#lost(`no reply to a ${this.#ctx.blockMs} ms blocking read within ${limit} ms`);
      this.#conn.disconnect(true);
    }, limit);
    try {
      return (await this.#conn.xread('COUNT', BATCH, 'BLOCK', this.#ctx.blockMs, 'STREAMS', this.#ctx.keys.stream, this.#lastDelivered)) as
        | [string, StreamEntry[]][]
        | null;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reports an outage once; the loop catches up when the connection is back. */
  #lost(message: string): void {
    if (this.#outage || this.#stopped) return;
    this.#outage = true;
    this.#emit('store.disconnected', { store: this.#ctx.name, time: Date.now(), message });
  }

  /** Compares our position with the store's: continue, resync from a snapshot, or report a regression. */
  async #reconcile(initial: boolean): Promise<void> {
    const state = await this.#conn.geoadmitState(this.#ctx.keys.hash, this.#ctx.keys.stream, this.#ctx.keys.meta, this.#lastDelivered, randomUUID());
    const [last, , , , , epoch] = state;
    const before = this.#lastDelivered;
    // What this subscription saw, or failing that what its store wrote or read: either must still be there.
    const observed = this.#ctx.observed;
    const knownEpoch = this.#epoch !== '' ? this.#epoch : observed.epoch;
    const expected = compareVersions(observed.version, before) > 0 ? observed.version : before;
    const historyReplaced = knownEpoch !== '' && epoch !== knownEpoch;
    if (historyReplaced || compareVersions(expected, last) > 0) {
      this.#emit('store.regressed', {
        store: this.#ctx.name,
        time: Date.now(),
        lastVersion: expected,
        storeVersion: last,
        message: historyReplaced
          ? 'The Redis data set was replaced (restarted empty or flushed): restrictions written before may be lost. ' +
            'Known restrictions stay in force; re-seed the store with reseed().'
          : `The store's version ${last} is behind ${expected} (${initial ? 'at subscribe' : 'after reconnecting'}): ` +
            'restrictions may have been lost. Known restrictions stay in force; re-seed the store with reseed().',
      });
      // Follow the store as it is now; do not read its missing restrictions as deletions.
      if (historyReplaced) this.#lastDelivered = EMPTY_VERSION;
      else if (compareVersions(before, last) > 0) this.#lastDelivered = last;
      this.#epoch = epoch;
      // Reported once: the store's other subscriptions start from the store as it is now.
      observed.epoch = epoch;
      observed.version = last;
      return;
    }
    if (epoch !== '') this.#epoch = epoch;
    if (this.#lostHistory(state)) {
      // The change this subscription applied last is gone, yet nothing trimmed it, and newer ones may follow:
      // the store lost writes (a failover to a replica that never received them, a restore from an old copy).
      this.#emit('store.regressed', {
        store: this.#ctx.name,
        time: Date.now(),
        lastVersion: before,
        storeVersion: last,
        message:
          `The store no longer holds change ${before}, which this node applied (${initial ? 'at subscribe' : 'after reconnecting'}), though nothing trimmed it: ` +
          'writes were lost (a failover to a replica that never received them, or a restore from an old copy). ' +
          'Known restrictions stay in force; re-seed the store with reseed().',
      });
      observed.epoch = epoch;
      observed.version = last;
      return;
    }
    if (this.#missedTrimmed(state)) {
      const { snapshot, epoch: snapshotEpoch, problems } = await this.#ctx.loadSnapshot(this.#conn);
      for (const problem of problems) this.#report(problem);
      this.#lastDelivered = snapshot.version;
      if (snapshotEpoch !== '') this.#epoch = snapshotEpoch;
      this.#call(() => this.#subscriber.onSnapshot?.(snapshot));
      this.#emit('store.resynced', {
        store: this.#ctx.name,
        time: Date.now(),
        version: snapshot.version,
        reason: `changes after version ${before} were trimmed from the stream`,
      });
    }
  }

  /**
   * True when the entry this subscription applied last is missing from the
   * stream although the store's own record of trimming says it was never
   * trimmed (and nobody else trimmed the stream): the store lost it.
   */
  #lostHistory([, length, added, , present, , trimmed, trimmedCount]: StreamState): boolean {
    const from = this.#lastDelivered;
    if (from === EMPTY_VERSION || present > 0) return false;
    if (compareVersions(from, trimmed) <= 0) return false;
    return added >= 0 && added - length === trimmedCount;
  }

  /**
   * True when changes after our version may have been trimmed away. The store
   * records the newest change it trimmed and how many it trimmed; when all
   * trimming was its own, that answers exactly. Otherwise (someone ran XTRIM
   * or XDEL), trimming removes the oldest entries, so our own entry still
   * being there means nothing after it is missing; if it is gone, we cannot
   * tell and resync to be safe.
   */
  #missedTrimmed([last, length, added, first, present, , trimmed, trimmedCount]: StreamState): boolean {
    const from = this.#lastDelivered;
    if (compareVersions(from, trimmed) < 0) return true;
    const onlyOurTrims = added >= 0 && added - length === trimmedCount;
    if (onlyOurTrims) return false;
    if (length === 0) return compareVersions(from, last) < 0;
    if (present > 0) return false;
    return compareVersions(from, first) < 0;
  }

  #deliver([version, fields]: StreamEntry): void {
    if (compareVersions(version, this.#lastDelivered) <= 0) return; // already delivered
    const previous = this.#lastDelivered;
    this.#lastDelivered = version;
    const entry = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) entry.set(fields[i] as string, fields[i + 1] as string);
    const epoch = entry.get('epoch') ?? '';
    if (this.#epoch !== '' && epoch !== '' && epoch !== this.#epoch) {
      this.#emit('store.regressed', {
        store: this.#ctx.name,
        time: Date.now(),
        lastVersion: previous,
        storeVersion: version,
        message:
          'The Redis data set was replaced while connected (flushed or restored): restrictions written before may be lost. ' +
          'Known restrictions stay in force; re-seed the store with reseed().',
      });
    }
    if (epoch !== '') this.#epoch = epoch;
    const id = entry.get('id');
    const op = entry.get('op');
    const where = `${this.#ctx.keys.stream} entry ${version}`;
    if (id === undefined || (op !== 'put' && op !== 'delete' && op !== 'exempt' && op !== 'revoke')) {
      this.#report(new Error(`Skipped ${where}: not a restriction change (op ${JSON.stringify(op)})`));
      return;
    }
    const time = versionTime(version);
    let change: RestrictionChange;
    if (op === 'delete' || op === 'revoke') change = { version, op, id, time };
    else if (op === 'exempt') {
      const exemption = parseStoredExemption(id, entry.get('doc') ?? '', where);
      if (exemption instanceof Error) {
        this.#report(exemption);
        return;
      }
      change = { version, op, id, exemption, time };
    } else {
      const restriction = parseStoredRestriction(id, entry.get('doc') ?? '', where);
      if (restriction instanceof Error) {
        this.#report(restriction);
        return;
      }
      change = { version, op, id, restriction, time };
    }
    this.#call(() => this.#subscriber.onChange(change));
  }

  #emit<E extends keyof RestrictionStoreEvents>(event: E, payload: RestrictionStoreEvents[E]): void {
    if (!this.#stopped) this.#call(() => this.#subscriber.onEvent?.(event, payload));
  }

  #report(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    try {
      this.#subscriber.onError?.(err);
    } catch {
      // A throwing error handler has nowhere left to report to.
    }
  }

  /** Runs a subscriber callback; one that throws is reported, and delivery goes on. */
  #call(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#report(error);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
