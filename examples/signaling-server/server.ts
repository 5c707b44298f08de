/**
 * A small conferencing signaling server with geoadmit as its admission hook.
 *
 * One WebSocket per participant. The first message is a join; the server asks
 * the gate, and either admits (roster, join/leave notices, signal relay) or
 * closes the socket with 4003 and the reason. A restriction that arrives while
 * a meeting runs removes only the participants it covers (close 4010); the
 * others just see "participant-left", as if that person had hung up.
 *
 * @example
 * let server: SignalingServer | undefined;
 * const gate = createGate({
 *   geo: await MaxMindResolver.open(['GeoLite2-Country.mmdb']),
 *   trustedProxies: ['10.0.0.0/8'],           // your reverse proxy
 *   onRemove: (p) => server?.removeParticipant(p),
 * });
 * server = await createSignalingServer({ gate, adminToken: process.env.GEOADMIT_ADMIN_TOKEN });
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gate, ParticipantRef } from 'geoadmit';
import { WebSocket, WebSocketServer } from 'ws';
import { createAdminHandler } from './admin.js';
import { ClientMessage, CloseCode, type ServerMessage } from './protocol.js';

/** Options of {@link createSignalingServer}. */
export interface SignalingServerOptions {
  /** The admission gate (its `onRemove` should call {@link SignalingServer.removeParticipant}). */
  gate: Gate;
  /** Bearer token for the admin API; defaults to the `GEOADMIT_ADMIN_TOKEN` environment variable. */
  adminToken?: string | undefined;
  /** TCP port (default 0: any free port). */
  port?: number;
  /** Interface to listen on (default `127.0.0.1`). */
  host?: string;
  /**
   * Serves HTTP requests the admin API does not own, e.g. the operator console
   * (`createConsole` from `geoadmit/console`); it calls `next()` for those it
   * does not own either, which answer 404.
   */
  requestHandler?: (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
}

/** A running signaling server. */
export interface SignalingServer {
  /** WebSocket URL clients connect to, e.g. `ws://127.0.0.1:54321/`. */
  readonly url: string;
  /** Base URL of the admin API, e.g. `http://127.0.0.1:54321`. */
  readonly adminUrl: string;
  readonly port: number;
  /**
   * Disconnect a participant a restriction removed (close 4010) and tell the
   * rest of the meeting they left. Use it as the gate's `onRemove`.
   */
  removeParticipant(participant: ParticipantRef): void;
  /** Close every socket, then the server. The gate is yours to close. */
  close(): Promise<void>;
}

// Join and signal messages are tiny; a big frame is an attack or a bug.
const MAX_MESSAGE_BYTES = 16 * 1024;

/** Start the server. Resolves once it is listening. */
export async function createSignalingServer(options: SignalingServerOptions): Promise<SignalingServer> {
  const { gate } = options;
  const token = options.adminToken ?? process.env.GEOADMIT_ADMIN_TOKEN;
  if (!token) throw new Error('createSignalingServer: set options.adminToken or GEOADMIT_ADMIN_TOKEN (the admin API is never left open)');

  // meetingId → participantId → socket. Maps, not objects: ids such as "__proto__" are ordinary ids.
  const meetings = new Map<string, Map<string, WebSocket>>();
  // Joins being decided right now, so two sockets cannot race in with the same participant id.
  const admitting = new Set<string>();
  const admin = createAdminHandler(gate, token);

  const http = createServer((req, res) => {
    if (admin(req, res)) return;
    const notFound = (): void => void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    if (options.requestHandler) return options.requestHandler(req, res, notFound);
    notFound();
  });
  const wss = new WebSocketServer({ server: http, maxPayload: MAX_MESSAGE_BYTES });

  function broadcast(meetingId: string, message: ServerMessage, except?: string): void {
    for (const [participantId, socket] of meetings.get(meetingId) ?? []) {
      if (participantId !== except) send(socket, message);
    }
  }

  function forget(meetingId: string, participantId: string): boolean {
    const room = meetings.get(meetingId);
    if (!room?.delete(participantId)) return false;
    if (room.size === 0) meetings.delete(meetingId);
    return true;
  }

  // For brevity the client names itself. A production server authenticates the upgrade (session
  // cookie or signed ticket, checking Origin) and takes participantId from that, never from the client.
  wss.on('connection', (socket: WebSocket, req: IncomingMessage) => {
    // Set once admitted; `joining` guards against a second join racing the first.
    let joined: { meetingId: string; participantId: string } | undefined;
    let joining = false;

    socket.on('message', (raw, isBinary) => {
      const message = parse(raw, isBinary);
      if (!message.ok) return send(socket, { type: 'error', message: message.error });
      const msg = message.value;

      if (msg.type === 'signal') {
        if (!joined) return send(socket, { type: 'error', message: 'join a meeting first' });
        const peer = meetings.get(joined.meetingId)?.get(msg.to);
        if (!peer) return send(socket, { type: 'error', message: `no participant '${msg.to}' in this meeting` });
        return send(peer, { type: 'signal', from: joined.participantId, data: msg.data });
      }

      if (joined || joining) return send(socket, { type: 'error', message: 'already joined; open a new connection for another meeting' });
      const slot = JSON.stringify([msg.meetingId, msg.participantId]);
      if (meetings.get(msg.meetingId)?.has(msg.participantId) || admitting.has(slot)) {
        return send(socket, { type: 'error', message: `participant '${msg.participantId}' is already connected to this meeting` });
      }
      joining = true;
      admitting.add(slot);
      void admit(msg.meetingId, msg.participantId, msg.hostAccountId).finally(() => {
        joining = false;
        admitting.delete(slot);
      });
    });

    async function admit(meetingId: string, participantId: string, hostAccountId: string | undefined): Promise<void> {
      let decision;
      try {
        decision = await gate.admit({
          meetingId,
          participantId,
          ...(hostAccountId === undefined ? {} : { hostAccountId }),
          // The TCP peer. The gate believes X-Forwarded-For / Forwarded only when this peer is a trusted proxy.
          peerAddress: req.socket.remoteAddress ?? '',
          headers: req.headers,
        });
      } catch (error) {
        return send(socket, { type: 'error', message: error instanceof Error ? error.message : 'join failed' });
      }
      if (!decision.admitted) {
        const codes = decision.reasons.map((r) => r.code);
        send(socket, { type: 'denied', reasons: codes, message: deniedMessage(codes[0]) });
        socket.close(CloseCode.Denied, codes[0] ?? 'denied');
        return;
      }
      if (socket.readyState !== WebSocket.OPEN) {
        // Hung up while we were deciding: the gate must not keep a ghost on its roster.
        gate.leave(meetingId, participantId);
        return;
      }
      let room = meetings.get(meetingId);
      if (!room) meetings.set(meetingId, (room = new Map()));
      room.set(participantId, socket);
      joined = { meetingId, participantId };
      send(socket, { type: 'joined', meetingId, participantId, participants: [...room.keys()] });
      broadcast(meetingId, { type: 'participant-joined', participantId }, participantId);
    }

    socket.on('close', () => {
      if (!joined) return;
      const { meetingId, participantId } = joined;
      // Only the socket that is still registered announces the leave (a removed one already did).
      if (meetings.get(meetingId)?.get(participantId) === socket) {
        forget(meetingId, participantId);
        broadcast(meetingId, { type: 'participant-left', participantId });
      }
      gate.leave(meetingId, participantId);
    });
    socket.on('error', () => socket.terminate());
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `ws://${hostForUrl}:${address.port}/`,
    adminUrl: `http://${hostForUrl}:${address.port}`,
    port: address.port,
    removeParticipant({ meetingId, participantId }) {
      const socket = meetings.get(meetingId)?.get(participantId);
      if (!socket || !forget(meetingId, participantId)) return; // already gone: nothing to do
      send(socket, { type: 'removed', message: 'You were removed from this meeting because of a legal restriction that applies where you are.' });
      socket.close(CloseCode.Removed, 'removed');
      // Same message as a voluntary leave: the others learn nothing about why.
      broadcast(meetingId, { type: 'participant-left', participantId });
    },
    async close() {
      for (const socket of wss.clients) socket.close(CloseCode.GoingAway, 'server shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      // Give clients a moment to answer the close handshake, then cut whatever is left.
      await new Promise((resolve) => setTimeout(resolve, 50).unref());
      for (const socket of wss.clients) socket.terminate();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function parse(raw: WebSocket.RawData, isBinary: boolean): { ok: true; value: ClientMessage } | { ok: false; error: string } {
  if (isBinary) return { ok: false, error: 'send JSON text frames' };
  let json: unknown;
  try {
    json = JSON.parse(raw.toString());
  } catch {
    return { ok: false, error: 'the message is not JSON' };
  }
  const result = ClientMessage.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  return { ok: false, error: `invalid message${where}: ${issue?.message ?? 'unrecognised'}` };
}

function send(socket: WebSocket, message: ServerMessage): void {
  if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function deniedMessage(code: string | undefined): string {
  switch (code) {
    case 'region-restricted':
    case 'not-in-allowed-regions':
      return 'This meeting is not available where you are.';
    case 'unknown-location':
      return 'This meeting requires a location we could not determine for your connection.';
    case 'anonymizer':
      return 'This meeting cannot be joined through a VPN, proxy or Tor.';
    case 'audit-unavailable':
      return 'Joining is paused for a moment. Please try again shortly.';
    default:
      return 'You cannot join this meeting.';
  }
}
