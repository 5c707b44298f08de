/**
 * Building the gate's events: what a decision, removal or restriction change
 * looks like in the audit log. Pure functions of their inputs; the gate
 * decides when to emit them.
 */
import * as crypto from 'node:crypto';
import { type RedactionMode, redactAddress } from '../../address/index.js';
import type { IpValue } from '../../address/ip.js';
import { truncateCanonical } from '../../address/redact.js';
import { canonicalJson } from '../../internal/canonical-json.js';
import { ErrorCode, GeoadmitError } from '../../errors/index.js';
import type {
  DecisionEvent,
  ExemptionGrantedEvent,
  ExemptionRevokedEvent,
  RemovalEvent,
  RestrictionAcceptedEvent,
  RestrictionLiftedEvent,
  RestrictionRefusedEvent,
} from '../../events/types.js';
import type { SafeEmitter } from '../../internal/emitter.js';
import type { GateEventMap } from '../../events/types.js';
import type { GeoResolver, Location } from '../../geo/types.js';
import { errorText, isPlainObject } from '../../internal/objects.js';
import type { NormalizedRestriction, Reason } from '../../restrictions/types.js';
import type { Decision, Exemption, Join, RestrictResult } from '../types.js';
import type { RosterEntry } from './roster.js';

// Formatting a date costs more than the rest of an event; joins arrive many per millisecond.
let lastIsoMs = Number.NaN;
let lastIsoText = '';

/** `new Date(ms).toISOString()`, cached for the last millisecond asked. */
export function iso(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIsoText = new Date(ms).toISOString();
    lastIsoMs = ms;
  }
  return lastIsoText;
}

// One call instead of a Hash object (Node 20.12 and later): a node starting on thousands of restrictions digests each.
const hashOnce = (crypto as { hash?: typeof crypto.hash }).hash;

/** First 16 hex digits of the SHA-256 of a document in canonical JSON. */
export function digestOf(doc: unknown): string {
  const text = canonicalJson(doc);
  return (hashOnce === undefined ? crypto.createHash('sha256').update(text).digest('hex') : hashOnce('sha256', text, 'hex')).slice(0, 16);
}

/**
 * Redacts an address `normalizeAddress` produced (canonical text); `ip`, when
 * given, is its parsed value (the gate has it from client resolution).
 */
export type Redactor = (address: string, ip?: IpValue) => string | undefined;

/** Ways of the /24 cache: 4,096 networks, 48 KB. */
const NETWORKS_24 = 4096;

/**
 * Redaction with the mode checked once. Under `truncate`, IPv4 answers are
 * cached per /24, keyed by the parsed address (an integer compare, no text
 * read): most joins come from networks seen before. A miss costs one compare
 * more than no cache. IPv6 is cut from the text (`truncateCanonical`).
 */
export function redactorFor(mode: RedactionMode, hmacKey: string | Uint8Array | undefined): Redactor {
  if (mode === 'omit') return () => undefined;
  if (mode === 'raw') return (address) => address;
  if (mode === 'truncate') {
    const keys = new Int32Array(NETWORKS_24).fill(-1);
    const texts = new Array<string>(NETWORKS_24).fill('');
    return (address, ip) => {
      if (ip === undefined || ip.family !== 4) return truncateCanonical(address);
      const net = ip.v4 >>> 8; // < 2^24: fits an Int32Array, never -1
      const way = net & (NETWORKS_24 - 1);
      if (keys[way] === net) return texts[way];
      const text = truncateCanonical(address) as string;
      keys[way] = net;
      texts[way] = text;
      return text;
    };
  }
  return (address) => redactAddress(address, mode, hmacKey);
}

/** The location as audit events carry it: the {@link Location} fields only, the prefix no finer than `mode` allows. */
function auditLocation(l: Location, mode: RedactionMode): Location {
  const out: Location = { subdivisions: l.subdivisions, source: l.source };
  if (l.country !== undefined) out.country = l.country;
  if (l.anonymizer !== undefined) out.anonymizer = l.anonymizer;
  if (l.network !== undefined) {
    const network = auditNetwork(l.network, mode);
    if (network !== undefined) out.network = network;
  }
  if (l.databaseBuilt !== undefined) out.databaseBuilt = l.databaseBuilt;
  if (l.unknown !== undefined) out.unknown = l.unknown;
  return out;
}

/**
 * The answering prefix as the `audit.ip` setting allows: a table entry for a
 * single address (`1.2.4.8/32`) would otherwise put the address in the log.
 * Prefixes no finer than /24 (IPv4) or /48 (IPv6) are kept; finer ones are
 * cut to that length under `truncate` and left out under `hmac` and `omit`.
 */
