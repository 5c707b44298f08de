/**
 * The fleet's answers merged: this node's part of a preview, restriction or
 * overview, and the fleet's result from every member's part. Other members'
 * parts come through the store, so each is read as hostile input and a part
 * that does not read is counted as a missing member, never guessed at.
 */
import type { FleetCoverage, FleetMeetingOverview, FleetOverview, MeetingOverview, ParticipantRef, RestrictResult } from '../types.js';

const MAX_ID = 256;
const MAX_LIST = 5_000_000;

/** One member's part of a preview or restriction. */
export interface RestrictPart {
  removed: ParticipantRef[];
  pending: ParticipantRef[];
  matched: ParticipantRef[];
  meetingsReached: string[];
  meetingsUndisturbed: string[];
}

/** This node's part of a preview or restriction: participant ids and meeting ids only. */
export function partOf(result: RestrictResult): RestrictPart {
  const strip = (refs: readonly ParticipantRef[]) => refs.map(plainRef);
  return {
    removed: strip(result.removed),
    pending: strip(result.pending),
    matched: strip(result.matched),
    meetingsReached: [...result.meetingsReached],
    meetingsUndisturbed: [...result.meetingsUndisturbed],
  };
}

function plainRef(r: ParticipantRef): ParticipantRef {
  return r.hostAccountId === undefined
    ? { meetingId: r.meetingId, participantId: r.participantId }
    : { meetingId: r.meetingId, participantId: r.participantId, hostAccountId: r.hostAccountId };
}

/**
 * The fleet's result from this node's and the others' parts. A meeting is
 * reached when any node has participants of it in scope, and undisturbed
 * only when no node has anyone in it the restriction covers. In a fleet of
 * one (`shared` false) the references stay as they are: there is no other
 * node to tell them from.
 */
export function mergeRestrict(nodeId: string, local: RestrictResult, remote: Map<string, unknown>, coverage: FleetCoverage, shared = true): RestrictResult {
  if (!shared && remote.size === 0) return { ...local, coverage };
  const tag = tagRefs;
  const removed = tag(local.removed, nodeId);
  const pending = tag(local.pending, nodeId);
  const matched = tag(local.matched, nodeId);
  const reached = new Set(local.meetingsReached);
  const undisturbedSet = new Set(local.meetingsUndisturbed);
  const disturbed = new Set(local.meetingsReached.filter((m) => !undisturbedSet.has(m)));
  const read = readParts(remote, coverage, readPart);
  for (const [node, part] of read.parts) {
    removed.push(...tag(part.removed, node));
    pending.push(...tag(part.pending, node));
    matched.push(...tag(part.matched, node));
    const quiet = new Set(part.meetingsUndisturbed);
    for (const m of part.meetingsReached) {
      reached.add(m);
      if (!quiet.has(m)) disturbed.add(m);
    }
  }
  return {
    ...local,
    removed,
    pending,
    matched,
    meetingsReached: [...reached],
    meetingsUndisturbed: [...reached].filter((m) => !disturbed.has(m)),
    coverage: read.coverage,
  };
}

/**
 * Every other member's part as `read` reads it. A part that does not read
 * (hostile, or from another version) is left out and its member counted as
 * missing rather than guessed at; the coverage says so.
 */
function readParts<T>(
  remote: Map<string, unknown>,
  coverage: FleetCoverage,
  read: (raw: unknown) => T | undefined,
): { parts: [string, T][]; coverage: FleetCoverage } {
  const answered = new Set(coverage.nodes);
  const parts: [string, T][] = [];
  for (const [node, raw] of remote) {
    const part = read(raw);
    if (part === undefined) answered.delete(node);
    else parts.push([node, part]);
  }
  const missing = [...new Set([...coverage.missing, ...coverage.nodes.filter((n) => !answered.has(n))])].sort(compare);
  return { parts, coverage: { nodes: [...answered].sort(compare), missing, complete: coverage.complete && missing.length === 0 } };
}

/**
 * `refs` with `nodeId`, one plain object each built in one step: a
 * restriction can remove tens of thousands, and a spread of a copy cost
 * twice the objects and a slow clone per participant.
 */
