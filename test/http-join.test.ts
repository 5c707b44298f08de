import { createServer, type IncomingMessage } from 'node:http';
import { isGeoadmitError } from 'geoadmit';
import { joinFromRequest } from 'geoadmit/http';
import { describe, expect, it } from 'vitest';
import { ADDR, baseUrl, call, scenarioGate } from './helpers/http.js';

/** `build` applied to the IncomingMessage of one real request from source address `from`, while its socket is open. */
async function incoming<T>(from: string, headers: Record<string, string>, build: (req: IncomingMessage) => T): Promise<T> {
  let captured: T | undefined;
  const server = createServer((req, res) => {
    captured = build(req);
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await call(baseUrl(server), { method: 'GET', from, headers });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return captured as T;
}

describe('joinFromRequest', () => {
  it("takes a Node request's peer from its socket and its headers as they are", async () => {
    const join = await incoming('127.0.0.2', { 'X-Forwarded-For': ADDR.CN1, 'x-other': 'y' }, (req) =>
      joinFromRequest(req, { meetingId: 'm-1', participantId: 'p-1', hostAccountId: 'acct-1', peerAddress: '203.0.113.9' }),
    );
    // ids.peerAddress does not override the socket of a Node request.
    expect(join).toMatchObject({ meetingId: 'm-1', participantId: 'p-1', hostAccountId: 'acct-1', peerAddress: '127.0.0.2' });
    expect(join.headers?.['x-forwarded-for']).toBe(ADDR.CN1);
    const gate = await scenarioGate();
    expect((await gate.admit(join)).reasons.map((r) => r.code)).toEqual(['region-restricted']);
    await gate.close();
  });

  it('takes a Fetch Request peer from ids.peerAddress and its headers as a lower-case record', async () => {
    const request = new Request('http://meet.example/join', {
      headers: [
        ['X-Forwarded-For', ADDR.HK],
        ['X-Forwarded-For', ADDR.CN1],
        ['Accept', 'application/json'],
      ],
    });
    const join = joinFromRequest(request, { meetingId: 'm-1', participantId: 'p-2', peerAddress: '127.0.0.2', context: { dialIn: '+85212345678' } });
    expect(join).toEqual({
      meetingId: 'm-1',
      participantId: 'p-2',
      peerAddress: '127.0.0.2',
      context: { dialIn: '+85212345678' },
      headers: { 'x-forwarded-for': `${ADDR.HK}, ${ADDR.CN1}`, accept: 'application/json' },
    });
    expect(Object.getPrototypeOf(join.headers)).toBeNull();
    // The right-most hop is the one the trusted proxy saw: CN.
    const gate = await scenarioGate();
    expect((await gate.admit(join)).location.country).toBe('CN');
    await gate.close();
  });

  it('refuses a Fetch Request without ids.peerAddress with E_INVALID_JOIN naming the argument', () => {
    const error = (() => {
      try {
        joinFromRequest(new Request('http://meet.example/'), { meetingId: 'm', participantId: 'p' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isGeoadmitError(error, 'E_INVALID_JOIN')).toBe(true);
    expect(error).toMatchObject({ argument: 'ids.peerAddress' });
    expect(() => joinFromRequest({ socket: {}, headers: {} }, { meetingId: 'm', participantId: 'p' })).toThrow(/socket remote address/);
  });
});
