/**
 * The gate as a member of its fleet: announcing itself through the store,
 * answering other members' questions with its own part, and asking the
 * fleet — `preview`, `restrict` and the overview — then merging the parts
 * with a coverage that says who answered.
 *
 * The store only carries messages (see `FleetChannel`); what is asked, who
 * must answer and how long to wait is decided here, so any store that can
 * carry messages makes a fleet. Without a channel the gate is a fleet of one.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ErrorCode, GeoadmitError } from '../../errors/index.js';
import { SafeEmitter } from '../../internal/emitter.js';
import type { FleetChannel, FleetMessage } from '../../store/types.js';
import type { FleetCoverage, FleetNode, MeetingOverview, RestrictResult } from '../types.js';
import { compare, isId, type RestrictPart } from './fleet-merge.js';
import { errorText } from '../../internal/objects.js';

/** What one member is asked: its part of a preview, of a restriction just made, or of the overview. */
export type FleetQuestion = { op: 'preview'; doc: unknown } | { op: 'restrict'; id: string; digest: string } | { op: 'overview'; meetingId?: string };

/** What the gate provides to its membership. */
interface FleetHost {
  /** Participants present and the store version applied, for the announcement. */
  status(): { participants: number; version: string };
  /** This node's part for another member's question (rejects when it has none). */
  answer(question: FleetQuestion): Promise<RestrictPart | MeetingOverview[]>;
  /** Epoch milliseconds (the gate's clock), for a fleet of one. */
  now(): number;
}

// Default node ids in use in this process: a second gate gets `#2`, so two gates never share a name.
const defaultsInUse = new Set<string>();

/** `<hostname>:<pid>` (at most 128 characters), made unique among this process's gates. */
function defaultNodeId(): string {
  const base = `${hostname().slice(0, 100)}:${process.pid}`;
  let id = base;
  for (let n = 2; defaultsInUse.has(id); n++) id = `${base}#${n}`;
  defaultsInUse.add(id);
  return id;
}

/**
 * One gate's membership: heartbeats, answering questions, asking the fleet.
 * Heartbeats go out every third of `timeoutMs`, so a live node is always
 * heard from within it.
 */
