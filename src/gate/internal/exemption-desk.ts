/**
 * Exemptions as the gate applies them: granting (validated, written to the
 * store, then held), revoking (deleted, then the restriction enforced again on
 * who is present), what the store's feed grants and revokes, and expiry. Each
 * change to what is held is a step of the gate's ordered mutation path.
 */
import { ErrorCode, GeoadmitError } from '../../errors/index.js';
import type { SafeEmitter } from '../../internal/emitter.js';
import type { ErrorEvent, GateEventMap } from '../../events/types.js';
import type { RestrictionStore, StoredExemption } from '../../store/types.js';
import { type Clock, scheduleAt } from '../clock.js';
import type { Exemption, ExemptionDocument, RestrictResult, RevokeExemptionResult } from '../types.js';
import { MAX_ID_LENGTH } from './decide.js';
import type { Remover } from './enforce.js';
import { digestOf, exemptionGrantedEvent, exemptionRevokedEvent } from './events.js';
import { checkExemption, exemptionError, type ExemptionCheck, finishExemption, type HeldExemption, holdExemption } from './exemptions.js';
import type { Registered, RestrictionRegistry } from './registry.js';
import { type StoreSync, storeUnavailable } from './sync.js';

/** What the desk needs of the gate. */
interface ExemptionDeskHost {
  readonly registry: RestrictionRegistry;
  readonly remover: Remover;
  readonly emitter: SafeEmitter<GateEventMap>;
  readonly clock: Clock;
  sync(): StoreSync;
  closed(): boolean;
  /** Throws `E_CLOSED` when the gate is closed. */
  assertOpen(): void;
  /** While the gate is still loading its store: what resolves once it holds the store's restrictions. */
  ready(): Promise<void> | undefined;
  /** Enforces a registered restriction on who is present now. */
  enforce(entry: Registered, announce: boolean): Promise<RestrictResult>;
  error(context: ErrorEvent['context'], text: string, extra: Partial<ErrorEvent>): void;
}

export class ExemptionDesk {
  readonly #host: ExemptionDeskHost;
  // Exemption ids this gate is writing to the store right now (a second grant of one is refused).
  readonly #writing = new Set<string>();

  constructor(host: ExemptionDeskHost) {
    this.#host = host;
  }

