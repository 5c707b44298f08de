/**
 * Restrictions as the gate takes them from its caller: previewing a document
 * across the fleet, restricting (validated, written to the store, then
 * registered and enforced, and every other member asked for its part) and
 * lifting (deleted from the store, then unregistered). Refusals are recorded.
 */
import { ErrorCode, GeoadmitError } from '../../errors/index.js';
import type { SafeEmitter } from '../../internal/emitter.js';
import type { GateEventMap } from '../../events/types.js';
import type { GeoResolver } from '../../geo/types.js';
import { validateRestriction } from '../../restrictions/index.js';
import type { NormalizedRestriction, Restriction } from '../../restrictions/types.js';
import type { RestrictionStore } from '../../store/types.js';
import type { Clock } from '../clock.js';
import type { RestrictResult } from '../types.js';
import { impactOf } from './coverage.js';
import { MAX_ID_LENGTH } from './decide.js';
import { digestOf, refusedEvent } from './events.js';
import type { FleetMembership, FleetQuestion } from './fleet.js';
import { mergeRestrict, partOf, type RestrictPart } from './fleet-merge.js';
import type { MutationPath } from './mutations.js';
import type { RestrictionRegistry } from './registry.js';
import type { Roster } from './roster.js';
import { type StoreSync, storeUnavailable } from './sync.js';

/** What the desk needs of the gate. */
interface RestrictionDeskHost {
  readonly registry: RestrictionRegistry;
  readonly roster: Roster;
  readonly emitter: SafeEmitter<GateEventMap>;
  readonly clock: Clock;
  readonly geo: GeoResolver;
  readonly fleet: FleetMembership;
  readonly path: MutationPath;
  sync(): StoreSync;
  closed(): boolean;
  /** Throws `E_CLOSED` when the gate is closed. */
  assertOpen(): void;
  /** While the gate is still loading its store: what resolves once it holds the store's restrictions. */
  ready(): Promise<void> | undefined;
}

export class RestrictionDesk {
  readonly #host: RestrictionDeskHost;

  constructor(host: RestrictionDeskHost) {
    this.#host = host;
  }

  /** Who a document would reach on every member, changing nothing (the gate's `preview`). */
  async preview(doc: unknown): Promise<RestrictResult> {
    const { registry, fleet } = this.#host;
    this.#host.assertOpen();
    const r = validateRestriction(doc, { existingIds: (id) => registry.has(id) });
    const asked = await fleet.ask({ op: 'preview', doc: r.source }, Promise.resolve(this.#impactOf(r)));
    return mergeRestrict(fleet.nodeId, asked.local, asked.remote, asked.coverage, fleet.shared);
  }

  /** Validates, stores, registers and enforces a restriction, then gathers every member's part (the gate's `restrict`). */
  async restrict(doc: unknown): Promise<RestrictResult> {
    const { registry, fleet, path } = this.#host;
    this.#host.assertOpen();
    const loading = this.#host.ready();
    if (loading !== undefined) await loading;
    this.#host.assertOpen();
    const sync = this.#host.sync();
    let r: NormalizedRestriction;
    try {
      r = validateRestriction(doc, { existingIds: (id) => registry.has(id) || sync.writing(id) });
    } catch (error) {
      this.#refused(doc, error);
      throw error;
    }
    sync.hold(r.id);
    let removals: Promise<RestrictResult>;
    try {
      let put: Awaited<ReturnType<RestrictionStore['put']>>;
      try {
        put = await sync.store.put(r.source as Restriction);
      } catch (error) {
        throw storeUnavailable(sync.store, 'register', r.id, error);
      }
      // Closed while the store wrote it: this gate registers and removes nothing any more.
      if (this.#host.closed()) {
        throw new GeoadmitError(
          ErrorCode.Closed,
          `the gate closed while restriction "${r.id}" was being stored; this gate does not enforce it (the store may hold it)`,
          { restrictionId: r.id },
        );
      }
      if (put.conflict) {
        const error = new GeoadmitError(ErrorCode.InvalidRestriction, `$.id: a restriction with id "${r.id}" is already registered`, {
          path: '$.id',
          restrictionId: r.id,
        });
        this.#refused(doc, error);
        throw error;
      }
      sync.noteApplied(r.id, put.version);
      removals = path.register(r, put.version, true);
    } finally {
      // Registered (or refused): what the feed said about this id meanwhile applies now, against the version noted.
      sync.release(r.id);
    }
    // Every other node enforces it from the store's feed; each is asked for its part.
    const asked = await fleet.ask({ op: 'restrict', id: r.id, digest: digestOf(r.source) }, removals);
    return mergeRestrict(fleet.nodeId, asked.local, asked.remote, asked.coverage, fleet.shared);
  }

  /** Deletes a restriction from the store and stops enforcing it (the gate's `lift`). */
  async lift(id: string): Promise<NormalizedRestriction> {
    const { registry, path } = this.#host;
    this.#host.assertOpen();
    if (typeof id !== 'string') throw new GeoadmitError(ErrorCode.UnknownRestriction, 'lift: id must be a string', { argument: 'id' });
    const entry = registry.get(id);
    if (entry === undefined) {
      throw new GeoadmitError(ErrorCode.UnknownRestriction, `lift: no restriction with id ${JSON.stringify(id.slice(0, MAX_ID_LENGTH))} is registered`, {
        argument: 'id',
        restrictionId: id.slice(0, MAX_ID_LENGTH),
      });
    }
    const sync = this.#host.sync();
    let deleted: { version: string };
    try {
      deleted = await sync.store.delete(id, { always: true });
    } catch (error) {
      throw storeUnavailable(sync.store, 'lift', id, error);
    }
    sync.noteApplied(id, deleted.version);
    // The feed may have applied the delete already; then this registration is gone and there is nothing to do.
    if (registry.get(id) === entry) path.unregister(id);
    return entry.restriction;
  }

  /** This node's part of another member's preview or restriction, from its own roster (ids only). */
  async answer(question: Exclude<FleetQuestion, { op: 'overview' }>): Promise<RestrictPart> {
    if (question.op === 'preview') return partOf(this.#impactOf(validateRestriction(question.doc, {})));
    const enforced = await this.#host.fleet.whenEnforced(question.id, question.digest);
    if (enforced === undefined) throw new Error(`restriction ${JSON.stringify(question.id)} has not reached this node`);
    return partOf(await enforced);
  }

  #impactOf(r: NormalizedRestriction): RestrictResult {
    const { roster, clock, geo } = this.#host;
    return impactOf(r, roster, clock(), geo.capabilities, digestOf(r.source)).result;
  }

  #refused(doc: unknown, error: unknown): void {
    this.#host.emitter.emit('restriction.refused', refusedEvent(this.#host.clock(), doc, error));
  }
}

/** Validates every document before anything is registered; errors name `argument[i]`. */
export function validateAll(docs: readonly unknown[], argument: string): NormalizedRestriction[] {
  const ids = new Set<string>();
  return docs.map((doc, i) => {
    try {
      const r = validateRestriction(doc, { existingIds: ids });
      ids.add(r.id);
      return r;
    } catch (error) {
      if (error instanceof GeoadmitError) {
        const path = error.path?.replace(/^\$/, `$[${i}]`);
        throw new GeoadmitError(error.code, `${argument}[${i}]: ${error.message}`, {
          ...(path !== undefined ? { path } : {}),
          ...(error.restrictionId !== undefined ? { restrictionId: error.restrictionId } : {}),
          argument: `${argument}[${i}]`,
          cause: error,
        });
      }
      throw error;
    }
  });
}
