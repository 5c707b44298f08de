import type { ServerResponse } from 'node:http';
import { GATE_EVENT_TYPES, type GateEventMap } from '../../events/types.js';
import type { Gate } from '../../gate/index.js';
import { BASE_HEADERS } from './http.js';

/** Gate events the page never receives: an error's text and causes are for the server log. */
export const OPERATOR_WITHHELD_EVENTS = ['error'] as const satisfies readonly (keyof GateEventMap)[];

type Forwarded = Exclude<keyof GateEventMap, (typeof OPERATOR_WITHHELD_EVENTS)[number]>;

/** The gate events an operator watches: every type on the one list but those withheld above. */
const FORWARDED = GATE_EVENT_TYPES.filter((type): type is Forwarded => !(OPERATOR_WITHHELD_EVENTS as readonly string[]).includes(type));

// Fields that can carry (a form of) a client address. The gate already redacts them as `audit.ip`
// says, but an operator watching a live page needs none of them: leave them out entirely.
const WITHHELD = new Set(['address', 'peer', 'error']);

/** An event as sent to the page: the audit event without any address field. */
function forOperator(event: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) if (!WITHHELD.has(key)) out[key] = value;
  return out;
}

/** How many recent events a newly opened stream receives first, so the page shows what just happened. */
const BACKLOG = 100;

/**
 * How much a stream may hold back for a client that does not keep up before
 * the stream is dropped. A dropped page reconnects and starts again from the
 * recent events and a fresh overview, so dropping loses nothing the page needs.
 */
const MAX_QUEUED_BYTES = 256 * 1024;

/** Heartbeats a stream may stay blocked through (its client read nothing) before it is dropped. */
const MAX_BLOCKED_HEARTBEATS = 2;

/** One open stream and what it holds back while its client is not reading. */
interface Client {
  readonly res: ServerResponse;
  /** `res.write` returned false: wait for `drain` before writing more. */
  blocked: boolean;
  /** Heartbeats seen while blocked. */
  blockedBeats: number;
  readonly queue: string[];
  queuedBytes: number;
  /** The latest overview frame not yet sent (only the latest matters). */
  overview: string | undefined;
}

/**
 * Fans the gate's events out to the open `api/events` streams. It keeps the
 * last {@link BACKLOG} events for streams opened later, pushes the meeting
 * overview when it changes (leaves emit no event, so it is also checked on a
 * timer while a stream is open), and sends a heartbeat comment so proxies
 * keep idle streams open.
 *
 * A client that stops reading never makes the server buffer without bound:
 * once its socket pushes back, the stream holds at most
 * {@link MAX_QUEUED_BYTES} for it (overviews coalesced to the latest) and is
 * dropped past that, or after {@link MAX_BLOCKED_HEARTBEATS} heartbeats
 * without progress.
 */
export class EventHub {
  readonly #heartbeatMs: number;
  readonly #overviewMs: number;
  readonly #overview: () => Promise<unknown>;
  readonly #clients = new Set<Client>();
  readonly #unsubscribe: (() => void)[] = [];
  // Events as the gate emitted them (serialised only when a stream opens: no cost on the join path).
  readonly #backlog: [string, object][] = [];
  #timers: NodeJS.Timeout[] = [];
  #overviewSoon: NodeJS.Timeout | undefined;
  #overviewRunning = false;
  #lastOverview = '';
  #closed = false;

