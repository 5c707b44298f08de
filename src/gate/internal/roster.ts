import type { Location } from '../../geo/types.js';
import { effectiveCountry } from '../../restrictions/regions.js';
import type { MeetingOverview } from '../types.js';

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
  /** True while this is the participant's current entry (not left, removed or replaced by a re-join). */
  live: boolean;
  country: CountryList;
  prev: Slot | undefined;
  next: Slot | undefined;
}

/**
 * One effective country's entries, a doubly linked list. Kept when it
 * empties (there are a few hundred countries): a participant who is alone in
 * their country joining and leaving costs no map write or delete, which on a
 * V8 Map leaves a hole and soon a rehash.
 */
interface CountryList {
  readonly code: string;
  head: Slot | undefined;
}

/**
 * One host account's meetings: participants per meeting who joined under the
 * account. A count that drops to zero stays (the next join of that meeting
 * needs no map write) and is swept once zeros outnumber live meetings.
 */
interface HostMeetings {
  readonly counts: Map<string, number>;
  /** Meetings in `counts` with a zero count. */
  zeros: number;
}

/** Zero-count meetings an account keeps before a sweep is considered. */
const HOST_ZEROS_KEPT = 64;

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
  readonly #hosts = new Map<string, HostMeetings>();
  // effective country ('' for unknown) -> a doubly linked list of its entries: O(1) add and remove
  // without a per-join allocation, and an `{ all: true }` restriction bound to a few countries visits only those.
  readonly #countries = new Map<string, CountryList>();
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
      live: true,
      country: this.#countryList(effectiveCountry(location) ?? NO_COUNTRY),
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
    if (previous !== undefined) previous.live = false;
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
      let host = this.#hosts.get(hostAccountId);
      if (host === undefined) {
        host = { counts: new Map(), zeros: 0 };
        this.#hosts.set(hostAccountId, host);
      }
      const count = host.counts.get(meetingId);
      if (count === 0) host.zeros -= 1;
      host.counts.set(meetingId, (count ?? 0) + 1);
    }
    return slot;
  }

  /** The list for `code`, made on first use and kept. */
  #countryList(code: string): CountryList {
    let list = this.#countries.get(code);
    if (list === undefined) {
      list = { code, head: undefined };
      this.#countries.set(code, list);
    }
    return list;
  }

  get(meetingId: string, participantId: string): RosterEntry | undefined {
    const meeting = this.#meetings.get(meetingId);
    if (meeting === undefined) return undefined;
    if (meeting instanceof Map) return meeting.get(participantId);
    return meeting.participantId === participantId ? meeting : undefined;
  }

  /**
   * True while `entry` (one this roster returned) is the current one for its participant
   * (not left, not replaced by a re-join): a flag, not a lookup, since removing tens of
   * thousands at once asks it twice per entry.
   */
  isCurrent(entry: RosterEntry): boolean {
    return (entry as Slot).live === true;
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
    slot.live = false;
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
      slot.live = false;
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
  meetingsOfHost(hostAccountId: string): string[] {
    const host = this.#hosts.get(hostAccountId);
    const out: string[] = [];
    if (host !== undefined) for (const [meetingId, count] of host.counts) if (count > 0) out.push(meetingId);
    return out;
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
    for (let slot = this.#countries.get(country ?? NO_COUNTRY)?.head; slot !== undefined; slot = slot.next) fn(slot);
  }

  clear(): void {
    for (const list of this.#countries.values()) for (let slot = list.head; slot !== undefined; slot = slot.next) slot.live = false;
    this.#meetings.clear();
    this.#hosts.clear();
    this.#countries.clear();
    this.#size = 0;
  }

  #link(slot: Slot): void {
    const list = slot.country;
    const head = list.head;
    slot.next = head;
    if (head !== undefined) head.prev = slot;
    list.head = slot;
  }

  /** Puts `slot` where `old` was in its country's list (a re-join from the same country). */
  #replace(old: Slot, slot: Slot): void {
    slot.prev = old.prev;
    slot.next = old.next;
    if (old.prev !== undefined) old.prev.next = slot;
    else slot.country.head = slot;
    if (old.next !== undefined) old.next.prev = slot;
    old.prev = undefined;
    old.next = undefined;
  }

  #unlink(slot: Slot): void {
    if (slot.prev !== undefined) slot.prev.next = slot.next;
    else slot.country.head = slot.next;
    if (slot.next !== undefined) slot.next.prev = slot.prev;
    slot.prev = undefined;
    slot.next = undefined;
  }

  #unindexHost(entry: RosterEntry): void {
    if (entry.hostAccountId === undefined) return;
    const host = this.#hosts.get(entry.hostAccountId);
    if (host === undefined) return;
    const counts = host.counts;
    const count = (counts.get(entry.meetingId) ?? 0) - 1;
    if (count > 0) {
      counts.set(entry.meetingId, count);
      return;
    }
    // An account's map stays when it empties, and so does a meeting's zero: the common next join
    // (another participant of the same meeting) then writes no new key and deletes none.
    counts.set(entry.meetingId, 0);
    host.zeros += 1;
    // Ended meetings must not pile up: sweep the zeros once they outnumber the live meetings (amortised O(1)).
    if (host.zeros > HOST_ZEROS_KEPT && host.zeros * 2 > counts.size) {
      for (const [meetingId, c] of counts) if (c === 0) counts.delete(meetingId);
      host.zeros = 0;
    }
  }
}

/** The meetings present (or just `meetingId`), each counted by country and subdivision: never an address or an id. */
export function overviewOf(roster: Roster, meetingId?: string): MeetingOverview[] {
  const ids = meetingId === undefined ? [...roster.meetingIds()] : roster.hasMeeting(meetingId) ? [meetingId] : [];
  return ids.map((m) => meetingOverview(m, roster.participants(m)));
}

function meetingOverview(meetingId: string, entries: readonly RosterEntry[]): MeetingOverview {
  const countries: Record<string, number> = {};
  const subdivisions: Record<string, number> = {};
  const count = (into: Record<string, number>, k: string) => {
    // Own-property reads: a country code never collides with Object.prototype, but be plain about it.
    into[k] = (Object.hasOwn(into, k) ? (into[k] as number) : 0) + 1;
  };
  const hosts = new Set<string>();
  for (const e of entries) {
    if (e.hostAccountId !== undefined) hosts.add(e.hostAccountId);
    count(countries, e.location.country ?? 'unknown');
    const sub = e.location.subdivisions[e.location.subdivisions.length - 1];
    if (sub !== undefined) count(subdivisions, sub);
  }
  return { meetingId, hostAccountIds: [...hosts].sort(), participants: entries.length, countries, subdivisions };
}
