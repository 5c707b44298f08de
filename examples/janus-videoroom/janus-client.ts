/**
 * A small client for Janus's HTTP API (REST transport), as a signaling front
 * uses it on behalf of each participant: one Janus session per participant,
 * a VideoRoom handle in it, synchronous requests answered inline, and
 * asynchronous ones (`join`) answered on the session's long-poll.
 *
 * geoadmit itself needs none of this: its `janusRemover` only kicks.
 */
import { randomUUID } from 'node:crypto';

/** One event Janus pushed on a session (a plugin event such as `joined` or `leaving: kicked`). */
export interface JanusEvent {
  janus: string;
  sender?: number;
  transaction?: string;
  plugindata?: { plugin: string; data: PluginData };
  [key: string]: unknown;
}

/** A Janus error answer, or a transport failure. */
export class JanusError extends Error {
  override readonly name = 'JanusError';
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}

const REQUEST_TIMEOUT_MS = 5000;

/** A Janus answer to a POST: `success` (with `data.id` for create / attach, `plugindata` for messages), `ack` or `error`. */
interface JanusAnswer {
  janus: string;
  data?: { id: number };
  error?: { code: number; reason: string };
  plugindata?: { plugin: string; data: PluginData };
}

/** A plugin's answer; errors carry `error_code` and `error`. */
type PluginData = Record<string, unknown> & { error_code?: number; error?: string };

async function post(url: string, body: Record<string, unknown>): Promise<JanusAnswer> {
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const answer = (await response.json()) as JanusAnswer;
  if (answer.janus === 'error') throw new JanusError(`Janus: ${answer.error?.reason}`, answer.error?.code);
  return answer;
}

/** A Janus session with its long-poll loop: events are dispatched to waiters and listeners. */
export class JanusSession {
  #closed = false;
  readonly #abort = new AbortController();
  readonly #waiters = new Map<string, (event: JanusEvent) => void>();
  readonly #listeners = new Set<(event: JanusEvent) => void>();
  /** Set when Janus no longer knows this session (it restarted, or the session timed out). */
  lost = false;

  /** Wraps a session Janus already created (use {@link JanusSession.create} to create one). */
  constructor(
    readonly url: string,
    readonly id: number,
  ) {
    void this.#poll();
  }

  /** Create a session on the Janus at `url` (the REST base, e.g. `http://127.0.0.1:8088/janus`). */
  static async create(url: string): Promise<JanusSession> {
    const answer = await post(url, { janus: 'create', transaction: randomUUID() });
    return new JanusSession(url, (answer.data as { id: number }).id);
  }

  /** Attach a plugin; resolves to the handle id. */
  async attach(plugin: string): Promise<number> {
    const answer = await post(`${this.url}/${this.id}`, { janus: 'attach', plugin, transaction: randomUUID() });
    return (answer.data as { id: number }).id;
  }

  /** A synchronous plugin request (`listparticipants`, `kick`, `create`...): resolves to the plugin's data. */
  async request(handle: number, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const answer = await post(`${this.url}/${this.id}/${handle}`, { janus: 'message', body, transaction: randomUUID() });
    const data = answer.plugindata?.data;
    if (data?.error_code !== undefined) throw new JanusError(`Janus plugin: ${data.error}`, data.error_code);
    return data ?? {};
  }

  /** An asynchronous plugin request (`join`): resolves to the event that answers it. */
  async send(handle: number, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const transaction = randomUUID();
    const answered = new Promise<JanusEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(transaction);
        reject(new JanusError(`Janus: no answer to ${String(body.request)} within ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      this.#waiters.set(transaction, (event) => {
        clearTimeout(timer);
        resolve(event);
      });
    });
    await post(`${this.url}/${this.id}/${handle}`, { janus: 'message', body, transaction });
    const event = await answered;
    const data = event.plugindata?.data ?? {};
    if (data.error_code !== undefined) throw new JanusError(`Janus plugin: ${data.error}`, data.error_code);
    return data;
  }

  /** Listen to every event pushed on this session; returns an unsubscribe function. */
  onEvent(listener: (event: JanusEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Destroy the session on Janus (best effort) and stop polling. */
  async destroy(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    if (!this.lost) await post(`${this.url}/${this.id}`, { janus: 'destroy', transaction: randomUUID() }).catch(() => undefined);
  }

  /** Long-poll loop: also what keeps the session alive (each poll counts as activity for Janus's session_timeout). */
  async #poll(): Promise<void> {
    while (!this.#closed) {
      try {
        const response = await fetch(`${this.url}/${this.id}?maxev=10&rid=${Date.now()}`, {
          signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(40_000)]),
        });
        const answer = (await response.json()) as JanusEvent | JanusEvent[];
        for (const event of Array.isArray(answer) ? answer : [answer]) {
          if (event.janus === 'error') {
            // 458: Janus does not know this session any more (restarted, or timed out).
            this.lost = true;
            this.#closed = true;
            return;
          }
          if (event.janus === 'keepalive') continue;
          const waiter = event.transaction === undefined ? undefined : this.#waiters.get(event.transaction);
          if (waiter && event.janus === 'event') {
            this.#waiters.delete(event.transaction as string);
            waiter(event);
          }
          for (const listener of this.#listeners) listener(event);
        }
      } catch {
        // Janus unreachable or paused: try again shortly, until the session is destroyed.
        if (!this.#closed) await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }
}
