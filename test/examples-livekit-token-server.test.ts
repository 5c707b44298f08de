import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { AccessToken, TokenVerifier } from 'livekit-server-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { MaxMindResolver } from 'geoadmit';
import { createTokenServer, type RoomRemover, type TokenServer } from '../examples/livekit-token-server/server.js';

const DB = createRequire(import.meta.url).resolve('@ip-location-db/geolite2-country-mmdb/geolite2-country.mmdb');
const LIVEKIT = { url: 'wss://livekit.example.test', apiKey: 'APIkey123', apiSecret: 'secret-0123456789abcdef0123456789abcdef' };
const CN = '1.2.4.8';
const HK = '202.181.0.1';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

/** Records every removeParticipant call; fails on demand. */
class RecordingRoomService implements RoomRemover {
  calls: [string, string][] = [];
  fail = false;
  /** Identities LiveKit no longer has in the room (answers 404, as the real service does). */
  gone = new Set<string>();
  async removeParticipant(room: string, identity: string): Promise<void> {
    if (this.fail) throw new Error('livekit unreachable');
    if (this.gone.has(identity)) throw Object.assign(new Error('participant not found'), { status: 404, code: 'not_found' });
    this.calls.push([room, identity]);
  }
}

async function setup() {
  const geo = await MaxMindResolver.open([DB]);
  const roomService = new RecordingRoomService();
  const server: TokenServer = await createTokenServer({ gate: { geo, trustedProxies: ['127.0.0.0/8'] }, livekit: LIVEKIT, roomService });
  cleanup.push(async () => {
    await server.close();
    await geo.close?.();
  });
  const requestToken = (body: unknown, ip: string) =>
    fetch(`${server.url}/token`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify(body) });
  const webhook = async (event: object, sign = true) => {
    const body = JSON.stringify(event);
    const at = new AccessToken(LIVEKIT.apiKey, sign ? LIVEKIT.apiSecret : 'some-other-secret-0123456789abcdef');
    at.sha256 = createHash('sha256').update(body).digest('base64');
    return fetch(`${server.url}/livekit/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/webhook+json', authorization: await at.toJwt() },
      body,
    });
  };
  return { server, roomService, requestToken, webhook };
}

describe('LiveKit token server example', () => {
  it('mints a token for an admitted participant, granting exactly that room', async () => {
    const { requestToken } = await setup();
    const res = await requestToken({ room: 'm-1', identity: 'alice' }, HK);
    expect(res.status).toBe(200);
    const { token, url } = (await res.json()) as { token: string; url: string };
    expect(url).toBe(LIVEKIT.url);
    const claims = await new TokenVerifier(LIVEKIT.apiKey, LIVEKIT.apiSecret).verify(token);
    expect(claims.sub).toBe('alice');
    expect(claims.video).toMatchObject({ roomJoin: true, room: 'm-1' });
    // Independently of the SDK's verifier: the JWT payload as sent.
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(payload).toMatchObject({ iss: LIVEKIT.apiKey, sub: 'alice', video: { roomJoin: true, room: 'm-1' } });
    expect(typeof payload.exp).toBe('number');
    await expect(new TokenVerifier(LIVEKIT.apiKey, 'wrong-secret-0123456789abcdef0123').verify(token)).rejects.toThrow();
  });

  it('mints no token for a participant a restriction denies', async () => {
    const { server, requestToken } = await setup();
    await server.gate.restrict({ id: 'r-1', authority: { name: 'Example Authority', jurisdiction: 'CN' }, regions: ['CN'], scope: { meetings: ['m-1'] } });
    const res = await requestToken({ room: 'm-1', identity: 'bob' }, CN);
    expect(res.status).toBe(403);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ reasons: ['region-restricted'], message: expect.any(String) });
    expect(JSON.stringify(body)).not.toMatch(/eyJ/); // no JWT anywhere
    expect(server.gate.participants('m-1')).toEqual([]);
  });

  it('removes present participants through RoomServiceClient.removeParticipant, only the restricted ones', async () => {
    const { server, roomService, requestToken } = await setup();
    expect((await requestToken({ room: 'm-1', identity: 'host-hk', hostAccountId: 'acct-1' }, HK)).status).toBe(200);
    expect((await requestToken({ room: 'm-1', identity: 'guest-cn' }, CN)).status).toBe(200);
    expect((await requestToken({ room: 'm-2', identity: 'other-cn', hostAccountId: 'acct-2' }, CN)).status).toBe(200);
    const result = await server.gate.restrict({
      id: 'r-live',
      authority: { name: 'Example Authority', jurisdiction: 'CN' },
      regions: ['CN'],
      scope: { hostAccounts: ['acct-1'], meetings: ['m-1'] },
    });
    expect(result.removed).toEqual([{ meetingId: 'm-1', participantId: 'guest-cn' }]);
    expect(roomService.calls).toEqual([['m-1', 'guest-cn']]);
    expect(server.gate.participants().map((p) => p.participantId)).toEqual(['host-hk', 'other-cn']);
  });

  it('keeps a participant pending when LiveKit cannot be reached, and retries', async () => {
    const { server, roomService, requestToken } = await setup();
    await requestToken({ room: 'm-1', identity: 'guest-cn' }, CN);
    roomService.fail = true;
    const result = await server.gate.restrict({
      id: 'r-1',
      authority: { name: 'Example Authority', jurisdiction: 'CN' },
      regions: ['CN'],
      scope: { meetings: ['m-1'] },
    });
    expect(result.pending).toEqual([{ meetingId: 'm-1', participantId: 'guest-cn' }]);
    roomService.fail = false;
    expect(await server.gate.retryRemovals()).toEqual([{ meetingId: 'm-1', participantId: 'guest-cn' }]);
    expect(roomService.calls).toEqual([['m-1', 'guest-cn']]);
  });

  it('counts a participant LiveKit no longer has (404) as removed', async () => {
    const { server, roomService, requestToken } = await setup();
    await requestToken({ room: 'm-1', identity: 'guest-cn' }, CN);
    roomService.gone.add('guest-cn');
    const result = await server.gate.restrict({
      id: 'r-1',
      authority: { name: 'Example Authority', jurisdiction: 'CN' },
      regions: ['CN'],
      scope: { meetings: ['m-1'] },
    });
    expect(result.removed).toEqual([{ meetingId: 'm-1', participantId: 'guest-cn' }]);
    expect(server.gate.pendingRemovals()).toEqual([]);
  });

  it('follows signed LiveKit webhooks and ignores unsigned ones', async () => {
    const { server, requestToken, webhook } = await setup();
    await requestToken({ room: 'm-1', identity: 'a' }, HK);
    await requestToken({ room: 'm-1', identity: 'b' }, HK);
    expect((await webhook({ event: 'participant_left', room: { name: 'm-1' }, participant: { identity: 'a' } }, false)).status).toBe(401);
    expect(server.gate.participants('m-1')).toHaveLength(2);
    expect((await webhook({ event: 'participant_left', room: { name: 'm-1' }, participant: { identity: 'a' } })).status).toBe(200);
    expect(server.gate.participants('m-1').map((p) => p.participantId)).toEqual(['b']);
    expect((await webhook({ event: 'room_finished', room: { name: 'm-1' } })).status).toBe(200);
    expect(server.gate.participants('m-1')).toEqual([]);
  });

  it('rejects malformed token requests', async () => {
    const { server, requestToken } = await setup();
    expect((await requestToken({ room: 'm-1' }, HK)).status).toBe(400);
    expect((await requestToken({ room: '', identity: 'a' }, HK)).status).toBe(400);
    expect((await requestToken({ room: 'm', identity: 'a', admin: true }, HK)).status).toBe(400);
    const notJson = await fetch(`${server.url}/token`, { method: 'POST', body: 'room=m' });
    expect(notJson.status).toBe(400);
    const huge = await fetch(`${server.url}/token`, { method: 'POST', body: 'x'.repeat(20_000) });
    expect(huge.status).toBe(413);
    expect((await fetch(`${server.url}/other`, { method: 'POST' })).status).toBe(404);
  });
});
