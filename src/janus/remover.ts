import { ErrorCode, GeoadmitError } from '../errors/index.js';
import { describeValue, keysOf, optionValues } from '../internal/options.js';
import type { Decision, ParticipantRef } from '../gate/index.js';
import { createdId, type JanusId, JanusReply, janusPost, removalError, type JanusConnection } from './internal/api.js';
import { errorText } from '../internal/objects.js';

export type { JanusId };

/** VideoRoom's "no such user in this room" (`JANUS_VIDEOROOM_ERROR_NO_SUCH_FEED`). */
const NO_SUCH_FEED = 428;

/** Options of {@link janusRemover}. */
export interface JanusRemoverOptions {
  /**
   * Base URL of Janus's HTTP API (REST transport), e.g. `http://127.0.0.1:8088/janus`.
   * Redirects are never followed (they would carry the secrets elsewhere): a 3xx answer is a failure.
   */
  url: string;
  /** The room's `secret` (VideoRoom asks for it to kick when the room has one). */
  secret?: string;
  /** The VideoRoom plugin's `admin_key`, sent along as `admin_key` for deployments that require it. */
  adminKey?: string;
  /** Janus's core `api_secret` (sent as `apisecret` with every request), when configured. */
  apiSecret?: string;
  /** A Janus stored token (`token_auth`), when configured. */
  token?: string;
  /**
   * The Janus room of a meeting. Default: the meeting id itself, as a number
   * when it is a decimal integer (Janus's default numeric room ids), else as
   * a string. With `string_ids = true` in Janus's VideoRoom configuration,
   * pass `room: (id) => id` (and `participant: (p) => p.participantId`) so
   * numeric-looking ids stay strings.
   */
  room?(meetingId: string, participant: ParticipantRef): JanusId | Promise<JanusId>;
  /**
   * The Janus participant (VideoRoom publisher `id`) of a participant.
   * Default: the participant id, as a number when it is a decimal integer.
   */
  participant?(participant: ParticipantRef): JanusId | Promise<JanusId>;
  /**
   * A participant Janus no longer has in the room (VideoRoom error 428: left,
   * or already kicked) counts as removed (`'removed'`, default: the outcome
   * the removal wanted already holds) or as a failure that keeps them pending
   * (`'error'`: choose it when your `participant` mapping might be wrong, so
   * a mismatch is never reported as a removal).
   */
  absent?: 'removed' | 'error';
  /** Time limit for each HTTP request to Janus, in ms (default 5000; the gate's `removalTimeoutMs` bounds the whole removal). */
  timeoutMs?: number;
}

/** An `onRemove` for `createGate`: resolves once Janus confirmed the kick, rejects (participant stays pending) otherwise. */
export type JanusOnRemove = (participant: ParticipantRef, decision: Decision) => Promise<void>;

/** A decimal integer id as a Janus number (a `bigint` past 2^53), anything else as a string. */
export function defaultJanusId(id: string): JanusId {
  if (!/^[1-9][0-9]{0,19}$/.test(id)) return id;
  const big = BigInt(id);
  if (big > 0xffff_ffff_ffff_ffffn) return id;
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** Every key `janusRemover` accepts. */
const JANUS_OPTION_KEYS = keysOf<JanusRemoverOptions>({
  url: true,
  secret: true,
  adminKey: true,
  apiSecret: true,
  token: true,
  room: true,
  participant: true,
  absent: true,
  timeoutMs: true,
});

function checkOptions(options: JanusRemoverOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new GeoadmitError(ErrorCode.InvalidConfig, 'janusRemover: pass options { url, secret?, ... }', { argument: 'options' });
  }
  // Unknown keys refused (closest known one named), each value read once without a throwing getter escaping.
  optionValues<JanusRemoverOptions>(options, 'janusRemover', JANUS_OPTION_KEYS);
  let url: URL | undefined;
  try {
    url = new URL(options.url);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new GeoadmitError(
      ErrorCode.InvalidConfig,
      `janusRemover: url must be the http(s) URL of Janus's HTTP API (e.g. http://127.0.0.1:8088/janus), not ${describeValue(options.url)}`,
      {
        argument: 'url',
      },
    );
  }
  for (const name of ['secret', 'adminKey', 'apiSecret', 'token'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'string') {
      throw new GeoadmitError(ErrorCode.InvalidConfig, `janusRemover: ${name} must be a string`, { argument: name });
    }
  }
  for (const name of ['room', 'participant'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new GeoadmitError(ErrorCode.InvalidConfig, `janusRemover: ${name} must be a function mapping ids`, { argument: name });
    }
  }
  if (options.absent !== undefined && options.absent !== 'removed' && options.absent !== 'error') {
    throw new GeoadmitError(ErrorCode.InvalidConfig, `janusRemover: absent must be 'removed' or 'error'`, { argument: 'absent' });
  }
  if (options.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) {
    throw new GeoadmitError(ErrorCode.InvalidConfig, 'janusRemover: timeoutMs must be a positive number', { argument: 'timeoutMs' });
  }
}