function tagRefs(refs: readonly ParticipantRef[], node: string): ParticipantRef[] {
  const out: ParticipantRef[] = [];
  for (const r of refs) {
    out.push(
      r.hostAccountId === undefined
        ? { meetingId: r.meetingId, participantId: r.participantId, nodeId: node }
        : { meetingId: r.meetingId, participantId: r.participantId, hostAccountId: r.hostAccountId, nodeId: node },
    );
  }
  return out;
}

/** The fleet's overview: each meeting's counts summed over the nodes that answered. */
export function mergeOverview(nodeId: string, local: MeetingOverview[], remote: Map<string, unknown>, coverage: FleetCoverage): FleetOverview {
  const meetings = new Map<string, { o: FleetMeetingOverview; hosts: Set<string> }>();
  const add = (node: string, o: MeetingOverview) => {
    let m = meetings.get(o.meetingId);
    if (m === undefined) {
      m = { o: { meetingId: o.meetingId, hostAccountIds: [], participants: 0, countries: {}, subdivisions: {}, nodes: [] }, hosts: new Set() };
      meetings.set(o.meetingId, m);
    }
    for (const h of o.hostAccountIds) m.hosts.add(h);
    m.o.participants += o.participants;
    sum(m.o.countries, o.countries);
    sum(m.o.subdivisions, o.subdivisions);
    if (!m.o.nodes.includes(node)) m.o.nodes.push(node);
  };
  for (const o of local) add(nodeId, o);
  const read = readParts(remote, coverage, readOverview);
  for (const [node, list] of read.parts) for (const o of list) add(node, o);
  const out: FleetMeetingOverview[] = [];
  let participants = 0;
  for (const { o, hosts } of meetings.values()) {
    o.hostAccountIds = [...hosts].sort(compare);
    o.nodes.sort(compare);
    participants += o.participants;
    out.push(o);
  }
  out.sort((a, b) => compare(a.meetingId, b.meetingId));
  return { meetings: out, participants, coverage: read.coverage };
}

function sum(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (Object.hasOwn(into, k) ? (into[k] as number) : 0) + v;
}

// ---- reading other nodes' answers: anything in the store may be hostile

export function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID;
}

function readRefs(value: unknown): ParticipantRef[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_LIST) return undefined;
  const out: ParticipantRef[] = [];
  for (const item of value) {
    if (item === null || typeof item !== 'object') return undefined;
    const r = item as Record<string, unknown>;
    if (!isId(r.meetingId) || !isId(r.participantId)) return undefined;
    if (r.hostAccountId !== undefined && !isId(r.hostAccountId)) return undefined;
    out.push(plainRef(r as unknown as ParticipantRef));
  }
  return out;
}

function readIds(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_LIST || !value.every(isId)) return undefined;
  return value as string[];
}

function readPart(raw: unknown): RestrictPart | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const p = raw as Record<string, unknown>;
  const removed = readRefs(p.removed);
  const pending = readRefs(p.pending);
  const matched = readRefs(p.matched);
  const meetingsReached = readIds(p.meetingsReached);
  const meetingsUndisturbed = readIds(p.meetingsUndisturbed);
  if (!removed || !pending || !matched || !meetingsReached || !meetingsUndisturbed) return undefined;
  return { removed, pending, matched, meetingsReached, meetingsUndisturbed };
}

const COUNT_KEY = /^[A-Za-z0-9-]{1,16}$/;

function readCounts(value: unknown): Record<string, number> | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!COUNT_KEY.test(k) || !Number.isSafeInteger(v) || (v as number) < 0) return undefined;
    out[k] = v as number;
  }
  return out;
}

function readOverview(raw: unknown): MeetingOverview[] | undefined {
  if (!Array.isArray(raw) || raw.length > MAX_LIST) return undefined;
  const out: MeetingOverview[] = [];
  for (const item of raw) {
    if (item === null || typeof item !== 'object') return undefined;
    const o = item as Record<string, unknown>;
    const hostAccountIds = readIds(o.hostAccountIds ?? []);
    const countries = readCounts(o.countries);
    const subdivisions = readCounts(o.subdivisions);
    if (!isId(o.meetingId) || !Number.isSafeInteger(o.participants) || (o.participants as number) < 0) return undefined;
    if (!hostAccountIds || !countries || !subdivisions) return undefined;
    out.push({ meetingId: o.meetingId, hostAccountIds, participants: o.participants as number, countries, subdivisions });
  }
  return out;
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