  /** Every exemption held, by id. */
  list(): Exemption[] {
    return [...this.#host.registry.exemptions.values()].map((h) => h.exemption).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Validates, stores and holds an exemption (the gate's `exempt`). */
  async exempt(input: ExemptionDocument): Promise<Exemption> {
    this.#host.assertOpen();
    const loading = this.#host.ready();
    if (loading !== undefined) await loading;
    this.#host.assertOpen();
    const check = checkExemption(input);
    const value = check.value;
    if (value === undefined) throw exemptionError(check, 'exemption');
    const refuse = (path: string, text: string) => exemptionError({ id: value.id, issues: [{ path, message: text }] }, 'exemption');
    if (this.#host.registry.exemptions.has(value.id) || this.#writing.has(value.id)) {
      throw refuse('$.id', `an exemption with id ${JSON.stringify(value.id)} already exists (revoke it first)`);
    }
    if (value.validUntil !== undefined && value.validUntil <= this.#host.clock()) throw refuse('$.validUntil', 'is not in the future');
    const entry = this.#host.registry.get(value.restrictionId);
    if (entry === undefined) {
      throw new GeoadmitError(
        ErrorCode.UnknownRestriction,
        `$.restrictionId: no restriction with id ${JSON.stringify(value.restrictionId)} is registered [exemption ${JSON.stringify(value.id)}]`,
        { path: '$.restrictionId', argument: 'exemption', restrictionId: value.restrictionId },
      );
    }
    const store = this.#host.sync().store;
    if (typeof store.putExemption !== 'function') {
      throw new GeoadmitError(ErrorCode.InvalidConfig, `exempt: restriction store '${store.metadata.name}' cannot hold exemptions (it has no putExemption)`, {
        argument: 'restrictions',
      });
    }
    const exemption = finishExemption(check as ExemptionCheck & { value: typeof value }, entry.digest);
    let put: Awaited<ReturnType<NonNullable<RestrictionStore['putExemption']>>>;
    this.#writing.add(value.id);
    this.#host.sync().holdExemption(value.id);
    try {
      try {
        put = await store.putExemption({ ...exemption.source, restrictionDigest: entry.digest } as StoredExemption);
      } catch (error) {
        throw storeUnavailable(store, 'store an exemption in', value.restrictionId, error);
      }
      if (put.conflict) throw refuse('$.id', `an exemption with id ${JSON.stringify(value.id)} already exists in the store (revoke it first)`);
      this.#host.sync().noteExemption(value.id, put.version);
      this.#applyGrant(exemption, put.version);
    } finally {
      this.#writing.delete(value.id);
      // What the feed said about this id meanwhile applies now, against the version noted.
      this.#host.sync().releaseExemption(value.id);
    }
    return exemption;
  }

  /** Deletes an exemption from the store and enforces its restriction again (the gate's `revokeExemption`). */
  async revoke(id: string): Promise<RevokeExemptionResult> {
    this.#host.assertOpen();
    if (typeof id !== 'string') throw new GeoadmitError(ErrorCode.UnknownRestriction, 'revokeExemption: id must be a string', { argument: 'id' });
    const held = this.#host.registry.exemptions.get(id);
    const store = this.#host.sync().store;
    if (held === undefined || typeof store.deleteExemption !== 'function') {
      throw new GeoadmitError(ErrorCode.UnknownRestriction, `revokeExemption: no exemption with id ${JSON.stringify(id.slice(0, MAX_ID_LENGTH))} exists`, {
        argument: 'id',
      });
    }
    let enforced: Promise<RestrictResult> | undefined;
    this.#host.sync().holdExemption(id);
    try {
      let deleted: { version: string };
      try {
        deleted = await store.deleteExemption(id);
      } catch (error) {
        throw storeUnavailable(store, 'revoke an exemption in', held.exemption.restrictionId, error);
      }
      this.#host.sync().noteExemption(id, deleted.version);
      // Revoked meanwhile through the feed's snapshot (a resync): the restriction was enforced then.
      if (this.#host.registry.exemptions.get(id) === held) enforced = this.applyRevoke(id, false);
    } finally {
      this.#host.sync().releaseExemption(id);
    }
    const result = enforced === undefined ? undefined : await enforced;
    return { exemption: held.exemption, removed: result?.removed ?? [], pending: result?.pending ?? [] };
  }

  /** An exemption the store holds (its snapshot or feed): applied unless the same one is held already. */
  grantStored(doc: StoredExemption, version: string): void {
    const check = checkExemption(doc, true);
    if (check.value === undefined || check.restrictionDigest === undefined) {
      const error = exemptionError(check, 'exemption');
      this.#host.error('store', `restriction store holds an invalid exemption; not applied: ${error.message}`, { error });
      return;
    }
    const exemption = finishExemption(check as ExemptionCheck & { value: NonNullable<ExemptionCheck['value']> }, check.restrictionDigest);
    const held = this.#host.registry.exemptions.get(exemption.id);
    if (held !== undefined) {
      const same = held.exemption.restrictionDigest === exemption.restrictionDigest && digestOf(held.exemption.source) === digestOf(exemption.source);
      if (same) return;
      void this.applyRevoke(exemption.id, false);
    }
    this.#applyGrant(exemption, version);
  }

  /** Holds an exemption (a step of the ordered mutation path: joins decided from now on see it). */
  #applyGrant(exemption: Exemption, version: string): void {
    const set = this.#host.registry.exemptions;
    const held = set.get(exemption.id);
    if (held !== undefined && held.version === version) return;
    const h = holdExemption(exemption, version);
    set.add(h);
    this.#host.registry.touch();
    // Pending removals under that restriction are checked again: an exempted participant is no longer pending.
    this.#host.remover.reconsider(exemption.restrictionId);
    const until = exemption.validUntil;
    if (until !== undefined && until > this.#host.clock()) h.cancelExpiry = scheduleAt(this.#host.clock, until, () => this.#expireExemption(h));
    this.#host.emitter.emit(
      'exemption.granted',
      exemptionGrantedEvent(this.#host.clock(), exemption, this.#host.registry.get(exemption.restrictionId)?.restriction),
    );
  }

  /**
   * Drops an exemption and enforces its restriction again on who is present:
   * participants it covers again are removed, as when a restriction starts.
   */
  applyRevoke(id: string, expired: boolean): Promise<RestrictResult> | undefined {
    const held = this.#host.registry.exemptions.delete(id);
    if (held === undefined) return undefined;
    return this.#reenforce(held, expired);
  }

  /** `validUntil` reached: it no longer covers anyone (it stays listed until revoked, so a resync does not grant it again). */
  #expireExemption(held: HeldExemption): void {
    held.cancelExpiry = undefined;
    if (this.#host.closed() || this.#host.registry.exemptions.get(held.exemption.id) !== held) return;
    void this.#reenforce(held, true);
  }

  #reenforce(held: HeldExemption, expired: boolean): Promise<RestrictResult> | undefined {
    this.#host.registry.touch();
    const entry = this.#host.registry.get(held.exemption.restrictionId);
    this.#host.emitter.emit('exemption.revoked', exemptionRevokedEvent(this.#host.clock(), held.exemption, entry?.restriction, expired));
    if (entry === undefined || entry.expired || entry.digest !== held.exemption.restrictionDigest || this.#host.closed()) return undefined;
    return this.#host.enforce(entry, false);
  }
}
