/**
 * The signaling server's wire protocol: JSON text frames over one WebSocket
 * per participant. Which meeting and who is chosen when the socket is opened
 * (the upgrade URL, admitted by the gate before the socket exists); after
 * that the client only relays signals. The server validates everything it
 * receives with the schema below, because a client message is hostile input
 * like any other.
 */
import { z } from 'zod';

/** Close codes the server uses (4000–4999 are free for applications, RFC 6455 §7.4.2). */
export const CloseCode = {
  /** A restriction removed the participant from a running meeting; the close reason is the notice's text. */
  Removed: 4451,
  /** The same participant opened a newer connection to the same meeting. */
  Replaced: 4409,
  /** The server is shutting down (RFC 6455 "going away"). */
  GoingAway: 1001,
} as const;

// Ids follow the gate's own limits (non-empty, at most 256 characters) so a bad id is caught here, with a clear message.
const id = z.string().min(1).max(256);

/** `{ "type": "signal", "to", "data" }` — relays SDP offers/answers and ICE candidates to one peer in the meeting. */
export const SignalMessage = z.strictObject({
  type: z.literal('signal'),
  to: id,
  data: z.unknown(),
});
export type SignalMessage = z.infer<typeof SignalMessage>;

/** Anything a client may send. */
export const ClientMessage = z.discriminatedUnion('type', [SignalMessage]);
export type ClientMessage = z.infer<typeof ClientMessage>;

/** The public facts of the restriction that removed a participant (geoadmit's `decision.notice`). */
export interface RemovalNotice {
  restrictionId: string;
  kind: string;
  authority?: { name: string; jurisdiction: string };
  reference?: string;
  text?: string;
  url?: string;
  appeal?: { text?: string; url?: string };
}

/** Everything the server sends. */
export type ServerMessage =
  /** You were admitted; `participants` is the meeting's roster, you included. */
  | { type: 'joined'; meetingId: string; participantId: string; participants: string[] }
  | { type: 'participant-joined'; participantId: string }
  /** Someone left. Deliberately the same message whether they hung up or were removed: others are not told why. */
  | { type: 'participant-left'; participantId: string }
  /** Sent just before a 4451 close: a sentence for the user and the restriction's notice. */
  | { type: 'removed'; message: string; notice?: RemovalNotice }
  | { type: 'signal'; from: string; data: unknown }
  /** The last message could not be handled; the connection stays open. */
  | { type: 'error'; message: string };
