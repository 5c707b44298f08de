/**
 * The signaling server's wire protocol: JSON text frames over one WebSocket
 * per participant. Clients (and the tests) import these types; the server
 * validates everything it receives with the schemas below, because a client
 * message is hostile input like any other.
 */
import { z } from 'zod';

/** Close codes the server uses (4000–4999 are free for applications, RFC 6455 §7.4.2). */
export const CloseCode = {
  /** The join was denied; the close reason is the first reason code (e.g. `region-restricted`). */
  Denied: 4003,
  /** A restriction removed the participant from a running meeting. */
  Removed: 4010,
  /** The server is shutting down (RFC 6455 "going away"). */
  GoingAway: 1001,
} as const;

// Ids follow the gate's own limits (non-empty, at most 256 characters) so a bad id is caught here, with a clear message.
const id = z.string().min(1).max(256);

/** `{ "type": "join", "meetingId", "participantId", "hostAccountId"? }` — the first message a client sends. */
export const JoinMessage = z.strictObject({
  type: z.literal('join'),
  meetingId: id,
  participantId: id,
  hostAccountId: id.optional(),
});
export type JoinMessage = z.infer<typeof JoinMessage>;

/** `{ "type": "signal", "to", "data" }` — relays SDP offers/answers and ICE candidates to one peer in the meeting. */
export const SignalMessage = z.strictObject({
  type: z.literal('signal'),
  to: id,
  data: z.unknown(),
});
export type SignalMessage = z.infer<typeof SignalMessage>;

/** Anything a client may send. */
export const ClientMessage = z.discriminatedUnion('type', [JoinMessage, SignalMessage]);
export type ClientMessage = z.infer<typeof ClientMessage>;

/** Everything the server sends. */
export type ServerMessage =
  /** You were admitted; `participants` is the meeting's roster, you included. */
  | { type: 'joined'; meetingId: string; participantId: string; participants: string[] }
  | { type: 'participant-joined'; participantId: string }
  /** Someone left. Deliberately the same message whether they hung up or were removed: others are not told why. */
  | { type: 'participant-left'; participantId: string }
  /** Sent just before a 4003 close: the reason codes and a sentence for the user. */
  | { type: 'denied'; reasons: string[]; message: string }
  /** Sent just before a 4010 close. */
  | { type: 'removed'; message: string }
  | { type: 'signal'; from: string; data: unknown }
  /** The last message could not be handled; the connection stays open. */
  | { type: 'error'; message: string };
