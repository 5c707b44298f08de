/**
 * Following the restriction store: the snapshot at start (with a last-known
 * fallback), then its feed of changes, netted per id and applied in order.
 * Each id remembers the last store version applied to it, so a change seen
 * again — a replay, the echo of this gate's own write, a put from before a
 * lift — never re-applies what a later change undid.
 */
import { ErrorCode, GeoadmitError } from '../../errors/index.js';
import type { ErrorEvent, GateEventMap, StoreEvent } from '../../events/types.js';
import { canonicalJson } from '../../internal/canonical-json.js';
import { errorText, isPlainObject } from '../../internal/objects.js';
import { validateStoredRestriction } from '../../restrictions/index.js';
import type { NormalizedRestriction, Restriction } from '../../restrictions/types.js';
import type { RestrictionChange, RestrictionSnapshot, RestrictionStore, StoredExemption } from '../../store/types.js';
import { iso } from './events.js';

/** What store sync changes in the gate: each call is one step of the gate's ordered mutation path. */
export interface SyncHost {
  closed(): boolean;
  has(id: string): boolean;
  ids(): string[];
  /** Registers (and enforces, and announces) a restriction the store holds. */
  register(r: NormalizedRestriction, version: string): void;
  /** Unregisters a restriction the store no longer holds. */
  unregister(id: string): void;
  /** The document of a registered restriction (to tell a re-seeded copy from a new restriction). */
  source(id: string): unknown;
  /** Ids of the exemptions held. */
  exemptionIds(): string[];
  /** Applies an exemption the store holds (`version`: the change that introduced it); ignores one already held. */
  grant(exemption: StoredExemption, version: string): void;
  /** Drops an exemption the store no longer holds. */
  revoke(id: string): void;
  error(context: ErrorEvent['context'], text: string, extra: Partial<ErrorEvent>): void;
  storeEvent<E extends 'store.disconnected' | 'store.reconnected' | 'store.resynced' | 'store.regressed'>(event: E, payload: GateEventMap[E]): void;
  now(): number;
}

/** Keeps a gate's registry equal to its store's set of restrictions. */
export class StoreSync {
  readonly store: RestrictionStore;
  readonly #host: SyncHost;
  // id -> the last store version applied for it (put or delete).
  readonly #applied = new Map<string, string>();
  // Ids enforced here that the store lost: kept in force until it holds them again or they are lifted.
  readonly #kept = new Set<string>();
  // Exemptions the store lost (reported then): held here until the store has them again or they are revoked.
  readonly #keptExemptions = new Set<string>();
  // Exemption id -> the last store version applied for it (exemption ids are their own namespace).
  readonly #appliedExemptions = new Map<string, string>();
  // Exemption ids this gate is writing, and the feed's changes for them held until the write settles.
  readonly #writingExemptions = new Map<string, RestrictionChange[]>();
  // Ids this gate is writing to the store right now, and the feed's changes for them held until the write settles.
  readonly #writing = new Map<string, RestrictionChange[]>();
  readonly #queue: RestrictionChange[] = [];
  readonly #cleanups: (() => void)[] = [];
  #version = '0';
  #retry: (() => void) | undefined;
  // One options object for every document validated (thousands at start).
  readonly #validation = { existingIds: (id: string) => this.#host.has(id) };

  constructor(store: RestrictionStore, host: SyncHost) {
    this.store = store;
    this.#host = host;
  }

  /** The newest store version this gate has applied. */
  get version(): string {
    return this.#version;
  }

  /** Whether this gate is writing `id` to the store. */
  writing(id: string): boolean {
    return this.#writing.has(id);
  }

  /** This gate starts writing `id`: feed changes for it wait for {@link release}. */
  hold(id: string): void {
    this.#writing.set(id, []);
  }

  /** Records that the store's change `version` for `id` has been applied here. */
  noteApplied(id: string, version: string): void {
    const known = this.#applied.get(id);
    if (known === undefined || this.store.compareVersions(version, known) > 0) this.#applied.set(id, version);
  }

  /** This gate starts writing exemption `id`: feed changes for it wait for {@link releaseExemption}. */
  holdExemption(id: string): void {
    this.#writingExemptions.set(id, []);
  }

  /** The write of exemption `id` settled: apply what the feed said meanwhile, against the version noted. */
  releaseExemption(id: string): void {
    const held = this.#writingExemptions.get(id) ?? [];
    this.#writingExemptions.delete(id);
    for (const change of held) this.#apply(change);
  }

  /** Records that the store's change `version` for exemption `id` has been applied here. */
  noteExemption(id: string, version: string): void {
    const known = this.#appliedExemptions.get(id);
    if (known === undefined || this.store.compareVersions(version, known) > 0) this.#appliedExemptions.set(id, version);
  }