  /**
   * `overview` answers the overview frame's data (the fleet's, when the gate
   * has one); it may be slow, so at most one runs at a time.
   */
  constructor(gate: Gate, heartbeatMs: number, overviewMs: number, overview: () => Promise<unknown>) {
    this.#heartbeatMs = heartbeatMs;
    this.#overviewMs = overviewMs;
    this.#overview = overview;
    for (const type of FORWARDED) {
      this.#unsubscribe.push(
        gate.on(type, (event: object) => {
          this.#backlog.push([type, event]);
          if (this.#backlog.length > BACKLOG) this.#backlog.shift();
          if (this.#clients.size === 0) return;
          this.#broadcast(frame(type, forOperator(event)));
          this.#overviewChanged();
        }),
      );
    }
  }

  /** Whether `close()` was called: no stream is opened any more. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Start a stream on `res`; it ends when the client goes away or the hub closes. */
  async open(res: ServerResponse, headers: Record<string, string>): Promise<void> {
    // The first overview is ready before the stream opens, so a stream never starts on a stale or missing one.
    const data = await this.#overview();
    const text = JSON.stringify(data);
    const first = `event: overview\ndata: ${text}\n\n`;
    if (this.#closed || res.destroyed) return void res.destroy();
    res.writeHead(200, {
      ...BASE_HEADERS,
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    const client: Client = { res, blocked: false, blockedBeats: 0, queue: [], queuedBytes: 0, overview: undefined };
    if (this.#clients.size === 0) this.#start();
    this.#lastOverview = text;
    this.#clients.add(client);
    res.on('close', () => {
      this.#clients.delete(client);
      if (this.#clients.size === 0) this.#stop();
    });
    this.#send(client, `: connected\n\n${this.#backlog.map(([type, event]) => frame(type, forOperator(event))).join('')}${first}`);
  }

  /** End every stream and stop listening; later streams are refused. */
  close(): void {
    this.#closed = true;
    for (const client of this.#clients) {
      // A stream that cannot flush would keep its connection (and `server.close()`) open: cut it.
      if (client.blocked || client.res.writableLength > 0) client.res.destroy();
      else client.res.end();
    }
    this.#clients.clear();
    this.#stop();
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe.length = 0;
    this.#backlog.length = 0;
  }

  #start(): void {
    this.#lastOverview = '';
    this.#timers.push(
      setInterval(() => this.#heartbeat(), this.#heartbeatMs),
      setInterval(() => void this.#pushOverview(), this.#overviewMs),
    );
    for (const t of this.#timers) t.unref();
  }

  #stop(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    if (this.#overviewSoon) clearTimeout(this.#overviewSoon);
    this.#overviewSoon = undefined;
  }

  #heartbeat(): void {
    for (const client of this.#clients) {
      if (!client.blocked) this.#send(client, ': heartbeat\n\n');
      else if (++client.blockedBeats > MAX_BLOCKED_HEARTBEATS) this.#drop(client);
    }
  }

  // A burst of joins sends one overview, not one per join.
  #overviewChanged(): void {
    if (this.#overviewSoon) return;
    this.#overviewSoon = setTimeout(() => {
      this.#overviewSoon = undefined;
      void this.#pushOverview();
    }, 100);
    this.#overviewSoon.unref();
  }

  async #pushOverview(): Promise<void> {
    if (this.#overviewRunning || this.#clients.size === 0) return;
    this.#overviewRunning = true;
    try {
      const data = await this.#overview();
      const text = JSON.stringify(data);
      if (text === this.#lastOverview || this.#closed) return;
      this.#lastOverview = text;
      const overview = frame('overview', data);
      for (const client of this.#clients) {
        if (client.blocked) client.overview = overview;
        else this.#send(client, overview);
      }
    } catch {
      // The next tick tries again; the page keeps its last overview meanwhile.
    } finally {
      this.#overviewRunning = false;
    }
  }

  #broadcast(text: string): void {
    for (const client of this.#clients) this.#send(client, text);
  }

  #send(client: Client, text: string): void {
    if (client.blocked) {
      client.queue.push(text);
      client.queuedBytes += text.length;
      if (client.queuedBytes > MAX_QUEUED_BYTES) this.#drop(client);
      return;
    }
    if (client.res.write(text)) return;
    client.blocked = true;
    client.blockedBeats = 0;
    client.res.once('drain', () => this.#drain(client));
  }

  #drain(client: Client): void {
    client.blocked = false;
    const queued = client.queue.splice(0);
    client.queuedBytes = 0;
    if (client.overview !== undefined) queued.push(client.overview);
    client.overview = undefined;
    if (queued.length > 0) this.#send(client, queued.join(''));
  }

  #drop(client: Client): void {
    this.#clients.delete(client);
    client.queue.length = 0;
    client.queuedBytes = 0;
    client.res.destroy();
    if (this.#clients.size === 0) this.#stop();
  }
}

/** One server-sent event. JSON has no raw line breaks, so `data:` is one line. */
function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
