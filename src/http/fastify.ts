import type { Gate } from '../gate/index.js';
import type { Decision } from '../gate/types.js';
import { ErrorCode, GeoadmitError } from '../errors/index.js';
import { adapterOptions, keysOf } from '../internal/options.js';
import { admitRequest, reportError } from './internal/admit.js';
import { ANSWER_HEADERS } from './internal/respond.js';
import { type ApplicationFields, joinFromRequest, type JoinIdsResult, type NodeRequestLike } from './join.js';

/** Every key `fastifyAdmissionHook` accepts. */
const HOOK_OPTION_KEYS = keysOf<Pick<FastifyAdmissionOptions, 'join' | 'onError' | 'onDenied'>>({ join: true, onError: true, onDenied: true });
/** Every key the `fastifyAdmission` plugin accepts. */
const PLUGIN_OPTION_KEYS = keysOf<FastifyAdmissionOptions>({ gate: true, join: true, hook: true, onError: true, onDenied: true });

/** A Fastify request, structurally: its Node request (`raw`) and whatever your `join` reads (`params`, `body`, `user`, ...). */
export type FastifyRequestLike = {
  readonly raw: NodeRequestLike;
  geoadmit?: Decision | null;
  log?: { error(obj: unknown, msg?: string): void };
} & ApplicationFields;

/** A Fastify reply, structurally. */
export interface FastifyReplyLike {
  /** Set the HTTP status code. */
  code(statusCode: number): FastifyReplyLike;
  /** Set one response header. */
  header(name: string, value: string): FastifyReplyLike;
  /** Send the body and finish the reply. */
  send(payload?: unknown): FastifyReplyLike;
}

/** The part of a Fastify instance the plugin uses. */
export interface FastifyInstanceLike {
  /** Register the admission hook (`onRequest` or `preHandler`). */
  addHook(name: 'onRequest' | 'preHandler', hook: FastifyAdmissionHook): unknown;
  /** Declare the `request.geoadmit` property. */
  decorateRequest(name: string, value: unknown): unknown;
  /** Whether `request.geoadmit` is already declared (the plugin registered twice). */
  hasRequestDecorator(name: string): boolean;
}

