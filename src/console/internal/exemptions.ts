import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ErrorCode, isGeoadmitError } from '../../errors/index.js';
import type { Gate, ParticipantRef } from '../../gate/index.js';
import { canonicalJson } from '../../internal/canonical-json.js';
import { isPlainObject } from '../../internal/objects.js';
import { HttpProblem, readJsonBody, sha256 } from './http.js';

/** The gate's exemption methods, when it has them (a gate from another version may not). */
interface ExemptionMethods {
  exempt(input: unknown): Promise<unknown>;
  revokeExemption(id: string): Promise<unknown>;
  exemptions(): unknown;
}

/** What the console remembers of one recent removal or denial, to say whom an exemption would let back in. */
interface Affected {
  restrictionId: string;
  meetingId: string;
  participantId: string;
  hostAccountId?: string;
  what: 'removed' | 'denied';
  time: string;
}

/** Recent removals and denials remembered (oldest dropped first). */
const REMEMBERED = 2000;

const FIELDS = ['id', 'restrictionId', 'participants', 'hostAccounts', 'networks', 'reason', 'validUntil'] as const;

/**
 * The console's exemption routes: list, preview a grant (who it would let
 * back in, whom it would spare), grant only what was previewed (digest, as
 * for demands), preview a revocation (who the restriction covers again), and
 * revoke. The gate validates, stores and audits; this only shows and asks.
 */
export class Exemptions {
  readonly #gate: Gate;
  readonly #methods: ExemptionMethods | undefined;
  readonly #limit: number;
  readonly #affected: Affected[] = [];
  // Present participants admitted only because of an exemption, by exemption id.
  readonly #spared = new Map<string, Map<string, ParticipantRef>>();
  readonly #unsubscribe: () => void;

