/**
 * The removal queue: every `onRemove` call goes through one guarded attempt —
 * first attempts, retries, a window starting, a store change. Right before the
 * call it re-checks that the roster entry is still the one decided about and
 * that an active enforced restriction still covers it; it never starts a
 * second call while one is in flight for the same entry; and whoever waits on
 * a call waits at most `removalTimeoutMs`. Who a restriction covers is
 * computed in coverage.ts; this file holds the state.
 */
import type { NormalizedRestriction, Reason } from '../../restrictions/types.js';
import type { Decision, ParticipantRef, PendingRemoval } from '../types.js';
import { type Cover, type KnownCover, participantKey, ref } from './coverage.js';
import { noticeOf } from './decide.js';
import type { Roster, RosterEntry } from './roster.js';
import { errorText } from '../../internal/objects.js';

/** How one removal ended, as far as the caller waiting on it is concerned. */
type RemovalOutcome = 'removed' | 'pending' | 'gone';

/** What the removal queue needs from the gate. */
interface RemoverHost {
  readonly roster: Roster;
  readonly onRemove: ((participant: ParticipantRef, decision: Decision) => void | Promise<void>) | undefined;
  readonly removalTimeoutMs: number;
  /** Whether the gate is closed: nothing new starts. */
  closed(): boolean;
  /**
   * An active enforced restriction covering `entry` now (`preferred` when it
   * is one), or undefined; `known` was just found to cover it.
   */
  cover(entry: RosterEntry, preferred: string | undefined, known?: KnownCover): Cover | undefined;
  /** Records a removal event (`removed` or `pending`). */
  removal(restrictionId: string, entry: RosterEntry, reasons: Reason[], status: 'removed' | 'pending'): void;
  /** Reports an `onRemove` failure. */
  failure(entry: RosterEntry, text: string, error: unknown): void;
}

interface Pending extends PendingRemoval {
  entry: RosterEntry;
}

/** An `onRemove` call under way for one roster entry. */
interface Flight {
  readonly participant: ParticipantRef;
  /** The restriction the call was made under. */
  readonly restrictionId: string;
  /** A wait on it gave up first (the participant was reported pending, or was gone by then). */
  late: boolean;
  /** Settles (never rejects) once the call settled and its outcome was recorded. */
  readonly outcome: Promise<RemovalOutcome>;
}

/** Retries calling `onRemove` at once, at most: a media server is not flooded by a large backlog. */
const RETRY_CONCURRENCY = 16;

/**
 * Runs removals. Each is tied to the roster entry it decided about: if the
 * participant re-joined (a new entry) or left meanwhile, nothing is called and
 * settling never touches the roster again. An `onRemove` that has not settled
 * after `removalTimeoutMs` leaves its participant pending — still present,
 * listed, with a `pending` removal event — and lets the caller go on; when it
 * settles later, the outcome is recorded then. A participant stays pending as
 * long as any active enforced restriction covers them.
 */
export class Remover {
  readonly #host: RemoverHost;
  readonly #pending = new Map<string, Pending>();
  readonly #flights = new Map<RosterEntry, Flight>();
  // Gives up on each wait still under way (their timers are ref'd): called at close.
  readonly #waiting = new Set<() => void>();
  // While calls are being started for a restriction, their events wait here so its acceptance is recorded first.
  #held: (() => void)[] | undefined;

  constructor(host: RemoverHost) {
    this.#host = host;
  }

  /** The removals that failed or have not settled, each with the restriction it is under. */
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

