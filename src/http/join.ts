import { ErrorCode, GeoadmitError } from '../errors/index.js';
import { guardInput } from '../internal/options.js';
import type { Join } from '../gate/types.js';

/**
 * Node's `IncomingMessage`, structurally (Express, Connect and Fastify's
 * `request.raw` are all of this shape). No framework types are needed.
 */
export interface NodeRequestLike {
  /** The connection; its `remoteAddress` is the peer address of the join. */
  readonly socket: { readonly remoteAddress?: string | undefined };
  /** Request headers, lower-case names; forwarded headers are read only from trusted proxies. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** The Fetch API `Request` (or anything whose `headers` is a `Headers`), structurally. */
export interface FetchRequestLike {
  /** Request headers; forwarded headers are read only from trusted proxies. */
  readonly headers: {
    get(name: string): string | null;
    forEach(callback: (value: string, key: string) => void): void;
  };
}

/**
 * The fields an application's `join` reads from its framework's request
 * (`params`, `body`, `user`, ...), which geoadmit cannot know: deliberately loose.
 */
// biome-ignore lint/suspicious/noExplicitAny: the application's own request fields, typed by its framework, not by geoadmit
export type ApplicationFields = Record<string, any>;

/** The ids of a join: which meeting, which participant (your own identifiers). */
export interface JoinIds {
  /** Your identifier for the meeting being joined (1–256 characters). */
  meetingId: string;
  /** Your identifier for the joining participant (1–256 characters). */
  participantId: string;
  /** The meeting host's account, so account-scoped restrictions apply. */
  hostAccountId?: string;
  /** Extra evidence for `LocationSource` plugins (e.g. `{ dialIn: '+8610…' }`). */
  context?: Record<string, unknown>;
}

/** What an adapter's `join` callback returns: the ids of the join (sync or async). */
export type JoinIdsResult = JoinIds | Promise<JoinIds>;

/** {@link JoinIds} plus the peer address, which a Fetch API server has to supply. */
export interface JoinRequestIds extends JoinIds {
  /**
   * The address of the TCP peer. Required for a Fetch API `Request` (it does
   * not carry one: take it from your server, e.g. `getConnInfo(c).remote.address`
   * in Hono, `server.requestIP(req)` in Bun). Ignored for a Node request, whose
   * peer is always its socket's remote address.
   */
  peerAddress?: string;
}

function isFetchRequest(req: NodeRequestLike | FetchRequestLike): req is FetchRequestLike {
  const headers = (req as { headers?: unknown }).headers as { get?: unknown; forEach?: unknown } | undefined;
  return typeof headers?.get === 'function' && typeof headers.forEach === 'function';
}

/** Fetch `Headers` as the plain lower-case record a join carries (repeated headers arrive joined by `, `). */
function headersRecord(headers: FetchRequestLike['headers']): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  headers.forEach((value, key) => {
    out[key.toLowerCase()] = value;
  });
  return out;
}

/**
 * Build a gate `Join` from an HTTP request: the peer is the socket's remote
 * address for Node's `IncomingMessage` (never a header: forwarded headers are
 * read by the gate, and only from its trusted proxies), or `ids.peerAddress`
 * for a Fetch API `Request`; the headers are the request's.
 *
 * @throws GeoadmitError `E_INVALID_JOIN` when no peer address is known (a
 * Fetch request without `ids.peerAddress`, or a Node socket already closed).
 *
 * @example
 * http.createServer(async (req, res) => {
 *   const decision = await gate.admit(joinFromRequest(req, { meetingId: 'm-1', participantId: 'p-7' }));
 * });
 * // Fetch API servers (Bun, Deno, Hono on any runtime) supply the peer themselves:
 * const join = joinFromRequest(request, { meetingId, participantId, peerAddress: server.requestIP(request)?.address });
 */
export function joinFromRequest(req: NodeRequestLike | FetchRequestLike, ids: JoinRequestIds): Join {
  // The request and ids are read deep inside: a getter or Proxy trap that throws there is a bad join.
  return guardInput('joinFromRequest', 'req', () => joinUnguarded(req, ids), ErrorCode.InvalidJoin);
}

function joinUnguarded(req: NodeRequestLike | FetchRequestLike, ids: JoinRequestIds): Join {
  const fetchRequest = isFetchRequest(req);
  const peerAddress = fetchRequest ? ids.peerAddress : (req as NodeRequestLike).socket?.remoteAddress;
  if (typeof peerAddress !== 'string' || peerAddress === '') {
    throw new GeoadmitError(
      ErrorCode.InvalidJoin,
      fetchRequest
        ? 'joinFromRequest: a Fetch API Request carries no peer address; pass ids.peerAddress from your server'
        : 'joinFromRequest: the request has no socket remote address (the connection is closed)',
      { argument: fetchRequest ? 'ids.peerAddress' : 'req.socket.remoteAddress' },
    );
  }
  const join: Join = {
    meetingId: ids.meetingId,
    participantId: ids.participantId,
    peerAddress,
    headers: fetchRequest ? headersRecord(req.headers) : (req as NodeRequestLike).headers,
  };
  if (ids.hostAccountId !== undefined) join.hostAccountId = ids.hostAccountId;
  if (ids.context !== undefined) join.context = ids.context;
  return join;
}
