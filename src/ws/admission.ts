import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCode, GeoadmitError, isGeoadmitError } from '../errors/index.js';
import type { Decision, Gate, ParticipantRef } from '../gate/index.js';
import { denialResponse } from '../http/deny.js';
import { type ApplicationFields, joinFromRequest, type JoinIds, type JoinIdsResult } from '../http/join.js';
import { assertKnownKeys } from '../internal/options.js';
import { closeReason } from './internal/close-reason.js';
import { type Connection, Connections, refOf, type SocketLike } from './internal/connections.js';
import { answerUpgrade, isHandshake } from './internal/upgrade.js';

/** Close codes the admission uses (4000–4999 are the application's range). */
export const WsCloseCode = {
  /** A restriction removed the participant; the close reason is the notice's text. */
  Removed: 4451,
  /** A later connection of the same participant to the same meeting was admitted and took this one's place. */
  Replaced: 4409,
} as const;

/** The part of a `ws` `WebSocket` the admission uses. */
export interface WebSocketLike extends SocketLike {
  /** Close the connection with a code and a reason (at most 123 UTF-8 bytes). */
  close(code?: number, reason?: string): void;
}

/** The upgrade request as your `join` reads it: Node's request plus whatever your own middleware put on it. */
export type WsUpgradeRequest = IncomingMessage & { geoadmit?: Decision } & ApplicationFields;

/**
 * The part of a `ws` `WebSocketServer` the admission uses: every upgrade, in
 * every mode (`server`, `port` or `noServer`), goes through `handleUpgrade`.
 */
export interface WebSocketServerLike<S extends WebSocketLike = WebSocketLike> {
  /** Complete an upgrade; `callback` receives the open WebSocket. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, callback: (client: S, request: IncomingMessage) => void): void;
  /** Whether this server takes the request (its `path` option); others are not admitted. */
  shouldHandle?(request: IncomingMessage): boolean | Promise<boolean>;
}

/** Options of {@link wsAdmission}. */
export interface WsAdmissionOptions<S extends WebSocketLike = WebSocketLike> {
  /**
   * The meeting and participant an upgrade joins, from your own routing and
   * authentication (the URL, a session cookie, a signed ticket). Sync or
   * async. A `join` that throws or rejects goes to `onError` and the upgrade
   * is answered `400 { "error": "invalid-join" }`, as are ids that are not
   * non-empty strings of at most 256 characters.
   */
  join(req: WsUpgradeRequest): JoinIdsResult;
  /**
   * Called when a restriction removes a participant, just before their socket
   * closes with `4451`: send them your own message here (the notice, a
   * sentence in their language). Messages sent now arrive before the close.
   */
  notify?(socket: S, participant: ParticipantRef, decision: Decision): void;
  /**
   * Your own `onRemove` (a media-server remover, your bookkeeping), called
   * for every removal after the participant's socket is closed; a failure or
   * a rejection leaves the removal pending in the gate, as usual.
   */
  onRemove?(participant: ParticipantRef, decision: Decision): void | Promise<void>;
  /**
   * Called with every failure that is not a denial: a `join` that throws or
   * rejects (the upgrade gets `400`), the gate failing (`500`), a `notify`
   * that throws. Details never reach the client. Default: `console.error`.
   */
  onError?(error: unknown, req: WsUpgradeRequest | undefined): void;
}

/** What {@link wsAdmission} returns. */
export interface WsAdmission<S extends WebSocketLike = WebSocketLike> {
  /**
   * Admit every upgrade of `wss` through `gate` before its socket opens.
   * Call it once per server, after creating the gate with
   * {@link WsAdmission.onRemove}. Returns a function that detaches again.
   */
  attach(wss: WebSocketServerLike<S>, gate: Gate): () => void;
  /**
   * Pass to `createGate({ onRemove })`: closes the removed participant's
   * socket with `4451` and the notice's text as the reason, then calls your
   * own `onRemove`, if any.
   */
  readonly onRemove: (participant: ParticipantRef, decision: Decision) => Promise<void>;
  /** The participant an open socket belongs to; `undefined` once it was removed, replaced or closed. */
  participant(socket: S): ParticipantRef | undefined;
  /** A participant's open socket in a meeting, if any. */
  socket(meetingId: string, participantId: string): S | undefined;
}

