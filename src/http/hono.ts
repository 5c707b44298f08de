import type { Gate } from '../gate/index.js';
import type { Decision } from '../gate/types.js';
import { ErrorCode, GeoadmitError } from '../errors/index.js';
import { adapterOptions, keysOf } from '../internal/options.js';
import { admitRequest, defaultOnError, reportError } from './internal/admit.js';
import { ANSWER_HEADERS } from './internal/respond.js';
import { type ApplicationFields, joinFromRequest, type JoinIdsResult, type FetchRequestLike, type NodeRequestLike } from './join.js';

/** Every key `honoAdmission` accepts. */
const HONO_OPTION_KEYS = keysOf<HonoAdmissionOptions>({ join: true, peerAddress: true, onError: true, onDenied: true });

/**
 * A Hono `Context`, structurally: the Fetch request (`c.req.raw`), the
 * runtime's bindings (`c.env`) and `c.set` for handing the decision on.
 */
export type HonoContextLike = {
  readonly req: { readonly raw: FetchRequestLike } & ApplicationFields;
  readonly env?: unknown;
  set(key: 'geoadmit', value: Decision): void;
} & ApplicationFields;

/** What Hono's `c.get('geoadmit')` returns after {@link honoAdmission}: type your app as `new Hono<{ Variables: GeoadmitVariables }>()`. */
export interface GeoadmitVariables {
  /** The decision of the admitted join. */
  geoadmit: Decision;
}

/** Options of {@link honoAdmission}. */
export interface HonoAdmissionOptions<C extends HonoContextLike = HonoContextLike> {
  /**
   * The meeting and participant this request joins (sync or async; e.g.
   * `c.req.param('meetingId')`). A `join` that throws or returns unusable ids
   * gets `400 { "error": "invalid-join" }`; one that throws or rejects is also
   * handed to `onError` first.
   */
  join(c: C): JoinIdsResult;
  /**
   * The TCP peer's address. A Fetch request carries none, so it comes from the
   * runtime: by default the Node socket that `@hono/node-server` puts in
   * `c.env.incoming` (what its `getConnInfo` reads); on other runtimes pass
   * e.g. `(c) => getConnInfo(c).remote.address` from `hono/bun` or `hono/deno`.
   * Never a request header: forwarded headers count only from the gate's `trustedProxies`.
   */
  peerAddress?(c: C): string | undefined;
  /** Called with any failure other than a denial: a `join` that throws or rejects (`400`), the gate failing (a bare `500`). Default: `console.error`. */
  onError?(error: unknown, c: C): void;
  /**
   * Answer a denial yourself: return the `Response` (a page, a redirect to
   * the appeal). Without it the middleware answers with
   * `denialResponse(decision)`: `451` and the notice for a legal demand,
   * `403` otherwise. A throwing `onDenied` goes to `onError` and the client gets `500`.
   */
  onDenied?(decision: Decision, c: C): Response | Promise<Response>;
}

/** A Hono middleware (`MiddlewareHandler`), structurally. */
export type HonoAdmissionMiddleware<C extends HonoContextLike = HonoContextLike> = (c: C, next: () => Promise<void>) => Promise<Response | undefined>;

/** `@hono/node-server` passes `{ incoming, outgoing }` as the env: the incoming message has the socket. */
function nodeServerPeer(c: HonoContextLike): string | undefined {
  const incoming = (c.env as { incoming?: NodeRequestLike } | undefined)?.incoming;
  const address = incoming?.socket?.remoteAddress;
  return typeof address === 'string' ? address : undefined;
}

function answer(status: number, body: object, headers: Readonly<Record<string, string>> = ANSWER_HEADERS): Response {
  return new Response(JSON.stringify(body), { status, headers });
}

/**
 * Hono middleware: admits each request through the gate before the next
 * handler. Denied: `451` with the notice for a takedown or sanctions
 * restriction (`Link: <url>; rel="blocked-by"` when it has a URL), `403 {
 * "error": "admission-denied", "reasons": [...] }` otherwise, or `onDenied`'s
 * answer; admitted: `c.get('geoadmit')` holds the decision.
 *
 * @example
 * const app = new Hono<{ Variables: GeoadmitVariables }>();
 * app.post('/meetings/:meetingId/join',
 *   honoAdmission(gate, { join: (c) => ({ meetingId: c.req.param('meetingId'), participantId: c.get('userId') }) }),
 *   (c) => c.json({ admitted: c.get('geoadmit').admitted }));
 */
export function honoAdmission<C extends HonoContextLike = HonoContextLike>(gate: Gate, options: HonoAdmissionOptions<C>): HonoAdmissionMiddleware<C> {
  adapterOptions<HonoAdmissionOptions>('honoAdmission', gate, options, HONO_OPTION_KEYS);
  const onError = options.onError ?? defaultOnError;
  const peerOf = options.peerAddress ?? nodeServerPeer;
  return async (c, next) => {
    const outcome = await admitRequest(
      gate,
      () => options.join(c),
      (ids) => {
        const peerAddress = peerOf(c);
        if (peerAddress === undefined || peerAddress === '') {
          // The server's configuration, not the client's request, is at fault.
          throw new GeoadmitError(
            ErrorCode.InvalidConfig,
            'honoAdmission: no peer address; outside @hono/node-server pass options.peerAddress (e.g. getConnInfo(c).remote.address)',
            { argument: 'peerAddress' },
          );
        }
        return joinFromRequest(c.req.raw, { ...ids, peerAddress });
      },
    );
    if (!outcome.admitted) {
      if (outcome.report) reportError(onError, outcome.error, c);
      if (outcome.decision !== undefined && options.onDenied !== undefined) {
        try {
          return await options.onDenied(outcome.decision, c);
        } catch (error) {
          reportError(onError, error, c);
          return answer(500, { error: 'internal-error' });
        }
      }
      return answer(outcome.status, outcome.body, outcome.headers);
    }
    c.set('geoadmit', outcome.decision);
    await next();
    return undefined;
  };
}
