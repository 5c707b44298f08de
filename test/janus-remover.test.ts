import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGate, isGeoadmitError, StaticResolver } from 'geoadmit';
import { defaultJanusId, janusRemover } from 'geoadmit/janus';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JanusSession } from '../examples/janus-videoroom/janus-client.js';
import { ADDR, STATIC_TABLE, takedown } from './helpers/fixtures.js';
import { describeWithJanus, freePort, startJanus, type TestJanus } from './helpers/janus-server.js';

const ROOM = { id: 4242, secret: 'room-secret-4242' };
const decision = { admitted: true, reasons: [], dryRun: [], location: { subdivisions: [], source: 'test' } };

let janus: TestJanus;
let sessions: JanusSession[] = [];

/** A participant joining the VideoRoom as a publisher; resolves to the id Janus gave them. */
async function joinRoom(display: string, room = ROOM.id): Promise<{ id: number; session: JanusSession; events: string[] }> {
  const session = await JanusSession.create(janus.url);
  sessions.push(session);
  const events: string[] = [];
  session.onEvent((e) => {
    const data = e.plugindata?.data;
    if (data?.leaving !== undefined) events.push(`leaving:${data.reason ?? data.leaving}`);
  });
  const handle = await session.attach('janus.plugin.videoroom');
  const joined = await session.send(handle, { request: 'join', ptype: 'publisher', room, display });
  return { id: joined.id as number, session, events };
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: Error & { code?: string }) => error,
  );
}

const ref = (participantId: string | number, meetingId = String(ROOM.id)) => ({ meetingId, participantId: String(participantId) });

describe('defaultJanusId', () => {
  it('maps decimal integer ids to Janus numbers (bigint past 2^53) and anything else to strings', () => {
    expect(defaultJanusId('1234')).toBe(1234);
    expect(defaultJanusId('9007199254740993')).toBe(9007199254740993n);
    expect(defaultJanusId('18446744073709551616')).toBe('18446744073709551616'); // past uint64: a string id
    expect(defaultJanusId('0123')).toBe('0123');
    expect(defaultJanusId('0')).toBe('0');
    expect(defaultJanusId('m-1001')).toBe('m-1001');
    expect(defaultJanusId('-5')).toBe('-5');
  });
});

describe('janusRemover options', () => {
  it('refuses unusable options with E_INVALID_CONFIG naming the option', () => {
    const cases: [unknown, string][] = [
      [{ url: 'not a url' }, 'url'],
      [{ url: 'ws://127.0.0.1:8188/' }, 'url'],
      [{ url: 'http://127.0.0.1:1/janus', secret: 42 }, 'secret'],
      [{ url: 'http://127.0.0.1:1/janus', room: 'r' }, 'room'],
      [{ url: 'http://127.0.0.1:1/janus', absent: 'ignore' }, 'absent'],
      [{ url: 'http://127.0.0.1:1/janus', timeoutMs: 0 }, 'timeoutMs'],
    ];
    for (const [options, argument] of cases) {
      let error: unknown;
      try {
        janusRemover(options as never);
      } catch (e) {
        error = e;
      }
      expect(isGeoadmitError(error, 'E_INVALID_CONFIG'), JSON.stringify(options)).toBe(true);
      expect(error).toMatchObject({ argument });
    }
  });
});

describe('janusRemover credentials', () => {
  it('sends URL credentials as Basic authorization (for a proxy in front of Janus) and never shows them in errors', async () => {
    const seen: { url?: string; authorization?: string; apisecret?: unknown }[] = [];
    // A stand-in for an authenticating proxy that refuses the request as Janus would refuse a bad api_secret.
    const proxy = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { apisecret?: unknown };
      seen.push({ url: req.url ?? '', authorization: req.headers.authorization ?? '', apisecret: body.apisecret });
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ janus: 'error', error: { code: 403, reason: 'Unauthorized request (wrong or missing secret/token)' } }));
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = proxy.address() as AddressInfo;
      const error = await rejection(janusRemover({ url: `http://ops:s3cr%40t@127.0.0.1:${port}/janus/`, apiSecret: 'api-secret' })(ref(5), decision));
      expect(isGeoadmitError(error, 'E_REMOVAL_FAILED')).toBe(true);
      expect(error.message).toBe('janus: create session refused: Unauthorized request (wrong or missing secret/token) (Janus error 403)');
      expect(seen).toEqual([{ url: '/janus', authorization: `Basic ${Buffer.from('ops:s3cr@t').toString('base64')}`, apisecret: 'api-secret' }]);
      const closed = await freePort();
      const down = await rejection(janusRemover({ url: `http://ops:s3cr%40t@127.0.0.1:${closed}/janus` })(ref(5), decision));
      expect(down.message).toContain(`http://127.0.0.1:${closed}/janus`);
      expect(down.message).not.toMatch(/ops|s3cr/);
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});

