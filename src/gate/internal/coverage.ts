/**
 * Coverage: who a restriction covers among present participants, and which
 * active enforced restrictions cover one roster entry — by the same matcher
 * as admission. Pure: nothing here changes the registry or the roster.
 */
import type { GeoCapabilities } from '../../geo/types.js';
import { describeCapabilityGaps, isActive } from '../../restrictions/index.js';
import type { NormalizedRestriction, Reason } from '../../restrictions/types.js';
import type { Join, ParticipantRef, RestrictResult } from '../types.js';
import { assess, emptyVerdict, reasonFor } from './decide.js';
import { countriesOnly, type RestrictionRegistry } from './registry.js';
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
interface Impact {
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
  } else if (roster.size > 0) {
    // (With nobody present, as for each of the thousands of restrictions a node starts on, nobody is covered.)
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
      // Which nodes this counts is filled in when the fleet's parts are merged (gate/internal/fleet.ts).
      coverage: { nodes: [], missing: [], complete: false },
    },
  };
}

/** An active enforced restriction covering a roster entry, and why (the matcher's reason). */
export interface Cover {
  readonly restriction: NormalizedRestriction;
  readonly reason: Reason;
}

const IGNORE_DORMANT = (): void => undefined;

/** A restriction and the registry version at which it was found to cover some entries (a removal's first attempt). */
export interface KnownCover {
  readonly restriction: NormalizedRestriction;
  readonly version: number;
}

/**
 * An active, enforced, registered restriction that covers `entry` at `now`
 * and no exemption keeps from it, found through the registry's scope index
 * exactly as a join from the same place would be: `preferred` when it is one
 * of them, else the one with the smallest id (registration order never
 * shows). `undefined` when none does. `known`: a restriction just found to
 * cover the entry — while the registry is unchanged (and holds no
 * exemptions) only its window and match are checked again.
 */
export function coverOf(registry: RestrictionRegistry, entry: RosterEntry, now: number, preferred: string | undefined, known?: KnownCover): Cover | undefined {
  if (known !== undefined && known.version === registry.version && registry.exemptions.size === 0) {
    const r = known.restriction;
    const reason = r.mode === 'enforce' && isActive(r, now) ? reasonFor(r, entry.location) : undefined;
    return reason === undefined ? undefined : { restriction: r, reason };
  }
  // Only the ids scope the registry's answer; the address was located when the entry was admitted.
  const join: Join =
    entry.hostAccountId === undefined
      ? { meetingId: entry.meetingId, participantId: entry.participantId, peerAddress: '' }
      : { meetingId: entry.meetingId, participantId: entry.participantId, peerAddress: '', hostAccountId: entry.hostAccountId };
  const { reasons } = assess(registry, join, entry.location, now, IGNORE_DORMANT, emptyVerdict(), registry.exemptions.addressOf(entry));
  let chosen: Reason | undefined;
  for (const reason of reasons) {
    if (reason.restrictionId === undefined) continue;
    if (reason.restrictionId === preferred) {
      chosen = reason;
      break;
    }
    if (chosen === undefined || reason.restrictionId < (chosen.restrictionId as string)) chosen = reason;
  }
  const restriction = chosen?.restrictionId === undefined ? undefined : registry.get(chosen.restrictionId)?.restriction;
  return chosen === undefined || restriction === undefined ? undefined : { restriction, reason: chosen };
}
