import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { createGate, MaxMindResolver, type Gate } from 'geoadmit';
import type { RestrictionAcceptedEvent, RestrictionRefusedEvent } from 'geoadmit/audit';
import { connect, type Refused, type SignalingClient } from '../examples/signaling-server/client.js';
import { MAX_BODY_BYTES } from '../examples/signaling-server/admin.js';
import { CloseCode } from '../examples/signaling-server/protocol.js';
import { createSignalingServer, type SignalingServer } from '../examples/signaling-server/server.js';

const DB = createRequire(import.meta.url).resolve('@ip-location-db/geolite2-country-mmdb/geolite2-country.mmdb');
const TOKEN = 'test-admin-token-0123456789';
// Real addresses, located by the real GeoLite2 country database.
const CN = '1.2.4.8';
const CN2 = '223.5.5.5';
const HK = '202.181.0.1';
const US = '8.8.8.8';

const takedown = (id: string, scope: object, regions = ['CN']) => ({
  id,
  kind: 'takedown',
  authority: { name: 'Example Authority', jurisdiction: 'CN' },
  regions,
  scope,
});

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function setup() {
  const geo = await MaxMindResolver.open([DB]);
  let server: SignalingServer | undefined;
  const gate: Gate = createGate({ geo, trustedProxies: ['127.0.0.0/8'], onRemove: (p, d) => server?.removeParticipant(p, d) });
  server = await createSignalingServer({ gate, adminToken: TOKEN });
  const running = server;
  const clients: SignalingClient[] = [];
  cleanup.push(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await running.close();
    await gate.close();
    await geo.close?.();
  });
  /** Joins and expects to be admitted. */
  const join = async (meetingId: string, participantId: string, ip: string | undefined, hostAccountId?: string) => {
    const outcome = await connect(
      running.url,
      { meetingId, participantId, ...(hostAccountId ? { hostAccountId } : {}) },
      ip === undefined ? {} : { forwardedFor: ip },
    );
    if (!outcome.admitted) throw new Error(`${participantId} was refused: ${outcome.refused.status} ${JSON.stringify(outcome.refused.body)}`);
    clients.push(outcome.client);
    return outcome.client;
  };
  /** Joins and expects to be refused. */
  const refused = async (meetingId: string, participantId: string, ip: string): Promise<Refused> => {
    const outcome = await connect(running.url, { meetingId, participantId }, { forwardedFor: ip });
    if (outcome.admitted) {
      clients.push(outcome.client);
      throw new Error(`${participantId} was admitted`);
    }
    return outcome.refused;
  };
  const admin = (method: string, path: string, body?: unknown, token: string | null = TOKEN) =>
    fetch(running.adminUrl + path, {
      method,
      headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  return { gate, server: running, join, refused, admin };
}

describe('signaling server example', () => {
  it('admits participants, sends the roster and announces joins and leaves', async () => {
    const { gate, join } = await setup();
    const host = await join('m-1', 'host', US);
    expect(await host.next('joined')).toEqual({ type: 'joined', meetingId: 'm-1', participantId: 'host', participants: ['host'] });
    const guest = await join('m-1', 'guest', HK);
    expect((await guest.next('joined')).participants).toEqual(['host', 'guest']);
    expect(await host.next('participant-joined')).toEqual({ type: 'participant-joined', participantId: 'guest' });
    expect(gate.participants('m-1').map((p) => p.participantId)).toEqual(['host', 'guest']);

    await guest.close();
    expect(await host.next('participant-left')).toEqual({ type: 'participant-left', participantId: 'guest' });
    expect(gate.participants('m-1').map((p) => p.participantId)).toEqual(['host']);
  });

  it('relays signals between participants of the same meeting only', async () => {
    const { join } = await setup();
    const a = await join('m-1', 'a', US);
    await a.next('joined');
    const b = await join('m-1', 'b', HK);
    await b.next('joined');
    a.send({ type: 'signal', to: 'b', data: { sdp: 'offer' } });
    expect(await b.next('signal')).toEqual({ type: 'signal', from: 'a', data: { sdp: 'offer' } });
    a.send({ type: 'signal', to: 'nobody', data: 1 });
    expect((await a.next('error')).message).toMatch(/no participant 'nobody'/);
  });

  it('denies a join from a restricted region at the upgrade: HTTP 451 with the notice, and no socket', async () => {
    const { gate, refused, join, admin } = await setup();
    const doc = {
      ...takedown('r-1', { meetings: ['m-1'] }),
      notice: { text: 'Unavailable in this region by order of Example Authority.', url: 'https://example.org/n/1' },
    };
    expect((await admin('POST', '/restrictions', doc)).status).toBe(201);
    const answer = await refused('m-1', 'p-cn', CN);
    expect(answer.status).toBe(451);
    expect(answer.body).toMatchObject({
      error: 'unavailable-for-legal-reasons',
      reasons: ['region-restricted'],
      notice: { restrictionId: 'r-1', kind: 'takedown', text: 'Unavailable in this region by order of Example Authority.' },
    });
    expect(answer.link).toBe('<https://example.org/n/1>; rel="blocked-by"');
    expect(gate.participants('m-1')).toEqual([]);
    // Another meeting is not covered.
    expect((await (await join('m-2', 'p-cn', CN)).next('joined')).participants).toEqual(['p-cn']);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const geo = await MaxMindResolver.open([DB]);
    const gate = createGate({ geo, restrictions: [takedown('r-1', { meetings: ['m-1'] }) as never] });
    const server = await createSignalingServer({ gate, adminToken: TOKEN });
    const outcome = await connect(server.url, { meetingId: 'm-1', participantId: 'p' }, { forwardedFor: CN });
    cleanup.push(async () => {
      if (outcome.admitted) await outcome.client.close();
      await server.close();
      await gate.close();
      await geo.close?.();
    });
    // Without trusted proxies the loopback peer address counts: unknown location, admitted by default.
    expect(outcome.admitted).toBe(true);
    if (outcome.admitted) await outcome.client.next('joined');
  });

  it('removes only the restricted participants of a running meeting: the notice first, then close 4451; the others see nothing but "left"', async () => {
    const { gate, join, admin } = await setup();
    const hostUs = await join('m-b', 'host-us', US);
    await hostUs.next('joined');
    const hk = await join('m-b', 'hk', HK);
    await hk.next('joined');
    const cn = await join('m-b', 'cn', CN2);
    await cn.next('joined');
    const aHost = await join('m-a', 'host-a', US);
    await aHost.next('joined');

    const text = 'This meeting is unavailable in mainland China following a demand by Example Authority (letter 2020-117).';
    const res = await admin('POST', '/restrictions', { ...takedown('r-live', { meetings: ['m-a', 'm-b'] }), notice: { text } });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { removed: { participantId: string }[]; meetingsUndisturbed: string[] };
    expect(body.removed.map((p) => p.participantId)).toEqual(['cn']);
    expect(body.meetingsUndisturbed).toEqual(['m-a']);

    const removed = await cn.next('removed');
    expect(removed.message).toMatch(/legal restriction/);
    expect(removed.notice).toMatchObject({ restrictionId: 'r-live', kind: 'takedown', text });
    expect(await cn.closed).toEqual({ code: CloseCode.Removed, reason: text });
    // The notice arrived before the close: it is the last message the participant saw.
    expect(cn.received.at(-1)?.type).toBe('removed');
    expect(await hostUs.next('participant-left')).toEqual({ type: 'participant-left', participantId: 'cn' });
    expect(await hk.next('participant-left')).toEqual({ type: 'participant-left', participantId: 'cn' });
    expect(hostUs.socket.readyState).toBe(hostUs.socket.OPEN);
    expect(hostUs.received.some((m) => m.type === 'removed')).toBe(false);
    expect(gate.participants('m-b').map((p) => p.participantId)).toEqual(['host-us', 'hk']);
    expect(gate.participants('m-a').map((p) => p.participantId)).toEqual(['host-a']);
    expect(aHost.received.filter((m) => m.type === 'participant-left')).toEqual([]);
  });

  it('refuses a demand outside the authority’s jurisdiction with 422 and records the refusal', async () => {
    const { gate, join, admin } = await setup();
    const refused: RestrictionRefusedEvent[] = [];
    gate.on('restriction.refused', (e) => refused.push(e));
    const hk = await join('m-1', 'hk', HK);
    await hk.next('joined');
    const res = await admin('POST', '/restrictions', takedown('r-hk', { meetings: ['m-1'] }, ['HK']));
    expect(res.status).toBe(422);
    const body = (await res.json()) as { code: string; message: string; path: string };
    expect(body.code).toBe('E_OUT_OF_JURISDICTION');
    expect(body.path).toMatch(/regions/);
    expect(refused).toHaveLength(1);
    expect(gate.restrictions()).toEqual([]);
    expect(hk.socket.readyState).toBe(hk.socket.OPEN);
  });

  it('answers 422 with the JSON path for an invalid document, lists, previews and lifts restrictions', async () => {
    const { gate, admin } = await setup();
    const accepted: RestrictionAcceptedEvent[] = [];
    gate.on('restriction.accepted', (e) => accepted.push(e));
    const bad = await admin('POST', '/restrictions', { ...takedown('r-x', { meetings: ['m'] }), regions: ['XX'] });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ code: 'E_INVALID_RESTRICTION', path: expect.stringMatching(/regions/) });

    const preview = await admin('POST', '/restrictions/preview', takedown('r-p', { meetings: ['m'] }));
    expect(preview.status).toBe(200);
    expect(gate.restrictions()).toEqual([]);

    expect((await admin('POST', '/restrictions', takedown('r/1', { meetings: ['m'] }))).status).toBe(201);
    expect(accepted.map((e) => e.restrictionId)).toEqual(['r/1']);
    expect(await (await admin('GET', '/restrictions')).json()).toMatchObject({ restrictions: [{ id: 'r/1' }] });
    expect((await admin('DELETE', `/restrictions/${encodeURIComponent('r/1')}`)).status).toBe(200);
    expect((await admin('DELETE', '/restrictions/r%2F1')).status).toBe(404);
    expect((await admin('DELETE', '/restrictions/%E0%A4%A')).status).toBe(400);
  });

  it('rejects admin requests without the right bearer token', async () => {
    const { gate, admin } = await setup();
    const doc = takedown('r-1', { meetings: ['m'] });
    for (const token of [null, 'wrong', `${TOKEN}x`, '']) {
      const res = await admin('POST', '/restrictions', doc, token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect((await admin('GET', '/restrictions', undefined, null)).status).toBe(401);
    expect(gate.restrictions()).toEqual([]);
  });

  it('refuses oversized, non-JSON and wrongly typed admin bodies', async () => {
    const { admin, server } = await setup();
    expect((await admin('POST', '/restrictions', 'x'.repeat(MAX_BODY_BYTES + 1))).status).toBe(413);
    expect((await admin('POST', '/restrictions', '{"id":')).status).toBe(400);
    const text = await fetch(`${server.adminUrl}/restrictions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(text.status).toBe(415);
    expect((await fetch(`${server.adminUrl}/elsewhere`)).status).toBe(404);
  });

  it('answers malformed messages with an error and stays up', async () => {
    const { join } = await setup();
    const client = await join('m', 'p', US);
    await client.next('joined');
    for (const bad of [
      'not json',
      '{"type":"join","meetingId":"m","participantId":"q"}',
      JSON.stringify({ type: 'signal', to: '', data: 1 }),
      JSON.stringify({ type: 'signal', to: 'p', data: 1, extra: 1 }),
      '[]',
      JSON.stringify({ type: 'signal', to: 'x'.repeat(300), data: 1 }),
    ]) {
      client.send(bad);
      expect((await client.next('error')).message).toMatch(/JSON|invalid message/);
    }
    client.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await client.next('error')).message).toMatch(/text frames/);
    const other = await join('m', 'p2', HK);
    expect((await other.next('joined')).participants).toEqual(['p', 'p2']);
  });

  it('answers unusable ids in the URL with 400 before any socket opens', async () => {
    const { gate, refused } = await setup();
    expect((await refused('m', '', US)).status).toBe(400);
    expect((await refused('m', 'x'.repeat(300), US)).status).toBe(400);
    expect(gate.participants()).toEqual([]);
  });

  it('a second connection of the same participant replaces the first (4409), which leaves nobody behind', async () => {
    const { gate, join } = await setup();
    const host = await join('m', 'host', US);
    await host.next('joined');
    const first = await join('m', 'p', US);
    await first.next('joined');
    const second = await join('m', 'p', HK);
    expect((await second.next('joined')).participants).toEqual(['host', 'p']);
    expect((await first.closed).code).toBe(CloseCode.Replaced);
    expect(gate.participants('m').map((p) => p.participantId)).toEqual(['host', 'p']);
    // The others saw one join and no leave: the participant is still there.
    await new Promise((r) => setTimeout(r, 30));
    expect(host.received.filter((m) => m.type === 'participant-left')).toEqual([]);
    expect(host.received.filter((m) => m.type === 'participant-joined')).toHaveLength(1);
  });

  it('closes the socket of an oversized frame without affecting others', async () => {
    const { join } = await setup();
    const ok = await join('m', 'ok', US);
    await ok.next('joined');
    const big = await join('m', 'big', US);
    await big.next('joined');
    big.send({ type: 'signal', to: 'ok', data: 'y'.repeat(20_000) });
    expect((await big.closed).code).toBe(1009);
    const again = await join('m', 'later', HK);
    expect((await again.next('joined')).participants).toEqual(['ok', 'later']);
  });

  it('handles private and malformed forwarded addresses as unknown locations (admitted by default)', async () => {
    const { join } = await setup();
    await (await join('m', 'lan', '192.168.1.20')).next('joined');
    await (await join('m', 'weird', '0x7f.1')).next('joined');
  });

  it('refuses to start without an admin token', async () => {
    const geo = await MaxMindResolver.open([DB]);
    const gate = createGate({ geo });
    cleanup.push(async () => {
      await gate.close();
      await geo.close?.();
    });
    const saved = process.env.GEOADMIT_ADMIN_TOKEN;
    delete process.env.GEOADMIT_ADMIN_TOKEN;
    try {
      await expect(createSignalingServer({ gate })).rejects.toThrow(/GEOADMIT_ADMIN_TOKEN/);
    } finally {
      if (saved !== undefined) process.env.GEOADMIT_ADMIN_TOKEN = saved;
    }
  });
});
