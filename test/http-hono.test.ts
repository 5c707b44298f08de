import type { IncomingMessage } from 'node:http';
import type { Gate } from 'geoadmit';
import { type GeoadmitVariables, honoAdmission, type HonoAdmissionOptions } from 'geoadmit/http';
import { type Context, Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADDR, baseUrl, call, expectNoParticipantFacts, scenarioGate, serveFetchApp, stopServer, TAKEDOWN_451, UNTRUSTED } from './helpers/http.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function serve(app: { fetch(request: Request, env: unknown): Response | Promise<Response> }, gate: Gate): Promise<string> {
  const server = await serveFetchApp(app);
  cleanup.push(async () => {
    await stopServer(server);
    await gate.close();
  });
  return baseUrl(server);
}

type Env = { Variables: GeoadmitVariables };

async function setup(options: Partial<HonoAdmissionOptions<Context<Env, '/meetings/:meetingId/join'>>> & { gate?: Gate } = {}) {
  const gate = options.gate ?? (await scenarioGate());
  const onError = vi.fn();
  const handled: string[] = [];
  const app = new Hono<Env>();
  app.post(
    '/meetings/:meetingId/join',
    honoAdmission(gate, {
      join: (c) => ({ meetingId: c.req.param('meetingId'), participantId: c.req.header('x-user') ?? '' }),
      onError,
      // `gate` is the setup's own option, not honoAdmission's (which refuses keys it does not know).
      ...Object.fromEntries(Object.entries(options).filter(([key]) => key !== 'gate')),
    }),
    (c) => {
      handled.push(c.req.header('x-user') ?? '');
      const decision = c.get('geoadmit');
      return c.json({ admitted: decision.admitted, country: decision.location.country ?? null, unknown: decision.location.unknown ?? null });
    },
  );
  const base = await serve(app, gate);
  return { gate, url: `${base}/meetings/m-1/join`, handled, onError };
}

describe('honoAdmission (Hono, real HTTP on loopback)', () => {
  it('admits through a trusted loopback proxy and hands the decision on via c.get("geoadmit")', async () => {
    const { gate, url, handled } = await setup();
    const res = await call(url, { headers: { 'x-user': 'hk-1', 'x-forwarded-for': ADDR.HK } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ admitted: true, country: 'HK', unknown: null });
    expect(handled).toEqual(['hk-1']);
    expect(gate.participants('m-1')).toEqual([{ meetingId: 'm-1', participantId: 'hk-1' }]);
  });

  it('answers 451 with reason codes and the takedown notice, and the handler never runs', async () => {
    const { gate, url, handled } = await setup();
    const res = await call(url, { headers: { 'x-user': 'cn-1', 'X-Forwarded-For': ADDR.CN1 } });
    expect(res.status).toBe(451);
    expect(res.json).toEqual(TAKEDOWN_451);
    expect(res.headers['cache-control']).toBe('no-store');
    expectNoParticipantFacts(res.text, ADDR.CN1);
    expect(handled).toEqual([]);
    expect(gate.participants()).toEqual([]);
  });

  it('takes the peer from the Node socket, so a header spoofed by an untrusted peer is ignored', async () => {
    const { gate, url } = await setup();
    const res = await call(url, { from: UNTRUSTED, headers: { 'x-user': 'spoof', 'x-forwarded-for': ADDR.US } });
    expect(res.json).toEqual({ admitted: true, country: null, unknown: 'non-global' });
    const cn = await call(url, { from: UNTRUSTED, headers: { 'x-user': 'cn-spoof', 'x-forwarded-for': ADDR.CN1 } });
    expect(cn.status).toBe(200);
    expect(gate.participants('m-1').map((p) => p.participantId)).toEqual(['spoof', 'cn-spoof']);
  });

  it('uses options.peerAddress when given (runtimes other than node-server)', async () => {
    const peers: string[] = [];
    const { url } = await setup({
      peerAddress: (c) => {
        const peer = (c.env as { incoming: IncomingMessage }).incoming.socket.remoteAddress;
        peers.push(String(peer));
        return peer;
      },
    });
    expect((await call(url, { headers: { 'x-user': 'cn', 'x-forwarded-for': ADDR.CN1 } })).status).toBe(451);
    expect(peers).toEqual(['127.0.0.2']);
  });

  it('answers 500 (and tells onError) when no peer address can be found', async () => {
    const { url, onError, gate } = await setup({ peerAddress: () => undefined });
    const res = await call(url, { headers: { 'x-user': 'hk', 'x-forwarded-for': ADDR.HK } });
    expect(res.status).toBe(500);
    expect(res.json).toEqual({ error: 'internal-error' });
    expect(onError.mock.calls[0]?.[0]).toMatchObject({ code: 'E_INVALID_CONFIG', argument: 'peerAddress' });
    expect(gate.participants()).toEqual([]);
  });

  it('answers 400 invalid-join for a throwing join or bad ids (async join with the JSON body)', async () => {
    const { url, gate, handled } = await setup({ join: async (c) => (await c.req.json()) as never });
    const post = (body: string) => call(url, { headers: { 'content-type': 'application/json', 'x-forwarded-for': ADDR.HK }, body });
    expect((await post('{"meetingId":"m-1","participantId":"ok"}')).status).toBe(200);
    for (const body of ['not json', '{"meetingId":"m-1"}', '{"meetingId":"m-1","participantId":"x","hostAccountId":7}', 'null']) {
      const res = await post(body);
      expect(res.status, body).toBe(400);
      expect(res.json).toEqual({ error: 'invalid-join' });
    }
    expect(handled).toHaveLength(1);
    expect(gate.participants()).toEqual([{ meetingId: 'm-1', participantId: 'ok' }]);
  });

  it('answers a bare 500 when the gate fails for another reason', async () => {
    const gate = await scenarioGate();
    await gate.close();
    const { url, onError } = await setup({ gate });
    const res = await call(url, { headers: { 'x-user': 'hk', 'x-forwarded-for': ADDR.HK } });
    expect(res.status).toBe(500);
    expect(res.json).toEqual({ error: 'internal-error' });
    expect(onError.mock.calls[0]?.[0]).toMatchObject({ code: 'E_CLOSED' });
  });
});
