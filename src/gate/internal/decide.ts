/**
 * Deciding a join: where the participant is (address, resolver, location
 * sources), which restrictions in scope match, what the rules say. Nothing
 * here touches the roster or emits; the gate commits the outcome.
 */
import { types as utilTypes } from 'node:util';
import type { TrustedProxies } from '../../address/index.js';
import type { IpValue } from '../../address/ip.js';
import { type ClientResolution, resolveClient } from '../../address/ip.js';
import { type ParsedResolver, resolveParsed } from '../../geo/parsed.js';
import { ErrorCode, GeoadmitError } from '../../errors/index.js';
import { unknownLocation } from '../../geo/location.js';
import type { GeoResolver, Location } from '../../geo/types.js';
import { isPlainObject } from '../../internal/objects.js';
import { canonicalRegion } from '../../regions/index.js';
import { isActive, matchRestriction } from '../../restrictions/index.js';
import { effectiveCountry } from '../../restrictions/regions.js';
import type { Notice, NormalizedRestriction, Reason } from '../../restrictions/types.js';
import type { ExemptedReason, Join, LocationSource, Rule, RuleVerdict } from '../types.js';
import type { ExemptionSet } from './exemptions.js';
import type { Registered, RestrictionRegistry } from './registry.js';
import { errorText } from '../../internal/objects.js';

/** Longest identifier a join may carry. */
export const MAX_ID_LENGTH = 256;

const UNKNOWN_INVALID: Location = unknownLocation('invalid-address');
const UNKNOWN_NON_GLOBAL: Location = unknownLocation('non-global');
const UNKNOWN_LOOKUP_ERROR: Location = unknownLocation('lookup-error');

/**
 * Refuses a join the gate cannot read: missing or oversized ids, no peer
 * address, or an object that is a Proxy, has throwing getters or cycles
 * (`E_INVALID_JOIN`, never a bare `Error`). Returns the join's fields read
 * once, so nothing re-reads a getter later.
 */
export function readJoin(join: unknown): Join {
  if (join === null || typeof join !== 'object') {
    throw new GeoadmitError(ErrorCode.InvalidJoin, 'admit: join must be an object', { argument: 'join' });
  }
  if (utilTypes.isProxy(join)) {
    throw new GeoadmitError(ErrorCode.InvalidJoin, 'admit: join must be a plain object, not a Proxy', { argument: 'join' });
  }
  let copy: Join;
  try {
    const j = join as Record<string, unknown>;
    // One shape for every join (absent fields as undefined): the hot path stays monomorphic.
    // Hostile headers (getters that throw, proxies) are read, guarded, when locating: an unknown location, not a refusal.
    copy = {
      meetingId: j.meetingId as string,
      participantId: j.participantId as string,
      peerAddress: j.peerAddress as string,
      hostAccountId: j.hostAccountId as string | undefined,
      headers: j.headers as Join['headers'],
      context: j.context as Join['context'],
    };
  } catch (error) {
    throw new GeoadmitError(ErrorCode.InvalidJoin, `admit: join could not be read: ${errorText(error)}`, {
      argument: 'join',
      cause: error,
    });
  }
  checkId(copy.meetingId, 'meetingId', true);
  checkId(copy.participantId, 'participantId', true);
  checkId(copy.hostAccountId, 'hostAccountId', false);
  if (typeof copy.peerAddress !== 'string') {
    throw new GeoadmitError(ErrorCode.InvalidJoin, "admit: join.peerAddress must be a string (the socket's remote address)", { argument: 'join.peerAddress' });
  }
  return copy;
}

function checkId(value: unknown, name: string, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw new GeoadmitError(ErrorCode.InvalidJoin, `admit: join.${name} must be a non-empty string of at most ${MAX_ID_LENGTH} characters`, {
      argument: `join.${name}`,
    });
  }
}

/** Where a join comes from and where that is. */
export interface Located {
  location: Location;
  /** The normalised client address, when one could be read. */
  address: string | undefined;
  /** The client-address resolution (for warnings about forwarded headers), with the parsed address. */
  client: ClientResolution | undefined;
}

