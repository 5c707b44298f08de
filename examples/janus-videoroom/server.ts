/**
 * A signaling front for a Janus VideoRoom that admits every participant
 * through geoadmit before their `join` reaches Janus, and removes present
 * participants live when a restriction covers them.
 *
 * Clients never talk to Janus's API directly: the front holds one Janus
 * session per participant, sends their VideoRoom `join` (as a publisher,
 * with their display name) only after `gate.admit` said yes, and remembers
 * the participant id Janus assigned. The gate's `onRemove` is geoadmit's
 * `janusRemover`, which kicks that Janus participant with the room secret.
 *
 * Routes (the front sits behind your reverse proxy, which the gate trusts):
 * - `POST /meetings/:meetingId/join` `{ participantId, display?, hostAccountId? }`
 *   → 200 `{ room, janusId, publishers }`, 451 `{ error: 'unavailable-for-legal-reasons', reasons, notice }` (a takedown; 403 `{ error: 'admission-denied', reasons }` otherwise),
 *   400 `{ error: 'invalid-join' }`, 502 when Janus refused the join
 * - `POST /meetings/:meetingId/leave` `{ participantId }` → 200 `{ left: boolean }`
 * A real front would also relay the WebRTC offer/answer and trickle
 * candidates for each participant; admission and removal do not depend on it.
 *
 * @example
 * const front = await createVideoRoomFront({
 *   gate: { geo: await openDefaultResolver(), trustedProxies: ['10.0.0.0/8'] },
 *   janus: { url: 'http://127.0.0.1:8088/janus', roomSecret: process.env.JANUS_ROOM_SECRET },
 * });
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGate, type Gate, type GateOptions, type ParticipantRef } from 'geoadmit';
import { admissionMiddleware } from 'geoadmit/http';
import { defaultJanusId, janusRemover } from 'geoadmit/janus';
import { JanusSession } from './janus-client.js';

/** Options of {@link createVideoRoomFront}. */
export interface VideoRoomFrontOptions {
  /** How to build the gate; `onRemove` is wired to Janus by the front. */
  gate: Omit<GateOptions, 'onRemove'>;
  janus: {
    /** Janus's HTTP API, e.g. `http://127.0.0.1:8088/janus`. */
    url: string;
    /** The rooms' secret (VideoRoom asks for it to kick). */
    roomSecret?: string;
    /** Per-request time limit of a kick (default 5000 ms). */
    timeoutMs?: number;
  };
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
}

/** A running front. */
export interface VideoRoomFront {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  /** The gate deciding admissions (restrict, lift, pendingRemovals, retryRemovals go through it). */
  readonly gate: Gate;
  /** The Janus participant id of an admitted participant, while they are in the room. */
  janusIdOf(meetingId: string, participantId: string): number | undefined;
  close(): Promise<void>;
}

/** One participant as the front tracks them: their Janus session and the id Janus gave them. */
interface Member {
  session: JanusSession;
  janusId: number;
}

const MAX_BODY_BYTES = 16 * 1024;

