/**
 * The few calls of Janus's HTTP API (the REST transport) a remover needs:
 * create a session, attach a plugin, send a synchronous plugin request,
 * destroy the session. Every failure is a `GeoadmitError` `E_REMOVAL_FAILED`
 * whose message says which step failed and what Janus answered.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, GeoadmitError } from '../../errors/index.js';

/** A Janus identifier: rooms and participants are numeric by default, strings with `string_ids`. */
export type JanusId = number | bigint | string;

/** Where and how to talk to Janus. */
export interface JanusConnection {
  /** Base URL of the REST transport, e.g. `http://127.0.0.1:8088/janus`, without credentials (error messages show it). */
  url: string;
  /** An `authorization` header for a proxy in front of Janus (from credentials given in the URL). */
  authorization?: string;
  /** Janus's core `api_secret` (sent as `apisecret`), when configured. */
  apiSecret?: string;
  /** A Janus stored-token (`token_auth`), when configured. */
  token?: string;
  /** Per-request time limit in ms. */
  timeoutMs: number;
}

/** The fields of a Janus answer the remover reads. */
interface JanusAnswer {
  janus?: string;
  error?: { code?: number; reason?: string };
  data?: { id?: unknown };
  plugindata?: { plugin?: string; data?: { videoroom?: string; error_code?: number; error?: string } };
}

/** A failure Janus reported (core or plugin), kept as the error's `cause`. */
export class JanusReply extends Error {
  override readonly name = 'JanusReply';
  constructor(
    readonly janusCode: number,
    reason: string,
  ) {
    super(reason);
  }
}

/** `E_REMOVAL_FAILED` with `message` (which must never hold a secret: it reaches gate events and audit logs). */
export function removalError(message: string, cause?: unknown): GeoadmitError {
  return new GeoadmitError(ErrorCode.RemovalFailed, message, cause === undefined ? {} : { cause });
}

/**
 * JSON with exact integers: a `bigint` (a room or participant id beyond 2^53,
 * which Janus allows) is written as its digits, not rounded through a double.
 */
function stringify(body: Record<string, unknown>): string {
  const marker = `__janus_int_${randomUUID()}__`;
  const text = JSON.stringify(body, (_key, value: unknown) => (typeof value === 'bigint' ? `${marker}${value.toString()}` : value));
  return text.replace(new RegExp(`"${marker}(\\d+)"`, 'g'), '$1');
}

/** POST one Janus request to `url + path`; resolves to Janus's JSON answer when it is not an error. */
export async function janusPost(connection: JanusConnection, path: string, step: string, body: Record<string, unknown>): Promise<JanusAnswer> {
  const message: Record<string, unknown> = { ...body, transaction: randomUUID() };
  if (connection.apiSecret !== undefined) message.apisecret = connection.apiSecret;
  if (connection.token !== undefined) message.token = connection.token;
  let response: Response;
  try {
    response = await fetch(`${connection.url}${path}`, {
      method: 'POST',
      headers:
        connection.authorization === undefined
          ? { 'content-type': 'application/json' }
          : { 'content-type': 'application/json', authorization: connection.authorization },
      body: stringify(message),
      signal: AbortSignal.timeout(connection.timeoutMs),
      // A redirect would carry the API secret, room secret and admin key (in the body) to wherever it points.
      redirect: 'manual',
    });
  } catch (error) {
    const timedOut = (error as { name?: string }).name === 'TimeoutError';
    throw removalError(
      timedOut
        ? `janus: no answer to ${step} from ${connection.url} within ${connection.timeoutMs} ms`
        : `janus: cannot reach ${connection.url} (${step}): ${causeText(error)}`,
      error,
    );
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel().catch(() => undefined);
    throw removalError(
      `janus: ${step} got a redirect (HTTP ${response.status}) from ${connection.url}; not followed, so no secret leaves for another address — set url to Janus's HTTP API itself`,
    );
  }
  let answer: JanusAnswer;
  try {
    answer = (await response.json()) as JanusAnswer;
  } catch (error) {
    throw removalError(`janus: ${step} got HTTP ${response.status} without a JSON answer from ${connection.url}`, error);
  }
  if (answer?.janus === 'error') {
    const code = Number(answer.error?.code);
    const reason = String(answer.error?.reason ?? 'unknown error');
    throw removalError(`janus: ${step} refused: ${reason} (Janus error ${code})`, new JanusReply(code, reason));
  }
  if (!response.ok || answer?.janus !== 'success') {
    throw removalError(`janus: ${step} got an unexpected answer (HTTP ${response.status}, janus: ${JSON.stringify(answer?.janus)})`);
  }
  return answer;
}

/** The `data.id` of a `create` or `attach` answer. */
export function createdId(answer: JanusAnswer, step: string): number {
  const id = answer.data?.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) throw removalError(`janus: ${step} answered without a usable id`);
  return id;
}

/** The message of an error's innermost cause (fetch wraps ECONNREFUSED in "fetch failed"). */
function causeText(error: unknown): string {
  let current = error as { message?: string; cause?: unknown } | undefined;
  let text = String(current?.message ?? current);
  while (current?.cause !== undefined && current.cause !== current) {
    current = current.cause as { message?: string; cause?: unknown };
    if (current?.message) text = current.message;
  }
  return text;
}
