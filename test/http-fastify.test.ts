import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Gate } from 'geoadmit';
import { fastifyAdmission, fastifyAdmissionHook } from 'geoadmit/http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADDR, call, expectNoParticipantFacts, scenarioGate, TAKEDOWN_451, UNTRUSTED } from './helpers/http.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

interface JoinParams {
  Params: { meetingId: string };
}

async function listen(app: FastifyInstance, gate: Gate): Promise<string> {
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  cleanup.push(async () => {
    await app.close();
    await gate.close();
  });
  return address;
}

async function setup(options: { join?: (request: FastifyRequest<JoinParams>) => unknown; gate?: Gate; hook?: 'onRequest' | 'preHandler' } = {}) {
  const gate = options.gate ?? (await scenarioGate());
  const onError = vi.fn();
  const handled: string[] = [];
  const app = Fastify();
  await app.register(fastifyAdmission, {
    gate,
    join: (options.join ??
      ((request: FastifyRequest<JoinParams>) => ({ meetingId: request.params.meetingId, participantId: String(request.headers['x-user']) }))) as never,
    onError,
    ...(options.hook ? { hook: options.hook } : {}),
  });
  app.post<JoinParams>('/meetings/:meetingId/join', async (request) => {
    handled.push(String(request.headers['x-user']));
    const decision = (request as unknown as { geoadmit: import('geoadmit').Decision }).geoadmit;
    return { admitted: decision.admitted, country: decision.location.country ?? null, unknown: decision.location.unknown ?? null };
  });
  const base = await listen(app, gate);
  return { gate, url: `${base}/meetings/m-1/join`, handled, onError, app };
}

describe('fastifyAdmission (Fastify plugin, real HTTP on loopback)', () => {
  it('admits through a trusted loopback proxy and hands the decision on as request.geoadmit', async () => {
    const { gate, url, handled } = await setup();
    const res = await call(url, { headers: { 'x-user': 'hk-1', 'x-forwarded-for': ADDR.HK } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ admitted: true, country: 'HK', unknown: null });
    expect(handled).toEqual(['hk-1']);
    expect(gate.participants('m-1')).toEqual([{ meetingId: 'm-1', participantId: 'hk-1' }]);
  });

  it('answers 451 with reason codes and the takedown notice, before the handler, in either hook', async () => {
    for (const hook of ['preHandler', 'onRequest'] as const) {
      const { gate, url, handled } = await setup({ hook });
      const res = await call(url, { headers: { 'x-user': 'cn-1', 'x-forwarded-for': ADDR.CN1, 'content-type': 'application/json' }, body: '{"hello":1}' });
      expect(res.status, hook).toBe(451);
      expect(res.json).toEqual(TAKEDOWN_451);
      expect(res.headers['cache-control']).toBe('no-store');
      expectNoParticipantFacts(res.text, ADDR.CN1);
      expect(handled).toEqual([]);
      expect(gate.participants()).toEqual([]);
    }
  });

  it('ignores a forwarded header spoofed by an untrusted peer (and Fastify trustProxy plays no part)', async () => {
    const { gate, url } = await setup();
    const res = await call(url, { from: UNTRUSTED, headers: { 'x-user': 'spoof', 'x-forwarded-for': ADDR.US } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ admitted: true, country: null, unknown: 'non-global' });
    const cn = await call(url, { from: UNTRUSTED, headers: { 'x-user': 'cn-spoof', 'x-forwarded-for': ADDR.CN1 } });
    expect(cn.json).toMatchObject({ admitted: true, country: null });
    expect(gate.participants('m-1').map((p) => p.participantId)).toEqual(['spoof', 'cn-spoof']);
  });

  it('reads ids from the parsed body in preHandler; bad ids or a throwing join answer 400 invalid-join', async () => {
    const { gate, url, handled, onError } = await setup({ join: (request) => request.body });
    const ok = await call(url, {
      headers: { 'content-type': 'application/json', 'x-user': 'b', 'x-forwarded-for': ADDR.HK },
      body: JSON.stringify({ meetingId: 'm-1', participantId: 'from-body' }),
    });
    expect(ok.status).toBe(200);
    expect(gate.participants('m-1')).toEqual([{ meetingId: 'm-1', participantId: 'from-body' }]);
    for (const body of ['{"meetingId":"m-1"}', '{"meetingId":"m-1","participantId":""}', '[1]', '{"meetingId":"m-1","participantId":{"x":1}}']) {
      const res = await call(url, { headers: { 'content-type': 'application/json', 'x-user': 'bad', 'x-forwarded-for': ADDR.HK }, body });
      expect(res.status, body).toBe(400);
      expect(res.json).toEqual({ error: 'invalid-join' });
    }
    expect(handled).toEqual(['b']);
    expect(gate.participants()).toHaveLength(1);
    expect(onError).not.toHaveBeenCalled();
    const throwing = await setup({
      join: () => {
        throw new Error('unauthenticated');
      },
    });
    const res = await call(throwing.url, { headers: { 'x-user': 'x', 'x-forwarded-for': ADDR.HK } });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'invalid-join' });
    expect(throwing.gate.participants()).toEqual([]);
  });

  it('answers a bare 500 when the gate fails for another reason', async () => {
    const gate = await scenarioGate();
    await gate.close();
    const { url, onError, handled } = await setup({ gate });
    const res = await call(url, { headers: { 'x-user': 'hk-1', 'x-forwarded-for': ADDR.HK } });
    expect(res.status).toBe(500);
    expect(res.json).toEqual({ error: 'internal-error' });
    expect(handled).toEqual([]);
    expect(onError.mock.calls[0]?.[0]).toMatchObject({ code: 'E_CLOSED' });
  });

  it('protects only the scope it is registered in; the hook also works per route', async () => {
    const gate = await scenarioGate();
    const app = Fastify();
    const join = (request: FastifyRequest) => ({ meetingId: 'm-1', participantId: String(request.headers['x-user']) });
    app.get('/public', async () => ({ open: true }));
    await app.register(async (scope) => {
      await scope.register(fastifyAdmission, { gate, join });
      scope.get('/scoped', async () => ({ scoped: true }));
    });
    app.get('/route', { preHandler: fastifyAdmissionHook(gate, { join }) }, async () => ({ route: true }));
    const base = await listen(app, gate);
    const cn = { 'x-user': 'cn', 'x-forwarded-for': ADDR.CN1 };
    expect((await call(`${base}/public`, { method: 'GET', headers: cn })).status).toBe(200);
    expect((await call(`${base}/scoped`, { method: 'GET', headers: cn })).status).toBe(451);
    expect((await call(`${base}/route`, { method: 'GET', headers: cn })).status).toBe(451);
    expect((await call(`${base}/route`, { method: 'GET', headers: { 'x-user': 'us', 'x-forwarded-for': ADDR.US } })).json).toEqual({ route: true });
  });

  it('refuses registration without a gate and join', async () => {
    const app = Fastify();
    await expect(app.register(fastifyAdmission, {} as never)).rejects.toMatchObject({ code: 'E_INVALID_CONFIG' });
    await app.close();
    const gate = await scenarioGate();
    const other = Fastify();
    await expect(
      other.register(fastifyAdmission, { gate, join: () => ({ meetingId: 'm', participantId: 'p' }), hook: 'onSend' as never }),
    ).rejects.toMatchObject({
      code: 'E_INVALID_CONFIG',
      argument: 'hook',
    });
    await other.close();
    await gate.close();
  });
});