export class FleetMembership {
  readonly nodeId: string;
  readonly #defaulted: boolean;
  readonly #channel: FleetChannel | undefined;
  readonly #host: FleetHost;
  readonly #timeoutMs: number;
  // waitingFor is known only once the live members were read: until then (`known` false) no answer settles the ask.
  readonly #asks = new Map<string, { answers: Map<string, unknown>; waitingFor: Set<string>; known: boolean; settle: () => void }>();
  readonly #enforced = new Map<string, { result: Promise<RestrictResult>; at: number }>();
  readonly #waiters = new Map<string, ((result: Promise<RestrictResult>) => void)[]>();
  #listening: { ready: Promise<void>; stop: () => void } | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(channel: FleetChannel | undefined, nodeId: string | undefined, timeoutMs: number, host: FleetHost) {
    this.#defaulted = nodeId === undefined;
    this.nodeId = nodeId ?? defaultNodeId();
    this.#channel = channel;
    this.#host = host;
    this.#timeoutMs = timeoutMs;
  }

  /** Whether the store carries fleet traffic (otherwise this gate is a fleet of one). */
  get shared(): boolean {
    return this.#channel !== undefined;
  }

  /**
   * Starts answering, then announces this node. Resolves once the first
   * announcement was attempted (at most `timeoutMs` after listening was
   * asked for), so a member listed as live can hear the questions put to it.
   * Nothing to do for a fleet of one.
   */
  start(): Promise<void> {
    const channel = this.#channel;
    if (channel === undefined || this.#closed) return Promise.resolve();
    this.#listen(channel);
    const beat = (): Promise<void> => {
      if (this.#closed) return Promise.resolve();
      // Not listening (the store was unreachable when this node started or tried last): try again.
      if (this.#listening === undefined) this.#listen(channel);
      return channel.announce({ nodeId: this.nodeId, ...this.#host.status() }).catch(() => undefined);
    };
    // Announcing before the subscription is up would list this node as live while questions to it go unheard.
    const listening = this.#listening?.ready ?? Promise.resolve();
    return within(listening, this.#timeoutMs)
      .catch(() => undefined)
      .then(() => {
        if (this.#closed) return;
        this.#heartbeat = setInterval(beat, Math.max(10, Math.floor(this.#timeoutMs / 3)));
        this.#heartbeat.unref?.();
        return beat();
      });
  }

  #listen(channel: FleetChannel): void {
    const listening = channel.listen(this.nodeId, (m) => this.#receive(m));
    this.#listening = listening;
    listening.ready.catch(() => {
      if (this.#listening !== listening) return;
      listening.stop();
      this.#listening = undefined;
    });
  }

  /** Stops heartbeats and answering, and tells the fleet this node is leaving. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#defaulted) defaultsInUse.delete(this.nodeId);
    clearInterval(this.#heartbeat);
    this.#listening?.stop();
    for (const ask of this.#asks.values()) ask.settle();
    this.#channel?.leave(this.nodeId).catch(() => undefined);
  }

  /** The live members, this one included. */
  async nodes(): Promise<FleetNode[]> {
    const self = this.#host.status();
    if (this.#channel === undefined) return [{ nodeId: this.nodeId, lastSeen: this.#host.now(), ...self }];
    let read: Awaited<ReturnType<FleetChannel['members']>>;
    try {
      read = await this.#channel.members();
    } catch (error) {
      throw new GeoadmitError(ErrorCode.StoreUnavailable, `nodes: the fleet's members could not be read from the store: ${errorText(error)}`, { cause: error });
    }
    const out: FleetNode[] = [];
    for (const m of read.members) {
      if (read.now - m.lastSeen > this.#timeoutMs) continue;
      out.push(m.nodeId === this.nodeId ? { nodeId: m.nodeId, lastSeen: m.lastSeen, ...self } : { ...m });
    }
    // Asked before the first heartbeat landed: this node is live all the same.
    if (!out.some((m) => m.nodeId === this.nodeId)) out.push({ nodeId: this.nodeId, lastSeen: read.now, ...self });
    return out.sort((a, b) => compare(a.nodeId, b.nodeId));
  }

  /**
   * Records the enforcement of a restriction (by id and document digest), so
   * the member that made it can ask for this node's part.
   */
  enforced(id: string, digest: string, result: Promise<RestrictResult>): void {
    if (this.#channel === undefined) return;
    const now = Date.now();
    // Kept while an answer could still be wanted; the oldest go first.
    for (const [k, e] of this.#enforced) {
      if (now - e.at <= 2 * this.#timeoutMs && this.#enforced.size < 10_000) break;
      this.#enforced.delete(k);
    }
    const key = `${id}\n${digest}`;
    this.#enforced.delete(key);
    this.#enforced.set(key, { result, at: now });
    const waiting = this.#waiters.get(key);
    if (waiting !== undefined) {
      this.#waiters.delete(key);
      for (const w of waiting) w(result);
    }
  }

  /** This node's enforcement of `id` (that document), once it has it; undefined after `timeoutMs`. */
  whenEnforced(id: string, digest: string): Promise<RestrictResult | undefined> {
    const key = `${id}\n${digest}`;
    const known = this.#enforced.get(key);
    if (known !== undefined) return known.result;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const list = this.#waiters.get(key);
        const at = list?.indexOf(deliver) ?? -1;
        if (list !== undefined && at >= 0) list.splice(at, 1);
        if (list?.length === 0) this.#waiters.delete(key);
        resolve(undefined);
      }, this.#timeoutMs);
      // Waiting to answer another node must not keep a process that is shutting down alive.
      timer.unref?.();
      const deliver = (result: Promise<RestrictResult>) => {
        clearTimeout(timer);
        resolve(result);
      };
      let list = this.#waiters.get(key);
      if (list === undefined) this.#waiters.set(key, (list = []));
      list.push(deliver);
    });
  }

  /**
   * Asks every live member for its part while `local` works out this
   * node's; resolves once every member live at the start answered, or
   * `timeoutMs` after the question went out.
   */
  async ask<T>(question: FleetQuestion, local: Promise<T>): Promise<{ local: T; remote: Map<string, unknown>; coverage: FleetCoverage }> {
    const channel = this.#channel;
    if (channel === undefined || this.#closed) {
      return { local: await local, remote: new Map(), coverage: { nodes: [this.nodeId], missing: [], complete: true } };
    }
    const id = randomUUID();
    let settle: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const ask = { answers: new Map<string, unknown>(), waitingFor: new Set<string>(), known: false, settle };
    let liveKnown = false;
    let live = new Set<string>();
    this.#asks.set(id, ask);
    const timer = setTimeout(settle, this.#timeoutMs);
    try {
      const sent = (async () => {
        // Answers come back on this node's channel: it must be listening before anyone can answer.
        await within(this.#listening?.ready ?? Promise.resolve(), this.#timeoutMs);
        await channel.send({ kind: 'question', id, from: this.nodeId, to: '', body: question });
      })();
      const members = channel.members().then((read) => {
        for (const m of read.members) if (m.nodeId !== this.nodeId && read.now - m.lastSeen <= this.#timeoutMs) live.add(m.nodeId);
        liveKnown = true;
      });
      const [sendOutcome, membersOutcome] = await Promise.allSettled([sent, members]);
      if (sendOutcome.status === 'rejected' || membersOutcome.status === 'rejected') {
        // Nobody can be known to have been asked: only this node's part, and the coverage says it is not complete.
        liveKnown = false;
        live = new Set();
      } else {
        for (const n of live) if (!ask.answers.has(n)) ask.waitingFor.add(n);
        ask.known = true;
        if (ask.waitingFor.size === 0) settle();
      }
      const [mine] = await Promise.all([local, liveKnown ? settled : Promise.resolve()]);
      const answered = [this.nodeId, ...ask.answers.keys()];
      const missing = [...live].filter((n) => !ask.answers.has(n));
      return {
        local: mine,
        remote: new Map(ask.answers),
        coverage: { nodes: answered.sort(compare), missing: missing.sort(compare), complete: liveKnown && missing.length === 0 },
      };
    } finally {
      clearTimeout(timer);
      this.#asks.delete(id);
    }
  }

  #receive(m: FleetMessage): void {
    if (this.#closed || m.from === this.nodeId) return;
    if (m.kind === 'answer') {
      const ask = this.#asks.get(m.id);
      if (ask === undefined || m.to !== this.nodeId) return; // too late, or not ours
      const body = m.body as { ok?: unknown; part?: unknown } | null;
      if (body === null || typeof body !== 'object' || body.ok !== true) return; // it could not answer: missing
      ask.answers.set(m.from, body.part);
      ask.waitingFor.delete(m.from);
      if (ask.known && ask.waitingFor.size === 0) ask.settle();
      return;
    }
    const question = readQuestion(m.body);
    if (question === undefined) return;
    const reply = (body: unknown): void => {
      if (this.#closed) return;
      this.#channel?.send({ kind: 'answer', id: m.id, from: this.nodeId, to: m.from, body }).catch(() => undefined);
    };
    this.#host.answer(question).then(
      (part) => reply({ ok: true, part }),
      (error: unknown) => reply({ ok: false, error: errorText(error).slice(0, 500) }),
    );
  }
}

/** A question as received: anything else is ignored. */
function readQuestion(body: unknown): FleetQuestion | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const q = body as Record<string, unknown>;
  if (q.op === 'preview' && 'doc' in q) return { op: 'preview', doc: q.doc };
  if (q.op === 'restrict' && isId(q.id) && typeof q.digest === 'string' && q.digest.length <= 64) return { op: 'restrict', id: q.id, digest: q.digest };
  if (q.op === 'overview') return q.meetingId === undefined ? { op: 'overview' } : isId(q.meetingId) ? { op: 'overview', meetingId: q.meetingId } : undefined;
  return undefined;
}

function within(promise: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not listening within ${ms} ms`)), ms);
    promise.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** An event emitter that stamps every event with the gate's `nodeId` (`node`), as the audit log records it. */
export class NodeEmitter<Events extends object> extends SafeEmitter<Events> {
  readonly #node: string;

  constructor(node: string, onListenerError: (error: unknown, event: keyof Events) => void) {
    super(onListenerError);
    this.#node = node;
  }

  override emit<E extends keyof Events & string>(event: E, payload: Events[E]): void {
    const p = payload as { node?: string } | null;
    if (p !== null && typeof p === 'object' && Object.isExtensible(p)) p.node = this.#node;
    super.emit(event, payload);
  }
}
