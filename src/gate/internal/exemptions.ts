/**
 * Exemptions: each narrows exactly one restriction for the participants, host
 * accounts or client networks it lists. Validation (hand-written: an
 * exemption is a small document, and it is checked on the same terms as a
 * restriction — unknown fields refused, every problem named by its JSON path)
 * and the set a gate holds, asked by the matcher only for a restriction that
 * matched.
 */
import { type CompiledCidr, cidrResult, type IpValue, PrefixTable } from '../../address/ip.js';
import { ErrorCode, GeoadmitError, type GeoadmitErrorContext } from '../../errors/index.js';
import { isPlainObject, plainDataSnapshot } from '../../internal/objects.js';
import { INSTANT_RULE, parseInstant } from '../../internal/time.js';
import type { ExemptionDocument } from '../../restrictions/types.js';
import type { Exemption } from '../types.js';

/** Caps against hostile documents: far above any real exemption. */
const LIMITS = Object.freeze({ id: 256, reason: 1024, ids: 10_000, networks: 1_000, maxBytes: 1024 * 1024, maxListLength: 100_000 });

const FIELDS = new Set(['id', 'restrictionId', 'participants', 'hostAccounts', 'networks', 'reason', 'validUntil']);
/** The field a stored exemption carries besides the document: the digest of the restriction it was granted against. */
const STORED_FIELD = 'restrictionDigest';
const DIGEST = /^[0-9a-f]{16}$/;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** One problem with an exemption document. */
interface ExemptionIssue {
  /** JSON path, e.g. `$.networks[0]`. */
  path: string;
  /** What is wrong there. */
  message: string;
}

