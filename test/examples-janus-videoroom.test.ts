/**
 * End to end: the Janus VideoRoom front admits through geoadmit and removes
 * through janusRemover, against a real Janus (Debian's package) started with
 * a generated configuration. What is in the room is always checked with
 * Janus's own `listparticipants`, never with the gate's bookkeeping.
 */
import { isGeoadmitError, StaticResolver } from 'geoadmit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createVideoRoomFront, type VideoRoomFront } from '../examples/janus-videoroom/server.js';
import { ADDR, STATIC_TABLE, takedown } from './helpers/fixtures.js';
import { call, PROXY } from './helpers/http.js';
import { describeWithJanus, startJanus, type TestJanus } from './helpers/janus-server.js';

const SECRET = 'front-room-secret';
const MAIN = 1001;
/** Meetings used for the media-server outage steps. */
const PAUSED = 1002;
const CRASHED = 1003;

let janus: TestJanus;
let front: VideoRoomFront;

/** A participant joining through the front, behind the trusted loopback proxy, from `client`. */
function joinThroughFront(meeting: number, participantId: string, client: string, display = participantId) {
  return call(`${front.url}/meetings/${meeting}/join`, {
    from: PROXY,
    headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
    body: JSON.stringify({ participantId, display }),
  });
}

async function displaysIn(room: number): Promise<string[]> {
  return (await janus.listParticipants(room)).map((p) => p.display ?? '').sort();
}

describeWithJanus('Janus VideoRoom front (real Janus)', () => {
  beforeAll(async () => {
    janus = await startJanus({ rooms: [MAIN, PAUSED, CRASHED].map((id) => ({ id, secret: SECRET })) });
    front = await createVideoRoomFront({
      gate: { geo: new StaticResolver(STATIC_TABLE), trustedProxies: ['loopback'] },
      janus: { url: janus.url, roomSecret: SECRET, timeoutMs: 500 },
    });
  });
  afterAll(async () => {
    await front?.close();
    await janus?.dispose();
  });

  it('admits participants from mainland China, Hong Kong and the US into one room', async () => {
    for (const [id, address] of [
      ['cn-beijing', ADDR.CN1],
      ['hk-host', ADDR.HK],
      ['us-guest', ADDR.US],
    ] as const) {
      const res = await joinThroughFront(MAIN, id, address);
      expect(res.status, res.text).toBe(200);
      expect(res.json).toMatchObject({ room: MAIN, janusId: expect.any(Number) });
      expect(front.janusIdOf(String(MAIN), id)).toBe((res.json as { janusId: number }).janusId);
    }
    expect(await displaysIn(MAIN)).toEqual(['cn-beijing', 'hk-host', 'us-guest']);
  });

  it('refuses a Hong Kong demand from a mainland authority, and nobody leaves the room', async () => {
    const error = await front.gate
      .restrict({ id: 'hk-demand', authority: { name: 'Example Authority', jurisdiction: 'CN' }, regions: ['HK'], scope: { meetings: [String(MAIN)] } })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isGeoadmitError(error, 'E_OUT_OF_JURISDICTION')).toBe(true);
    expect(front.gate.restrictions().map((r) => r.id)).not.toContain('hk-demand');
    expect(await displaysIn(MAIN)).toEqual(['cn-beijing', 'hk-host', 'us-guest']);
  });

  it('a CN takedown removes exactly the mainland participant from Janus', async () => {
    const cnJanusId = front.janusIdOf(String(MAIN), 'cn-beijing');
    const result = await front.gate.restrict(takedown({ id: 'cn-takedown', scope: { meetings: [String(MAIN)] } }));
    expect(result.removed).toEqual([{ meetingId: String(MAIN), participantId: 'cn-beijing' }]);
    expect(result.pending).toEqual([]);
    const inRoom = await janus.listParticipants(MAIN);
    expect(inRoom.map((p) => p.display).sort()).toEqual(['hk-host', 'us-guest']);
    expect(inRoom.map((p) => p.id)).not.toContain(cnJanusId);
    // The front saw Janus's "kicked" event and let go of the session.
    await expect.poll(() => front.janusIdOf(String(MAIN), 'cn-beijing')).toBeUndefined();
  });

  it('denies a new mainland join before anything reaches Janus', async () => {
    const res = await joinThroughFront(MAIN, 'cn-again', ADDR.CN2);
    // A takedown: 451 Unavailable For Legal Reasons, with the demand's public notice.
    expect(res.status).toBe(451);
    expect(res.json).toMatchObject({ error: 'unavailable-for-legal-reasons', reasons: ['region-restricted'], notice: { restrictionId: 'cn-takedown' } });
    expect(await displaysIn(MAIN)).toEqual(['hk-host', 'us-guest']);
  });

  it('keeps a removal pending while Janus hangs, and retryRemovals kicks once it answers', async () => {
    expect((await joinThroughFront(PAUSED, 'cn-paused', ADDR.CN1)).status).toBe(200);
    expect((await joinThroughFront(PAUSED, 'hk-paused', ADDR.HK)).status).toBe(200);
    janus.pause();
    let result;
    try {
      result = await front.gate.restrict(takedown({ id: 'cn-paused', scope: { meetings: [String(PAUSED)] } }));
    } finally {
      janus.resume();
    }
    expect(result.removed).toEqual([]);
    expect(result.pending).toEqual([{ meetingId: String(PAUSED), participantId: 'cn-paused' }]);
    expect(front.gate.pendingRemovals().map((p) => p.participant.participantId)).toEqual(['cn-paused']);
    // Still in Janus's room: nothing reported a removal that did not happen.
    expect(await displaysIn(PAUSED)).toEqual(['cn-paused', 'hk-paused']);
    expect(await front.gate.retryRemovals()).toEqual([{ meetingId: String(PAUSED), participantId: 'cn-paused' }]);
    expect(await displaysIn(PAUSED)).toEqual(['hk-paused']);
    expect(front.gate.pendingRemovals()).toEqual([]);
  });

  it('keeps a removal pending while Janus is down; after a restart the participant is gone and the retry counts them removed', async () => {
    expect((await joinThroughFront(CRASHED, 'cn-crash', ADDR.CN1)).status).toBe(200);
    await janus.kill();
    const result = await front.gate.restrict(takedown({ id: 'cn-crash', scope: { meetings: [String(CRASHED)] } }));
    expect(result.pending).toEqual([{ meetingId: String(CRASHED), participantId: 'cn-crash' }]);
    expect(front.gate.pendingRemovals()[0]?.error).toMatch(/cannot reach/);
    // Still down: the retry fails again and the participant stays pending.
    expect(await front.gate.retryRemovals()).toEqual([]);
    expect(front.gate.pendingRemovals()).toHaveLength(1);
    await janus.start();
    // A restarted Janus has empty rooms: VideoRoom answers "no such user", which janusRemover counts as removed.
    expect(await displaysIn(CRASHED)).toEqual([]);
    expect(await front.gate.retryRemovals()).toEqual([{ meetingId: String(CRASHED), participantId: 'cn-crash' }]);
    expect(front.gate.pendingRemovals()).toEqual([]);
    expect(front.gate.participants(String(CRASHED))).toEqual([]);
  });
});
