import type { Location } from '../../geo/types.js';
import { effectiveCountry } from '../../restrictions/regions.js';

/** One present participant, with the location that admitted them. */
export interface RosterEntry {
  readonly meetingId: string;
  readonly participantId: string;
  readonly hostAccountId: string | undefined;
  readonly location: Location;
  /** The client address as the `audit.ip` setting allows (never more). */
  readonly address: string | undefined;
  /**
   * Which admission this entry is: a re-join with the same ids gets a new
   * generation, so a removal decided about an earlier entry never takes the new one.
   */
  readonly generation: number;
}

/** A roster entry with its links in the per-country list (the roster's own bookkeeping). */
interface Slot extends RosterEntry {
  country: string;
  prev: Slot | undefined;
  next: Slot | undefined;
}

/** The participants of one meeting: most meetings have one at a time, so one entry needs no map. */
type Meeting = Slot | Map<string, Slot>;

const NO_COUNTRY = '';
const EMPTY: readonly RosterEntry[] = Object.freeze([]);

/**
 * Present participants, indexed by meeting, by host account, and by
 * effective country, so a meeting-, account- or country-bound restriction
 * finds its participants without scanning everyone. Maps (not objects) keep
 * ids like `__proto__` ordinary.
 */
export class Roster {
  readonly #meetings = new Map<string, Meeting>();
  // host account -> meeting -> number of that meeting's participants who joined under the account
  readonly #hosts = new Map<string, Map<string, number>>();
  // effective country ('' for unknown) -> head of a doubly linked list of its entries: O(1) add and remove
  // without a per-join allocation, and an `{ all: true }` restriction bound to a few countries visits only those.
  readonly #countries = new Map<string, Slot>();
  #size = 0;
  #generation = 0;

  get size(): number {
    return this.#size;
  }

  /**
   * Adds the entry for a newly admitted participant, replacing any earlier one
   * with the same ids (a re-join). Returns the stored entry and its generation.
   */
  add(meetingId: string, participantId: string, hostAccountId: string | undefined, location: Location, address: string | undefined): RosterEntry {
    const slot: Slot = {
      meetingId,
      participantId,
      hostAccountId,
      location,
      address,
      generation: ++this.#generation,
      country: effectiveCountry(location) ?? NO_COUNTRY,
      prev: undefined,
      next: undefined,
    };
    const meeting = this.#meetings.get(meetingId);
    let previous: Slot | undefined;
    if (meeting === undefined) this.#meetings.set(meetingId, slot);
    else if (meeting instanceof Map) {
      previous = meeting.get(participantId);
      meeting.set(participantId, slot);
    } else if (meeting.participantId === participantId) {
      previous = meeting;
      this.#meetings.set(meetingId, slot);
    } else {
      // The second participant: the meeting gets a map (built with set, not from an array of pairs).
      const map = new Map<string, Slot>();
      map.set(meeting.participantId, meeting);
      map.set(participantId, slot);
      this.#meetings.set(meetingId, map);
    }
    if (previous !== undefined && previous.country === slot.country) this.#replace(previous, slot);
    else {
      if (previous !== undefined) this.#unlink(previous);
      this.#link(slot);
    }
    if (previous !== undefined) {
      // The common re-join: same host account, so the host index already counts this participant.
      if (previous.hostAccountId === hostAccountId) return slot;
      this.#unindexHost(previous);
    } else this.#size += 1;
    if (hostAccountId !== undefined) {
      let byMeeting = this.#hosts.get(hostAccountId);
      if (byMeeting === undefined) {
        byMeeting = new Map();
        this.#hosts.set(hostAccountId, byMeeting);
      }
      byMeeting.set(meetingId, (byMeeting.get(meetingId) ?? 0) + 1);
    }
    return slot;
  }

  get(meetingId: string, participantId: string): RosterEntry | undefined {
    const meeting = this.#meetings.get(meetingId);
    if (meeting === undefined) return undefined;
    if (meeting instanceof Map) return meeting.get(participantId);
    return meeting.participantId === participantId ? meeting : undefined;
  }

  /** True while `entry` is the current one for its participant (not left, not replaced by a re-join). */
  isCurrent(entry: RosterEntry): boolean {
    return this.get(entry.meetingId, entry.participantId) === entry;
  }

  /** Removes one participant; returns the entry that was there. */
  remove(meetingId: string, participantId: string): RosterEntry | undefined {
    const meeting = this.#meetings.get(meetingId);
    if (meeting === undefined) return undefined;
    let slot: Slot | undefined;
    if (meeting instanceof Map) {
      slot = meeting.get(participantId);
      if (slot === undefined) return undefined;
      meeting.delete(participantId);
      if (meeting.size === 1) for (const only of meeting.values()) this.#meetings.set(meetingId, only);
    } else {
      if (meeting.participantId !== participantId) return undefined;
      slot = meeting;
      this.#meetings.delete(meetingId);
    }
    this.#unlink(slot);
    this.#unindexHost(slot);
    this.#size -= 1;
    return slot;
  }

