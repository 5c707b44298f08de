/**
 * livekitRemover with livekit-server-sdk's real RoomServiceClient. LiveKit's
 * server is not installable here, so the client talks to a loopback stand-in
 * for LiveKit's Twirp endpoint that records what it receives and answers as
 * LiveKit does (200 `{}`, or 404 `{ code: 'not_found' }`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGate, isGeoadmitError, StaticResolver } from 'geoadmit';
import { livekitRemover, type LiveKitRoomService } from 'geoadmit/livekit';
import { RoomServiceClient, TokenVerifier } from 'livekit-server-sdk';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { ADDR, STATIC_TABLE, takedown } from './helpers/fixtures.js';

const KEY = 'APIkey123';
const SECRET = 'secret-0123456789abcdef0123456789abcdef';
const decision = { admitted: true, reasons: [], dryRun: [], location: { subdivisions: [], source: 'test' } };

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

/** A loopback stand-in for LiveKit's RoomService Twirp endpoint. */
async function fakeLiveKit() {
  const received: { path: string; body: unknown; canAdminRoom?: string }[] = [];
  const state = { present: new Set<string>(), down: false, misrouted: false };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { room: string; identity: string };
    const token = String(req.headers.authorization).replace(/^Bearer /, '');
    const claims = await new TokenVerifier(KEY, SECRET).verify(token);
    received.push({ path: req.url ?? '', body, ...(claims.video?.room === undefined ? {} : { canAdminRoom: claims.video.room }) });
    if (state.misrouted) return res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body><h1>404 Not Found</h1></body></html>');
    if (state.down) return res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'unavailable', msg: 'try later' }));
    if (!state.present.delete(`${body.room}/${body.identity}`)) {
      return res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'not_found', msg: 'participant not found' }));
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const client = new RoomServiceClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, KEY, SECRET);
  return { client, received, state };
}

describe('livekitRemover', () => {
  it("is typed structurally: livekit-server-sdk's RoomServiceClient fits without geoadmit depending on it", () => {
    expectTypeOf<RoomServiceClient>().toMatchTypeOf<LiveKitRoomService>();
    expectTypeOf<Pick<RoomServiceClient, 'removeParticipant'>>().toEqualTypeOf<LiveKitRoomService>();
  });

  it('removes through RoomServiceClient.removeParticipant(meetingId, participantId)', async () => {
    const { client, received, state } = await fakeLiveKit();
    state.present.add('m-1/p-7');
    await livekitRemover(client)({ meetingId: 'm-1', participantId: 'p-7' }, decision);
    expect(received).toEqual([{ path: '/twirp/livekit.RoomService/RemoveParticipant', body: { room: 'm-1', identity: 'p-7' }, canAdminRoom: 'm-1' }]);
    expect(state.present.size).toBe(0);
  });

  it('maps rooms and identities', async () => {
    const { client, received, state } = await fakeLiveKit();
    state.present.add('room-m-1/user:p-7');
    await livekitRemover(client, { room: (m) => `room-${m}`, identity: (p) => `user:${p.participantId}` })(
      { meetingId: 'm-1', participantId: 'p-7' },
      decision,
    );
    expect(received.map((r) => r.body)).toEqual([{ room: 'room-m-1', identity: 'user:p-7' }]);
  });

  it('counts a participant LiveKit no longer has (404) as removed, unless absent: "error"', async () => {
    const { client } = await fakeLiveKit();
    await livekitRemover(client)({ meetingId: 'm-1', participantId: 'gone' }, decision);
    const error = await livekitRemover(client, { absent: 'error' })({ meetingId: 'm-1', participantId: 'gone' }, decision).catch((e: unknown) => e);
    expect(isGeoadmitError(error, 'E_REMOVAL_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(/participant not found/);
  });

  it("counts only LiveKit's own not_found as removed: an HTML 404 from a misrouted URL is a failure", async () => {
    const { client, state } = await fakeLiveKit();
    state.present.add('m-1/p-7');
    state.misrouted = true;
    const error = await livekitRemover(client)({ meetingId: 'm-1', participantId: 'p-7' }, decision).catch((e: unknown) => e);
    expect(isGeoadmitError(error, 'E_REMOVAL_FAILED')).toBe(true);
    expect(state.present.has('m-1/p-7')).toBe(true);
  });

  it('a room or identity mapping that throws fails with E_REMOVAL_FAILED, before anything is sent', async () => {
    const { client, received } = await fakeLiveKit();
    const boom = () => {
      throw new Error('no such meeting');
    };
    for (const options of [{ room: boom }, { identity: boom }]) {
      const error = await livekitRemover(client, options)({ meetingId: 'm-1', participantId: 'p-7' }, decision).catch((e: unknown) => e);
      expect(isGeoadmitError(error, 'E_REMOVAL_FAILED')).toBe(true);
      expect((error as Error).message).toMatch(/no such meeting/);
    }
    expect(received).toEqual([]);
  });

  it('as a gate onRemove: an unavailable LiveKit leaves the participant pending, retryRemovals removes them', async () => {
    const { client, state, received } = await fakeLiveKit();
    const gate = createGate({ geo: new StaticResolver(STATIC_TABLE), onRemove: livekitRemover(client) });
    cleanup.push(() => gate.close());
    await gate.admit({ meetingId: 'm-1', participantId: 'cn-1', peerAddress: ADDR.CN1 });
    await gate.admit({ meetingId: 'm-1', participantId: 'hk-1', peerAddress: ADDR.HK });
    state.present.add('m-1/cn-1').add('m-1/hk-1');
    state.down = true;
    const result = await gate.restrict(takedown());
    expect(result.pending).toMatchObject([{ meetingId: 'm-1', participantId: 'cn-1' }]);
    expect(gate.pendingRemovals()[0]?.error).toMatch(/try later/);
    state.down = false;
    expect(await gate.retryRemovals()).toEqual([{ meetingId: 'm-1', participantId: 'cn-1' }]);
    expect([...state.present]).toEqual(['m-1/hk-1']);
    expect(received.map((r) => (r.body as { identity: string }).identity)).toEqual(['cn-1', 'cn-1']);
  });

  it('refuses something that is not a room service', () => {
    expect(() => livekitRemover({} as never)).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG', argument: 'roomService' }));
    expect(() => livekitRemover({ removeParticipant: async () => undefined }, { absent: 'skip' as never })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', argument: 'absent' }),
    );
  });
});
