/**
 * The gate's ordered mutation path for restrictions: registration, lift,
 * window start and window end. Each step changes the registry synchronously
 * and then enforces on who is present, so no join commits in between (see
 * docs/enforcement.md). Exemptions take their steps in exemption-desk.ts.
 */
import type { SafeEmitter } from '../../internal/emitter.js';
import type { GateEventMap } from '../../events/types.js';
import type { GeoResolver } from '../../geo/types.js';
import { isActive } from '../../restrictions/index.js';
import type { NormalizedRestriction } from '../../restrictions/types.js';
import { type Clock, scheduleAt } from '../clock.js';
import type { RestrictResult } from '../types.js';
import { impactOf } from './coverage.js';
import type { Remover } from './enforce.js';
import { acceptedEvent, digestOf, liftedEvent } from './events.js';
import type { Registered, RestrictionRegistry } from './registry.js';
import type { Roster } from './roster.js';

/** What the mutation path needs of the gate. */
interface MutationPathHost {
  readonly registry: RestrictionRegistry;
  readonly roster: Roster;
  readonly remover: Remover;
  readonly emitter: SafeEmitter<GateEventMap>;
  readonly clock: Clock;
  /** Read for its capabilities at each step: a reloaded database may have other ones. */
  readonly geo: GeoResolver;
  closed(): boolean;
}

/** Registers, lifts, starts and ends restrictions, and enforces them on who is present. */
export class MutationPath {
  readonly #host: MutationPathHost;

  constructor(host: MutationPathHost) {
    this.#host = host;
  }

  /**
   * Registers a validated restriction, schedules its window, and enforces it
   * on present participants — synchronously, so no join commits in between.
   * Resolves when the removals it started have settled (or timed out).
   */
  register(r: NormalizedRestriction, version: string, announce: boolean): Promise<RestrictResult> {
    const { registry, clock } = this.#host;
    const now = clock();
    const over = r.validUntil !== undefined && now >= r.validUntil;
    const entry: Registered = {
      restriction: r,
      version,
      digest: digestOf(r.source),
      indexed: false,
      expired: over,
      cancelExpiry: undefined,
      cancelActivation: undefined,
    };
    registry.add(entry);
    // A restriction already over stays listed (and can be lifted) but is never enforced.
    if (!over) {
      registry.index(entry);
      if (r.validFrom !== undefined && now < r.validFrom) this.armActivation(entry);
      if (r.validUntil !== undefined) entry.cancelExpiry = scheduleAt(clock, r.validUntil, () => this.#expire(entry));
    }
    return this.enforce(entry, announce);
  }

  /** Lifts: out of the registry and its timers cancelled; its pending removals pass to another covering restriction or are dropped. */
  unregister(id: string): void {
    const entry = this.#host.registry.delete(id);
    if (entry === undefined) return;
    this.#host.remover.reconsider(id);
    this.#host.emitter.emit('restriction.lifted', liftedEvent(this.#host.clock(), entry.restriction, entry.digest, false));
  }

  /** Makes sure the start of `entry`'s window will be enforced (called for every dormant restriction a join meets). */
  readonly armActivation = (entry: Registered): void => {
    const from = entry.restriction.validFrom;
    if (entry.cancelActivation !== undefined || entry.expired || from === undefined || this.#host.closed()) return;
    entry.cancelActivation = scheduleAt(this.#host.clock, from, () => this.#activate(entry));
  };

  /** Who `entry`'s restriction covers now, without the participants an exemption spares. */
  impact(entry: Registered): ReturnType<typeof impactOf> {
    const { roster, clock, geo, registry } = this.#host;
    const impact = impactOf(entry.restriction, roster, clock(), geo.capabilities, entry.digest);
    return registry.exemptions.forRestriction(entry.restriction.id).length === 0 ? impact : this.#spareExempt(entry, impact);
  }

  /** Removes the present participants `entry` covers (when it is active and enforced); records its acceptance when `announce`. */
  async enforce(entry: Registered, announce: boolean): Promise<RestrictResult> {
    const { remover, registry, emitter, clock } = this.#host;
    const r = entry.restriction;
    const impact = this.impact(entry);
    const toRemove = impact.result.active && r.mode === 'enforce' && !this.#host.closed() ? impact.entries : [];
    // onRemove is called (synchronously) for each before anything else can change the roster; the acceptance
    // is recorded before the removal events it causes, even those of a synchronous onRemove.
    const run = remover.remove(r, registry.version, toRemove, impact.result.matched, (started) => {
      if (announce) emitter.emit('restriction.accepted', acceptedEvent(clock(), r, entry.digest, impact.result, started));
    });
    if (run.tracked === 0) return impact.result;
    const { removed, pending } = await run.done;
    return { ...impact.result, removed, pending };
  }

  /** The window ended: stop enforcing, keep it listed so it can still be lifted, and record it. */
  #expire(entry: Registered): void {
    const { registry, remover, emitter, clock } = this.#host;
    entry.cancelExpiry = undefined;
    if (registry.get(entry.restriction.id) !== entry || entry.expired) return;
    entry.expired = true;
    entry.cancelActivation?.();
    entry.cancelActivation = undefined;
    registry.unindex(entry);
    remover.reconsider(entry.restriction.id);
    emitter.emit('restriction.lifted', liftedEvent(clock(), entry.restriction, entry.digest, true));
  }

  /** The window started (again): every start enforces on who is present. */
  #activate(entry: Registered): void {
    const { registry, clock } = this.#host;
    entry.cancelActivation = undefined;
    if (this.#host.closed() || registry.get(entry.restriction.id) !== entry || entry.expired) return;
    const { validUntil } = entry.restriction;
    if (validUntil !== undefined && clock() >= validUntil) {
      // Fired after the window already ended (a stalled event loop): it ends now, nothing starts.
      entry.cancelExpiry?.();
      this.#expire(entry);
      return;
    }
    if (!isActive(entry.restriction, clock())) {
      // Fired early by this clock's reading (it stepped back meanwhile): wait for the start again.
      this.armActivation(entry);
      return;
    }
    registry.touch();
    void this.enforce(entry, false);
  }

  /** The impact without the participants an exemption of `entry`'s restriction covers: nobody exempted is removed. */
  #spareExempt(entry: Registered, impact: ReturnType<typeof impactOf>): ReturnType<typeof impactOf> {
    const set = this.#host.registry.exemptions;
    const now = this.#host.clock();
    const keep: number[] = [];
    impact.entries.forEach((e, i) => {
      if (set.covering(entry.restriction.id, entry.digest, e, set.addressOf(e), now) === undefined) keep.push(i);
    });
    if (keep.length === impact.entries.length) return impact;
    const entries = keep.map((i) => impact.entries[i]!);
    const matched = keep.map((i) => impact.result.matched[i]!);
    const hit = new Set(entries.map((e) => e.meetingId));
    const meetingsUndisturbed = impact.result.meetingsReached.filter((m) => !hit.has(m));
    return { entries, result: { ...impact.result, matched, meetingsUndisturbed } };
  }
}
