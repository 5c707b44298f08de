/**
 * Fleet traffic through Redis: each member's heartbeat in one hash (stamped
 * with the Redis server's clock, so liveness is judged by one clock), and
 * questions and answers over pub/sub — questions on `<prefix>fleet`, answers
 * on `<prefix>fleet:<nodeId>`. Pub/sub delivers at most once and only to
 * those subscribed at that moment; the gate treats silence as a missing
 * member, never as an answer.
 */
import type { FleetAnnouncement, FleetChannel, FleetMessage } from '../../store/types.js';
import type { Client, ScriptedRedis } from './connection.js';
import { whenReady } from './connection.js';

/** What the channel needs from its store. */
interface FleetContext {
  /** The members hash key and the channel names' prefix. */
  prefix: string;
  /** How long an announcement is kept after the member went quiet. */
  forgetAfterMs: number;
  /** How long to wait for the subscriber connection. */
  timeoutMs: number;
  /** Runs one command on the store's connection (bounded, errors mapped). */
  command<T>(what: string, run: (conn: ScriptedRedis) => Promise<T>): Promise<T>;
  /** A new connection for subscribing. */
  connect(): Client;
  /** Problems nobody asked about (a malformed message). */
  report(error: Error): void;
}

// Bounds on what is read back: anything in Redis may have been put there by something else.
const MAX_NAME = 256;
const MAX_MESSAGE = 64 * 1024 * 1024;

/** The Redis store's {@link FleetChannel}. */
export class RedisFleetChannel implements FleetChannel {
  readonly #ctx: FleetContext;
  readonly #membersKey: string;
  readonly #questions: string;
  // nodeId -> handlers listening as that node (several gates may share one store object)
  readonly #listeners = new Map<string, Set<(m: FleetMessage) => void>>();
  #sub: { conn: Client; ready: Promise<void> } | undefined;
  #closed = false;

  constructor(ctx: FleetContext) {
    this.#ctx = ctx;
    this.#membersKey = `${ctx.prefix}nodes`;
    this.#questions = `${ctx.prefix}fleet`;
  }

  async announce(member: { nodeId: string; participants: number; version: string }): Promise<void> {
    const figures = JSON.stringify({ participants: member.participants, version: member.version });
    await this.#ctx.command('announce', (conn) => conn.geoadmitAnnounce(this.#membersKey, member.nodeId, figures, String(this.#ctx.forgetAfterMs)));
  }

  async members(): Promise<{ now: number; members: FleetAnnouncement[] }> {
    const reply = await this.#ctx.command('members', (conn) => conn.geoadmitMembers(this.#membersKey));
    const now = Number(reply[0]);
    const members: FleetAnnouncement[] = [];
    for (let i = 1; i + 1 < reply.length; i += 2) {
      const member = readAnnouncement(String(reply[i]), String(reply[i + 1]));
      if (member !== undefined) members.push(member);
    }
    return { now, members };
  }

  async leave(nodeId: string): Promise<void> {
    await this.#ctx.command('leave', (conn) => conn.geoadmitLeave(this.#membersKey, nodeId));
  }

  listen(nodeId: string, onMessage: (message: FleetMessage) => void): { ready: Promise<void>; stop: () => void } {
    const sub = this.#subscriber();
    let handlers = this.#listeners.get(nodeId);
    if (handlers === undefined) this.#listeners.set(nodeId, (handlers = new Set()));
    handlers.add(onMessage);
    const channel = this.#answers(nodeId);
    // Subscribing again to a channel is harmless; a new subscriber connection (after one that never came up) needs it.
    const ready = sub.ready.then(() => sub.conn.subscribe(channel)).then(() => undefined);
    ready.catch(() => undefined);
    return {
      ready,
      stop: () => {
        const set = this.#listeners.get(nodeId);
        if (set === undefined || !set.delete(onMessage) || set.size > 0) return;
        this.#listeners.delete(nodeId);
        if (this.#sub?.conn === sub.conn && sub.conn.status === 'ready') sub.conn.unsubscribe(channel).catch(() => undefined);
      },
    };
  }

  async send(message: FleetMessage): Promise<void> {
    const channel = message.kind === 'question' ? this.#questions : this.#answers(message.to);
    const text = JSON.stringify(message);
    await this.#ctx.command(`send ${message.kind}`, (conn) => conn.publish(channel, text));
  }

  /** Closes the subscriber connection. */
  close(): void {
    this.#closed = true;
    this.#listeners.clear();
    this.#sub?.conn.disconnect();
    this.#sub = undefined;
  }

  #answers(nodeId: string): string {
    return `${this.#questions}:${nodeId}`;
  }

  /** One subscriber connection for the store, opened on first use; ioredis re-subscribes after a reconnect. */
  #subscriber(): { conn: Client; ready: Promise<void> } {
    if (this.#sub !== undefined) return this.#sub;
    const conn = this.#ctx.connect();
    conn.on('error', () => undefined);
    conn.on('message', (channel: string, text: string) => this.#deliver(channel, text));
    const ready = whenReady(conn, this.#ctx.timeoutMs * 5).then(async () => {
      await conn.subscribe(this.#questions);
    });
    this.#sub = { conn, ready };
    // A failed start is retried by the next listener rather than cached.
    ready.catch(() => {
      if (this.#sub?.conn === conn && !this.#closed) {
        this.#sub = undefined;
        conn.disconnect();
      }
    });
    return this.#sub;
  }

  #deliver(channel: string, text: string): void {
    if (this.#closed) return;
    const message = readMessage(text);
    if (message === undefined) {
      this.#ctx.report(new Error(`Ignored a message on Redis channel ${JSON.stringify(channel.slice(0, 300))}: not a fleet message`));
      return;
    }
    const targets = message.kind === 'question' ? [...this.#listeners.values()] : [this.#listeners.get(message.to)];
    if (message.kind === 'answer' && channel !== this.#answers(message.to)) return;
    for (const set of targets) {
      for (const handler of set ?? []) {
        try {
          handler(message);
        } catch (error) {
          this.#ctx.report(error instanceof Error ? error : new Error(String(error)));
        }
      }
    }
  }
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_NAME;
}

/** A message read off a channel, or undefined when it is not one. */
function readMessage(text: string): FleetMessage | undefined {
  if (text.length > MAX_MESSAGE) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const m = value as Record<string, unknown>;
  if ((m.kind !== 'question' && m.kind !== 'answer') || !isName(m.id) || !isName(m.from) || !isName(m.to) || m.from === '') return undefined;
  return { kind: m.kind, id: m.id, from: m.from, to: m.to, body: m.body };
}

/** `<ms> <figures JSON>` as the announce script stores it; undefined when malformed. */
function readAnnouncement(nodeId: string, value: string): FleetAnnouncement | undefined {
  const space = value.indexOf(' ');
  const lastSeen = Number(value.slice(0, space));
  if (space < 0 || !Number.isSafeInteger(lastSeen) || nodeId === '' || nodeId.length > MAX_NAME) return undefined;
  try {
    const figures = JSON.parse(value.slice(space + 1)) as { participants?: unknown; version?: unknown };
    const participants = figures.participants;
    if (!Number.isSafeInteger(participants) || (participants as number) < 0 || typeof figures.version !== 'string' || figures.version.length > 64)
      return undefined;
    return { nodeId, lastSeen, participants: participants as number, version: figures.version };
  } catch {
    return undefined;
  }
}
