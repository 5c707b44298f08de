/**
 * The common real-world shape with LiveKit: your application server mints
 * access tokens, and the media server admits whoever holds one. So the
 * admission decision belongs where the token is minted: no token unless the
 * gate admits. Removal goes the other way: when a restriction removes a
 * present participant, the gate's `onRemove` — geoadmit's `livekitRemover` —
 * asks LiveKit to drop them from the room (`RoomServiceClient.removeParticipant`;
 * one LiveKit no longer has counts as removed). LiveKit's webhooks tell
 * the gate when people leave, so its roster stays true.
 *
 * Routes:
 * - `POST /token` `{ room, identity, hostAccountId? }` → 200 `{ token, url }` or 403 `{ reasons, message }`
 * - `POST /livekit/webhook` (LiveKit's signed webhook) → `participant_left` / `room_finished` update the roster
 *
 * @example
 * const app = await createTokenServer({
 *   gate: { geo: await MaxMindResolver.open(['GeoLite2-Country.mmdb']), trustedProxies: ['10.0.0.0/8'] },
 *   livekit: { url: 'wss://my-project.livekit.cloud', apiKey: process.env.LIVEKIT_API_KEY!, apiSecret: process.env.LIVEKIT_API_SECRET! },
 * });
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGate, type Gate, type GateOptions } from 'geoadmit';
import { joinFromRequest } from 'geoadmit/http';
import { livekitRemover, type LiveKitRoomService } from 'geoadmit/livekit';
import { AccessToken, RoomServiceClient, WebhookReceiver } from 'livekit-server-sdk';
import { z } from 'zod';

/** The one call the example needs from LiveKit's room service (`RoomServiceClient`; a recording fake in tests). */
export type RoomRemover = LiveKitRoomService;

/** Options of {@link createTokenServer}. */
export interface TokenServerOptions {
  /** How to build the gate; `onRemove` is wired to LiveKit by the server. */
  gate: Omit<GateOptions, 'onRemove'>;
  livekit: {
    /** The LiveKit server clients connect to (`wss://…`), returned with each token. */
    url: string;
    apiKey: string;
    apiSecret: string;
  };
  /** Replaces `new RoomServiceClient(...)` (tests pass a recording fake). */
  roomService?: RoomRemover;
  /** Token lifetime (default `10m`: long enough to connect; LiveKit refreshes it once connected). */
  tokenTtl?: string | number;
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
}

/** A running token server. */
export interface TokenServer {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  /** The gate deciding admissions (restrict, lift and events go through it). */
  readonly gate: Gate;
  close(): Promise<void>;
}

// In a real application `identity` comes from your own authenticated session, never from the request body alone.
const TokenRequest = z.strictObject({
  room: z.string().min(1).max(256),
  identity: z.string().min(1).max(256),
  hostAccountId: z.string().min(1).max(256).optional(),
});

const MAX_BODY_BYTES = 16 * 1024;

/** Start the token server. */
export async function createTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const { livekit } = options;
  // RoomServiceClient speaks HTTP(S) to the same host clients reach over WebSocket.
  const rooms: RoomRemover = options.roomService ?? new RoomServiceClient(livekit.url.replace(/^ws/, 'http'), livekit.apiKey, livekit.apiSecret);
  // Meeting id = LiveKit room, participant id = LiveKit identity. A failed removal leaves the participant
  // pending in the gate (see gate.pendingRemovals / retryRemovals).
  const gate = createGate({ ...options.gate, onRemove: livekitRemover(rooms) });
  const webhooks = new WebhookReceiver(livekit.apiKey, livekit.apiSecret);

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (body === undefined) return json(res, 413, { message: `the body exceeds ${MAX_BODY_BYTES} bytes` });
    let parsed;
    try {
      parsed = TokenRequest.safeParse(JSON.parse(body));
    } catch {
      return json(res, 400, { message: 'send a JSON body { room, identity }' });
    }
    if (!parsed.success) return json(res, 400, { message: `invalid request: ${parsed.error.issues[0]?.message ?? 'unrecognised'}` });
    const { room, identity, hostAccountId } = parsed.data;

    const decision = await gate.admit(
      joinFromRequest(req, { meetingId: room, participantId: identity, ...(hostAccountId === undefined ? {} : { hostAccountId }) }),
    );
    if (!decision.admitted) {
      return json(res, 403, { reasons: decision.reasons.map((r) => r.code), message: 'This meeting is not available where you are.' });
    }
    const at = new AccessToken(livekit.apiKey, livekit.apiSecret, { identity, ttl: options.tokenTtl ?? '10m' });
    // Grant exactly this room: a token is the admission, so it must not open any other.
    at.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true });
    json(res, 200, { token: await at.toJwt(), url: livekit.url });
  }

  async function webhook(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (body === undefined) return json(res, 413, { message: `the body exceeds ${MAX_BODY_BYTES} bytes` });
    let event;
    try {
      // Verifies LiveKit's signature (a JWT over the body's SHA-256) before anything is believed.
      event = await webhooks.receive(body, req.headers.authorization);
    } catch {
      return json(res, 401, { message: 'webhook signature invalid' });
    }
    const room = event.room?.name;
    if (room) {
      if (event.event === 'participant_left' && event.participant?.identity) gate.leave(room, event.participant.identity);
      if (event.event === 'room_finished') gate.endMeeting(room);
    }
    json(res, 200, { ok: true });
  }

  const http = createServer((req, res) => {
    const route = req.method === 'POST' && req.url === '/token' ? token : req.method === 'POST' && req.url === '/livekit/webhook' ? webhook : undefined;
    if (!route) return json(res, 404, { message: 'not found' });
    route(req, res).catch((error: unknown) => {
      console.error('token server failure:', error);
      if (!res.headersSent) json(res, 500, { message: 'internal error' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port, family } = http.address() as AddressInfo;

  return {
    url: `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`,
    gate,
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await gate.close();
    },
  };
}

/** The body as text, or `undefined` when it exceeds the cap. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}