  /** Removes `entry` only if it is still the current one for its participant. */
  removeEntry(entry: RosterEntry): boolean {
    if (!this.isCurrent(entry)) return false;
    this.remove(entry.meetingId, entry.participantId);
    return true;
  }

  /** Forgets a meeting; returns how many participants it had. */
  removeMeeting(meetingId: string): number {
    const meeting = this.#meetings.get(meetingId);
    if (meeting === undefined) return 0;
    const slots = meeting instanceof Map ? [...meeting.values()] : [meeting];
    for (const slot of slots) {
      this.#unlink(slot);
      this.#unindexHost(slot);
    }
    this.#meetings.delete(meetingId);
    this.#size -= slots.length;
    return slots.length;
  }

  /** The participants of one meeting (a snapshot: safe to mutate the roster while iterating). */
  participants(meetingId: string): RosterEntry[] {
    const meeting = this.#meetings.get(meetingId);
    if (meeting === undefined) return [];
    return meeting instanceof Map ? [...meeting.values()] : [meeting];
  }

  /** The participants of one meeting, live (no copy): do not change the roster while iterating. */
  entriesOf(meetingId: string): Iterable<RosterEntry> {
    const meeting = this.#meetings.get(meetingId);
    if (meeting === undefined) return EMPTY;
    return meeting instanceof Map ? meeting.values() : [meeting];
  }

  /** How many participants a meeting has. */
  meetingSize(meetingId: string): number {
    const meeting = this.#meetings.get(meetingId);
    return meeting === undefined ? 0 : meeting instanceof Map ? meeting.size : 1;
  }

  hasMeeting(meetingId: string): boolean {
    return this.#meetings.has(meetingId);
  }

  /** Meetings with participants who joined under `hostAccountId`. */
  meetingsOfHost(hostAccountId: string): Iterable<string> {
    return this.#hosts.get(hostAccountId)?.keys() ?? [];
  }

  meetingIds(): Iterable<string> {
    return this.#meetings.keys();
  }

  /** Every present participant whose effective country is `country` (undefined: unknown locations). */
  inCountry(country: string | undefined): RosterEntry[] {
    const out: RosterEntry[] = [];
    this.forEachInCountry(country, (e) => out.push(e));
    return out;
  }

  /** Calls `fn` for every present participant whose effective country is `country`; do not change the roster meanwhile. */
  forEachInCountry(country: string | undefined, fn: (entry: RosterEntry) => void): void {
    for (let slot = this.#countries.get(country ?? NO_COUNTRY); slot !== undefined; slot = slot.next) fn(slot);
  }

  clear(): void {
    this.#meetings.clear();
    this.#hosts.clear();
    this.#countries.clear();
    this.#size = 0;
  }

  #link(slot: Slot): void {
    const head = this.#countries.get(slot.country);
    slot.next = head;
    if (head !== undefined) head.prev = slot;
    this.#countries.set(slot.country, slot);
  }

  /** Puts `slot` where `old` was in its country's list (a re-join from the same country: no map work). */
  #replace(old: Slot, slot: Slot): void {
    slot.prev = old.prev;
    slot.next = old.next;
    if (old.prev !== undefined) old.prev.next = slot;
    else this.#countries.set(slot.country, slot);
    if (old.next !== undefined) old.next.prev = slot;
    old.prev = undefined;
    old.next = undefined;
  }

  #unlink(slot: Slot): void {
    if (slot.prev !== undefined) slot.prev.next = slot.next;
    else if (slot.next !== undefined) this.#countries.set(slot.country, slot.next);
    else this.#countries.delete(slot.country);
    if (slot.next !== undefined) slot.next.prev = slot.prev;
    slot.prev = undefined;
    slot.next = undefined;
  }

  #unindexHost(entry: RosterEntry): void {
    if (entry.hostAccountId === undefined) return;
    const byMeeting = this.#hosts.get(entry.hostAccountId);
    if (byMeeting === undefined) return;
    const count = (byMeeting.get(entry.meetingId) ?? 0) - 1;
    if (count > 0) byMeeting.set(entry.meetingId, count);
    // An account's map stays when it empties: its next meeting reuses it instead of allocating one per join
    // (one small map per host account ever seen; accounts come from the server, not from clients).
    else byMeeting.delete(entry.meetingId);
  }
}