/** Reports a location source that failed or answered nonsense. */
type SourceProblem = (message: string, error?: unknown) => void;

/**
 * Locates a join: the client address (through trusted proxies), the resolver,
 * then location sources (the first with a valid country wins over the IP).
 */
export function locate(
  join: Join,
  geo: GeoResolver,
  parsed: ParsedResolver | undefined,
  trusted: TrustedProxies | undefined,
  sources: readonly LocationSource[],
  problem: SourceProblem,
): Located {
  let client: ClientResolution | undefined;
  try {
    const headers = join.headers;
    // The join (readJoin's own copy) is the input when its headers are usable: no object per join.
    client = resolveClient(headers === undefined || isPlainObject(headers) ? join : { peerAddress: join.peerAddress, headers: undefined }, trusted);
  } catch {
    // Headers with throwing getters or proxy traps: hostile input, so no address.
    client = undefined;
  }
  let location: Location;
  let address: string | undefined;
  if (client === undefined || !client.ok) location = UNKNOWN_INVALID;
  else {
    address = client.address;
    if (!client.global) location = UNKNOWN_NON_GLOBAL;
    else {
      try {
        // Parsed once: a resolver of this package walks its tree from the value client resolution parsed.
        location = parsed !== undefined && client.ip !== undefined ? parsed[resolveParsed](client.ip, client.address) : geo.resolve(client.address);
      } catch {
        location = UNKNOWN_LOOKUP_ERROR;
      }
    }
  }
  for (const source of sources) {
    let evidence: Location | undefined;
    try {
      evidence = source.locate(join, location);
    } catch (error) {
      problem(`location source '${source.name}' threw: ${errorText(error)}`, error);
      continue;
    }
    if (evidence === undefined || evidence === null) continue;
    const checked = checkEvidence(evidence, source.name);
    if (checked === undefined) {
      problem(`location source '${source.name}' returned a location without a valid ISO 3166-1 country; ignored`);
      continue;
    }
    // The first source with a country wins over the IP address: it is evidence about this participant
    // (e.g. a dial-in number) where the IP only says where their gateway is.
    location = checked;
    break;
  }
  return { location, address, client };
}

/**
 * A plugin's location, checked and canonicalised like a database answer:
 * an ISO country (upper case), ISO subdivisions of it, a source name.
 * Anything else is not evidence.
 */
function checkEvidence(evidence: unknown, sourceName: string): Location | undefined {
  if (!isPlainObject(evidence)) return undefined;
  const country = typeof evidence.country === 'string' ? canonicalRegion(evidence.country) : undefined;
  if (country === undefined || country.includes('-')) return undefined;
  const subdivisions: string[] = [];
  if (Array.isArray(evidence.subdivisions)) {
    for (const s of evidence.subdivisions) {
      const code = typeof s === 'string' ? canonicalRegion(s) : undefined;
      if (code?.startsWith(`${country}-`)) subdivisions.push(code);
    }
  }
  const location: Location = { country, subdivisions, source: typeof evidence.source === 'string' ? evidence.source.slice(0, 256) : sourceName };
  if (evidence.anonymizer === true) location.anonymizer = true;
  return Object.freeze(location);
}

/** What the restrictions in scope say about one location. */
export interface Verdict {
  /** Enforce-mode matches: denials. */
  reasons: Reason[];
  /** Dry-run matches. */
  dryRun: Reason[];
  /** Every restriction that matched. */
  matchedIds: string[];
  /** Matches an exemption kept from denying (or, for dry-run restrictions, from being reported). */
  exempted: ExemptedReason[];
}

/**
 * Applies every restriction in scope of a join to its location, at `now`.
 * `dormant` is told of each restriction in scope whose window has not
 * started yet (so the gate can make sure its start will be enforced). `ip`,
 * the client address when known, lets network exemptions apply.
 */
