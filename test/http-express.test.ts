import type { Server } from 'node:http';
import express from 'express';
import type { Gate } from 'geoadmit';
import { admissionMiddleware } from 'geoadmit/http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADDR, baseUrl, call, expectNoParticipantFacts, scenarioGate, TAKEDOWN_451, UNTRUSTED } from './helpers/http.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function setup(join?: Parameters<typeof admissionMiddleware>[1]['join'], gateOverride?: Gate) {
  const gate = gateOverride ?? (await scenarioGate());
  const onError = vi.fn();
  const handled: string[] = [];
  const app = express();
  app.post(
    '/meetings/:meetingId/join',
    admissionMiddleware(gate, {
      join: join ?? ((req) => ({ meetingId: req.params.meetingId, participantId: String(req.headers['x-user']) })),
      onError,
    }),
    (req, res) => {
      handled.push(String(req.headers['x-user']));
      // Both hand-offs carry the same decision.
      res.json({
        sameDecision: req.geoadmit === res.locals.geoadmit,
        admitted: req.geoadmit?.admitted,
        country: req.geoadmit?.location.country ?? null,
        unknown: req.geoadmit?.location.unknown ?? null,
      });
    },
  );
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  cleanup.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await gate.close();
  });
  const url = `${baseUrl(server)}/meetings/m-1/join`;
  return { gate, url, handled, onError };
}

describe('admissionMiddleware (Express, real HTTP on loopback)', () => {
  it('admits through a trusted loopback proxy and hands the decision on (req.geoadmit, res.locals.geoadmit)', async () => {
    const { gate, url, handled } = await setup();
    const res = await call(url, { headers: { 'x-user': 'hk-1', 'x-forwarded-for': ADDR.HK } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ sameDecision: true, admitted: true, country: 'HK', unknown: null });
    expect(handled).toEqual(['hk-1']);
    expect(gate.participants('m-1')).toEqual([{ meetingId: 'm-1', participantId: 'hk-1' }]);
  });

  it('answers 451 with reason codes and the takedown notice for a denied participant, and the handler never runs', async () => {
    const { gate, url, handled } = await setup();
    const res = await call(url, { headers: { 'x-user': 'cn-1', 'x-forwarded-for': ADDR.CN1 } });
    expect(res.status).toBe(451);
    expect(res.json).toEqual(TAKEDOWN_451);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expectNoParticipantFacts(res.text, ADDR.CN1);
    expect(handled).toEqual([]);
    expect(gate.participants('m-1')).toEqual([]);
  });

  it('ignores a forwarded header spoofed by an untrusted peer', async () => {
    const { gate, url } = await setup();
    // A mainland client claiming to be in the US from a peer nobody trusts: the header is not believed.
    const res = await call(url, { from: UNTRUSTED, headers: { 'x-user': 'spoof', 'x-forwarded-for': ADDR.US } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ admitted: true, country: null, unknown: 'non-global' });
    // And the same header through the trusted proxy is believed.
    const viaProxy = await call(url, { headers: { 'x-user': 'us-1', 'x-forwarded-for': `${ADDR.CN1}, ${ADDR.US}` } });
    expect(viaProxy.json).toMatchObject({ admitted: true, country: 'US' });
    expect(gate.participants('m-1').map((p) => p.participantId)).toEqual(['spoof', 'us-1']);
  });

  it('answers 400 invalid-join when join throws or returns unusable ids; nothing joins the roster', async () => {
    const bad: unknown[] = [
      new Error('no session'),
      undefined,
      { meetingId: 'm-1' },
      { meetingId: 'm-1', participantId: '' },
      { meetingId: 'm-1', participantId: 42 },
      { meetingId: 'm-1', participantId: 'x'.repeat(257) },
      { meetingId: 'm-1', participantId: 'p', hostAccountId: '' },
    ];
    for (const value of bad) {
      const { gate, url, handled, onError } = await setup(async () => {
        if (value instanceof Error) throw value;
        return value as never;
      });
      const res = await call(url, { headers: { 'x-user': 'p', 'x-forwarded-for': ADDR.HK } });
      expect(res.status, JSON.stringify(value)).toBe(400);
      expect(res.json).toEqual({ error: 'invalid-join' });
      expect(handled).toEqual([]);
      expect(gate.participants()).toEqual([]);
      // A throwing join is an application bug and is reported; unusable ids are the client's doing.
      expect(onError).toHaveBeenCalledTimes(value instanceof Error ? 1 : 0);
    }
  });

  it('answers a bare 500 when the gate fails for another reason, and reports the error to onError', async () => {
    const gate = await scenarioGate();
    await gate.close();
    const { url, handled, onError } = await setup(undefined, gate);
    const res = await call(url, { headers: { 'x-user': 'hk-1', 'x-forwarded-for': ADDR.HK } });
    expect(res.status).toBe(500);
    expect(res.json).toEqual({ error: 'internal-error' });
    expect(res.text).not.toMatch(/closed|E_CLOSED/);
    expect(handled).toEqual([]);
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]?.[0]).toMatchObject({ code: 'E_CLOSED' });
  });

  it('works as application-wide Connect-style middleware with ids from anywhere on the request', async () => {
    const gate = await scenarioGate();
    const app = express();
    app.use(admissionMiddleware(gate, { join: (req) => ({ meetingId: String(req.headers['x-meeting']), participantId: 'p-1', hostAccountId: 'acct-9' }) }));
    app.use((req, res) => {
      res.json({ admitted: req.geoadmit?.admitted });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    cleanup.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gate.close();
    });
    expect((await call(`${baseUrl(server)}/anything`, { method: 'GET', headers: { 'x-meeting': 'm-2', 'x-forwarded-for': ADDR.CN1 } })).status).toBe(200);
    expect((await call(`${baseUrl(server)}/anything`, { method: 'GET', headers: { 'x-meeting': 'm-1', 'x-forwarded-for': ADDR.CN1 } })).status).toBe(451);
    expect(gate.participants()).toEqual([{ meetingId: 'm-2', participantId: 'p-1', hostAccountId: 'acct-9' }]);
  });
});
