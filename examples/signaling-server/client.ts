/**
 * A minimal client for the signaling server, used by the demo and the tests.
 * A browser would do the same with `new WebSocket(url)`; here the client can
 * also set `X-Forwarded-For` on the upgrade request, as a reverse proxy in
 * front of the server would.
 */
import { WebSocket } from 'ws';
import type { ClientMessage, ServerMessage } from './protocol.js';

/** How the connection ended. */
export interface Closed {
  code: number;
  reason: string;
}

/** A connected client with a queue of the messages it received. */
export interface SignalingClient {
  readonly socket: WebSocket;
  /** Every message received so far, oldest first. */
  readonly received: readonly ServerMessage[];
  /** Resolves when the socket closes. */
  readonly closed: Promise<Closed>;
  send(message: ClientMessage | Record<string, unknown> | string): void;
  /** The next not-yet-consumed message of `type` (waits up to `timeoutMs`). */
  next<T extends ServerMessage['type']>(type: T, timeoutMs?: number): Promise<Extract<ServerMessage, { type: T }>>;
  close(): Promise<Closed>;
}

/** Which meeting to join, as whom. */
export interface JoinTarget {
  meetingId: string;
  participantId: string;
  hostAccountId?: string;
}

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** Sent as `X-Forwarded-For` on the upgrade request (what a reverse proxy adds). */
  forwardedFor?: string;
}

/** The server refused the upgrade: no socket was opened. */
export interface Refused {
  /** HTTP status: 451 (a legal demand, with its notice), 403 (other denials), 400 (unusable ids). */
  status: number;
  /** The JSON body, e.g. `{ error: 'unavailable-for-legal-reasons', reasons, notice }`. */
  body: Record<string, unknown>;
  /** The `Link` header (`<url>; rel="blocked-by"`), when the notice has a URL. */
  link?: string;
}

/** The WebSocket URL of a meeting: `ws://…/?meeting=…&participant=…[&host=…]`. */
export function joinUrl(url: string, target: JoinTarget): string {
  const u = new URL(url);
  u.searchParams.set('meeting', target.meetingId);
  u.searchParams.set('participant', target.participantId);
  if (target.hostAccountId !== undefined) u.searchParams.set('host', target.hostAccountId);
  return u.href;
}

/** Join a meeting: the connected client when admitted, or the server's refusal. */
export async function connect(
  url: string,
  target: JoinTarget,
  options: ConnectOptions = {},
): Promise<{ admitted: true; client: SignalingClient } | { admitted: false; refused: Refused }> {
  const headers: Record<string, string> = {};
  if (options.forwardedFor !== undefined) headers['x-forwarded-for'] = options.forwardedFor;
  const socket = new WebSocket(joinUrl(url, target), { headers });
  const received: ServerMessage[] = [];
  const consumed = new Set<ServerMessage>();
  const waiters = new Set<() => void>();

  const closed = new Promise<Closed>((resolve) => {
    socket.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const wake of waiters) wake();
    });
  });
  socket.on('message', (data) => {
    received.push(JSON.parse(data.toString()) as ServerMessage);
    for (const wake of waiters) wake();
  });
  const opened = await new Promise<true | Refused>((resolve, reject) => {
    socket.once('open', () => resolve(true));
    // A denied upgrade is an HTTP answer, not a socket: read its status and body.
    socket.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          body = {};
        }
        const link = res.headers.link;
        resolve({ status: res.statusCode ?? 0, body, ...(typeof link === 'string' ? { link } : {}) });
      });
    });
    socket.once('error', reject);
  });
  if (opened !== true) return { admitted: false, refused: opened };

  const client: SignalingClient = {
    socket,
    received,
    closed,
    send(message) {
      socket.send(typeof message === 'string' ? message : JSON.stringify(message));
    },
    next(type, timeoutMs = 5000) {
      type Wanted = Extract<ServerMessage, { type: typeof type }>;
      return new Promise<Wanted>((resolve, reject) => {
        const check = (): boolean => {
          const found = received.find((m) => m.type === type && !consumed.has(m));
          if (found) {
            consumed.add(found);
            finish();
            resolve(found as Wanted);
            return true;
          }
          if (socket.readyState === WebSocket.CLOSED) {
            finish();
            reject(new Error(`connection closed before a '${type}' message arrived`));
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`no '${type}' message within ${timeoutMs} ms`));
        }, timeoutMs);
        const wake = (): void => void check();
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(wake);
        };
        if (!check()) waiters.add(wake);
      });
    },
    close() {
      if (socket.readyState !== WebSocket.CLOSED) socket.close(1000);
      return closed;
    },
  };
  return { admitted: true, client };
}