export function assess(
  registry: RestrictionRegistry,
  join: Join,
  location: Location,
  now: number,
  dormant: (entry: Registered) => void,
  verdict: Verdict = emptyVerdict(),
  ip?: IpValue,
): Verdict {
  // Most gates hold no exemptions: then nothing is asked of them (and nothing is allocated per join).
  const ex = registry.exemptions.size > 0 ? registry.exemptions : undefined;
  collect(verdict, registry.forMeeting(join.meetingId), location, now, undefined, dormant, join, ip, ex);
  // For host-account lists: a meeting already matched through the meeting index is not counted twice.
  collect(verdict, registry.forHost(join.hostAccountId), location, now, join.meetingId, dormant, join, ip, ex);
  collect(verdict, registry.forAllAlways(), location, now, undefined, dormant, join, ip, ex);
  if (location.country !== undefined && registry.hasCountryBound) {
    collect(verdict, registry.forAllInCountry(effectiveCountry(location)), location, now, undefined, dormant, join, ip, ex);
  }
  return verdict;
}

/**
 * Shared by every verdict with nothing in it (most joins): frozen, so code
 * that adds to a verdict's list must replace it (as {@link collect} does),
 * never push into it.
 */
export const NONE: Reason[] = Object.freeze([]) as unknown as Reason[];
export const NO_IDS: string[] = Object.freeze([]) as unknown as string[];
export const NO_EXEMPTED: ExemptedReason[] = Object.freeze([]) as unknown as ExemptedReason[];

/** A verdict with nothing matched; lists are allocated when something matches. */
export function emptyVerdict(): Verdict {
  return { reasons: NONE, dryRun: NONE, matchedIds: NO_IDS, exempted: NO_EXEMPTED };
}

function collect(
  into: Verdict,
  list: readonly Registered[],
  location: Location,
  now: number,
  meetingSeen: string | undefined,
  dormant: (entry: Registered) => void,
  join: Join,
  ip: IpValue | undefined,
  exemptions: ExemptionSet | undefined,
): void {
  for (let i = 0; i < list.length; i++) {
    const entry = list[i]!;
    const r = entry.restriction;
    if (!isActive(r, now)) {
      if (r.validFrom !== undefined && now < r.validFrom) dormant(entry);
      continue;
    }
    if (meetingSeen !== undefined && r.scope.meetings.includes(meetingSeen)) continue;
    const reason = reasonFor(r, location);
    if (reason === undefined) continue;
    // An exemption narrows this one restriction only: the others in scope are still applied.
    const exemption = exemptions === undefined ? undefined : exemptions.covering(r.id, entry.digest, join, ip, now);
    if (exemption !== undefined) {
      if (into.exempted === NO_EXEMPTED) into.exempted = [];
      into.exempted.push({ code: 'exempted', restrictionId: r.id, exemptionId: exemption.exemption.id });
      continue;
    }
    if (into.matchedIds === NO_IDS) into.matchedIds = [];
    into.matchedIds.push(r.id);
    if (r.mode === 'dry-run') {
      if (into.dryRun === NONE) into.dryRun = [];
      into.dryRun.push(reason);
    } else {
      if (into.reasons === NONE) into.reasons = [];
      into.reasons.push(reason);
    }
  }
}

/**
 * The one place a restriction is applied to a location; admission and
 * removal both come through here, so they can never disagree.
 */
export function reasonFor(r: NormalizedRestriction, location: Location): Reason | undefined {
  const match = matchRestriction(r, location);
  if (match === undefined) return undefined;
  const reason: Reason = { code: match.code, restrictionId: r.id };
  if (match.region !== undefined) reason.region = match.region;
  if (match.message !== undefined) reason.message = match.message;
  return reason;
}

// One frozen notice per restriction, built on its first denial: a restriction's public facts never change.
const notices = new WeakMap<NormalizedRestriction, Notice>();

/**
 * The notice a participant is given for restriction `r`: its public facts
 * (id, kind, authority, reference, the document's notice and appeal) and
 * nothing about the participant.
 */
export function noticeOf(r: NormalizedRestriction): Notice {
  let notice = notices.get(r);
  if (notice !== undefined) return notice;
  const out: { -readonly [K in keyof Notice]: Notice[K] } = { restrictionId: r.id, kind: r.kind };
  if (r.authority !== undefined) out.authority = r.authority;
  if (r.reference !== undefined) out.reference = r.reference;
  if (r.notice?.text !== undefined) out.text = r.notice.text;
  if (r.notice?.url !== undefined) out.url = r.notice.url;
  if (r.appeal !== undefined) out.appeal = r.appeal;
  notice = Object.freeze(out);
  notices.set(r, notice);
  return notice;
}