describe('janusRemover never follows a redirect', () => {
  it('a 3xx is a failure, and the secrets are not sent to the origin it points to', async () => {
    const elsewhere: { url: string; body: string; authorization?: string }[] = [];
    const other = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      elsewhere.push({
        url: req.url ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ janus: 'success', data: { id: 1 } }));
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const otherPort = (other.address() as AddressInfo).port;
    const redirecting = createServer((req, res) => {
      req.resume();
      res.writeHead(307, { location: `http://localhost:${otherPort}/steal` }).end();
    });
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = redirecting.address() as AddressInfo;
      const remove = janusRemover({
        url: `http://ops:pw@127.0.0.1:${port}/janus`,
        apiSecret: 'api-secret',
        secret: 'room-secret',
        adminKey: 'admin-key',
      });
      const error = await rejection(remove(ref(5), decision));
      expect(isGeoadmitError(error, 'E_REMOVAL_FAILED')).toBe(true);
      expect(error.message).toMatch(/redirect.*HTTP 307.*not followed/);
      expect(error.message).not.toMatch(/steal|api-secret|room-secret|admin-key|pw/);
      expect(elsewhere).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => redirecting.close(() => resolve()));
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });
});

describe('janusRemover id mappings', () => {
  it('a mapping that throws or rejects fails with E_REMOVAL_FAILED, before anything is sent', async () => {
    const url = `http://127.0.0.1:${await freePort()}/janus`;
    const thrown = await rejection(
      janusRemover({
        url,
        participant: () => {
          throw new Error('unknown participant');
        },
      })(ref(5), decision),
    );
    expect(isGeoadmitError(thrown, 'E_REMOVAL_FAILED')).toBe(true);
    expect(thrown.message).toMatch(/participant\("5"\) failed: unknown participant/);
    const rejected = await rejection(janusRemover({ url, room: async () => Promise.reject(new Error('no such meeting')) })(ref(5), decision));
    expect(isGeoadmitError(rejected, 'E_REMOVAL_FAILED')).toBe(true);
    expect(rejected.message).toMatch(/room\("4242"\) failed: no such meeting/);
  });
});

