/**
 * RFC 7725 through each real framework: a takedown or sanctions denial is
 * `451` with the notice and `Link: <url>; rel="blocked-by"`; a host policy or
 * a rule stays `403`; `onDenied` lets the application answer itself.
 */
import type { Server } from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import { createGate, type Decision, type Gate, StaticResolver } from 'geoadmit';
import { admissionMiddleware, denialResponse, fastifyAdmission, honoAdmission } from 'geoadmit/http';
import { Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { STATIC_TABLE, takedown } from './helpers/fixtures.js';
import { ADDR, baseUrl, call, expectNoLocationOrAddress, expectNoParticipantFacts, PROXY, serveFetchApp, stopServer } from './helpers/http.js';

const NOTICE = { text: 'Unavailable in your region by order of Example Authority.', url: 'https://transparency.example.org/orders/req-1' };
const APPEAL = { url: 'https://example.org/appeal' };

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

/** Meeting m-1: a CN takedown with a notice; m-2: a sanctions order without a URL; m-3: a host policy; m-4: a rule. */
function dueProcessGate(): Gate {
  return createGate({
    geo: new StaticResolver(STATIC_TABLE),
    trustedProxies: [`${PROXY}/32`],
    restrictions: [
      takedown({ notice: NOTICE, appeal: APPEAL, reference: 'letter 2020-117' }),
      { id: 'sanctions-1', kind: 'sanctions', authority: { name: 'Operator compliance', jurisdiction: 'US' }, regions: ['CN'], scope: { meetings: ['m-2'] } },
      {
        id: 'hp-1',
        kind: 'host-policy',
        regions: ['CN'],
        scope: { meetings: ['m-3'] },
        notice: { text: 'The host limits this meeting.', url: 'https://example.org/host' },
      },
    ],
    rules: [{ name: 'closed-meeting', evaluate: ({ join }) => (join.meetingId === 'm-4' ? { deny: true, message: 'closed' } : undefined) }],
  });
}

type Adapter = (gate: Gate, onDenied?: (decision: Decision) => { status: number; body: object }) => Promise<string>;

async function close(server: Server, gate: Gate): Promise<void> {
  await stopServer(server);
  await gate.close();
}

const ADAPTERS: Record<string, Adapter> = {
  async express(gate, onDenied) {
    const app = express();
    app.post(
      '/meetings/:meetingId/join',
      admissionMiddleware(gate, {
        join: (req) => ({ meetingId: String(req.params.meetingId), participantId: String(req.headers['x-user']) }),
        ...(onDenied
          ? {
              onDenied: (decision, _req, res) => {
                const answer = onDenied(decision);
                res.statusCode = answer.status;
                res.setHeader('content-type', 'application/json');
                res.end(JSON.stringify(answer.body));
              },
            }
          : {}),
      }),
      (_req, res) => res.json({ ok: true }),
    );
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    cleanup.push(() => close(server, gate));
    return baseUrl(server);
  },
  async fastify(gate, onDenied) {
    const app = Fastify();
    await app.register(fastifyAdmission, {
      gate,
      join: (request) => ({
        meetingId: (request as unknown as { params: { meetingId: string } }).params.meetingId,
        participantId: String(request.raw.headers?.['x-user']),
      }),
      ...(onDenied
        ? {
            onDenied: (decision, _request, reply) => {
              const answer = onDenied(decision);
              reply.code(answer.status).send(answer.body);
            },
          }
        : {}),
    });
    app.post('/meetings/:meetingId/join', async () => ({ ok: true }));
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    cleanup.push(async () => {
      await app.close();
      await gate.close();
    });
    return address;
  },
  async hono(gate, onDenied) {
    const app = new Hono();
    app.post(
      '/meetings/:meetingId/join',
      honoAdmission(gate, {
        join: (c) => ({ meetingId: c.req.param('meetingId') ?? '', participantId: c.req.header('x-user') ?? '' }),
        ...(onDenied
          ? {
              onDenied: (decision) => {
                const answer = onDenied(decision);
                return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { 'content-type': 'application/json' } });
              },
            }
          : {}),
      }),
      (c) => c.json({ ok: true }),
    );
    const server = await serveFetchApp(app);
    cleanup.push(() => close(server, gate));
    return baseUrl(server);
  },
};