function show(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

function pathOf(segments: readonly (string | number)[]): string {
  let out = '$';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += IDENTIFIER.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** What {@link checkExemption} found: the exemption (without its restriction digest yet) or its problems. */
export interface ExemptionCheck {
  /** The id when readable, for messages. */
  id?: string;
  issues: ExemptionIssue[];
  /** The normalised fields, when there are no issues. */
  value?: Omit<Exemption, 'restrictionDigest' | 'source'> & { source: ExemptionDocument };
  /** A stored exemption's restriction digest (only with `stored`). */
  restrictionDigest?: string;
}

/**
 * Checks one exemption document. `stored`: it was read from a restriction
 * store, where it also carries the digest of the restriction it was granted
 * against; from callers that field is unknown like any other.
 */
export function checkExemption(raw: unknown, stored = false): ExemptionCheck {
  const snapshot = plainDataSnapshot(raw, { maxBytes: LIMITS.maxBytes, maxListLength: LIMITS.maxListLength });
  if (!snapshot.ok) {
    return { issues: [{ path: pathOf(snapshot.path), message: `the exemption is not acceptable plain data: ${snapshot.message}` }] };
  }
  const doc = snapshot.value;
  if (!isPlainObject(doc)) return { issues: [{ path: '$', message: `an exemption must be an object, not ${typeName(doc)}` }] };
  const issues: ExemptionIssue[] = [];
  const add = (path: (string | number)[], message: string) => issues.push({ path: pathOf(path), message });
  const get = (key: string): unknown => (Object.hasOwn(doc, key) ? doc[key] : undefined);
  for (const key of Object.keys(doc)) {
    if (!FIELDS.has(key) && !(stored && key === STORED_FIELD)) add([key], `unknown field ${show(key)}`);
  }
  const text = (key: string, max: number, required: boolean): string | undefined => {
    const value = get(key);
    if (value === undefined) {
      if (required) add([key], 'is required');
      return undefined;
    }
    if (typeof value !== 'string') add([key], `must be a string, not ${typeName(value)}`);
    else if (value.length === 0) add([key], 'must not be empty');
    else if (value.length > max) add([key], `is too long (at most ${max} characters)`);
    else return value;
    return undefined;
  };
  const id = text('id', LIMITS.id, true);
  const restrictionId = text('restrictionId', LIMITS.id, true);
  const reason = text('reason', LIMITS.reason, true);
  const list = (key: string, max: number): unknown[] | undefined => {
    const value = get(key);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) {
      add([key], `must be an array, not ${typeName(value)}`);
      return undefined;
    }
    if (value.length === 0) add([key], 'must not be empty (omit it instead)');
    else if (value.length > max) add([key], `has too many entries (at most ${max})`);
    return value;
  };
  const ids = (key: string): string[] => {
    const out = new Set<string>();
    list(key, LIMITS.ids)?.forEach((v, i) => {
      if (typeof v !== 'string' || v.length === 0 || v.length > LIMITS.id) add([key, i], `must be a non-empty string of at most ${LIMITS.id} characters`);
      else out.add(v);
    });
    return [...out];
  };
  const participants = ids('participants');
  const hostAccounts = ids('hostAccounts');
  const networks: string[] = [];
  list('networks', LIMITS.networks)?.forEach((v, i) => {
    if (typeof v !== 'string') {
      add(['networks', i], `must be a string, not ${typeName(v)}`);
      return;
    }
    const parsed = cidrResult(v);
    if (!parsed.ok) add(['networks', i], parsed.problem);
    else if (!networks.includes(parsed.cidr.network)) networks.push(parsed.cidr.network);
  });
  if (get('participants') === undefined && get('hostAccounts') === undefined && get('networks') === undefined) {
    add([], 'an exemption needs participants, hostAccounts or networks');
  }
  let validUntil: number | undefined;
  const until = get('validUntil');
  if (until !== undefined) {
    validUntil = typeof until === 'string' ? parseInstant(until) : undefined;
    if (validUntil === undefined) add(['validUntil'], `must be ${INSTANT_RULE}`);
  }
  let restrictionDigest: string | undefined;
  if (stored) {
    const digest = get(STORED_FIELD);
    if (typeof digest !== 'string' || !DIGEST.test(digest)) add([STORED_FIELD], 'must be the 16 hex digits of the restriction digest');
    else restrictionDigest = digest;
  }
  const result: ExemptionCheck = { issues };
  if (id !== undefined) result.id = id;
  if (issues.length > 0 || id === undefined || restrictionId === undefined || reason === undefined) return result;
  const source: ExemptionDocument = { id, restrictionId, reason };
  for (const key of ['participants', 'hostAccounts', 'networks'] as const) {
    const v = get(key);
    if (v !== undefined) source[key] = v as string[];
  }
  if (typeof until === 'string') source.validUntil = until;
  result.value = {
    id,
    restrictionId,
    participants: Object.freeze(participants),
    hostAccounts: Object.freeze(hostAccounts),
    networks: Object.freeze(networks),
    reason,
    ...(validUntil !== undefined ? { validUntil } : {}),
    source,
  };
  if (restrictionDigest !== undefined) result.restrictionDigest = restrictionDigest;
  return result;
}

/** An exemption with its restriction digest, frozen (the source deep-frozen too). */
export function finishExemption(check: ExemptionCheck & { value: NonNullable<ExemptionCheck['value']> }, restrictionDigest: string): Exemption {
  const source = check.value.source;
  for (const key of ['participants', 'hostAccounts', 'networks'] as const) if (source[key] !== undefined) Object.freeze(source[key]);
  Object.freeze(source);
  return Object.freeze({ ...check.value, restrictionDigest, source });
}

/** The error for a refused exemption: the first problem's path in the message, every problem in `issues`. */
export function exemptionError(check: ExemptionCheck, argument: string): GeoadmitError {
  const first = check.issues[0] ?? { path: '$', message: 'invalid exemption' };
  const more = check.issues.length > 1 ? ` (and ${check.issues.length - 1} more problem${check.issues.length > 2 ? 's' : ''})` : '';
  const subject = check.id === undefined ? 'exemption' : `exemption ${JSON.stringify(check.id)}`;
  const context: GeoadmitErrorContext = {
    path: first.path,
    argument,
    issues: check.issues.slice(0, 100).map((i) => ({ ...i, code: ErrorCode.InvalidRestriction })),
  };
  return new GeoadmitError(ErrorCode.InvalidRestriction, `${first.path}: ${first.message}${more} [${subject}]`, context);
}

/** An exemption a gate holds, compiled for matching. */
export interface HeldExemption {
  readonly exemption: Exemption;
  /** The store version that introduced it. */
  readonly version: string;
  readonly participants: ReadonlySet<string>;
  readonly hostAccounts: ReadonlySet<string>;
  readonly networks: readonly CompiledCidr[];
  /** Cancels the timer for its `validUntil`, when one is armed. */
  cancelExpiry: (() => void) | undefined;
}

/** Compiles an exemption for matching. */
export function holdExemption(exemption: Exemption, version: string): HeldExemption {
  const networks: CompiledCidr[] = [];
  for (const n of exemption.networks) {
    const parsed = cidrResult(n);
    if (parsed.ok) networks.push(parsed.cidr);
  }
  return {
    exemption,
    version,
    participants: new Set(exemption.participants),
    hostAccounts: new Set(exemption.hostAccounts),
    networks,
    cancelExpiry: undefined,
  };
}

function bitAt(ip: IpValue, i: number): number {
  if (ip.family === 4) return (ip.v4 >>> (31 - i)) & 1;
  return ((ip.bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1;
}

/** Whether `ip` lies inside `cidr` (same family; IPv4-mapped addresses arrive as IPv4). */
function cidrContains(cidr: CompiledCidr, ip: IpValue): boolean {
  if (cidr.ip.family !== ip.family) return false;
  if (ip.family === 4 && cidr.ip.family === 4) {
    if (cidr.prefixLength === 0) return true;
    const mask = (0xffffffff << (32 - cidr.prefixLength)) >>> 0;
    return (ip.v4 & mask) >>> 0 === (cidr.ip.v4 & mask) >>> 0;
  }
  for (let i = 0; i < cidr.prefixLength; i++) if (bitAt(ip, i) !== bitAt(cidr.ip, i)) return false;
  return true;
}

/** Who is asking whether an exemption covers them: a join, or a present participant. */
interface ExemptionSubject {
  readonly participantId: string;
  readonly hostAccountId?: string | undefined;
}

const NO_HELD: readonly HeldExemption[] = Object.freeze([]);

/** One restriction's exemptions, indexed: a covered join is found without walking them all. */
interface Narrowing {
  /** Sorted by exemption id. */
  readonly list: readonly HeldExemption[];
  readonly byParticipant: ReadonlyMap<string, HeldExemption[]>;
  readonly byHost: ReadonlyMap<string, HeldExemption[]>;
  /** Every network of every exemption, in exemption-id order. */
  readonly networks: readonly { readonly cidr: CompiledCidr; readonly held: HeldExemption }[];
  /** The same networks as a prefix table: an address inside none of them is answered in one lookup. */
  readonly anyNetwork: PrefixTable<true>;
}

function narrowing(list: readonly HeldExemption[]): Narrowing {
  const byParticipant = new Map<string, HeldExemption[]>();
  const byHost = new Map<string, HeldExemption[]>();
  const networks: { cidr: CompiledCidr; held: HeldExemption }[] = [];
  const anyNetwork = new PrefixTable<true>();
  const index = (map: Map<string, HeldExemption[]>, key: string, held: HeldExemption) => {
    const at = map.get(key);
    if (at === undefined) map.set(key, [held]);
    else at.push(held);
  };
  for (const held of list) {
    for (const p of held.participants) index(byParticipant, p, held);
    for (const h of held.hostAccounts) index(byHost, h, held);
    for (const cidr of held.networks) {
      networks.push({ cidr, held });
      anyNetwork.insert(cidr.ip, cidr.prefixLength, true);
    }
  }
  return { list, byParticipant, byHost, networks, anyNetwork };
}

/**
 * The exemptions a gate holds, by id and by the restriction each narrows
 * (indexed by participant, host account and network; candidates in
 * exemption-id order, so which exemption a decision names never depends on
 * the order they arrived in).
 */
export class ExemptionSet {
  readonly #byId = new Map<string, HeldExemption>();
  readonly #byRestriction = new Map<string, Narrowing>();
  // Client addresses of present participants inside some exempt network, by roster entry: a network
  // exemption keeps covering them when a restriction is enforced on who is present. Only those are kept.
  readonly #addresses = new WeakMap<object, IpValue>();
  // Every exempt network, for the one lookup an admitted join costs while network exemptions exist.
  #allNetworks = new PrefixTable<true>();
  #networks = 0;

  /** How many exemptions are held. */
  get size(): number {
    return this.#byId.size;
  }

  get(id: string): HeldExemption | undefined {
    return this.#byId.get(id);
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  values(): IterableIterator<HeldExemption> {
    return this.#byId.values();
  }

  /** Exemptions narrowing restriction `restrictionId`. */
  forRestriction(restrictionId: string): readonly HeldExemption[] {
    return this.#byRestriction.get(restrictionId)?.list ?? NO_HELD;
  }

  add(held: HeldExemption): void {
    this.delete(held.exemption.id);
    this.#byId.set(held.exemption.id, held);
    const list = [...this.forRestriction(held.exemption.restrictionId), held].sort((a, b) => (a.exemption.id < b.exemption.id ? -1 : 1));
    this.#byRestriction.set(held.exemption.restrictionId, narrowing(list));
    this.#networks += held.networks.length;
    for (const n of held.networks) this.#allNetworks.insert(n.ip, n.prefixLength, true);
  }

  delete(id: string): HeldExemption | undefined {
    const held = this.#byId.get(id);
    if (held === undefined) return undefined;
    this.#byId.delete(id);
    held.cancelExpiry?.();
    held.cancelExpiry = undefined;
    const list = this.forRestriction(held.exemption.restrictionId).filter((h) => h !== held);
    if (list.length === 0) this.#byRestriction.delete(held.exemption.restrictionId);
    else this.#byRestriction.set(held.exemption.restrictionId, narrowing(list));
    if (held.networks.length > 0) {
      this.#networks -= held.networks.length;
      // Rebuilt: a prefix table has no removal, and revocations are rare.
      this.#allNetworks = new PrefixTable<true>();
      for (const h of this.#byId.values()) for (const n of h.networks) this.#allNetworks.insert(n.ip, n.prefixLength, true);
    }
    return held;
  }

  clear(): void {
    for (const held of this.#byId.values()) held.cancelExpiry?.();
    this.#byId.clear();
    this.#byRestriction.clear();
    this.#allNetworks = new PrefixTable<true>();
    this.#networks = 0;
  }

  /**
   * The exemption that keeps restriction `restrictionId` (registered with
   * document digest `digest`) from applying to `subject` at `now`, if any:
   * by participant, then host account, then network. `ip` is the client
   * address when known.
   */
  covering(restrictionId: string, digest: string, subject: ExemptionSubject, ip: IpValue | undefined, now: number): HeldExemption | undefined {
    const n = this.#byRestriction.get(restrictionId);
    if (n === undefined) return undefined;
    const valid = (held: HeldExemption): boolean => {
      const e = held.exemption;
      // Granted against another document under the same id (lifted and issued again): not this restriction's.
      return e.restrictionDigest === digest && (e.validUntil === undefined || now < e.validUntil);
    };
    const byParticipant = n.byParticipant.get(subject.participantId);
    if (byParticipant !== undefined) for (const held of byParticipant) if (valid(held)) return held;
    const byHost = subject.hostAccountId === undefined ? undefined : n.byHost.get(subject.hostAccountId);
    if (byHost !== undefined) for (const held of byHost) if (valid(held)) return held;
    if (ip !== undefined && n.networks.length > 0 && n.anyNetwork.lookup(ip) === true) {
      for (const { cidr, held } of n.networks) if (cidrContains(cidr, ip) && valid(held)) return held;
    }
    return undefined;
  }

  /**
   * Keeps a present participant's client address when it lies inside an
   * exempt network (and only then), for {@link addressOf}.
   */
  remember(entry: object, ip: IpValue | undefined): void {
    if (this.#networks === 0 || ip === undefined) return;
    if (this.#allNetworks.lookup(ip) === true) this.#addresses.set(entry, ip);
  }

  /** The client address {@link remember} kept for a roster entry. */
  addressOf(entry: object): IpValue | undefined {
    return this.#networks === 0 ? undefined : this.#addresses.get(entry);
  }
}