/** Start the front. */
export async function createVideoRoomFront(options: VideoRoomFrontOptions): Promise<VideoRoomFront> {
  const members = new Map<string, Member>();
  const key = (meetingId: string, participantId: string) => JSON.stringify([meetingId, participantId]);

  const gate = createGate({
    ...options.gate,
    onRemove: janusRemover({
      url: options.janus.url,
      ...(options.janus.roomSecret === undefined ? {} : { secret: options.janus.roomSecret }),
      ...(options.janus.timeoutMs === undefined ? {} : { timeoutMs: options.janus.timeoutMs }),
      // The gate knows our participant ids; Janus knows its own. The front maps one to the other.
      participant: (ref: ParticipantRef) => {
        const member = members.get(key(ref.meetingId, ref.participantId));
        if (member === undefined) throw new Error(`no Janus participant for '${ref.participantId}' in '${ref.meetingId}'`);
        return member.janusId;
      },
    }),
  });

  function forget(meetingId: string, participantId: string, member: Member): void {
    if (members.get(key(meetingId, participantId)) === member) members.delete(key(meetingId, participantId));
    void member.session.destroy();
  }

  async function join(req: IncomingMessage, res: ServerResponse, meetingId: string): Promise<void> {
    const text = await readBody(req);
    if (text === undefined) return json(res, 413, { error: 'too-large' });
    let body: { participantId?: unknown; display?: unknown; hostAccountId?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // Falls through to the middleware, which answers 400 invalid-join for the missing ids.
    }
    const display = typeof body.display === 'string' ? body.display.slice(0, 128) : undefined;
    // Admission first: nothing reaches Janus for a participant the gate denies.
    const admitted = await runMiddleware(
      // Only the ids are taken from the body (never `context`, which location plugins would believe). In a real
      // front the participant id comes from your authenticated session and the host account from the meeting.
      admissionMiddleware(gate, { join: () => ({ meetingId, participantId: body.participantId, hostAccountId: body.hostAccountId }) as never }),
      req,
      res,
    );
    if (!admitted) return;
    const participantId = String(body.participantId);
    let session: JanusSession | undefined;
    try {
      session = await JanusSession.create(options.janus.url);
      const handle = await session.attach('janus.plugin.videoroom');
      const joined = await session.send(handle, {
        request: 'join',
        ptype: 'publisher',
        room: defaultJanusId(meetingId),
        ...(display === undefined ? {} : { display }),
      });
      const member: Member = { session, janusId: joined.id as number };
      members.set(key(meetingId, participantId), member);
      // Kicked (by janusRemover or a moderator) or the room went away: the participant is gone.
      session.onEvent((event) => {
        const data = event.plugindata?.data;
        if (data?.leaving === 'ok' || data?.videoroom === 'destroyed') forget(meetingId, participantId, member);
      });
      json(res, 200, { room: joined.room, janusId: joined.id, publishers: joined.publishers ?? [] });
    } catch (error) {
      // Admitted by the gate but not in the room: take them off the roster again.
      gate.leave(meetingId, participantId);
      await session?.destroy();
      json(res, 502, { error: 'media-server-refused', message: (error as Error).message });
    }
  }

  async function leave(req: IncomingMessage, res: ServerResponse, meetingId: string): Promise<void> {
    const text = await readBody(req);
    let participantId: unknown;
    try {
      participantId = (JSON.parse(text ?? '') as { participantId?: unknown }).participantId;
    } catch {
      participantId = undefined;
    }
    if (typeof participantId !== 'string') return json(res, 400, { error: 'invalid-leave' });
    const member = members.get(key(meetingId, participantId));
    if (member) forget(meetingId, participantId, member);
    json(res, 200, { left: gate.leave(meetingId, participantId) });
  }

  const http = createServer((req, res) => {
    const match = req.method === 'POST' ? /^\/meetings\/([^/]{1,256})\/(join|leave)$/.exec(req.url ?? '') : null;
    if (!match) return json(res, 404, { error: 'not-found' });
    let meetingId: string;
    try {
      meetingId = decodeURIComponent(match[1] as string);
    } catch {
      return json(res, 400, { error: 'invalid-join' });
    }
    (match[2] === 'join' ? join : leave)(req, res, meetingId).catch((error: unknown) => {
      console.error('videoroom front failure:', error);
      if (!res.headersSent) json(res, 500, { error: 'internal-error' });
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
    janusIdOf: (meetingId, participantId) => members.get(key(meetingId, participantId))?.janusId,
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await Promise.all([...members.values()].map((m) => m.session.destroy()));
      members.clear();
      await gate.close();
    },
  };
}

/** Run a Connect-style middleware on a plain node:http request: resolves true when it called `next()`. */
function runMiddleware(
  middleware: (req: IncomingMessage, res: ServerResponse, next: () => void) => void,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  return new Promise((resolve) => {
    res.once('finish', () => resolve(false));
    middleware(req, res, () => resolve(true));
  });
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
