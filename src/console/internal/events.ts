import type { ServerResponse } from 'node:http';
import type { GateEventMap } from '../../events/types.js';
import type { Gate } from '../../gate/index.js';
import { BASE_HEADERS } from './http.js';

/** The gate events an operator watches. Errors are left out: their text and causes are for the server log. */
const FORWARDED = [
  'decision',
  'removal',
  'restriction.accepted',
  'restriction.refused',
  'restriction.lifted',
  'warning',
  'geo.reloaded',
  'store.disconnected',
  'store.reconnected',
  'store.resynced',
  'store.regressed',
] as const satisfies readonly (keyof GateEventMap)[];

// Fields that can carry (a form of) a client address. The gate already redacts them as `audit.ip`
// says, but an operator watching a live page needs none of them: leave them out entirely.
const WITHHELD = new Set(['address', 'peer', 'error']);

/** An event as sent to the page: the audit event without any address field. */
export function forOperator(event: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) if (!WITHHELD.has(key)) out[key] = value;
  return out;
}

/** How many recent events a newly opened stream receives first, so the page shows what just happened. */
const BACKLOG = 100;

/**
 * Fans the gate's events out to the open `api/events` streams. It keeps the
 * last {@link BACKLOG} events for streams opened later, pushes the meeting
 * overview when it changes (leaves emit no event, so it is also checked on a
 * timer while a stream is open), and sends a heartbeat comment so proxies
 * keep idle streams open.
 */
export class EventHub {
  readonly #gate: Gate;
  readonly #heartbeatMs: number;
  readonly #overviewMs: number;
  readonly #clients = new Set<ServerResponse>();
  readonly #unsubscribe: (() => void)[] = [];
  // Events as the gate emitted them (serialised only when a stream opens: no cost on the join path).
  readonly #backlog: [string, object][] = [];
  #timers: NodeJS.Timeout[] = [];
  #overviewSoon: NodeJS.Timeout | undefined;
  #lastOverview = '';

  constructor(gate: Gate, heartbeatMs: number, overviewMs: number) {
    this.#gate = gate;
    this.#heartbeatMs = heartbeatMs;
    this.#overviewMs = overviewMs;
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

  /** Start a stream on `res`; it ends when the client goes away or the hub closes. */
  open(res: ServerResponse, headers: Record<string, string>): void {
    res.writeHead(200, {
      ...BASE_HEADERS,
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    if (this.#clients.size === 0) this.#start();
    this.#clients.add(res);
    res.write(`: connected\n\n`);
    res.write(this.#backlog.map(([type, event]) => frame(type, forOperator(event))).join(''));
    res.write(frame('overview', { meetings: this.#gate.overview() }));
    res.on('close', () => {
      this.#clients.delete(res);
      if (this.#clients.size === 0) this.#stop();
    });
  }

  /** End every stream and stop listening. */
  close(): void {
    for (const res of this.#clients) res.end();
    this.#clients.clear();
    this.#stop();
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe.length = 0;
    this.#backlog.length = 0;
  }

  #start(): void {
    this.#lastOverview = JSON.stringify(this.#gate.overview());
    this.#timers.push(
      setInterval(() => this.#broadcast(': heartbeat\n\n'), this.#heartbeatMs),
      setInterval(() => this.#pushOverview(), this.#overviewMs),
    );
    for (const t of this.#timers) t.unref();
  }

  #stop(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    if (this.#overviewSoon) clearTimeout(this.#overviewSoon);
    this.#overviewSoon = undefined;
  }

  // A burst of joins sends one overview, not one per join.
  #overviewChanged(): void {
    if (this.#overviewSoon) return;
    this.#overviewSoon = setTimeout(() => {
      this.#overviewSoon = undefined;
      this.#pushOverview();
    }, 100);
    this.#overviewSoon.unref();
  }

  #pushOverview(): void {
    const meetings = this.#gate.overview();
    const text = JSON.stringify(meetings);
    if (text === this.#lastOverview) return;
    this.#lastOverview = text;
    this.#broadcast(frame('overview', { meetings }));
  }

  #broadcast(text: string): void {
    for (const res of this.#clients) res.write(text);
  }
}

/** One server-sent event. JSON has no raw line breaks, so `data:` is one line. */
function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
