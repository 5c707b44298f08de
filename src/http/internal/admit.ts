/**
 * What every framework adapter does, once: ask the application for the ids,
 * admit, and turn the outcome into a status and a body. The adapters only
 * read their framework's request and write its response.
 */
import { isGeoadmitError } from '../../errors/index.js';
import type { Gate } from '../../gate/index.js';
import type { Decision, Join } from '../../gate/types.js';
import { denialResponse } from '../deny.js';
import type { JoinIds } from '../join.js';

/** The outcome of one request's admission. */
type AdmissionOutcome =
  | { readonly admitted: true; readonly decision: Decision }
  | {
      readonly admitted: false;
      readonly status: 400 | 403 | 451 | 500;
      readonly body: object;
      /** Headers beyond the JSON ones (`link` on a 451). */
      readonly headers?: Readonly<Record<string, string>>;
      readonly decision?: Decision;
      readonly error?: unknown;
      /** The failure is the server's, not the client's (a throwing `join`, the gate failing): `onError` must hear of it. */
      readonly report?: true;
    };

const MAX_ID_LENGTH = 256;
const INVALID_JOIN = Object.freeze({ error: 'invalid-join' });
const INTERNAL = Object.freeze({ error: 'internal-error' });

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;
}

/** The ids the application returned, or `undefined` when they are not usable. Only known fields are copied. */
function readIds(value: unknown): JoinIds | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { meetingId, participantId, hostAccountId, context } = value as Record<string, unknown>;
  if (!isId(meetingId) || !isId(participantId)) return undefined;
  if (hostAccountId !== undefined && !isId(hostAccountId)) return undefined;
  if (context !== undefined && (context === null || typeof context !== 'object')) return undefined;
  const ids: JoinIds = { meetingId, participantId };
  if (hostAccountId !== undefined) ids.hostAccountId = hostAccountId;
  if (context !== undefined) ids.context = context as Record<string, unknown>;
  return ids;
}

/**
 * Admit one request. `ids` is the application's `join` callback (sync or
 * async); `toJoin` adds the peer and headers. A throwing `join` or bad ids is
 * `400 invalid-join`; any failure of the gate other than a denial is `500`
 * with no detail (the error is handed back for logging, never sent).
 */
export async function admitRequest(gate: Gate, ids: () => unknown, toJoin: (ids: JoinIds) => Join): Promise<AdmissionOutcome> {
  let read: JoinIds | undefined;
  try {
    read = readIds(await ids());
  } catch (error) {
    // A bug in the application (auth middleware not mounted, say): the client gets 400, the log the error.
    return { admitted: false, status: 400, body: INVALID_JOIN, error, report: true };
  }
  if (read === undefined) return { admitted: false, status: 400, body: INVALID_JOIN };
  let decision: Decision;
  try {
    decision = await gate.admit(toJoin(read));
  } catch (error) {
    // The gate refuses a join it cannot read with E_INVALID_JOIN (ids too long, no peer address...).
    if (isGeoadmitError(error, 'E_INVALID_JOIN') && (error as { argument?: string }).argument?.startsWith('join.')) {
      return { admitted: false, status: 400, body: INVALID_JOIN, error };
    }
    return { admitted: false, status: 500, body: INTERNAL, error, report: true };
  }
  if (decision.admitted) return { admitted: true, decision };
  const denial = denialResponse(decision);
  return { admitted: false, status: denial.status, body: denial.body, headers: denial.headers, decision };
}

/** The default `onError`: the server's log gets the failure, the client never does. */
export function defaultOnError(error: unknown): void {
  console.error('geoadmit: admission failed', error);
}

/** Call the application's `onError`, which must not turn one failure into an unhandled rejection. */
export function reportError<Req>(onError: (error: unknown, req: Req) => void, error: unknown, req: Req): void {
  try {
    onError(error, req);
  } catch {
    // A failing logger: nothing more to do; the client gets its 500 regardless.
  }
}
