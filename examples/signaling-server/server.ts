/**
 * A small conferencing signaling server with geoadmit as its admission hook.
 *
 * One WebSocket per participant, opened at `/?meeting=<id>&participant=<id>`
 * (plus `&host=<account>` for host-account restrictions). `wsAdmission`
 * admits the upgrade before the socket exists: a denied participant gets the
 * HTTP answer (`451` with the restriction's notice, or `403`) and never a
 * socket. Admitted participants get the roster, join/leave notices and
 * signal relay. A restriction that arrives while a meeting runs removes only
 * the participants it covers: they receive a `removed` message with the
 * notice, then the socket closes with 4451; the others just see
 * "participant-left", as if that person had hung up.
 *
 * @example
 * let server: SignalingServer | undefined;
 * const gate = createGate({
 *   geo: await MaxMindResolver.open(['GeoLite2-Country.mmdb']),
 *   trustedProxies: ['10.0.0.0/8'],           // your reverse proxy
 *   onRemove: (p, d) => server?.removeParticipant(p, d),
 * });
 * server = await createSignalingServer({ gate, adminToken: process.env.GEOADMIT_ADMIN_TOKEN });
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Decision, Gate, ParticipantRef } from 'geoadmit';
import { wsAdmission } from 'geoadmit/ws';
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
  /** WebSocket URL clients connect to, e.g. `ws://127.0.0.1:54321/` (add `?meeting=…&participant=…`). */
  readonly url: string;
  /** Base URL of the admin API, e.g. `http://127.0.0.1:54321`. */
  readonly adminUrl: string;
  readonly port: number;
  /**
   * Disconnect a participant a restriction removed: they get a `removed`
   * message with the notice, then close 4451; the rest of the meeting sees
   * them leave. Use it as the gate's `onRemove`.
   */
  removeParticipant(participant: ParticipantRef, decision: Decision): Promise<void>;
  /** Close every socket, then the server. The gate is yours to close. */
  close(): Promise<void>;
}

// Signal messages are small; a big frame is an attack or a bug.
const MAX_MESSAGE_BYTES = 16 * 1024;

/**
 * Which meeting and who, from the upgrade URL. For brevity the client names
 * itself: a production server authenticates the upgrade (session cookie or
 * signed ticket, checking Origin) and takes the participant id from that.
 * Ids the gate cannot take (empty, too long) are answered 400 by the admission.
 */
function idsFromUrl(req: IncomingMessage) {
  const query = new URL(req.url ?? '/', 'http://signaling.invalid').searchParams;
  const host = query.get('host');
  return {
    meetingId: query.get('meeting') ?? '',
    participantId: query.get('participant') ?? '',
    ...(host === null ? {} : { hostAccountId: host }),
  };
}

/** Start the server. Resolves once it is listening. */
export async function createSignalingServer(options: SignalingServerOptions): Promise<SignalingServer> {
  const { gate } = options;
  const token = options.adminToken ?? process.env.GEOADMIT_ADMIN_TOKEN;
  if (!token) throw new Error('createSignalingServer: set options.adminToken or GEOADMIT_ADMIN_TOKEN (the admin API is never left open)');

  // meetingId → participantId → socket, for the roster and signal relay. Maps, not objects: ids such as
  // "__proto__" are ordinary ids. Who may be here is wsAdmission's business; this only routes messages.
  const meetings = new Map<string, Map<string, WebSocket>>();
  const admin = createAdminHandler(gate, token);

  const sockets = wsAdmission<WebSocket>({
    join: idsFromUrl,
    // The removed participant hears why before the socket closes (the close reason repeats the notice's text).
    notify: (socket, _participant, decision) => send(socket, { type: 'removed', message: removedMessage(decision), ...noticeOf(decision) }),
  });

  const http = createServer((req, res) => {
    if (admin(req, res)) return;
    const notFound = (): void => void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    if (options.requestHandler) return options.requestHandler(req, res, notFound);
    notFound();
  });
  const wss = new WebSocketServer({ server: http, maxPayload: MAX_MESSAGE_BYTES });
  sockets.attach(wss, gate);

  function broadcast(meetingId: string, message: ServerMessage, except?: string): void {
    for (const [participantId, socket] of meetings.get(meetingId) ?? []) {
      if (participantId !== except) send(socket, message);
    }
  }

  // Only admitted upgrades get here: the participant is on the gate's roster.
  wss.on('connection', (socket: WebSocket) => {
    const participant = sockets.participant(socket);
    if (participant === undefined) return; // removed or replaced in the same instant: it is being closed
    const { meetingId, participantId } = participant;
    let room = meetings.get(meetingId);
    if (!room) meetings.set(meetingId, (room = new Map()));
    // A newer connection of the same participant takes the place of the old one (which wsAdmission closes with 4409).
    const reconnected = room.has(participantId);
    room.set(participantId, socket);
    send(socket, { type: 'joined', meetingId, participantId, participants: [...room.keys()] });
    if (!reconnected) broadcast(meetingId, { type: 'participant-joined', participantId }, participantId);

    socket.on('message', (raw, isBinary) => {
      const message = parse(raw, isBinary);
      if (!message.ok) return send(socket, { type: 'error', message: message.error });
      const msg = message.value;
      const peer = meetings.get(meetingId)?.get(msg.to);
      if (!peer) return send(socket, { type: 'error', message: `no participant '${msg.to}' in this meeting` });
      send(peer, { type: 'signal', from: participantId, data: msg.data });
    });

    socket.on('close', () => {
      // Only the participant's current socket announces the leave (a replaced one does not).
      const current = meetings.get(meetingId);
      if (current?.get(participantId) !== socket) return;
      current.delete(participantId);
      if (current.size === 0) meetings.delete(meetingId);
      // Same message whether they hung up or were removed: the others learn nothing about why.
      broadcast(meetingId, { type: 'participant-left', participantId });
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
    removeParticipant: sockets.onRemove,
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

function noticeOf(decision: Decision): { notice?: NonNullable<Decision['notice']> } {
  return decision.notice === undefined ? {} : { notice: decision.notice };
}

function removedMessage(decision: Decision): string {
  const kind = decision.notice?.kind;
  return kind === 'host-policy'
    ? 'You were removed from this meeting by the meeting host’s policy for where you are.'
    : 'You were removed from this meeting because of a legal restriction that applies where you are.';
}
