/**
 * A bug in the application's `join` callback (auth middleware not mounted, so
 * `req.user.id` throws) must be heard: it goes to `onError` — or to the log
 * when there is no `onError` — before the `400` answer. Each real framework.
 */
import type { Server } from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import type { Gate } from 'geoadmit';
import { admissionMiddleware, fastifyAdmission, honoAdmission } from 'geoadmit/http';
import { Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADDR, baseUrl, call, scenarioGate, serveFetchApp, stopServer } from './helpers/http.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

/** What the application's join does without its auth middleware: reads `user.id` of nothing. */
function buggyJoin(req: { user?: { id: string } }): never {
  return { meetingId: 'm-1', participantId: (req.user as { id: string }).id } as never;
}

async function rejectingJoin(): Promise<never> {
  throw new Error('session store unreachable');
}

type OnError = ((error: unknown, req: unknown) => void) | undefined;

async function closeServer(server: Server, gate: Gate): Promise<void> {
  await stopServer(server);
  await gate.close();
}

async function expressApp(join: (req: never) => unknown, onError: OnError): Promise<string> {
  const gate = await scenarioGate();
  const app = express();
  app.post('/join', admissionMiddleware(gate, { join: join as never, ...(onError ? { onError } : {}) }), (_req, res) => res.json({ ok: true }));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  cleanup.push(() => closeServer(server, gate));
  return `${baseUrl(server)}/join`;
}

async function fastifyApp(join: (req: never) => unknown, onError: OnError): Promise<string> {
  const gate = await scenarioGate();
  const app = Fastify();
  await app.register(fastifyAdmission, { gate, join: join as never, ...(onError ? { onError } : {}) });
  app.post('/join', async () => ({ ok: true }));
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  cleanup.push(async () => {
    await app.close();
    await gate.close();
  });
  return `${address}/join`;
}

/** A Hono app on node:http, as `@hono/node-server` serves it (`{ incoming, outgoing }` as env). */
async function honoApp(join: (req: never) => unknown, onError: OnError): Promise<string> {
  const gate = await scenarioGate();
  const app = new Hono();
  app.post('/join', honoAdmission(gate, { join: join as never, ...(onError ? { onError } : {}) }), (c) => c.json({ ok: true }));
  const server = await serveFetchApp(app);
  cleanup.push(() => closeServer(server, gate));
  return `${baseUrl(server)}/join`;
}

const frameworks = [
  ['Express', expressApp],
  ['Fastify', fastifyApp],
  ['Hono', honoApp],
] as const;

describe.each(frameworks)('%s adapter: a join callback that fails', (_name, start) => {
  it('hands a throwing join to onError with the request, then answers 400 invalid-join', async () => {
    const onError = vi.fn();
    const url = await start(buggyJoin, onError);
    const res = await call(url, { headers: { 'x-forwarded-for': ADDR.US } });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'invalid-join' });
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]![0]).toBeInstanceOf(TypeError);
    expect(onError.mock.calls[0]![1]).toBeDefined();
  });

  it('hands a rejecting join to onError, then answers 400', async () => {
    const onError = vi.fn();
    const url = await start(rejectingJoin, onError);
    const res = await call(url, { headers: { 'x-forwarded-for': ADDR.US } });
    expect(res.status).toBe(400);
    expect(onError).toHaveBeenCalledTimes(1);
    expect((onError.mock.calls[0]![0] as Error).message).toBe('session store unreachable');
  });

  it('does not call onError for ids a client chose badly (too long): that is not an application bug', async () => {
    const onError = vi.fn();
    const url = await start(() => ({ meetingId: 'm-1', participantId: 'x'.repeat(300) }), onError);
    const res = await call(url, { headers: { 'x-forwarded-for': ADDR.US } });
    expect(res.status).toBe(400);
    expect(onError).not.toHaveBeenCalled();
  });
});

describe('a failing join without onError is logged', () => {
  it.each([
    ['Express', expressApp],
    ['Hono', honoApp],
  ] as const)('%s: console.error gets the error', async (_name, start) => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const url = await start(buggyJoin, undefined);
    expect((await call(url, { headers: { 'x-forwarded-for': ADDR.US } })).status).toBe(400);
    expect(logged).toHaveBeenCalledTimes(1);
    expect(logged.mock.calls[0]!.some((arg) => arg instanceof TypeError)).toBe(true);
  });

  it('Fastify: the request logger gets the error', async () => {
    const gate = await scenarioGate();
    const lines: string[] = [];
    const app = Fastify({ logger: { level: 'error', stream: { write: (line: string) => void lines.push(line) } } });
    await app.register(fastifyAdmission, { gate, join: buggyJoin as never });
    app.post('/join', async () => ({ ok: true }));
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    cleanup.push(async () => {
      await app.close();
      await gate.close();
    });
    expect((await call(`${address}/join`, { headers: { 'x-forwarded-for': ADDR.US } })).status).toBe(400);
    const errors = lines.map((l) => JSON.parse(l) as { level: number; msg: string; err?: { type: string } }).filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.err?.type).toBe('TypeError');
  });
});