/**
 * The notice for a denial: of the enforced restrictions that denied (reasons
 * sorted), a legal demand (takedown, sanctions) before a host's policy, so
 * the participant learns of the demand. `undefined` when only rules (or the
 * audit log) denied.
 */
export function noticeFor(reasons: readonly Reason[], lookup: (id: string) => NormalizedRestriction | undefined): Notice | undefined {
  let chosen: NormalizedRestriction | undefined;
  for (const reason of reasons) {
    if (reason.restrictionId === undefined) continue;
    const r = lookup(reason.restrictionId);
    if (r === undefined || r.mode !== 'enforce') continue;
    if (chosen === undefined || (chosen.kind === 'host-policy' && r.kind !== 'host-policy')) chosen = r;
  }
  return chosen === undefined ? undefined : noticeOf(chosen);
}

/** Registration order must not show in a decision. */
export function sortReasons(reasons: Reason[]): void {
  if (reasons.length > 1) reasons.sort(compareReasons);
}

function compareReasons(a: Reason, b: Reason): number {
  return compareText(a.restrictionId, b.restrictionId) || compareText(a.code, b.code) || compareText(a.rule, b.rule);
}

function compareText(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a < b ? -1 : 1;
}

/** The restrictions in scope for a join, active at `now` (what rules see). */
export function inScope(registry: RestrictionRegistry, join: Join, now: number): NormalizedRestriction[] {
  const out = new Set<NormalizedRestriction>();
  for (const list of [registry.forMeeting(join.meetingId), registry.forHost(join.hostAccountId), registry.forAllScoped()]) {
    for (const e of list) if (isActive(e.restriction, now)) out.add(e.restriction);
  }
  return [...out];
}

/** How rules are run. */
interface RuleSettings {
  rules: readonly Rule[];
  onRuleError: 'deny' | 'admit';
  ruleTimeoutMs: number;
  /** Reports a rule that failed. */
  failed: (rule: Rule, error: unknown) => void;
}

/** Runs every rule on a located join; resolves to the denials they add. */
export async function runRules(settings: RuleSettings, join: Join, location: Location, restrictions: readonly NormalizedRestriction[]): Promise<Reason[]> {
  const ctx = { join, location, restrictions };
  const reasons: Reason[] = [];
  await Promise.all(
    settings.rules.map(async (rule) => {
      let verdict: RuleVerdict;
      try {
        verdict = await bounded(rule, () => rule.evaluate(ctx), settings.ruleTimeoutMs);
      } catch (error) {
        settings.failed(rule, error);
        if (settings.onRuleError === 'deny') reasons.push({ code: 'rule', rule: rule.name, message: `rule failed: ${errorText(error)}` });
        return;
      }
      if (verdict && verdict.deny === true) {
        const reason: Reason = { code: 'rule', rule: rule.name };
        if (typeof verdict.message === 'string') reason.message = verdict.message.slice(0, 1024);
        reasons.push(reason);
      }
    }),
  );
  return reasons;
}

/**
 * A rule's answer within `timeoutMs`. Any thenable (another realm's promise,
 * a hand-made one) is bounded, not only native promises. The timer is ref'd:
 * a decision waiting on it keeps the process alive until it is made
 * (docs/enforcement.md: a timed-out rule still decides).
 */
function bounded(rule: Rule, run: () => RuleVerdict | Promise<RuleVerdict>, timeoutMs: number): Promise<RuleVerdict> | RuleVerdict {
  const result = run();
  if (result === null || (typeof result !== 'object' && typeof result !== 'function') || typeof (result as { then?: unknown }).then !== 'function') {
    return result;
  }
  return new Promise<RuleVerdict>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    Promise.resolve(result).then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(`rule '${rule.name}' rejected with ${String(e)}`));
      },
    );
  });
}