  /** The write of `id` settled: apply what the feed said meanwhile (if another node won the race, its restriction). */
  release(id: string): void {
    const held = this.#writing.get(id) ?? [];
    this.#writing.delete(id);
    for (const change of held) this.#apply(change);
  }

  /**
   * Loads the snapshot (or the fallback) and follows the feed. Resolves to
   * whether the store answered (false: started from the fallback); rejects
   * with `E_STORE_UNAVAILABLE` when neither is there.
   */
  async load(fallback: NormalizedRestriction[] | undefined): Promise<boolean> {
    let snapshot: RestrictionSnapshot;
    try {
      snapshot = await this.store.snapshot();
    } catch (error) {
      if (fallback === undefined) throw storeUnavailable(this.store, 'load restrictions from', undefined, error);
      // Start from the operator's last-known set and keep trying the store in the background.
      for (const r of fallback) if (!this.#host.has(r.id)) this.#host.register(r, '0');
      this.#host.error(
        'store',
        `restriction store '${this.store.metadata.name}' unreachable at start; enforcing ${fallback.length} last-known restrictions: ${errorText(error)}`,
        { error },
      );
      this.#retryLoad(500);
      return false;
    }
    this.#applySnapshot(snapshot, false);
    this.follow(snapshot.version);
    return true;
  }