describeWithJanus('janusRemover against a real Janus VideoRoom', () => {
  beforeAll(async () => {
    janus = await startJanus({ rooms: [ROOM, { id: 777, secret: 'other' }] });
  });
  afterEach(async () => {
    await Promise.all(sessions.map((s) => s.destroy()));
    sessions = [];
  });
  afterAll(async () => {
    await janus?.dispose();
  });

  it('kicks exactly the participant named, as Janus itself then lists', async () => {
    const alice = await joinRoom('alice');
    const bob = await joinRoom('bob');
    const remove = janusRemover({ url: janus.url, secret: ROOM.secret });
    await remove(ref(alice.id), decision);
    expect((await janus.listParticipants(ROOM.id)).map((p) => p.display)).toEqual(['bob']);
    await expect.poll(() => alice.events).toEqual(['leaving:kicked']);
    expect(bob.events).toEqual([]);
  });

  it('maps ids with room() and participant()', async () => {
    const carol = await joinRoom('carol', 777);
    const remove = janusRemover({
      url: `${janus.url}/`,
      secret: 'other',
      room: (meetingId) => (meetingId === 'm-weekly' ? 777 : 0),
      participant: async (p) => (p.participantId === 'carol@example' ? carol.id : 0),
    });
    await remove({ meetingId: 'm-weekly', participantId: 'carol@example' }, decision);
    expect(await janus.listParticipants(777)).toEqual([]);
  });

  it('counts a participant Janus no longer has as removed by default, and as a failure with absent: "error"', async () => {
    await janusRemover({ url: janus.url, secret: ROOM.secret })(ref(123456789), decision);
    const error = await rejection(janusRemover({ url: janus.url, secret: ROOM.secret, absent: 'error' })(ref(123456789), decision));
    expect(isGeoadmitError(error, 'E_REMOVAL_FAILED')).toBe(true);
    expect(error.message).toMatch(/No such user 123456789 in room 4242.*VideoRoom error 428/);
  });

  it('rejects a wrong secret and leaves the participant in the room', async () => {
    const dave = await joinRoom('dave');
    const error = await rejection(janusRemover({ url: janus.url, secret: 'guess' })(ref(dave.id), decision));
    expect(isGeoadmitError(error, 'E_REMOVAL_FAILED')).toBe(true);
    expect(error.message).toMatch(/wrong secret.*VideoRoom error 433/);
    expect(error.message).not.toContain('guess');
    expect((await janus.listParticipants(ROOM.id)).map((p) => p.id)).toContain(dave.id);
    const missing = await rejection(janusRemover({ url: janus.url })(ref(dave.id), decision));
    expect(missing.message).toMatch(/433|secret/);
  });

  it('rejects a room Janus does not have', async () => {
    const error = await rejection(janusRemover({ url: janus.url, secret: ROOM.secret })(ref(5, '9999'), decision));
    expect(isGeoadmitError(error, 'E_REMOVAL_FAILED')).toBe(true);
    expect(error.message).toMatch(/No such room.*VideoRoom error 426/);
  });

  it('rejects ids the mapping cannot give', async () => {
    const error = await rejection(janusRemover({ url: janus.url, participant: () => '' })(ref(5), decision));
    expect(isGeoadmitError(error, 'E_REMOVAL_FAILED')).toBe(true);
    const thrown = await rejection(
      janusRemover({
        url: janus.url,
        participant: () => {
          throw new Error('unknown participant');
        },
      })(ref(5), decision),
    );
    expect(isGeoadmitError(thrown, 'E_REMOVAL_FAILED')).toBe(true);
  });

  it('rejects when Janus hangs (timeout) and when nothing listens (Janus down)', async () => {
    const erin = await joinRoom('erin');
    janus.pause();
    try {
      const started = Date.now();
      const hung = await rejection(janusRemover({ url: janus.url, secret: ROOM.secret, timeoutMs: 300 })(ref(erin.id), decision));
      expect(isGeoadmitError(hung, 'E_REMOVAL_FAILED')).toBe(true);
      expect(hung.message).toMatch(/no answer to create session .* within 300 ms/);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      janus.resume();
    }
    expect((await janus.listParticipants(ROOM.id)).map((p) => p.id)).toContain(erin.id);
    const closed = await freePort();
    const down = await rejection(janusRemover({ url: `http://127.0.0.1:${closed}/janus`, secret: ROOM.secret })(ref(erin.id), decision));
    expect(isGeoadmitError(down, 'E_REMOVAL_FAILED')).toBe(true);
    // (ECONNREFUSED normally; the port was free a moment ago, so do not insist on the exact cause.)
    expect(down.message).toMatch(new RegExp(`^janus: cannot reach http://127\\.0\\.0\\.1:${closed}/janus \\(create session\\): .+`));
  });

  it('as a gate onRemove: a failed kick leaves the participant pending, retryRemovals kicks them', async () => {
    const frank = await joinRoom('frank');
    const gate = createGate({
      geo: new StaticResolver(STATIC_TABLE),
      onRemove: janusRemover({ url: janus.url, secret: ROOM.secret, timeoutMs: 300 }),
    });
    await gate.admit({ meetingId: String(ROOM.id), participantId: String(frank.id), peerAddress: ADDR.CN1 });
    janus.pause();
    let result;
    try {
      result = await gate.restrict(takedown({ scope: { meetings: [String(ROOM.id)] } }));
    } finally {
      janus.resume();
    }
    expect(result.removed).toEqual([]);
    expect(result.pending).toMatchObject([ref(frank.id)]);
    expect(gate.pendingRemovals()[0]?.error).toMatch(/E_REMOVAL_FAILED|no answer/);
    expect((await janus.listParticipants(ROOM.id)).map((p) => p.id)).toContain(frank.id);
    expect(await gate.retryRemovals()).toEqual([ref(frank.id)]);
    expect((await janus.listParticipants(ROOM.id)).map((p) => p.id)).not.toContain(frank.id);
    expect(gate.pendingRemovals()).toEqual([]);
    expect(gate.participants()).toEqual([]);
    await gate.close();
  });
});
