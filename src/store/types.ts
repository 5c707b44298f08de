import type { Restriction } from '../restrictions/types.js';

/**
 * One change to a store's restriction set. `version` increases strictly with
 * every change in a store; compare versions with the store's
 * `compareVersions`. Applying the same change twice has no extra effect
 * (changes are idempotent by restriction id and version).
 */
export type RestrictionChange =
  | { version: string; op: 'put'; id: string; restriction: Restriction; time: number }
  | { version: string; op: 'delete'; id: string; time: number };

/** The whole current set at one version. */
export interface RestrictionSnapshot {
  /** The store's version of this set, to subscribe from. */
  version: string;
  /** The restriction documents current at that version. */
  restrictions: Restriction[];
}

/** Store events a gate relays (`store.disconnected`, ...). */
export interface RestrictionStoreEvents {
  /** The store lost its connection; the gate keeps enforcing what it has. */
  'store.disconnected': { store: string; time: number; message: string };
  /** The connection is back; the subscriber catches up from its last version. */
  'store.reconnected': { store: string; time: number };
  /** The subscriber's last version is gone (trimmed): it reloaded the snapshot. */
  'store.resynced': { store: string; time: number; version: string; reason: string };
  /** The store's version went backwards (e.g. restarted empty): restrictions may have been lost. */
  'store.regressed': { store: string; time: number; lastVersion: string; storeVersion: string; message: string };
}

/** Callbacks a subscriber receives besides changes. */
export interface RestrictionSubscriber {
  /** Called in version order, at most once per version. */
  onChange(change: RestrictionChange): void;
  /** The store replaced the subscriber's view with a snapshot (after trimming or a gap). */
  onSnapshot?(snapshot: RestrictionSnapshot): void;
  /** Called for connection events (`store.disconnected`, `store.reconnected`, ...). */
  onEvent?<E extends keyof RestrictionStoreEvents>(event: E, payload: RestrictionStoreEvents[E]): void;
  /** Called when the store fails in a way the subscriber should report. */
  onError?(error: Error): void;
}

/**
 * Where restrictions live. Several gates sharing a store all enforce a change
 * made through any of them. The gate validates every document before it
 * reaches a store: stores never see invalid restrictions.
 *
 * The default is {@link InMemoryRestrictionStore} (for one process, tests and
 * demos); `geoadmit/redis` provides one for a fleet.
 */
export interface RestrictionStore {
  /** The store's name (e.g. `memory`, `redis`), as it appears in store events and messages. */
  readonly metadata: { readonly name: string };
  /** The current set and its version (one round trip for remote stores). */
  snapshot(): Promise<RestrictionSnapshot>;
  /**
   * Add a restriction. Resolves `{ conflict: true }` without writing when one
   * with the same id exists; otherwise the change's version.
   */
  put(restriction: Restriction): Promise<{ version: string; conflict?: false } | { conflict: true }>;
  /** Remove a restriction; `existed: false` when there was none with that id. */
  delete(id: string): Promise<{ version: string; existed: boolean }>;
  /**
   * Follow changes after `fromVersion` (exclusive), in order. Returns an
   * unsubscribe function.
   */
  subscribe(fromVersion: string, subscriber: RestrictionSubscriber): () => void;
  /** Order two versions of this store: negative, zero or positive. */
  compareVersions(a: string, b: string): number;
  /** Release connections and subscriptions; call it yourself once no gate uses the store. */
  close?(): Promise<void>;
}
