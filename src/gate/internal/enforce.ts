/**
 * Enforcement: who a restriction covers among present participants, and
 * removing them through `onRemove` — bounded by `removalTimeoutMs`, and acting
 * only on the roster entry each removal decided about.
 */
import { describeCapabilityGaps, isActive } from '../../restrictions/index.js';
import type { GeoCapabilities } from '../../geo/types.js';
import type { NormalizedRestriction, Reason } from '../../restrictions/types.js';
import type { Decision, ParticipantRef, PendingRemoval, RestrictResult } from '../types.js';
import { noticeOf, reasonFor } from './decide.js';
import { message } from './events.js';
import { countriesOnly } from './registry.js';
import type { Roster, RosterEntry } from './roster.js';

/** The participant a roster entry is, as the public API names them. */
export function ref(e: RosterEntry): ParticipantRef {
  return e.hostAccountId === undefined
    ? { meetingId: e.meetingId, participantId: e.participantId }
    : { meetingId: e.meetingId, participantId: e.participantId, hostAccountId: e.hostAccountId };
}

/** Key of a participant in maps: unambiguous for any pair of ids. */
export function participantKey(meetingId: string, participantId: string): string {
  return `${meetingId.length}:${meetingId}${participantId}`;
}

/** Who a restriction covers right now, and the entries to remove. */
export interface Impact {
  result: RestrictResult;
  /** The roster entries matched (same order as `result.matched`). */
  entries: RosterEntry[];
}

/**
 * Who restriction `r` covers among present participants at `now`, by the same
 * matcher as admission. Pure: changes nothing.
 */
export function impactOf(r: NormalizedRestriction, roster: Roster, now: number, capabilities: GeoCapabilities, digest: string): Impact {
  const active = isActive(r, now);
  const entries: RosterEntry[] = [];
  const reached: string[] = [];
  const undisturbed: string[] = [];
  if (r.scope.all) {
    const hit = new Set<string>();
    const visit = (entry: RosterEntry): void => {
      if (reasonFor(r, entry.location) === undefined) return;
      entries.push(entry);
      hit.add(entry.meetingId);
    };
    if (active) {
      const countries = countriesOnly(r);
      // Bound to a few countries: visit only participants located there (a 1M roster, a few thousand in CN).
      if (countries !== undefined) for (const c of countries) roster.forEachInCountry(c, visit);
      else for (const m of roster.meetingIds()) for (const entry of roster.entriesOf(m)) visit(entry);
    }
    for (const m of roster.meetingIds()) {
      reached.push(m);
      if (!hit.has(m)) undisturbed.push(m);
    }
  } else {
    const seen = new Set<string>();
    const visit = (meetingId: string, hostFilter: string | undefined): void => {
      let hit = false;
      let any = false;
      for (const entry of roster.entriesOf(meetingId)) {
        if (hostFilter !== undefined && entry.hostAccountId !== hostFilter && !r.scope.meetings.includes(meetingId)) continue;
        any = true;
        if (active && reasonFor(r, entry.location) !== undefined) {
          entries.push(entry);
          hit = true;
        }
      }
      if (!any) return;
      reached.push(meetingId);
      if (!hit) undisturbed.push(meetingId);
    };
    for (const m of r.scope.meetings) {
      if (seen.has(m)) continue;
      seen.add(m);
      if (roster.hasMeeting(m)) visit(m, undefined);
    }
    for (const h of r.scope.hostAccounts) {
      for (const m of [...roster.meetingsOfHost(h)]) {
        if (seen.has(m)) continue;
        seen.add(m);
        visit(m, h);
      }
    }
  }
  return {
    entries,
    result: {
      restriction: r,
      removed: [],
      pending: [],
      matched: entries.map(ref),
      meetingsReached: reached,
      meetingsUndisturbed: undisturbed,
      warnings: describeCapabilityGaps(r, capabilities),
      active,
      digest,
    },
  };
}

/** How one removal ended, as far as the caller waiting on it is concerned. */
export type RemovalOutcome = 'removed' | 'pending' | 'gone';

/** What the remover needs from the gate. */
export interface RemoverHost {
  readonly roster: Roster;
  readonly onRemove: ((participant: ParticipantRef, decision: Decision) => void | Promise<void>) | undefined;
  readonly removalTimeoutMs: number;
  /** Records a removal event (`removed` or `pending`). */
  removal(restrictionId: string, entry: RosterEntry, reasons: Reason[], status: 'removed' | 'pending'): void;
  /** Reports an `onRemove` failure. */
  failure(entry: RosterEntry, text: string, error: unknown): void;
}

interface Pending extends PendingRemoval {
  entry: RosterEntry;
}