  /** Subscribes to the feed from `fromVersion`. */
  follow(fromVersion: string): void {
    if (this.#host.closed()) return;
    const store = this.store;
    const unsubscribe = store.subscribe(fromVersion, {
      onChange: (change) => this.#queueChange(change),
      onSnapshot: (snapshot) => this.#applySnapshot(snapshot, false),
      onEvent: (event, payload) => {
        const p = payload as { time: number; message?: string; version?: string; storeVersion?: string; reason?: string };
        const msg = p.message ?? p.reason;
        const version = p.version ?? p.storeVersion;
        const e: StoreEvent = { type: event, time: iso(p.time ?? this.#host.now()), store: store.metadata.name };
        if (msg !== undefined) e.message = msg;
        if (version !== undefined) e.version = version;
        if (event === 'store.regressed') {
          void this.#regressed(e);
          return;
        }
        this.#host.storeEvent(event, e as never);
      },
      onError: (error) => this.#host.error('store', error.message, { error }),
    });
    this.#cleanups.push(unsubscribe);
  }

  /**
   * The store lost history. Which of the restrictions enforced here, and of
   * the exemptions held here, does it no longer hold? Those are named and
   * kept (a later snapshot neither lifts nor revokes them) until the store
   * has them again or they are lifted or revoked. An exemption is kept too:
   * dropping it would remove the very participants an appeal spared.
   */
  async #regressed(e: StoreEvent): Promise<void> {
    let missing: string[] | undefined;
    let missingExemptions: string[] | undefined;
    try {
      const snapshot = await this.store.snapshot();
      const held = new Set<unknown>(snapshot.restrictions.map((r) => (isPlainObject(r) ? r.id : undefined)));
      missing = this.#host.ids().filter((id) => !held.has(id));
      const granted = new Set<unknown>((snapshot.exemptions ?? []).map((x) => (isPlainObject(x) ? x.id : undefined)));
      missingExemptions = this.#host.exemptionIds().filter((id) => !granted.has(id));
    } catch {
      // Unreachable again: every restriction enforced here may be one it lost.
    }
    if (this.#host.closed()) return;
    const name = this.store.metadata.name;
    for (const id of missing ?? this.#host.ids()) this.#kept.add(id);
    for (const id of missingExemptions ?? this.#host.exemptionIds()) this.#keptExemptions.add(id);
    const list = (ids: string[]) => `${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ', …' : ''}`;
    let named =
      missing === undefined
        ? `which of the ${this.#host.ids().length} restrictions enforced here it lost could not be read`
        : missing.length === 0
          ? 'it still holds every restriction enforced here'
          : `it no longer holds ${missing.length} enforced here: ${list(missing)}`;
    if (missingExemptions !== undefined && missingExemptions.length > 0) {
      named += `, nor ${missingExemptions.length} exemption(s) held here: ${list(missingExemptions)}`;
    }
    const event: StoreEvent = { ...e, message: `${e.message ?? 'The store lost history.'} ${named[0]?.toUpperCase()}${named.slice(1)}.` };
    if (missing !== undefined) event.missing = missing;
    if (missingExemptions !== undefined && missingExemptions.length > 0) event.missingExemptions = missingExemptions;
    this.#host.storeEvent('store.regressed', event as never);
    this.#host.error(
      'store',
      `restriction store '${name}' lost its history (${e.message ?? 'version went backwards'}); ${named}; still enforcing and holding them here — re-seed the store`,
      {},
    );
  }

  close(): void {
    this.#retry?.();
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
  }

  #retryLoad(delay: number): void {
    if (this.#host.closed()) return;
    const timer = setTimeout(() => {
      this.store.snapshot().then(
        (snapshot) => {
          if (this.#host.closed()) return;
          this.#host.storeEvent('store.reconnected', {
            type: 'store.reconnected',
            time: iso(this.#host.now()),
            store: this.store.metadata.name,
            version: snapshot.version,
          });
          // The last-known restrictions came from the operator: one missing from the store is a loss to report, not a lift.
          this.#applySnapshot(snapshot, true);
          this.follow(snapshot.version);
        },
        () => this.#retryLoad(Math.min(delay * 2, 5_000)),
      );
    }, delay);
    timer.unref?.();
    this.#retry = () => clearTimeout(timer);
  }

  /**
   * Makes the registered set equal the snapshot: registers (and enforces) what is new, and lifts what is
   * gone — unless `keepMissing`, when what is gone is kept, enforced and reported as a possible loss.
   */
  #applySnapshot(snapshot: RestrictionSnapshot, keepMissing: boolean): void {
    if (!this.#startFresh(snapshot)) this.#applyRestrictions(snapshot, keepMissing);
    // Exemptions after restrictions: each one names a restriction the snapshot has just registered.
    const exemptions = new Map<string, StoredExemption>();
    for (const doc of snapshot.exemptions ?? []) if (isPlainObject(doc) && typeof doc.id === 'string') exemptions.set(doc.id, doc as StoredExemption);
    for (const id of this.#host.exemptionIds()) {
      if (exemptions.has(id)) this.#keptExemptions.delete(id);
      // Kept after the store lost it (reported then): a snapshot without it is no revocation.
      if (exemptions.has(id) || keepMissing || this.#keptExemptions.has(id)) continue;
      this.noteExemption(id, snapshot.version);
      this.#host.revoke(id);
    }
    for (const [id, doc] of exemptions) {
      this.noteExemption(id, snapshot.version);
      this.#host.grant(doc, snapshot.version);
    }
    if (this.store.compareVersions(snapshot.version, this.#version) > 0) this.#version = snapshot.version;
  }

  /**
   * The first snapshot of a gate that holds nothing yet (the start): every id in it is new, so each is noted
   * and registered in the snapshot's order without first collecting the wanted set (thousands of entries).
   * An id written twice in the snapshot sends it down the general path instead (false: nothing registered).
   */
  #startFresh(snapshot: RestrictionSnapshot): boolean {
    if (this.#applied.size > 0 || this.#kept.size > 0 || this.#host.ids().length > 0) return false;
    const version = snapshot.version;
    const docs = snapshot.restrictions;
    // Each document's id is read once (a store other than ours may hand over anything).
    const ids: (string | undefined)[] = new Array(docs.length);
    for (let i = 0; i < docs.length; i++) {
      const doc = docs[i];
      const id = isPlainObject(doc) && typeof doc.id === 'string' ? doc.id : undefined;
      if (id === undefined) continue;
      if (this.#applied.has(id)) return false; // noted so far: the same version the general path notes
      this.#applied.set(id, version);
      ids[i] = id;
    }
    // Nothing was held and no id repeats, so none is registered yet when its turn comes (the validator's
    // duplicate-id rule still stands guard, should a document's id read differently the second time).
    for (let i = 0; i < docs.length; i++) if (ids[i] !== undefined) this.#register(docs[i] as Restriction, version);
    return true;
  }

  /** Makes the registered restrictions equal the snapshot's (see {@link #applySnapshot}). */
  #applyRestrictions(snapshot: RestrictionSnapshot, keepMissing: boolean): void {
    const wanted = new Map<string, Restriction>();
    for (const doc of snapshot.restrictions) if (isPlainObject(doc) && typeof doc.id === 'string') wanted.set(doc.id, doc as Restriction);
    const missing: string[] = [];
    for (const id of this.#host.ids()) {
      // Kept after the store lost it (reported then): a snapshot without it is no lift.
      if (wanted.has(id) || this.#kept.has(id)) continue;
      if (keepMissing) missing.push(id);
      else {
        this.noteApplied(id, snapshot.version);
        this.#host.unregister(id);
      }
    }
    if (missing.length > 0) {
      const name = this.store.metadata.name;
      const text = `restriction store '${name}' does not hold ${missing.length} last-known restriction(s) (${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}); still enforcing them here — re-seed the store`;
      for (const id of missing) this.#kept.add(id);
      this.#host.storeEvent('store.regressed', {
        type: 'store.regressed',
        time: iso(this.#host.now()),
        store: name,
        message: text,
        version: snapshot.version,
        missing,
      });
      this.#host.error('store', text, {});
    }
    const version = snapshot.version;
    wanted.forEach((doc, id) => {
      this.noteApplied(id, version);
      if (!this.#host.has(id)) this.#register(doc, version);
    });
  }

  #register(doc: Restriction, version: string): void {
    let r: NormalizedRestriction;
    try {
      // What a shared store holds is validated again: it may have been written by anything.
      r = validateStoredRestriction(doc, this.#validation);
    } catch (error) {
      this.#host.error('store', `restriction store holds an invalid restriction; not enforced: ${errorText(error)}`, { error });
      return;
    }
    this.#host.register(r, version);
  }

  /**
   * Feed changes are collected and applied a batch at a time, netted per id:
   * catching up after an outage may deliver a put and the delete that lifted
   * it; enforcing the put would remove participants under a restriction that
   * is no longer in force.
   */
  #queueChange(change: RestrictionChange): void {
    this.#queue.push(change);
    if (this.#queue.length === 1) queueMicrotask(() => this.#drain());
  }

  #drain(): void {
    const batch = this.#queue.splice(0);
    const last = new Map<string, RestrictionChange>();
    for (const change of batch) {
      if (this.store.compareVersions(change.version, this.#version) > 0) this.#version = change.version;
      // Restrictions and exemptions are netted apart: the same id may name one of each.
      const key = change.op === 'exempt' || change.op === 'revoke' ? `x${change.id}` : `r${change.id}`;
      last.delete(key); // re-insert: apply in the order of each id's last change
      last.set(key, change);
    }
    for (const change of last.values()) this.#apply(change);
  }

  #apply(change: RestrictionChange): void {
    if (this.#host.closed()) return;
    if (change.op === 'exempt' || change.op === 'revoke') {
      this.#applyExemption(change);
      return;
    }
    const held = this.#writing.get(change.id);
    if (held !== undefined) {
      held.push(change);
      return;
    }
    const known = this.#applied.get(change.id);
    // Already applied, or older than what was (our own write's echo, a replay, a put from before a lift).
    if (known !== undefined && this.store.compareVersions(change.version, known) <= 0) return;
    this.#applied.set(change.id, change.version);
    const kept = this.#kept.delete(change.id);
    if (change.op === 'delete') {
      if (this.#host.has(change.id)) this.#host.unregister(change.id);
      return;
    }
    // The store has a restriction it had lost back (re-seeded): the same document stays registered as it is.
    if (kept && this.#host.has(change.id) && canonicalJson(this.#host.source(change.id)) === canonicalJson(change.restriction)) return;
    // Stores refuse a put for an id they hold, so a newer put for a registered id means it was lifted and
    // issued again meanwhile (the delete may be netted away in this batch): a new restriction.
    if (this.#host.has(change.id)) this.#host.unregister(change.id);
    this.#register(change.restriction, change.version);
  }

  #applyExemption(change: RestrictionChange & { op: 'exempt' | 'revoke' }): void {
    const writing = this.#writingExemptions.get(change.id);
    if (writing !== undefined) {
      writing.push(change);
      return;
    }
    const known = this.#appliedExemptions.get(change.id);
    // Already applied, or older than what was (this gate's own write's echo, a replay, a grant from before a revocation).
    if (known !== undefined && this.store.compareVersions(change.version, known) <= 0) return;
    this.#appliedExemptions.set(change.id, change.version);
    const kept = this.#keptExemptions.delete(change.id);
    if (change.op === 'revoke') this.#host.revoke(change.id);
    else if (kept) {
      // The store has an exemption it had lost back (re-seeded): the same one stays held as it is.
      this.#host.grant(change.exemption, change.version);
    } else {
      // A newer grant under a held id means it was revoked and granted again meanwhile.
      this.#host.revoke(change.id);
      this.#host.grant(change.exemption, change.version);
    }
  }
}

/** `E_STORE_UNAVAILABLE` for a store call that failed ("nothing was changed"). */
export function storeUnavailable(store: RestrictionStore, action: string, id: string | undefined, cause: unknown): GeoadmitError {
  // A store set up wrong (e.g. for a Redis Cluster) says so itself: retrying would not help, so it is no outage.
  if (cause instanceof GeoadmitError && (cause.code === ErrorCode.StoreUnavailable || cause.code === ErrorCode.InvalidConfig)) return cause;
  return new GeoadmitError(
    ErrorCode.StoreUnavailable,
    `could not ${action} restriction store '${store.metadata.name}'${id !== undefined ? ` for restriction "${id}"` : ''}: ${errorText(cause)}; nothing was changed`,
    { ...(id !== undefined ? { restrictionId: id } : {}), cause },
  );
}