function validId(value: unknown): value is JanusId {
  return (
    (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) ||
    (typeof value === 'bigint' && value > 0n) ||
    (typeof value === 'string' && value.length > 0)
  );
}

/** An id mapping's answer; one that throws or rejects is a removal failure like any other (the participant stays pending). */
async function mapped(call: string, map: () => JanusId | Promise<JanusId>): Promise<JanusId> {
  try {
    return await map();
  } catch (error) {
    throw removalError(`janus: ${call} failed: ${errorText(error)}`, error);
  }
}

/**
 * Live removal from a Janus VideoRoom: returns an `onRemove` that kicks the
 * participant through Janus's HTTP API — create a session, attach
 * `janus.plugin.videoroom`, send `{ request: 'kick', room, id, secret }`,
 * destroy the session. It resolves only when Janus confirmed the kick (or,
 * with `absent: 'removed'`, that the participant is not in the room); any
 * other outcome (Janus unreachable or slow, wrong secret, no such room)
 * rejects with `GeoadmitError` `E_REMOVAL_FAILED`, so the gate keeps the
 * participant pending and `gate.retryRemovals()` tries again.
 *
 * A kick ends the participant's presence in the room; keeping them out is
 * the gate's job (their next join is denied).
 *
 * @example
 * const gate = createGate({
 *   geo: await openDefaultResolver(),
 *   trustedProxies: ['loopback'],
 *   onRemove: janusRemover({ url: 'http://127.0.0.1:8088/janus', secret: process.env.ROOM_SECRET }),
 * });
 */
export function janusRemover(options: JanusRemoverOptions): JanusOnRemove {
  checkOptions(options);
  // Credentials in the URL (for a proxy in front of Janus) travel as Basic authorization: fetch refuses
  // them in URLs, and error messages reach gate events and audit logs, where they must never appear.
  const parsed = new URL(options.url);
  const basic = parsed.username || parsed.password ? `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}` : undefined;
  parsed.username = '';
  parsed.password = '';
  const url = parsed.href.replace(/\/+$/, '');
  const connection: JanusConnection = { url, timeoutMs: options.timeoutMs ?? 5000 };
  if (basic !== undefined) connection.authorization = `Basic ${Buffer.from(basic, 'utf8').toString('base64')}`;
  if (options.apiSecret !== undefined) connection.apiSecret = options.apiSecret;
  if (options.token !== undefined) connection.token = options.token;
  const absent = options.absent ?? 'removed';
  const { room: roomOf, participant: participantOf } = options;

  return async (participant) => {
    const room = roomOf
      ? await mapped(`room(${JSON.stringify(participant.meetingId)})`, () => roomOf(participant.meetingId, participant))
      : defaultJanusId(participant.meetingId);
    const id = participantOf
      ? await mapped(`participant(${JSON.stringify(participant.participantId)})`, () => participantOf(participant))
      : defaultJanusId(participant.participantId);
    if (!validId(room)) throw removalError(`janus: room(${JSON.stringify(participant.meetingId)}) gave no usable Janus room id`);
    if (!validId(id)) throw removalError(`janus: participant(${JSON.stringify(participant.participantId)}) gave no usable Janus participant id`);
    const who = `participant ${String(id)} from room ${String(room)}`;

    const session = createdId(await janusPost(connection, '', 'create session', { janus: 'create' }), 'create session');
    try {
      const handle = createdId(
        await janusPost(connection, `/${session}`, 'attach janus.plugin.videoroom', { janus: 'attach', plugin: 'janus.plugin.videoroom' }),
        'attach janus.plugin.videoroom',
      );
      const kick: Record<string, unknown> = { request: 'kick', room, id };
      if (options.secret !== undefined) kick.secret = options.secret;
      if (options.adminKey !== undefined) kick.admin_key = options.adminKey;
      const answer = await janusPost(connection, `/${session}/${handle}`, `kick of ${who}`, { janus: 'message', body: kick });
      const data = answer.plugindata?.data;
      if (data?.videoroom === 'success') return;
      if (data?.error_code === NO_SUCH_FEED && absent === 'removed') return;
      const code = Number(data?.error_code);
      const reason = String(data?.error ?? 'no answer from the VideoRoom plugin');
      throw removalError(`janus: kick of ${who} refused: ${reason} (VideoRoom error ${code})`, new JanusReply(code, reason));
    } finally {
      // Best effort: an undestroyed session only lingers until Janus's session_timeout.
      await janusPost(connection, `/${session}`, 'destroy session', { janus: 'destroy' }).catch(() => undefined);
    }
  };
}