/**
 * Runs removals. Each one is tied to the roster entry it decided about: if
 * the participant re-joined (a new entry) or left meanwhile, settling the
 * removal never touches the roster again. An `onRemove` that has not settled
 * after `removalTimeoutMs` leaves its participant pending — still present,
 * listed, with a `pending` removal event — and lets the caller go on; if it
 * settles later, the outcome is recorded then.
 */
export class Remover {
  readonly #host: RemoverHost;
  readonly #pending = new Map<string, Pending>();
  // Entries with an onRemove in flight: a second restriction covering them does not call it again.
  readonly #inFlight = new WeakSet<RosterEntry>();
  // How many are in #inFlight: with none (the common case), checking tens of thousands of entries asks no WeakSet.
  #inFlightCount = 0;
  // Gives up on each onRemove still unsettled (their timers are ref'd): called at close.
  readonly #waiting = new Set<(why: string) => void>();

  constructor(host: RemoverHost) {
    this.#host = host;
  }

  /** Whether a removal is under way or pending for this entry. */
  busy(entry: RosterEntry): boolean {
    if (this.#inFlightCount > 0 && this.#inFlight.has(entry)) return true;
    return this.#pending.size > 0 && this.#pending.get(participantKey(entry.meetingId, entry.participantId))?.entry === entry;
  }

  pending(): PendingRemoval[] {
    return [...this.#pending.values()].map(({ participant, decision, restrictionId, error }) => ({ participant, decision, restrictionId, error }));
  }

  /** The participant left or re-joined: any pending removal of theirs is moot. */
  forget(meetingId: string, participantId: string): void {
    if (this.#pending.size > 0) this.#pending.delete(participantKey(meetingId, participantId));
  }

  /** The meeting ended. */
  forgetMeeting(meetingId: string): void {
    if (this.#pending.size === 0) return;
    for (const [k, p] of this.#pending) if (p.participant.meetingId === meetingId) this.#pending.delete(k);
  }

  /** A restriction was lifted: its pending removals are not retried (a lifted restriction stays lifted). */
  forgetRestriction(restrictionId: string): void {
    if (this.#pending.size === 0) return;
    for (const [k, p] of this.#pending) if (p.restrictionId === restrictionId) this.#pending.delete(k);
  }

  /**
   * Starts removing `entries` for restriction `r`: `onRemove` is called
   * synchronously for each (skipping entries no longer current, or already
   * being removed); resolves once each has settled or timed out.
   */
  remove(
    r: NormalizedRestriction,
    entries: readonly RosterEntry[],
    refs?: readonly ParticipantRef[],
  ): { started: number; done: Promise<{ removed: ParticipantRef[]; pending: ParticipantRef[] }> } {
    const started: ParticipantRef[] = [];
    const outcomes: RemovalOutcome[] = [];
    const waiting: Promise<void>[] = [];
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (!this.#host.roster.isCurrent(entry) || this.busy(entry)) continue;
      // The impact's refs, where given, are these entries' (built once for tens of thousands of removals).
      const participant = refs?.[i] ?? ref(entry);
      const at = started.push(participant) - 1;
      const outcome = this.#removeOne(r, entry, participant);
      // A synchronous onRemove (the common case with tens of thousands removed) settles without a promise.
      if (typeof outcome === 'string') outcomes[at] = outcome;
      else
        waiting.push(
          outcome.then((o) => {
            outcomes[at] = o;
          }),
        );
    }
    const collect = () => {
      const removed: ParticipantRef[] = [];
      const pending: ParticipantRef[] = [];
      for (let i = 0; i < started.length; i++) {
        if (outcomes[i] === 'removed') removed.push(started[i]!);
        else if (outcomes[i] === 'pending') pending.push(started[i]!);
      }
      return { removed, pending };
    };
    const done = waiting.length === 0 ? Promise.resolve(collect()) : Promise.all(waiting).then(collect);
    return { started: started.length, done };
  }

  /** The gate closed: removals still waiting on `onRemove` stop waiting (pending), so no timer outlives the gate. */
  close(): void {
    for (const giveUp of [...this.#waiting]) giveUp('the gate closed before onRemove settled');
  }

  /** Calls `onRemove` again for every pending removal; resolves to those that now succeeded. */
  async retry(): Promise<ParticipantRef[]> {
    const done: ParticipantRef[] = [];
    for (const [k, p] of [...this.#pending]) {
      try {
        await this.#host.onRemove?.(p.participant, p.decision);
      } catch (error) {
        p.error = message(error);
        this.#host.failure(
          p.entry,
          `removing participant '${p.participant.participantId}' from meeting '${p.participant.meetingId}' failed again: ${p.error}`,
          error,
        );
        continue;
      }
      if (this.#pending.get(k) !== p) continue; // left, re-joined or lifted meanwhile
      this.#pending.delete(k);
      // The audit log said 'pending' when it first failed; it now says the removal happened.
      if (this.#host.roster.removeEntry(p.entry)) this.#host.removal(p.restrictionId, p.entry, p.decision.reasons, 'removed');
      done.push(p.participant);
    }
    return done;
  }

  #removeOne(r: NormalizedRestriction, entry: RosterEntry, participant: ParticipantRef): RemovalOutcome | Promise<RemovalOutcome> {
    const reason = reasonFor(r, entry.location);
    // The same public notice a denial by `r` gives: the participant learns why they were removed.
    const decision: Decision = { admitted: false, reasons: reason ? [reason] : [], dryRun: [], location: entry.location, notice: noticeOf(r) };
    let result: void | Promise<void>;
    try {
      result = this.#host.onRemove?.(participant, decision);
    } catch (error) {
      return this.#failed(r, entry, participant, decision, error);
    }
    if (result === undefined || result === null || typeof (result as Promise<void>).then !== 'function') {
      return this.#succeeded(r, entry, decision, false);
    }
    if (!this.#inFlight.has(entry)) this.#inFlightCount += 1;
    this.#inFlight.add(entry);
    return new Promise<RemovalOutcome>((resolve) => {
      let timedOut = false;
      const giveUp = (why: string): void => {
        clearTimeout(timer);
        this.#waiting.delete(giveUp);
        timedOut = true;
        resolve(this.#failed(r, entry, participant, decision, new Error(why)));
      };
      // Ref'd: a restrict waiting on it resolves even when nothing else keeps the process alive.
      const timer = setTimeout(() => giveUp(`onRemove did not settle within ${this.#host.removalTimeoutMs} ms`), this.#host.removalTimeoutMs);
      this.#waiting.add(giveUp);
      Promise.resolve(result).then(
        () => {
          clearTimeout(timer);
          this.#waiting.delete(giveUp);
          this.#settled(entry);
          const outcome = this.#succeeded(r, entry, decision, timedOut);
          if (!timedOut) resolve(outcome);
        },
        (error: unknown) => {
          clearTimeout(timer);
          this.#waiting.delete(giveUp);
          this.#settled(entry);
          if (timedOut) {
            const p = this.#pending.get(participantKey(entry.meetingId, entry.participantId));
            if (p?.entry === entry) p.error = message(error);
            this.#host.failure(
              entry,
              `removing participant '${participant.participantId}' from meeting '${participant.meetingId}' failed after timing out: ${message(error)}`,
              error,
            );
          } else resolve(this.#failed(r, entry, participant, decision, error));
        },
      );
    });
  }

  /** `entry`'s onRemove settled (or never started): no longer in flight. */
  #settled(entry: RosterEntry): void {
    if (this.#inFlight.delete(entry)) this.#inFlightCount -= 1;
  }

  #succeeded(r: NormalizedRestriction, entry: RosterEntry, decision: Decision, late: boolean): RemovalOutcome {
    if (late) {
      const k = participantKey(entry.meetingId, entry.participantId);
      const p = this.#pending.get(k);
      // Settled after being reported pending: record it only if that pending removal still stands.
      if (p?.entry !== entry) return 'gone';
      this.#pending.delete(k);
    }
    // A re-join meanwhile keeps its new entry; the removal acted on the one it decided about.
    this.#host.roster.removeEntry(entry);
    this.#host.removal(r.id, entry, decision.reasons, 'removed');
    return 'removed';
  }

  #failed(r: NormalizedRestriction, entry: RosterEntry, participant: ParticipantRef, decision: Decision, error: unknown): RemovalOutcome {
    this.#settled(entry);
    const text = message(error);
    if (!this.#host.roster.isCurrent(entry)) {
      // Left or re-joined meanwhile: there is nobody to keep pending.
      this.#host.failure(
        entry,
        `removing participant '${participant.participantId}' from meeting '${participant.meetingId}' failed; they have left or re-joined since: ${text}`,
        error,
      );
      return 'gone';
    }
    this.#pending.set(participantKey(entry.meetingId, entry.participantId), { participant, decision, restrictionId: r.id, error: text, entry });
    this.#host.failure(
      entry,
      `removing participant '${participant.participantId}' from meeting '${participant.meetingId}' failed; it stays pending: ${text}`,
      error,
    );
    this.#host.removal(r.id, entry, decision.reasons, 'pending');
    return 'pending';
  }
}
