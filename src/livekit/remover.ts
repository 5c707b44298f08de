import { ErrorCode, GeoadmitError } from '../errors/index.js';
import { keysOf, optionValues } from '../internal/options.js';
import type { Decision, ParticipantRef } from '../gate/index.js';
import { errorText } from '../internal/objects.js';

/**
 * The one call geoadmit needs from LiveKit's room service, structurally:
 * `RoomServiceClient` from `livekit-server-sdk` fits it, and so does anything
 * with the same method (no dependency on the SDK, not even for types).
 */
export interface LiveKitRoomService {
  /** Remove the participant `identity` from the LiveKit room `room`. */
  removeParticipant(room: string, identity: string): Promise<void>;
}

/** Options of {@link livekitRemover}. */
export interface LiveKitRemoverOptions {
  /** The LiveKit room of a meeting (default: the meeting id). */
  room?(meetingId: string, participant: ParticipantRef): string;
  /** The LiveKit identity of a participant (default: the participant id). */
  identity?(participant: ParticipantRef): string;
  /**
   * A participant LiveKit no longer has (its Twirp error `not_found`: they
   * left, or the room ended; a plain HTTP 404 without it is a failure) counts as removed (`'removed'`, default) or as a failure
   * that keeps them pending (`'error'`).
   */
  absent?: 'removed' | 'error';
}

/** An `onRemove` for `createGate`. */
export type LiveKitOnRemove = (participant: ParticipantRef, decision: Decision) => Promise<void>;

/**
 * LiveKit's own "no such participant or room": the Twirp error code
 * `not_found` from the JSON body of its answer (the SDK's error carries it as
 * `code`; `TwirpError` itself is not exported, so read the field). A bare
 * HTTP 404 is not enough: a misrouted URL answers 404 with an HTML page, and
 * that participant is still in the room.
 */
function isNotFound(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  return (error as { code?: unknown }).code === 'not_found';
}

/** A room or identity mapping's answer; one that throws is a removal failure (the participant stays pending). */
function mapped(call: string, map: () => string): string {
  try {
    return map();
  } catch (error) {
    throw new GeoadmitError(ErrorCode.RemovalFailed, `livekit: ${call} failed: ${errorText(error)}`, { cause: error });
  }
}

/** Every key `livekitRemover` accepts. */
const LIVEKIT_OPTION_KEYS = keysOf<LiveKitRemoverOptions>({ room: true, identity: true, absent: true });

/**
 * Live removal from LiveKit: returns an `onRemove` that calls
 * `roomService.removeParticipant(room, identity)` (by default the meeting id
 * and the participant id). It resolves when LiveKit removed the participant
 * (or, with `absent: 'removed'`, no longer has them); any other failure
 * rejects with `GeoadmitError` `E_REMOVAL_FAILED` (the SDK's error as
 * `cause`), so the gate keeps the participant pending and
 * `gate.retryRemovals()` tries again.
 *
 * @example
 * import { RoomServiceClient } from 'livekit-server-sdk';
 * const rooms = new RoomServiceClient('https://my-project.livekit.cloud', apiKey, apiSecret);
 * const gate = createGate({ geo: await openDefaultResolver(), onRemove: livekitRemover(rooms) });
 */
export function livekitRemover(roomService: LiveKitRoomService, options: LiveKitRemoverOptions = {}): LiveKitOnRemove {
  let removeParticipant: unknown;
  try {
    removeParticipant = roomService?.removeParticipant;
  } catch {
    removeParticipant = undefined; // a Proxy whose trap throws: no room service
  }
  if (roomService === null || typeof roomService !== 'object' || typeof removeParticipant !== 'function') {
    throw new GeoadmitError(
      ErrorCode.InvalidConfig,
      "livekitRemover: pass livekit-server-sdk's RoomServiceClient (or an object with removeParticipant(room, identity))",
      {
        argument: 'roomService',
      },
    );
  }
  const o = optionValues<LiveKitRemoverOptions>(options, 'livekitRemover', LIVEKIT_OPTION_KEYS);
  const absent = o.oneOf('absent', ['removed', 'error'] as const, 'removed');
  const roomOf = o.func<NonNullable<LiveKitRemoverOptions['room']>>('room', 'a function mapping a meeting id to a room name');
  const identityOf = o.func<NonNullable<LiveKitRemoverOptions['identity']>>('identity', 'a function mapping a participant to an identity');
  return async (participant) => {
    const room = roomOf ? mapped(`room(${JSON.stringify(participant.meetingId)})`, () => roomOf(participant.meetingId, participant)) : participant.meetingId;
    const identity = identityOf ? mapped(`identity(${JSON.stringify(participant.participantId)})`, () => identityOf(participant)) : participant.participantId;
    try {
      await roomService.removeParticipant(room, identity);
    } catch (error) {
      if (absent === 'removed' && isNotFound(error)) return;
      throw new GeoadmitError(
        ErrorCode.RemovalFailed,
        `livekit: removing ${JSON.stringify(identity)} from room ${JSON.stringify(room)} failed: ${errorText(error)}`,
        { cause: error },
      );
    }
  };
}
