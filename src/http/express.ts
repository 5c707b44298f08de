import type { Gate } from '../gate/index.js';
import type { Decision } from '../gate/types.js';
import { adapterOptions, keysOf } from '../internal/options.js';
import { admitRequest, defaultOnError, reportError } from './internal/admit.js';
import { type NodeResponseLike, sendJson } from './internal/respond.js';
import { type ApplicationFields, joinFromRequest, type JoinIdsResult, type NodeRequestLike } from './join.js';

/** Every key `admissionMiddleware` accepts. */
const EXPRESS_OPTION_KEYS = keysOf<AdmissionMiddlewareOptions>({ join: true, onError: true, onDenied: true });

/** Options of {@link admissionMiddleware}. */
export interface AdmissionMiddlewareOptions<Req extends NodeRequestLike = ExpressLikeRequest> {
  /**
   * The meeting and participant this request joins, from your own routing
   * and authentication (e.g. `req.params.meetingId`, your session's user id).
   * A `join` that throws, or returns ids that are not non-empty strings of at
   * most 256 characters, gets `400 { "error": "invalid-join" }`; one that
   * throws or rejects (a bug, such as reading `req.user` without the auth
   * middleware) is also handed to `onError` first.
   */
  join(req: Req): JoinIdsResult;
  /**
   * Called with any failure other than a denial: a `join` that throws or
   * rejects (the client gets `400`), the gate failing (a bare `500 { "error":
   * "internal-error" }`); details never leave the server. Default: `console.error`.
   */
  onError?(error: unknown, req: Req): void;
  /**
   * Answer a denial yourself (a page, a redirect to the appeal). Without it
   * the middleware answers with `denialResponse(decision)`: `451` and the notice
   * for a legal demand, `403` otherwise. A throwing or rejecting `onDenied`
   * goes to `onError`, and the client gets `500` if nothing was sent yet.
   */
  onDenied?(decision: Decision, req: Req, res: NodeResponseLike): void | Promise<void>;
}

/** An Express or Connect request, loosely: any fields your `join` reads (`params`, `body`, `user`, ...). */
export type ExpressLikeRequest = NodeRequestLike & { geoadmit?: Decision } & ApplicationFields;

/** An Express / Connect middleware function. */
export type AdmissionMiddleware<Req extends NodeRequestLike = ExpressLikeRequest> = (req: Req, res: NodeResponseLike, next: (error?: unknown) => void) => void;

export type { NodeResponseLike };

declare global {
  // Express's own `Request` type merges this namespace: `req.geoadmit` is typed for Express users.
  // Declaring it costs nothing for everyone else.
  namespace Express {
    interface Request {
      /** The admission decision, set by geoadmit's `admissionMiddleware` on admitted requests. */
      geoadmit?: import('../gate/types.js').Decision;
    }
  }
}

/**
 * Express / Connect middleware that admits each request through the gate
 * before your handler runs. Denied by a takedown or sanctions restriction:
 * `451 { "error": "unavailable-for-legal-reasons", "reasons": [...],
 * "notice": {...} }` with `Link: <url>; rel="blocked-by"` when the notice has
 * a URL; any other denial: `403 { "error": "admission-denied", "reasons":
 * ["region-restricted", ...] }` (never the location or the address); your
 * handler is not called (`onDenied` answers instead when given). Admitted: the
 * decision is on `req.geoadmit` and `res.locals.geoadmit`, the participant
 * is on the gate's roster, and `next()` is called.
 *
 * The peer is the socket's remote address; forwarded headers count only from
 * the gate's `trustedProxies` (Express's own `trust proxy` setting is not used).
 *
 * @example
 * app.post('/meetings/:meetingId/join', admissionMiddleware(gate, {
 *   join: (req) => ({ meetingId: req.params.meetingId, participantId: req.user.id }),
 * }), (req, res) => res.json({ token: mintToken(req.user.id) }));
 */
export function admissionMiddleware<Req extends NodeRequestLike = ExpressLikeRequest>(
  gate: Gate,
  options: AdmissionMiddlewareOptions<Req>,
): AdmissionMiddleware<Req> {
  adapterOptions<AdmissionMiddlewareOptions>('admissionMiddleware', gate, options, EXPRESS_OPTION_KEYS);
  const onError = options.onError ?? defaultOnError;
  return (req, res, next) => {
    admitRequest(
      gate,
      () => options.join(req),
      (ids) => joinFromRequest(req, ids),
    )
      .then((outcome) => {
        if (!outcome.admitted) {
          if (outcome.report) reportError(onError, outcome.error, req);
          if (outcome.decision !== undefined && options.onDenied !== undefined) return options.onDenied(outcome.decision, req, res);
          sendJson(res, outcome.status, outcome.body, outcome.headers);
          return;
        }
        (req as { geoadmit?: Decision }).geoadmit = outcome.decision;
        if (res.locals !== null && typeof res.locals === 'object') res.locals.geoadmit = outcome.decision;
        next();
      })
      // admitRequest settles every failure into an outcome; this catches a `next` or an `onDenied` that throws.
      .catch((error: unknown) => {
        reportError(onError, error, req);
        sendJson(res, 500, { error: 'internal-error' });
      });
  };
}