const OPTIONS = ['join', 'notify', 'onRemove', 'onError'] as const;
const INVALID_JOIN = Object.freeze({ error: 'invalid-join' });
const INTERNAL = Object.freeze({ error: 'internal-error' });
const JSON_HEADERS = Object.freeze({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
// A removal with no notice text still tells the participant something.
const DEFAULT_REMOVAL_REASON = 'removed by a restriction';

function defaultOnError(error: unknown): void {
  console.error('geoadmit: WebSocket admission failed', error);
}

function checkOptions<S extends WebSocketLike>(options: WsAdmissionOptions<S>): void {
  assertKnownKeys(options, OPTIONS, 'wsAdmission');
  if (typeof options.join !== 'function') {
    throw new GeoadmitError(ErrorCode.InvalidConfig, 'wsAdmission: options.join must be a function (req) => ({ meetingId, participantId })', {
      argument: 'join',
    });
  }
  for (const name of ['notify', 'onRemove', 'onError'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new GeoadmitError(ErrorCode.InvalidConfig, `wsAdmission: options.${name} must be a function`, { argument: name });
    }
  }
}

/**
 * WebSocket admission for a `ws` server: each upgrade is admitted through
 * the gate before its socket opens, an open socket is on the gate's roster
 * and leaves it when it closes, and a removal closes the participant's
 * socket with code `4451` and the notice's text as the reason.
 *
 * A denied upgrade never becomes a WebSocket: it is answered with the same
 * status and body as the HTTP adapters (`451` with the notice for a takedown
 * or sanctions restriction, `403` otherwise), `400` for unusable ids, `500`
 * when the gate fails. An upgrade whose client hangs up before its socket
 * opens leaves nothing on the roster. A participant has one connection per
 * meeting: when a later one is admitted, the earlier one closes with `4409`.
 * The admitted decision is on `req.geoadmit` in your `connection` handler.
 *
 * The peer is the TCP peer; forwarded headers count only from the gate's
 * `trustedProxies`.
 *
 * @example
 * import { WebSocketServer } from 'ws';
 * const sockets = wsAdmission({
 *   join: (req) => {
 *     const url = new URL(req.url ?? '/', 'http://localhost');
 *     return { meetingId: url.searchParams.get('meeting') ?? '', participantId: url.searchParams.get('participant') ?? '' };
 *   },
 * });
 * const gate = createGate({ geo: await openDefaultResolver(), onRemove: sockets.onRemove });
 * const wss = new WebSocketServer({ server });
 * sockets.attach(wss, gate);
 * wss.on('connection', (socket) => {
 *   // Admitted and on the roster; it leaves the roster when this socket closes.
 *   socket.send('welcome');
 * });
 */
export function wsAdmission<S extends WebSocketLike = WebSocketLike>(options: WsAdmissionOptions<S>): WsAdmission<S> {
  checkOptions(options);
  const onError = options.onError ?? defaultOnError;
  const report = (error: unknown, req: WsUpgradeRequest | undefined): void => {
    try {
      onError(error, req);
    } catch {
      // A failing logger: nothing more to do.
    }
  };

  const connections: Connections<S> = new Connections<S>({
    closeRemoved(connection, socket, decision) {
      if (options.notify !== undefined) {
        try {
          options.notify(socket, refOf(connection), decision);
        } catch (error) {
          report(error, undefined);
        }
      }
      closeQuietly(socket, WsCloseCode.Removed, closeReason(decision.notice?.text ?? DEFAULT_REMOVAL_REASON), report);
    },
    closeReplaced(socket) {
      closeQuietly(socket, WsCloseCode.Replaced, 'replaced by a newer connection', report);
    },
    failed: (error) => report(error, undefined),
  });

  let boundGate: Gate | undefined;

  async function upgrade(gate: Gate, req: WsUpgradeRequest, socket: Duplex, proceed: (connection: Connection<S>) => void): Promise<void> {
    let ids: JoinIds;
    try {
      ids = await options.join(req);
    } catch (error) {
      // An application bug (a missing auth middleware, say) must be heard, not just answered 400.
      report(error, req);
      answerUpgrade(socket, 400, JSON_HEADERS, INVALID_JOIN);
      return;
    }
    if (ids === null || typeof ids !== 'object') {
      answerUpgrade(socket, 400, JSON_HEADERS, INVALID_JOIN);
      return;
    }
    // Hung up while the application looked the ids up: nobody to admit.
    if (socket.destroyed) return;
    const join = joinFromRequest(req, ids);
    const connection = connections.begin(gate, join.meetingId, join.participantId, join.hostAccountId);
    socket.once('close', () => connections.closed(connection));
    let decision: Decision;
    try {
      decision = await gate.admit(join);
    } catch (error) {
      connections.refused(connection);
      // The gate refuses a join it cannot read (ids too long, empty...) with E_INVALID_JOIN.
      if (isGeoadmitError(error, ErrorCode.InvalidJoin) && (error as { argument?: string }).argument?.startsWith('join.')) {
        answerUpgrade(socket, 400, JSON_HEADERS, INVALID_JOIN);
        return;
      }
      report(error, req);
      answerUpgrade(socket, 500, JSON_HEADERS, INTERNAL);
      return;
    }
    if (!decision.admitted) {
      connections.refused(connection);
      const { status, headers, body } = denialResponse(decision);
      answerUpgrade(socket, status, headers, body);
      return;
    }
    if (!connections.admitted(connection)) {
      // Removed while it was being decided: answered like a denial by that restriction.
      if (connection.removed !== undefined) {
        const { status, headers, body } = denialResponse({ ...connection.removed, admitted: false });
        answerUpgrade(socket, status, headers, body);
      } else socket.destroy();
      return;
    }
    req.geoadmit = decision;
    proceed(connection);
  }

  return {
    attach(wss, gate) {
      if (wss === null || typeof wss !== 'object' || typeof wss.handleUpgrade !== 'function') {
        throw new GeoadmitError(ErrorCode.InvalidConfig, 'wsAdmission: attach(wss, gate) takes a ws WebSocketServer', { argument: 'wss' });
      }
      if (gate === null || typeof gate !== 'object' || typeof gate.admit !== 'function' || typeof gate.leave !== 'function') {
        throw new GeoadmitError(ErrorCode.InvalidConfig, 'wsAdmission: attach(wss, gate) takes the gate from createGate', { argument: 'gate' });
      }
      // Removals name a participant, not a gate: one admission serves one gate.
      if (boundGate !== undefined && boundGate !== gate) {
        throw new GeoadmitError(ErrorCode.InvalidConfig, 'wsAdmission: already attached to another gate; create one wsAdmission per gate', {
          argument: 'gate',
        });
      }
      if (ATTACHED.has(wss)) {
        throw new GeoadmitError(ErrorCode.InvalidConfig, 'wsAdmission: this WebSocketServer is already attached', { argument: 'wss' });
      }
      boundGate = gate;
      const original = wss.handleUpgrade;
      const handleUpgrade: WebSocketServerLike<S>['handleUpgrade'] = (req, socket, head, callback) => {
        // Only handshakes ws would accept, for this server's path, are admitted; ws answers the rest itself.
        if (!isHandshake(req) || wss.shouldHandle?.(req) === false) return original.call(wss, req, socket, head, callback);
        // Until ws takes the socket over, a reset during admission must not become an unhandled 'error'.
        const onSocketError = (): void => void socket.destroy();
        socket.on('error', onSocketError);
        upgrade(gate, req as WsUpgradeRequest, socket, (connection) => {
          socket.off('error', onSocketError);
          original.call(wss, req, socket, head, (client, request) => {
            connections.opened(connection, client);
            callback(client, request);
          });
        }).catch((error: unknown) => {
          report(error, req as WsUpgradeRequest);
          answerUpgrade(socket, 500, JSON_HEADERS, INTERNAL);
        });
      };
      wss.handleUpgrade = handleUpgrade;
      ATTACHED.add(wss);
      return () => {
        if (wss.handleUpgrade === handleUpgrade) wss.handleUpgrade = original;
        ATTACHED.delete(wss);
      };
    },
    onRemove: async (participant, decision) => {
      // The gate always passes the decision; a hand-made call without one still closes the socket.
      connections.remove(participant, decision ?? NO_DECISION);
      await options.onRemove?.(participant, decision);
    },
    participant: (socket) => connections.participantOf(socket),
    socket: (meetingId, participantId) => connections.socketOf(meetingId, participantId),
  };
}

// What a removal without a decision is recorded as: denied, nothing more known.
const NO_DECISION: Decision = Object.freeze({
  admitted: false,
  reasons: [],
  dryRun: [],
  location: { subdivisions: [], source: 'unknown', unknown: 'invalid-address' },
}) as Decision;

// Two admissions on one server would admit every upgrade twice.
const ATTACHED = new WeakSet<object>();

function closeQuietly(socket: WebSocketLike, code: number, reason: string, report: (error: unknown, req: undefined) => void): void {
  try {
    socket.close(code, reason);
  } catch (error) {
    report(error, undefined);
  }
}
