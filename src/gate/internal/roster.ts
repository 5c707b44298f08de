import type { Location } from '../../geo/types.js';

/** One present participant, with the location that admitted them. */
export interface RosterEntry {
  readonly meetingId: string;
  readonly participantId: string;
  readonly hostAccountId: string | undefined;
  readonly location: Location;
  /** The client address as the `audit.ip` setting allows (never more). */
  readonly address: string | undefined;
}

/**
 * Present participants, indexed by meeting and by host account so that a
 * meeting- or account-scoped restriction finds its participants without
 * scanning everyone. Maps (not objects) keep ids like `__proto__` ordinary.
 */
export class Roster {
  readonly #meetings = new Map<string, Map<string, RosterEntry>>();
  // host account -> meeting -> number of that meeting's participants who joined under the account
  readonly #hosts = new Map<string, Map<string, number>>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get meetingCount(): number {
    return this.#meetings.size;
  }

  /** Adds or replaces (a re-join with the same id replaces the earlier entry). */
  add(entry: RosterEntry): void {
    let meeting = this.#meetings.get(entry.meetingId);
    if (meeting === undefined) {
      meeting = new Map();
      this.#meetings.set(entry.meetingId, meeting);
    }
    const previous = meeting.get(entry.participantId);
    meeting.set(entry.participantId, entry);
    if (previous !== undefined) {
      // The common re-join: same host account, so the host index already counts this participant.
      if (previous.hostAccountId === entry.hostAccountId) return;
      this.#unindexHost(previous);
    } else this.#size += 1;
    if (entry.hostAccountId !== undefined) {
      let byMeeting = this.#hosts.get(entry.hostAccountId);
      if (byMeeting === undefined) {
        byMeeting = new Map();
        this.#hosts.set(entry.hostAccountId, byMeeting);
      }
      byMeeting.set(entry.meetingId, (byMeeting.get(entry.meetingId) ?? 0) + 1);
    }
  }

  get(meetingId: string, participantId: string): RosterEntry | undefined {
    return this.#meetings.get(meetingId)?.get(participantId);
  }

  /** Removes one participant; returns the entry that was there. */
  remove(meetingId: string, participantId: string): RosterEntry | undefined {
    const meeting = this.#meetings.get(meetingId);
    const entry = meeting?.get(participantId);
    if (meeting === undefined || entry === undefined) return undefined;
    meeting.delete(participantId);
    if (meeting.size === 0) this.#meetings.delete(meetingId);
    this.#unindexHost(entry);
    this.#size -= 1;
    return entry;
  }

  /** Forgets a meeting; returns how many participants it had. */
  removeMeeting(meetingId: string): number {
    const meeting = this.#meetings.get(meetingId);
    if (meeting === undefined) return 0;
    for (const entry of meeting.values()) this.#unindexHost(entry);
    this.#meetings.delete(meetingId);
    this.#size -= meeting.size;
    return meeting.size;
  }

  /** The participants of one meeting (live view; copy before mutating the roster). */
  participants(meetingId: string): Iterable<RosterEntry> {
    return this.#meetings.get(meetingId)?.values() ?? [];
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

  clear(): void {
    this.#meetings.clear();
    this.#hosts.clear();
    this.#size = 0;
  }

  #unindexHost(entry: RosterEntry): void {
    if (entry.hostAccountId === undefined) return;
    const byMeeting = this.#hosts.get(entry.hostAccountId);
    if (byMeeting === undefined) return;
    const count = (byMeeting.get(entry.meetingId) ?? 0) - 1;
    if (count > 0) byMeeting.set(entry.meetingId, count);
    else {
      byMeeting.delete(entry.meetingId);
      if (byMeeting.size === 0) this.#hosts.delete(entry.hostAccountId);
    }
  }
}
