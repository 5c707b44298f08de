import type { Owner } from './decode.js';

/**
 * One acceptance of a restriction, the same object however many nodes' logs
 * record it: identified by the restriction id, its document digest and how
 * many times that id and digest were lifted before (the same document
 * accepted again after a lift is a new acceptance).
 */
export interface Acceptance {
  readonly kind: 'acceptance';
  /** Small integer, unique per report: orders references inside a {@link RefSet}. */
  readonly n: number;
  readonly restrictionId: string;
  readonly owner: Owner;
  /** Whether a log's `restriction.accepted` for it was counted already. */
  counted: boolean;
  /** Whether its lift was counted already. */
  liftCounted: boolean;
}

/** A restriction cited by a log that does not hold its acceptance: attributed by id alone, at the end. */
interface CitedId {
  readonly kind: 'cited-id';
  readonly n: number;
  readonly restrictionId: string;
}

/** How a denial or removal refers to a restriction. */
export type Ref = Acceptance | CitedId;

/**
 * Cross-node de-duplication of acceptances and lifts. Each node records the
 * restrictions it enforces, so several logs hold the same acceptance; which
 * acceptance is in force is followed per log (`startLog`).
 */
export class Acceptances {
  #next = 0;
  /** restrictionId → digest → acceptances by generation. */
  readonly #all = new Map<string, Map<string, Acceptance[]>>();
  /** restrictionId → its first acceptance in any log: for citations a log records without the acceptance. */
  readonly #firstById = new Map<string, Acceptance>();
  readonly #cited = new Map<string, CitedId>();
  /** In the log being read: restrictionId → the acceptance in force and its digest. */
  #current = new Map<string, { acceptance: Acceptance; digest: string }>();
  /** In the log being read: restrictionId → digest → lifts seen. */
  #generations = new Map<string, Map<string, number>>();

  /** A new log starts: which acceptance is in force is known per log. */
  startLog(): void {
    this.#current = new Map();
    this.#generations = new Map();
  }

  #generation(id: string, digest: string): number {
    return this.#generations.get(id)?.get(digest) ?? 0;
  }

  #acceptance(id: string, digest: string, generation: number, owner: Owner): Acceptance {
    let byDigest = this.#all.get(id);
    if (byDigest === undefined) {
      byDigest = new Map();
      this.#all.set(id, byDigest);
    }
    let generations = byDigest.get(digest);
    if (generations === undefined) {
      generations = [];
      byDigest.set(digest, generations);
    }
    let acceptance = generations[generation];
    if (acceptance === undefined) {
      acceptance = { kind: 'acceptance', n: this.#next++, restrictionId: id, owner, counted: false, liftCounted: false };
      generations[generation] = acceptance;
    }
    return acceptance;
  }

  /** A `restriction.accepted` in the log being read: the acceptance it records (now in force here). */
  accept(id: string, digest: string, owner: Owner): Acceptance {
    const acceptance = this.#acceptance(id, digest, this.#generation(id, digest), owner);
    if (!this.#firstById.has(id)) this.#firstById.set(id, acceptance);
    this.#current.set(id, { acceptance, digest });
    return acceptance;
  }

  /**
   * A `restriction.lifted` in the log being read: the acceptance it ends. A
   * lift without a digest (older logs) lifts whatever this log has in force
   * under that id; a lift of something not in force here repeats a lift
   * already seen (several nodes' events merged into one stream) and refers
   * to that earlier generation.
   */
  lift(id: string, digest: string | undefined, owner: Owner): Acceptance {
    const current = this.#current.get(id);
    const d = digest ?? current?.digest ?? '';
    const generation = this.#generation(id, d);
    if (current === undefined || current.digest !== d) return this.#acceptance(id, d, Math.max(0, generation - 1), owner);
    let byDigest = this.#generations.get(id);
    if (byDigest === undefined) {
      byDigest = new Map();
      this.#generations.set(id, byDigest);
    }
    byDigest.set(d, generation + 1);
    this.#current.delete(id);
    return current.acceptance;
  }

  /** How a denial or removal in the log being read refers to a restriction: the acceptance in force here, else the id. */
  ref(id: string): Ref {
    const current = this.#current.get(id);
    if (current !== undefined) return current.acceptance;
    let cited = this.#cited.get(id);
    if (cited === undefined) {
      cited = { kind: 'cited-id', n: this.#next++, restrictionId: id };
      this.#cited.set(id, cited);
    }
    return cited;
  }

  /** Whom a reference counts for, once every log was read; `undefined` when no log holds the acceptance. */
  ownerOf(ref: Ref): Owner | undefined {
    return ref.kind === 'acceptance' ? ref.owner : this.#firstById.get(ref.restrictionId)?.owner;
  }
}