  constructor(gate: Gate, limit: number) {
    this.#gate = gate;
    this.#limit = limit;
    const g = gate as unknown as Partial<ExemptionMethods>;
    this.#methods =
      typeof g.exempt === 'function' && typeof g.revokeExemption === 'function' && typeof g.exemptions === 'function' ? (g as ExemptionMethods) : undefined;
    const offDecision = gate.on('decision', (e) => {
      const exempted = (e as { exempted?: unknown }).exempted;
      if (e.outcome === 'denied') {
        for (const r of e.reasons) if (r.restrictionId !== undefined) this.#remember(r.restrictionId, e, 'denied');
      }
      if (e.outcome === 'admitted' && Array.isArray(exempted)) {
        for (const x of exempted) {
          const id = isPlainObject(x) && typeof x.exemptionId === 'string' ? x.exemptionId : undefined;
          if (id === undefined) continue;
          let spared = this.#spared.get(id);
          if (spared === undefined) this.#spared.set(id, (spared = new Map()));
          spared.set(key(e), ref(e));
        }
      }
    });
    const offRemoval = gate.on('removal', (e) => {
      if (e.status === 'removed') this.#remember(e.restrictionId, e, 'removed');
    });
    this.#unsubscribe = () => {
      offDecision();
      offRemoval();
    };
  }

  /** Stop listening to the gate and forget what was remembered. */
  close(): void {
    this.#unsubscribe();
    this.#affected.length = 0;
    this.#spared.clear();
  }

  /** Whether the gate grants exemptions at all. */
  get supported(): boolean {
    return this.#methods !== undefined;
  }

  /** The granted exemptions, as JSON objects. */
  async list(): Promise<Record<string, unknown>[]> {
    if (this.#methods === undefined) return [];
    const all = await this.#methods.exemptions();
    return Array.isArray(all) ? all.filter(isPlainObject).map(shown) : [];
  }

  /** Answers `api/exemptions…`, or `undefined` when no route matches (the caller answers 404 / 405). */
  async route(req: IncomingMessage, route: string, method: string): Promise<{ status: number; body: unknown } | undefined> {
    if (route === 'exemptions' && method === 'GET') return { status: 200, body: { exemptions: await this.list(), supported: this.supported } };
    const isPreview = route === 'exemptions/preview' && method === 'POST';
    const isGrant = route === 'exemptions' && method === 'POST';
    const revokePreview = /^exemptions\/([^/]+)\/preview-revoke$/.exec(route);
    const revoke = /^exemptions\/([^/]+)$/.exec(route);
    const known = isPreview || isGrant || (revokePreview !== null && method === 'POST') || (revoke !== null && method === 'DELETE' && !isPreview);
    if (!known) return undefined;
    const methods = this.#methods;
    if (methods === undefined) {
      req.resume();
      throw new HttpProblem(501, { error: 'not-supported', message: 'this gate does not grant exemptions (update geoadmit)' });
    }
    try {
      if (isPreview) return { status: 200, body: await this.#previewGrant(await this.#body(req, false)) };
      if (isGrant) {
        const { exemption, digest } = await this.#body(req, true);
        const expected = digestOf(exemption);
        if (digest !== expected) {
          throw new HttpProblem(409, {
            error: 'digest-mismatch',
            message: `the exemption's digest is ${expected}, not the previewed ${JSON.stringify(digest)}: nothing was granted; preview it again`,
          });
        }
        const granted = await methods.exempt(exemption);
        return { status: 201, body: { exemption: isPlainObject(granted) ? shown(granted) : exemption, digest: expected } };
      }
      if (revokePreview !== null) {
        req.resume();
        return { status: 200, body: await this.#previewRevoke(decode(revokePreview[1]!)) };
      }
      req.resume();
      const id = decode(revoke![1]!);
      const revoked = await methods.revokeExemption(id);
      this.#spared.delete(id);
      // `{ exemption, removed, pending }`: whom the restriction removed again.
      const body = isPlainObject(revoked) && isPlainObject(revoked.exemption) ? { ...revoked, exemption: shown(revoked.exemption) } : { exemption: { id } };
      return { status: 200, body };
    } catch (error) {
      throw asProblem(error);
    }
  }

  async #body(req: IncomingMessage, needDigest: boolean): Promise<{ exemption: Record<string, unknown>; digest?: unknown }> {
    const body = await readJsonBody(req, this.#limit);
    if (!isPlainObject(body) || !isPlainObject(body.exemption)) {
      throw new HttpProblem(400, {
        error: 'bad-request',
        message: 'send { "exemption": { id, restrictionId, reason, participants | hostAccounts | networks } }',
        path: '$.exemption',
      });
    }
    for (const k of Object.keys(body)) {
      if (k !== 'exemption' && k !== 'digest')
        throw new HttpProblem(400, { error: 'bad-request', message: `unknown field ${JSON.stringify(k)}`, path: `$.${k}` });
    }
    if (needDigest && typeof body.digest !== 'string') {
      throw new HttpProblem(400, { error: 'bad-request', message: 'send the digest the preview returned', path: '$.digest' });
    }
    return body as { exemption: Record<string, unknown>; digest?: unknown };
  }

  /** Whom a grant would affect: covered participants present it would spare, and recent removals and denials it would let back in. */
  async #previewGrant({ exemption }: { exemption: Record<string, unknown> }): Promise<Record<string, unknown>> {
    for (const k of Object.keys(exemption)) {
      if (!(FIELDS as readonly string[]).includes(k)) {
        throw new HttpProblem(422, { error: ErrorCode.InvalidRestriction, message: `unknown field ${JSON.stringify(k)}`, path: `$.${k}` });
      }
    }
    const restrictionId = exemption.restrictionId;
    const restriction = this.#gate.restrictions().find((r) => r.id === restrictionId);
    if (restriction === undefined) {
      throw new HttpProblem(404, {
        error: ErrorCode.UnknownRestriction,
        message: `no restriction ${JSON.stringify(restrictionId)} is registered: an exemption narrows one registered restriction`,
        path: '$.restrictionId',
      });
    }
    const participants = strings(exemption.participants);
    const hosts = strings(exemption.hostAccounts);
    const networks = strings(exemption.networks);
    // The gate checks everything again when it grants; these are the mistakes worth catching before the preview.
    const refuse = (path: string, message: string) => new HttpProblem(422, { error: ErrorCode.InvalidRestriction, message, path });
    if ((await this.list()).some((x) => x.id === exemption.id))
      throw refuse('$.id', `an exemption with id ${JSON.stringify(exemption.id)} already exists (revoke it first)`);
    if (participants.length + hosts.length + networks.length === 0) throw refuse('$.participants', 'name at least one participant, host account or network');
    if (typeof exemption.reason !== 'string' || exemption.reason.trim() === '')
      throw refuse('$.reason', 'give the reason the exemption is granted (it is recorded)');
    const covers = (p: { participantId: string; hostAccountId?: string }): boolean =>
      participants.includes(p.participantId) || (p.hostAccountId !== undefined && hosts.includes(p.hostAccountId));
    const present = (await this.#covered(restriction.source)).filter(covers);
    const readmits = this.#affected.filter((a) => a.restrictionId === restriction.id && covers(a));
    return {
      exemption,
      digest: digestOf(exemption),
      restriction: { id: restriction.id, kind: restriction.kind, ...(restriction.authority ? { authority: restriction.authority } : {}) },
      spares: present,
      readmits: latest(readmits),
      networks,
    };
  }

  /** Who a revocation puts back under the restriction: present participants it spares. */
  async #previewRevoke(id: string): Promise<Record<string, unknown>> {
    const exemption = (await this.list()).find((x) => x.id === id);
    if (exemption === undefined) {
      throw new HttpProblem(404, { error: 'unknown-exemption', message: `no exemption ${JSON.stringify(id)} is granted` });
    }
    const restriction = this.#gate.restrictions().find((r) => r.id === exemption.restrictionId);
    const present = new Map<string, ParticipantRef>();
    if (restriction !== undefined) {
      const participants = strings(exemption.participants);
      const hosts = strings(exemption.hostAccounts);
      for (const p of await this.#covered(restriction.source)) {
        if (participants.includes(p.participantId) || (p.hostAccountId !== undefined && hosts.includes(p.hostAccountId))) present.set(key(p), p);
      }
      // Network exemptions: who this node admitted because of it and is still here (no address is kept to match on).
      const here = new Set(this.#gate.participants().map(key));
      for (const [k, p] of this.#spared.get(id) ?? []) if (here.has(k) && !present.has(k)) present.set(k, p);
    }
    return { exemption, wouldRemove: restriction === undefined || restriction.mode === 'dry-run' ? [] : [...present.values()] };
  }

  /** The present participants a registered restriction covers, across the fleet, exemptions aside (a preview under a private id). */
  async #covered(source: unknown): Promise<ParticipantRef[]> {
    const probe = { ...(source as Record<string, unknown>), id: `console-probe-${randomBytes(6).toString('hex')}`, mode: 'enforce' };
    try {
      return (await this.#gate.preview(probe as Parameters<Gate['preview']>[0])).matched;
    } catch {
      return []; // the probe is the registered document under another id: a refusal here means the store or gate is down
    }
  }

  #remember(restrictionId: string, e: { meetingId: string; participantId: string; hostAccountId?: string; time: string }, what: Affected['what']): void {
    this.#affected.push({ restrictionId, ...ref(e), what, time: e.time });
    if (this.#affected.length > REMEMBERED) this.#affected.shift();
  }
}

/** An exemption as the page shows it: its fields, `validUntil` as an ISO instant. */
function shown(x: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['id', 'restrictionId', 'participants', 'hostAccounts', 'networks', 'reason'] as const) if (x[k] !== undefined) out[k] = x[k];
  if (typeof x.validUntil === 'number') out.validUntil = new Date(x.validUntil).toISOString();
  else if (typeof x.validUntil === 'string') out.validUntil = x.validUntil;
  return out;
}

function ref(e: { meetingId: string; participantId: string; hostAccountId?: string }): ParticipantRef {
  return { meetingId: e.meetingId, participantId: e.participantId, ...(e.hostAccountId === undefined ? {} : { hostAccountId: e.hostAccountId }) };
}

function key(p: { meetingId: string; participantId: string }): string {
  return `${p.meetingId}\u0000${p.participantId}`;
}

/** The latest record per participant. */
function latest(list: Affected[]): Affected[] {
  const by = new Map<string, Affected>();
  for (const a of list) by.set(key(a), a);
  return [...by.values()];
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function digestOf(exemption: unknown): string {
  let text: string;
  try {
    text = canonicalJson(exemption);
  } catch {
    text = String(exemption);
  }
  return sha256(text).toString('hex').slice(0, 16);
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpProblem(400, { error: 'bad-request', message: 'the exemption id in the path is not valid percent-encoding' });
  }
}

/** The gate's refusals as answers: unknown ids 404, an unreachable store or closed gate 503, any other refusal 422. */
function asProblem(error: unknown): unknown {
  if (!isGeoadmitError(error)) return error;
  const status =
    error.code === ErrorCode.UnknownRestriction || /UNKNOWN/.test(error.code)
      ? 404
      : error.code === ErrorCode.StoreUnavailable || error.code === ErrorCode.Closed
        ? 503
        : error.code === ErrorCode.InvalidConfig
          ? 500
          : 422;
  if (status === 500) return error;
  return new HttpProblem(status, { error: error.code, message: error.message, ...(error.path === undefined ? {} : { path: error.path }) });
}