function auditNetwork(network: string, mode: RedactionMode): string | undefined {
  if (mode === 'raw') return network;
  // Most answers are networks no finer than the limit: read the length off the text, no allocation, no map.
  const slash = network.lastIndexOf('/');
  const length = slash < 0 ? -1 : prefixLength(network, slash + 1);
  if (length >= 0 && length <= (network.includes(':') ? 48 : 24)) return network;
  if (mode !== 'truncate' || length < 0) return undefined;
  // Finer prefixes come from a bounded set of table entries and resolvers hand out the same strings: remember them.
  const known = truncatedNetworks.get(network);
  if (known !== undefined) return known;
  const out = truncateCanonical(network.slice(0, slash)) as string;
  if (truncatedNetworks.size >= MAX_CACHED_NETWORKS) truncatedNetworks.clear();
  truncatedNetworks.set(network, out);
  return out;
}

/** The decimal prefix length from `at` to the end of `text` (at most three digits), or -1. */
function prefixLength(text: string, at: number): number {
  const end = text.length;
  if (end === at || end - at > 3) return -1;
  let n = 0;
  for (let i = at; i < end; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

const MAX_CACHED_NETWORKS = 65_536;
const truncatedNetworks = new Map<string, string>();

/** Everything a decision event carries besides the decision itself. */
interface DecisionFacts {
  now: number;
  join: Join;
  decision: Decision;
  matchedIds: string[];
  /** The redacted address (as `audit.ip` allows). */
  address: string | undefined;
  mode: RedactionMode;
}

/** The `decision` event for a join. */
export function decisionEvent({ now, join, decision, matchedIds, address, mode }: DecisionFacts): DecisionEvent {
  const event: DecisionEvent = {
    type: 'decision',
    time: iso(now),
    meetingId: join.meetingId,
    participantId: join.participantId,
    outcome: decision.admitted ? 'admitted' : 'denied',
    reasons: decision.reasons,
    dryRun: decision.dryRun,
    restrictionIds: matchedIds,
    location: auditLocation(decision.location, mode),
  };
  if (join.hostAccountId !== undefined) event.hostAccountId = join.hostAccountId;
  if (address !== undefined) event.address = address;
  // Which exemption let a matched participant in: the audit trail of every exemption used.
  if (decision.exempted !== undefined) event.exempted = decision.exempted;
  // Which notice the participant was given: the report counts notices per restriction and authority.
  if (decision.notice !== undefined) event.notice = { restrictionId: decision.notice.restrictionId };
  return event;
}

/** The `exemption.granted` event: ids and counts, never a network (it may be one person's address). */
export function exemptionGrantedEvent(now: number, e: Exemption, r: NormalizedRestriction | undefined): ExemptionGrantedEvent {
  const event: ExemptionGrantedEvent = {
    type: 'exemption.granted',
    time: iso(now),
    exemptionId: e.id,
    restrictionId: e.restrictionId,
    restrictionDigest: e.restrictionDigest,
    participants: [...e.participants],
    hostAccounts: [...e.hostAccounts],
    networks: e.networks.length,
    reason: e.reason,
  };
  if (r !== undefined) {
    event.kind = r.kind;
    if (r.authority !== undefined) event.authority = { name: r.authority.name, jurisdiction: r.authority.jurisdiction };
  }
  if (e.validUntil !== undefined) event.validUntil = iso(e.validUntil);
  return event;
}

/** The `exemption.revoked` event (`expired`: it reached its `validUntil`). */
export function exemptionRevokedEvent(now: number, e: Exemption, r: NormalizedRestriction | undefined, expired: boolean): ExemptionRevokedEvent {
  const event: ExemptionRevokedEvent = { type: 'exemption.revoked', time: iso(now), exemptionId: e.id, restrictionId: e.restrictionId, expired };
  if (r !== undefined) {
    event.kind = r.kind;
    if (r.authority !== undefined) event.authority = { name: r.authority.name, jurisdiction: r.authority.jurisdiction };
  }
  return event;
}

/** The `removal` event for one roster entry. */
export function removalEvent(
  now: number,
  restrictionId: string,
  entry: RosterEntry,
  reasons: Reason[],
  status: 'removed' | 'pending',
  mode: RedactionMode,
): RemovalEvent {
  const event: RemovalEvent = {
    type: 'removal',
    time: iso(now),
    meetingId: entry.meetingId,
    participantId: entry.participantId,
    restrictionId,
    reasons,
    location: auditLocation(entry.location, mode),
    status,
  };
  if (entry.hostAccountId !== undefined) event.hostAccountId = entry.hostAccountId;
  if (entry.address !== undefined) event.address = entry.address;
  return event;
}

const MAX_MEETING_IDS = 1000;

/** The `restriction.accepted` event; `removing` is how many removals the acceptance started. */
export function acceptedEvent(now: number, r: NormalizedRestriction, digest: string, impact: RestrictResult, removing: number): RestrictionAcceptedEvent {
  const event: RestrictionAcceptedEvent = {
    type: 'restriction.accepted',
    time: iso(now),
    restrictionId: r.id,
    digest,
    kind: r.kind,
    regions: [...r.regions],
    scope: { meetings: [...r.scope.meetings], hostAccounts: [...r.scope.hostAccounts], all: r.scope.all },
    mode: r.mode,
    warnings: impact.warnings,
    meetingsReached: impact.meetingsReached.length,
    meetingsUndisturbed: impact.meetingsUndisturbed.length,
    removed: removing,
  };
  // Ids too, within a bound: a report merged from a fleet's logs then counts each meeting once.
  if (impact.meetingsReached.length <= MAX_MEETING_IDS) {
    event.reachedMeetings = [...impact.meetingsReached];
    event.undisturbedMeetings = [...impact.meetingsUndisturbed];
  }
  if (r.authority) event.authority = { name: r.authority.name, jurisdiction: r.authority.jurisdiction };
  if (r.allowRegions) event.allowRegions = [...r.allowRegions];
  if (r.validFrom !== undefined) event.validFrom = iso(r.validFrom);
  if (r.validUntil !== undefined) event.validUntil = iso(r.validUntil);
  if (r.reference !== undefined) event.reference = r.reference;
  // What the people affected are told is part of the record of the order.
  if (r.notice !== undefined) event.notice = { ...r.notice };
  if (r.appeal !== undefined) event.appeal = { ...r.appeal };
  return event;
}

/** The `restriction.lifted` event (`expired`: its window ended rather than a lift). */
export function liftedEvent(now: number, r: NormalizedRestriction, digest: string, expired: boolean): RestrictionLiftedEvent {
  const event: RestrictionLiftedEvent = { type: 'restriction.lifted', time: iso(now), restrictionId: r.id, digest, kind: r.kind, expired };
  if (r.authority) event.authority = { name: r.authority.name, jurisdiction: r.authority.jurisdiction };
  return event;
}

const MAX_TEXT = 256;

/**
 * The `restriction.refused` event for a document validation refused. The
 * document may be hostile (throwing getters, a Proxy, a cycle): every read is
 * guarded, and whatever cannot be read is left out, so building the event
 * never throws and a refused document always yields one.
 */
export function refusedEvent(now: number, doc: unknown, error: unknown): RestrictionRefusedEvent {
  const e = error instanceof GeoadmitError ? error : undefined;
  const event: RestrictionRefusedEvent = {
    type: 'restriction.refused',
    time: iso(now),
    code: e?.code ?? ErrorCode.InvalidRestriction,
    reason: safe(() => errorText(error)) ?? 'invalid restriction',
  };
  if (e?.path !== undefined) event.path = e.path;
  // Identifies the document, so the same refused document submitted again counts once.
  const digest = safe(() => digestOf(doc));
  if (digest !== undefined) event.digest = digest;
  const d = safe(() => (isPlainObject(doc) ? doc : undefined));
  if (d === undefined) return event;
  const id = safe(() => shortString(d.id));
  if (id !== undefined) event.restrictionId = id;
  const kind = safe(() => shortString(d.kind));
  if (kind !== undefined) event.kind = kind;
  const authority = safe(() => {
    const a = d.authority;
    if (!isPlainObject(a)) return undefined;
    const name = shortString(a.name);
    const jurisdiction = shortString(a.jurisdiction);
    return name !== undefined && jurisdiction !== undefined ? { name, jurisdiction } : undefined;
  });
  if (authority !== undefined) event.authority = authority;
  const regions = safe(() => {
    const list = d.regions;
    if (!Array.isArray(list)) return undefined;
    const out: string[] = [];
    for (let i = 0; i < Math.min(list.length, 100); i++) out.push(shortString(list[i]) ?? '?');
    return out;
  });
  if (regions !== undefined) event.regions = regions;
  const reference = safe(() => shortString(d.reference, 4096));
  if (reference !== undefined) event.reference = reference;
  return event;
}

function safe<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function shortString(value: unknown, max = MAX_TEXT): string | undefined {
  return typeof value === 'string' ? value.slice(0, max) : undefined;
}

/**
 * Passes a resolver's `geo.reloaded` events on as the gate's, and its errors
 * to `error`; returns what stops that (undefined when the resolver has no events).
 */
export function relayResolverEvents(
  geo: GeoResolver,
  emitter: SafeEmitter<GateEventMap>,
  error: (text: string, cause: Error, file: string | undefined) => void,
): (() => void)[] | undefined {
  if (!geo.on) return undefined;
  return [
    geo.on('geo.reloaded', (e) =>
      emitter.emit('geo.reloaded', {
        type: 'geo.reloaded',
        time: iso(e.time),
        source: e.source,
        file: e.file,
        ...(e.databaseBuilt ? { databaseBuilt: e.databaseBuilt } : {}),
      }),
    ),
    geo.on('error', (e) => error(e.error.message, e.error, e.file)),
  ];
}
