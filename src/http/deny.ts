/**
 * The answer to a denied join, in one place for every adapter (Express /
 * Connect, Fastify, Hono, WebSocket upgrades): `451 Unavailable For Legal
 * Reasons` when a legal demand denied it, `403` otherwise.
 */
import type { Decision } from '../gate/types.js';
import type { Notice } from '../restrictions/types.js';
import { ANSWER_HEADERS } from './internal/respond.js';

/** Body of the `403` answer to a denied join: reason codes only, never a location or an address. */
export interface DeniedBody {
  /** Always `admission-denied`. */
  error: 'admission-denied';
  /** The distinct reason codes of the denial, e.g. `['region-restricted']`. */
  reasons: string[];
}

/**
 * Body of the `451` answer to a join a takedown or a sanctions restriction
 * denied: the reason codes and the restriction's public notice (never the
 * participant's location or address).
 */
export interface UnavailableBody {
  /** Always `unavailable-for-legal-reasons`. */
  error: 'unavailable-for-legal-reasons';
  /** The distinct reason codes of the denial, e.g. `['region-restricted']`. */
  reasons: string[];
  /** Who demanded it, under which reference, and how to appeal. */
  notice: Notice;
}

/** The status, headers and JSON body that answer a denied join. */
export interface DenialResponse {
  /** `451` for a legal demand (takedown, sanctions), `403` for everything else. */
  status: 403 | 451;
  /** `content-type` and `cache-control`; `link` (`<url>; rel="blocked-by"`) when a 451 notice has a URL. */
  headers: Record<string, string>;
  /** The JSON body: {@link UnavailableBody} for 451, {@link DeniedBody} for 403. */
  body: DeniedBody | UnavailableBody;
}

/** Reason codes, each once, in the order the decision gives them. */
function reasonCodes(decision: Decision): string[] {
  return [...new Set(decision.reasons.map((r) => r.code))];
}

/**
 * How to answer a denied join over HTTP. A denial whose notice is of a
 * `takedown` or `sanctions` restriction is `451` with body `{ error:
 * 'unavailable-for-legal-reasons', reasons, notice }` and, when the notice
 * has a URL, `Link: <url>; rel="blocked-by"`; any other denial (a host's
 * policy, a rule, an unavailable audit log) is `403 { error:
 * 'admission-denied', reasons }`. The adapters answer with it; use it where
 * you answer yourself (a WebSocket upgrade, an `onDenied` that adds a page).
 *
 * @example
 * const decision = await gate.admit(join);
 * if (!decision.admitted) {
 *   const { status, headers, body } = denialResponse(decision);
 *   res.writeHead(status, headers).end(JSON.stringify(body));
 * }
 */
export function denialResponse(decision: Decision): DenialResponse {
  const reasons = reasonCodes(decision);
  const notice = decision.notice;
  if (notice !== undefined && (notice.kind === 'takedown' || notice.kind === 'sanctions')) {
    const headers: Record<string, string> = { ...ANSWER_HEADERS };
    // Validated at registration: https, printable ASCII without <, > or quotes, so it cannot break the header.
    if (notice.url !== undefined) headers.link = `<${notice.url}>; rel="blocked-by"`;
    return { status: 451, headers, body: { error: 'unavailable-for-legal-reasons', reasons, notice } };
  }
  return { status: 403, headers: { ...ANSWER_HEADERS }, body: { error: 'admission-denied', reasons } };
}
