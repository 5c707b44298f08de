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

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** Sent as `X-Forwarded-For` on the upgrade request (what a reverse proxy adds). */
  forwardedFor?: string;
}

/** Open a WebSocket to the server. */
export async function connect(url: string, options: ConnectOptions = {}): Promise<SignalingClient> {
  const headers: Record<string, string> = {};
  if (options.forwardedFor !== undefined) headers['x-forwarded-for'] = options.forwardedFor;
  const socket = new WebSocket(url, { headers });
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
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });

  return {
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
}
