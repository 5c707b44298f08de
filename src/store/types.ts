import type { ExemptionDocument, Restriction } from '../restrictions/types.js';

/**
 * One change to a store's restriction set. `version` increases strictly with
 * every change in a store; compare versions with the store's
 * `compareVersions`. Applying the same change twice has no extra effect
 * (changes are idempotent by restriction id and version).
 */
export type RestrictionChange =
  | { version: string; op: 'put'; id: string; restriction: Restriction; time: number }
  | { version: string; op: 'delete'; id: string; time: number }
  | { version: string; op: 'exempt'; id: string; exemption: StoredExemption; time: number }
  | { version: string; op: 'revoke'; id: string; time: number };

/**
 * An exemption as a store holds it: the document and the digest of the
 * restriction document it was granted against (it narrows that one only).
 * Exemption ids are their own namespace, apart from restriction ids.
 */
export type StoredExemption = ExemptionDocument & { restrictionDigest: string };

/** The whole current set at one version. */
export interface RestrictionSnapshot {
  /** The store's version of this set, to subscribe from. */
  version: string;
  /** The restriction documents current at that version. */
  restrictions: Restriction[];
  /** The exemptions current at that version (absent when there are none, and from stores that cannot hold them). */
  exemptions?: StoredExemption[];
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
  /**
   * Remove a restriction; `existed: false` when there was none with that id
   * (then nothing is written). With `{ always: true }` a missing id is still
   * recorded as a `delete` change, so every follower that enforces it from
   * before the store lost it drops it too; stores that cannot do that ignore
   * the option.
   */
  delete(id: string, options?: { always?: boolean }): Promise<{ version: string; existed: boolean }>;
  /**
   * Add an exemption, as one more change in the same history as restrictions
   * (an `exempt` change). Resolves `{ conflict: true }` without writing when
   * one with the same id exists. Stores without it cannot hold exemptions.
   */
  putExemption?(exemption: StoredExemption): Promise<{ version: string; conflict?: false } | { conflict: true }>;
  /** Remove an exemption (a `revoke` change); `existed: false` (nothing written) when there was none with that id. */
  deleteExemption?(id: string): Promise<{ version: string; existed: boolean }>;
  /**
   * Follow changes after `fromVersion` (exclusive), in order. Returns an
   * unsubscribe function.
   */
  subscribe(fromVersion: string, subscriber: RestrictionSubscriber): () => void;
  /** Order two versions of this store: negative, zero or positive. */
  compareVersions(a: string, b: string): number;
  /** Release connections and subscriptions; call it yourself once no gate uses the store. */
  close?(): Promise<void>;
  /**
   * Present when the store can carry fleet traffic: membership and a
   * question/answer channel between the gates sharing it. Without it, each
   * gate is a fleet of one.
   */
  readonly fleet?: FleetChannel;
}

/** A fleet member as the store last heard from it. */
export interface FleetAnnouncement {
  /** The member's `nodeId`. */
  nodeId: string;
  /** When the store last heard from it, in epoch milliseconds by the store's clock. */
  lastSeen: number;
  /** Participants present on that node. */
  participants: number;
  /** The store version the node had applied. */
  version: string;
}

/**
 * A message between fleet members. Only JSON crosses the store, and gates
 * only ever put counts, participant and meeting ids and restriction
 * documents in it: never an address.
 */
export interface FleetMessage {
  /** A question goes to every member; an answer to the member that asked. */
  kind: 'question' | 'answer';
  /** The question's id; an answer repeats it. */
  id: string;
  /** The sending member's `nodeId`. */
  from: string;
  /** For an answer, the asking member's `nodeId`; empty for a question. */
  to: string;
  /** The question or the answer (plain JSON). */
  body: unknown;
}

/**
 * What a store provides so the gates sharing it act as one fleet. The gate
 * owns the protocol (what is asked, who must answer, how long to wait); the
 * store only carries announcements and messages. Messages are best effort:
 * one lost, late or never delivered shows as a member missing from an
 * answer's coverage.
 */
export interface FleetChannel {
  /** Records that `nodeId` is alive, with its figures, stamped with the store's clock. */
  announce(member: { nodeId: string; participants: number; version: string }): Promise<void>;
  /** Every member heard from recently, and the store's clock now (to judge `lastSeen` by one clock). */
  members(): Promise<{ now: number; members: FleetAnnouncement[] }>;
  /** Forgets a member that is leaving. */
  leave(nodeId: string): Promise<void>;
  /**
   * Delivers questions from other members and answers addressed to
   * `nodeId`, until the returned function is called. `ready` settles once
   * delivery has started.
   */
  listen(nodeId: string, onMessage: (message: FleetMessage) => void): { ready: Promise<void>; stop: () => void };
  /** Sends a question to every member, or an answer to `message.to`. */
  send(message: FleetMessage): Promise<void>;
}