function joinAs(base: string, meetingId: string, address: string = ADDR.CN1) {
  return call(`${base}/meetings/${meetingId}/join`, { headers: { 'x-user': 'p-1', 'x-forwarded-for': address } });
}

describe.each(Object.keys(ADAPTERS))('%s adapter', (name) => {
  const adapter = ADAPTERS[name] as Adapter;

  it('answers a takedown denial 451 with the notice and Link rel="blocked-by", and nothing about the participant', async () => {
    const base = await adapter(dueProcessGate());
    const res = await joinAs(base, 'm-1');
    expect(res.status).toBe(451);
    expect(res.headers.link).toBe(`<${NOTICE.url}>; rel="blocked-by"`);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json).toEqual({
      error: 'unavailable-for-legal-reasons',
      reasons: ['region-restricted'],
      notice: {
        restrictionId: 'req-1',
        kind: 'takedown',
        authority: { name: 'Example Authority', jurisdiction: 'CN' },
        reference: 'letter 2020-117',
        text: NOTICE.text,
        url: NOTICE.url,
        appeal: APPEAL,
      },
    });
    expectNoParticipantFacts(res.text, ADDR.CN1);
  });

  it('answers a sanctions denial 451 without a Link header when the notice has no URL', async () => {
    const base = await adapter(dueProcessGate());
    const res = await joinAs(base, 'm-2');
    expect(res.status).toBe(451);
    expect(res.headers.link).toBeUndefined();
    expect(res.json).toMatchObject({ error: 'unavailable-for-legal-reasons', notice: { restrictionId: 'sanctions-1', kind: 'sanctions' } });
  });

  it('keeps 403 with reason codes only for a host policy and for a rule', async () => {
    const base = await adapter(dueProcessGate());
    const host = await joinAs(base, 'm-3');
    expect(host.status).toBe(403);
    expect(host.headers.link).toBeUndefined();
    expect(host.json).toEqual({ error: 'admission-denied', reasons: ['region-restricted'] });
    expectNoLocationOrAddress(host.text, ADDR.CN1);
    const ruled = await joinAs(base, 'm-4', ADDR.US);
    expect(ruled.status).toBe(403);
    expect(ruled.json).toEqual({ error: 'admission-denied', reasons: ['rule'] });
  });

  it('onDenied answers instead, with the decision and its notice', async () => {
    const seen = vi.fn();
    const base = await adapter(dueProcessGate(), (decision) => {
      seen(decision.notice?.restrictionId);
      return { status: 409, body: { appealAt: decision.notice?.appeal?.url ?? null } };
    });
    const res = await joinAs(base, 'm-1');
    expect(res.status).toBe(409);
    expect(res.json).toEqual({ appealAt: APPEAL.url });
    expect(seen).toHaveBeenCalledWith('req-1');
    // Admitted requests never reach onDenied.
    expect((await joinAs(base, 'm-1', ADDR.HK)).status).toBe(200);
    expect(seen).toHaveBeenCalledTimes(1);
  });
});

describe.each(Object.keys(ADAPTERS))('%s adapter, onDenied failing', (name) => {
  it('a throwing onDenied is a bare 500, never the error', async () => {
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    cleanup.push(async () => quiet.mockRestore());
    const base = await (ADAPTERS[name] as Adapter)(dueProcessGate(), () => {
      throw new Error('secret detail');
    });
    const res = await joinAs(base, 'm-1');
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('secret detail');
  });
});

describe('denialResponse', () => {
  it('gives the same answer the adapters give (for a WebSocket upgrade or your own handler)', async () => {
    const gate = dueProcessGate();
    const decision = await gate.admit({ meetingId: 'm-1', participantId: 'p-1', peerAddress: ADDR.CN1 });
    const answer = denialResponse(decision);
    expect(answer.status).toBe(451);
    expect(answer.headers).toEqual({
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      link: `<${NOTICE.url}>; rel="blocked-by"`,
    });
    expect(answer.body).toMatchObject({ error: 'unavailable-for-legal-reasons', reasons: ['region-restricted'] });
    const host = denialResponse(await gate.admit({ meetingId: 'm-3', participantId: 'p-2', peerAddress: ADDR.CN1 }));
    expect(host).toEqual({
      status: 403,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      body: { error: 'admission-denied', reasons: ['region-restricted'] },
    });
    await gate.close();
  });
});