  /**
   * A restriction was lifted or its window ended (call after the registry
   * changed): its pending removals pass to another restriction that still
   * covers the participant, or are dropped — a lifted restriction stays lifted.
   */
  reconsider(restrictionId: string): void {
    if (this.#pending.size === 0) return;
    for (const [k, p] of this.#pending) {
      if (p.restrictionId !== restrictionId) continue;
      const cover = this.#host.cover(p.entry, undefined);
      if (cover === undefined) this.#pending.delete(k);
      else {
        p.restrictionId = cover.restriction.id;
        p.decision = decisionFor(cover, p.entry);
      }
    }
  }

  /**
   * First attempts for restriction `r` on `entries` (found to cover them at
   * registry version `version`): `onRemove` is called synchronously for each
   * (an entry already being removed is waited on, not called again).
   * `announce(started)` runs after the calls started and before any of their
   * events, so the restriction's acceptance is recorded before the removals it
   * causes. `done` resolves once each has settled or timed out.
   */
  remove(
    r: NormalizedRestriction,
    version: number,
    entries: readonly RosterEntry[],
    refs: readonly ParticipantRef[] | undefined,
    announce: (started: number) => void,
  ): { tracked: number; done: Promise<{ removed: ParticipantRef[]; pending: ParticipantRef[] }> } {
    if (entries.length === 0) {
      // Nobody to remove (each of the thousands of restrictions a node starts on): the acceptance alone.
      announce(0);
      return { tracked: 0, done: Promise.resolve({ removed: [], pending: [] }) };
    }
    const known: KnownCover = { restriction: r, version };
    const tracked: ParticipantRef[] = [];
    const outcomes: RemovalOutcome[] = [];
    const waiting: Promise<void>[] = [];
    const outer = this.#held;
    const held: (() => void)[] = [];
    this.#held = held;
    let started = 0;
    try {
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!;
        if (!this.#host.roster.isCurrent(entry)) continue;
        // With nothing in flight (the common case with tens of thousands removed), no map is asked.
        const joined = this.#flights.size > 0 && this.#flights.has(entry);
        // The impact's refs, where given, are these entries' (built once for tens of thousands of removals).
        const outcome = this.#attempt(entry, r.id, refs?.[i], known, this.#host.removalTimeoutMs);
        if (outcome === 'gone') continue;
        if (!joined) started++;
        const at = tracked.push((joined ? this.#flights.get(entry)?.participant : undefined) ?? refs?.[i] ?? ref(entry)) - 1;
        // A synchronous onRemove (the common case with tens of thousands removed) settles without a promise.
        if (typeof outcome === 'string') outcomes[at] = outcome;
        else
          waiting.push(
            outcome.then((o) => {
              outcomes[at] = o;
            }),
          );
      }
    } finally {
      this.#held = outer;
    }
    announce(started);
    for (const emit of held) emit();
    const collect = () => {
      const removed: ParticipantRef[] = [];
      const pending: ParticipantRef[] = [];
      for (let i = 0; i < tracked.length; i++) {
        if (outcomes[i] === 'removed') removed.push(tracked[i]!);
        else if (outcomes[i] === 'pending') pending.push(tracked[i]!);
      }
      return { removed, pending };
    };
    const done = waiting.length === 0 ? Promise.resolve(collect()) : Promise.all(waiting).then(collect);
    return { tracked: tracked.length, done };
  }

  /**
   * Attempts every pending removal again through the guarded call, at most
   * {@link RETRY_CONCURRENCY} at once; resolves to those now removed, within
   * `removalTimeoutMs` of the call (plus scheduling) whatever `onRemove` does.
   * Attempts not started by then stay pending for the next retry.
   */
  async retry(): Promise<ParticipantRef[]> {
    if (this.#host.closed() || this.#pending.size === 0) return [];
    const deadline = Date.now() + this.#host.removalTimeoutMs;
    const queue = [...this.#pending.values()];
    const done: ParticipantRef[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let p = queue[next++]; p !== undefined; p = queue[next++]) {
        const left = deadline - Date.now();
        if (left <= 0 || this.#host.closed()) return;
        const outcome = await this.#attempt(p.entry, p.restrictionId, p.participant, undefined, left);
        if (outcome === 'removed') done.push(p.participant);
      }
    };
    await Promise.all(Array.from({ length: Math.min(RETRY_CONCURRENCY, queue.length) }, worker));
    return done;
  }

  /** The gate closed: waits still under way stop (their participants stay pending), so no timer outlives the gate. */
  close(): void {
    for (const giveUp of [...this.#waiting]) giveUp();
  }

  /**
   * The one guarded way to call `onRemove` for `entry`: nothing once the gate
   * closed or the entry is no longer current; an entry already being removed
   * is waited on (never called twice); an entry no active enforced restriction
   * covers any more is dropped. Waits on the call at most `timeoutMs`.
   */
  #attempt(
    entry: RosterEntry,
    preferred: string | undefined,
    participant: ParticipantRef | undefined,
    known: KnownCover | undefined,
    timeoutMs: number,
  ): RemovalOutcome | Promise<RemovalOutcome> {
    if (this.#host.closed() || !this.#host.roster.isCurrent(entry)) return 'gone';
    const flight = this.#flights.size > 0 ? this.#flights.get(entry) : undefined;
    if (flight !== undefined) return this.#wait(entry, flight, timeoutMs);
    const cover = this.#host.cover(entry, preferred, known);
    if (cover === undefined) {
      // Nobody covers them any more (lifted, window over, exempted): nothing to remove, nothing pending.
      const k = participantKey(entry.meetingId, entry.participantId);
      if (this.#pending.get(k)?.entry === entry) this.#pending.delete(k);
      return 'gone';
    }
    const who = participant ?? ref(entry);
    const decision = decisionFor(cover, entry);
    let result: void | Promise<void>;
    try {
      result = this.#host.onRemove?.(who, decision);
    } catch (error) {
      return this.#failed(entry, cover.restriction.id, who, error, cover);
    }
    if (result === undefined || result === null || typeof (result as Promise<void>).then !== 'function') {
      return this.#succeeded(entry, cover.restriction.id, decision);
    }
    let started: Flight;
    const outcome = Promise.resolve(result).then(
      () => this.#settled(entry, () => this.#succeeded(entry, cover.restriction.id, decision, started)),
      (error: unknown) => this.#settled(entry, () => this.#failed(entry, cover.restriction.id, who, error)),
    );
    started = { participant: who, restrictionId: cover.restriction.id, outcome, late: false };
    this.#flights.set(entry, started);
    return this.#wait(entry, started, timeoutMs);
  }

  /** The call for `entry` settled: no longer in flight; `record` writes its outcome unless the gate closed meanwhile. */
  #settled(entry: RosterEntry, record: () => RemovalOutcome): RemovalOutcome {
    this.#flights.delete(entry);
    if (this.#host.closed()) return 'gone';
    return record();
  }

  /** Waits on `flight` at most `timeoutMs`; past it the participant is pending and the wait ends. */
  #wait(entry: RosterEntry, flight: Flight, timeoutMs: number): Promise<RemovalOutcome> {
    return new Promise<RemovalOutcome>((resolve) => {
      const giveUp = (why: string): void => {
        clearTimeout(timer);
        this.#waiting.delete(stop);
        resolve(this.#stillOut(entry, flight, why));
      };
      const stop = () => giveUp('the gate closed before onRemove settled');
      // Ref'd: a restrict waiting on it resolves even when nothing else keeps the process alive.
      const timer = setTimeout(() => giveUp(`onRemove did not settle within ${this.#host.removalTimeoutMs} ms`), timeoutMs);
      this.#waiting.add(stop);
      flight.outcome.then((o) => {
        clearTimeout(timer);
        this.#waiting.delete(stop);
        resolve(o);
      });
    });
  }

  /** A wait ended with the call still out: the participant is pending, if still present and covered. */
  #stillOut(entry: RosterEntry, flight: Flight, why: string): RemovalOutcome {
    // Whatever it settles to later is recorded only for a pending removal that still stands.
    flight.late = true;
    return this.#failed(entry, flight.restrictionId, flight.participant, new Error(why));
  }

  /**
   * `onRemove` succeeded: the entry it acted on leaves the roster (a re-join
   * meanwhile keeps its new entry) and the removal is recorded — unless it was
   * reported pending and that pending removal has since been dropped (they
   * left or re-joined, or nothing covers them any more): then it is moot.
   */
  #succeeded(entry: RosterEntry, restrictionId: string, decision: Decision, flight?: Flight): RemovalOutcome {
    let mine: Pending | undefined;
    if (this.#pending.size > 0) {
      const k = participantKey(entry.meetingId, entry.participantId);
      const p = this.#pending.get(k);
      if (p?.entry === entry) {
        mine = p;
        this.#pending.delete(k);
      }
    }
    if (flight?.late === true && mine === undefined) return 'gone';
    this.#host.roster.removeEntry(entry);
    this.#emit(() => this.#host.removal(mine?.restrictionId ?? restrictionId, entry, (mine?.decision ?? decision).reasons, 'removed'));
    return 'removed';
  }

  /**
   * `onRemove` failed (or a wait on it ended): the participant stays pending
   * if still present and covered by an active enforced restriction — the one
   * already recorded for them if it still covers them, else `preferred`, else
   * any. `cover`: what was found to cover them just now (a synchronous failure).
   */
  #failed(entry: RosterEntry, preferred: string, participant: ParticipantRef, error: unknown, cover?: Cover): RemovalOutcome {
    const text = errorText(error);
    const who = `removing participant '${participant.participantId}' from meeting '${participant.meetingId}'`;
    if (!this.#host.roster.isCurrent(entry)) {
      // Left or re-joined meanwhile: there is nobody to keep pending.
      this.#emit(() => this.#host.failure(entry, `${who} failed; they have left or re-joined since: ${text}`, error));
      return 'gone';
    }
    const k = participantKey(entry.meetingId, entry.participantId);
    const known = this.#pending.get(k);
    const again = known?.entry === entry;
    const now = cover ?? this.#host.cover(entry, again ? known.restrictionId : preferred);
    if (now === undefined) {
      if (again) this.#pending.delete(k);
      this.#emit(() => this.#host.failure(entry, `${who} failed; no restriction covers them any more: ${text}`, error));
      return 'gone';
    }
    const under = now.restriction.id;
    const decision = decisionFor(now, entry);
    if (again) {
      known.error = text;
      known.restrictionId = under;
      known.decision = decision;
    } else this.#pending.set(k, { participant, decision, restrictionId: under, error: text, entry });
    this.#emit(() => this.#host.failure(entry, `${who} failed${again ? ' again' : ''}; it stays pending: ${text}`, error));
    if (!again) this.#emit(() => this.#host.removal(under, entry, decision.reasons, 'pending'));
    return 'pending';
  }

  /** Emits now, or after the acceptance being recorded when calls are being started for a restriction. */
  #emit(event: () => void): void {
    if (this.#held !== undefined) this.#held.push(event);
    else event();
  }
}

/** The decision handed to `onRemove`: why the participant is removed, and the notice they are given. */
function decisionFor(cover: Cover, entry: RosterEntry): Decision {
  // The same public notice a denial by the restriction gives: the participant learns why they were removed.
  return { admitted: false, reasons: [cover.reason], dryRun: [], location: entry.location, notice: noticeOf(cover.restriction) };
}