/** The hook the plugin installs (also usable per route: `{ preHandler: fastifyAdmissionHook(gate, opts) }`). */
export type FastifyAdmissionHook = (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<unknown>;

/** Options of {@link fastifyAdmission} (`fastify.register(fastifyAdmission, { gate, join })`). */
export interface FastifyAdmissionOptions<Req extends FastifyRequestLike = FastifyRequestLike> {
  /** The gate deciding admissions. */
  gate: Gate;
  /**
   * The meeting and participant this request joins (sync or async). A `join`
   * that throws or returns unusable ids gets `400 { "error": "invalid-join" }`;
   * one that throws or rejects is also handed to `onError` first.
   */
  join(request: Req): JoinIdsResult;
  /**
   * The lifecycle hook admission runs in: `preHandler` (default: params and
   * the parsed body are available to `join`) or `onRequest` (before the body
   * is read: denied clients never get to upload one).
   */
  hook?: 'onRequest' | 'preHandler';
  /** Called with any failure other than a denial: a `join` that throws or rejects (`400`), the gate failing (a bare `500`). Default: `request.log.error`. */
  onError?(error: unknown, request: Req): void;
  /**
   * Answer a denial yourself with `reply` (a page, a redirect to the appeal).
   * Without it the hook answers with `denialResponse(decision)`: `451` and the
   * notice for a legal demand, `403` otherwise. A throwing `onDenied` goes to
   * `onError` and the client gets `500`.
   */
  onDenied?(decision: Decision, request: Req, reply: FastifyReplyLike): unknown;
}

function logError(error: unknown, request: FastifyRequestLike): void {
  if (typeof request.log?.error === 'function') request.log.error({ err: error }, 'geoadmit: admission failed');
  else console.error('geoadmit: admission failed', error);
}

function send(reply: FastifyReplyLike, status: number, body: object, headers: Readonly<Record<string, string>>): void {
  let answer = reply.code(status);
  for (const [name, value] of Object.entries(headers)) answer = answer.header(name, value);
  answer.send(body);
}

/**
 * The admission hook on its own, for one route or a route-level option:
 * `fastify.post('/join', { preHandler: fastifyAdmissionHook(gate, { join }) }, handler)`.
 * Denied: `451` with the notice for a takedown or sanctions restriction,
 * `403 { "error": "admission-denied", "reasons": [...] }` otherwise (or
 * `onDenied`'s answer); admitted: `request.geoadmit` holds the decision.
 */
export function fastifyAdmissionHook<Req extends FastifyRequestLike = FastifyRequestLike>(
  gate: Gate,
  options: Pick<FastifyAdmissionOptions<Req>, 'join' | 'onError' | 'onDenied'>,
): FastifyAdmissionHook {
  adapterOptions<Pick<FastifyAdmissionOptions, 'join' | 'onError' | 'onDenied'>>('fastifyAdmissionHook', gate, options, HOOK_OPTION_KEYS);
  const onError = options.onError ?? logError;
  return async (request, reply) => {
    // Fastify hands every hook its own request type; `Req` is how the application chose to read it.
    const outcome = await admitRequest(
      gate,
      () => options.join(request as Req),
      (ids) => joinFromRequest(request.raw, ids),
    );
    if (outcome.admitted) {
      request.geoadmit = outcome.decision;
      return;
    }
    if (outcome.report) reportError(onError, outcome.error, request as Req);
    if (outcome.decision !== undefined && options.onDenied !== undefined) {
      try {
        await options.onDenied(outcome.decision, request as Req, reply);
        return reply;
      } catch (error) {
        reportError(onError, error, request as Req);
        send(reply, 500, { error: 'internal-error' }, ANSWER_HEADERS);
        return reply;
      }
    }
    send(reply, outcome.status, outcome.body, outcome.headers ?? ANSWER_HEADERS);
    // Returning the reply after send() tells Fastify the request is answered: no handler runs.
    return reply;
  };
}

function plugin(fastify: FastifyInstanceLike, options: FastifyAdmissionOptions, done: (error?: Error) => void): void {
  try {
    const o = adapterOptions<FastifyAdmissionOptions>('fastifyAdmission', (options as { gate?: unknown } | null)?.gate, options, PLUGIN_OPTION_KEYS);
    o.oneOf('hook', ['preHandler', 'onRequest'] as const);
  } catch (error) {
    done(error as Error);
    return;
  }
  if (options === null || typeof options !== 'object' || typeof options.gate?.admit !== 'function' || typeof options.join !== 'function') {
    done(new GeoadmitError(ErrorCode.InvalidConfig, 'fastifyAdmission: register it with { gate, join } options', { argument: 'options' }));
    return;
  }
  const hook = options.hook ?? 'preHandler';
  if (hook !== 'preHandler' && hook !== 'onRequest') {
    done(
      new GeoadmitError(ErrorCode.InvalidConfig, `fastifyAdmission: hook must be 'preHandler' or 'onRequest', not ${JSON.stringify(hook)}`, {
        argument: 'hook',
      }),
    );
    return;
  }
  // A declared decorator keeps every request object the same shape (Fastify's advice); null until admitted.
  if (!fastify.hasRequestDecorator('geoadmit')) fastify.decorateRequest('geoadmit', null);
  // The hook takes only its own options (it refuses keys it does not know, such as gate and hook).
  const { join, onError, onDenied } = options;
  fastify.addHook(hook, fastifyAdmissionHook(options.gate, { join, ...(onError ? { onError } : {}), ...(onDenied ? { onDenied } : {}) }));
  done();
}

/**
 * Fastify plugin: every route of the scope it is registered in admits its
 * requests through the gate first. Denied: `451 { "error":
 * "unavailable-for-legal-reasons", "reasons": [...], "notice": {...} }` (with
 * `Link: <url>; rel="blocked-by"`) for a takedown or sanctions restriction,
 * `403 { "error": "admission-denied", "reasons": [...] }` otherwise, and the
 * handler does not run;
 * admitted: `request.geoadmit` holds the decision.
 *
 * It is not encapsulated (the `skip-override` symbol, as `fastify-plugin`
 * sets it): its hook applies to the scope that registers it, so register it
 * inside the scope of the routes to protect. The peer is the socket's remote
 * address; forwarded headers count only from the gate's `trustedProxies`
 * (Fastify's own `trustProxy` is not used).
 *
 * @example
 * app.register(async (meetings) => {
 *   await meetings.register(fastifyAdmission, {
 *     gate,
 *     join: (request) => ({ meetingId: request.params.meetingId, participantId: request.user.id }),
 *   });
 *   meetings.post('/meetings/:meetingId/join', async (request) => ({ admitted: request.geoadmit.admitted }));
 * });
 */
export const fastifyAdmission = Object.assign(plugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'geoadmit',
  [Symbol.for('plugin-meta')]: { name: 'geoadmit', fastify: '>=4' },
});
