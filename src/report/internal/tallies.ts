import type { Ref } from './acceptances.js';
import { DistinctCounter } from './distinct.js';

/** Denials and removals citing one set of restrictions, in one period (or the whole window). */
interface Tally {
  joinsDenied: number;
  joinsDeniedDryRun: number;
  removed: number;
  pending: number;
  /** Denied joins given this restriction's notice. */
  notices: number;
  meetings: DistinctCounter | undefined;
}

/** The whole window, beside the months. */
export const WINDOW = Symbol('window');
export type Period = string | typeof WINDOW;

/** The restrictions one denial or removal cites, with its tallies per period. */
interface RefSet {
  readonly refs: readonly Ref[];
  readonly periods: Map<Period, Tally>;
}

/**
 * Tallies of denials and removals, keyed by the set of restrictions they
 * cite: a join citing several restrictions of one group must count once for
 * that group, which is only known once every acceptance has been seen, so
 * figures are attributed to groups at the end ({@link Tallies.sets}).
 */
export class Tallies {
  /** The cited refs' numbers, sorted and joined: one entry per distinct set. */
  readonly #sets = new Map<string, RefSet>();
  /**
   * Removals counted, by ref, meeting and participant: the tallies that count
   * it as pending until a `removed` event for it arrives, or null.
   */
  readonly #removals = new Map<Ref, Map<string, Map<string, Tally[] | null>>>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** The period's and the window's tallies for a set of cited restrictions. */
  tally(refs: Iterable<Ref>, period: string): [Tally, Tally] {
    const unique = [...new Set(refs)].sort((a, b) => a.n - b.n);
    const key = unique.map((r) => r.n).join(',');
    let set = this.#sets.get(key);
    if (set === undefined) {
      set = { refs: unique, periods: new Map() };
      this.#sets.set(key, set);
    }
    return [this.#get(set, period), this.#get(set, WINDOW)];
  }

  #get(set: RefSet, period: Period): Tally {
    let t = set.periods.get(period);
    if (t === undefined) {
      t = { joinsDenied: 0, joinsDeniedDryRun: 0, removed: 0, pending: 0, notices: 0, meetings: undefined };
      set.periods.set(period, t);
    }
    return t;
  }

  /** A denied join citing `refs`. */
  denied(refs: Iterable<Ref>, period: string, meetingId: string): void {
    for (const t of this.tally(refs, period)) {
      t.joinsDenied++;
      (t.meetings ??= new DistinctCounter(this.#limit)).add(meetingId);
    }
  }

  /** A denied join given the notice of restriction `ref`. */
  noticed(ref: Ref, period: string): void {
    for (const t of this.tally([ref], period)) t.notices++;
  }

  /** A join dry-run restrictions `refs` would have denied. */
  deniedDryRun(refs: Iterable<Ref>, period: string): void {
    for (const t of this.tally(refs, period)) t.joinsDeniedDryRun++;
  }

  /**
   * A participant counts as removed once per restriction acceptance, meeting
   * and participant, however many events record it; a `pending` removal
   * (`onRemove` failed) stops counting as pending once a `removed` event for
   * it follows (the gate's retry succeeded).
   */
  removal(ref: Ref, meetingId: string, participantId: string, pending: boolean, period: string): void {
    let byMeeting = this.#removals.get(ref);
    if (byMeeting === undefined) {
      byMeeting = new Map();
      this.#removals.set(ref, byMeeting);
    }
    let byParticipant = byMeeting.get(meetingId);
    if (byParticipant === undefined) {
      byParticipant = new Map();
      byMeeting.set(meetingId, byParticipant);
    }
    const seen = byParticipant.get(participantId);
    if (seen !== undefined) {
      if (seen !== null && !pending) {
        for (const t of seen) t.pending--;
        byParticipant.set(participantId, null);
      }
      return;
    }
    const tallies = this.tally([ref], period);
    for (const t of tallies) {
      t.removed++;
      if (pending) t.pending++;
      (t.meetings ??= new DistinctCounter(this.#limit)).add(meetingId);
    }
    byParticipant.set(participantId, pending ? tallies : null);
  }

  /** Every distinct set of cited restrictions with its tallies. */
  sets(): Iterable<RefSet> {
    return this.#sets.values();
  }
}
