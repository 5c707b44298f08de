/**
 * The middleware hands every request header to the gate, so a gate's CDN
 * option works through it: the CDN's client header counts only from the
 * CDN's ranges (here a loopback address plays the CDN edge).
 */
import type { Server } from 'node:http';
import express from 'express';
import { createGate, StaticResolver } from 'geoadmit';
import { admissionMiddleware } from 'geoadmit/http';
import { afterEach, describe, expect, it } from 'vitest';
import { ADDR, STATIC_TABLE, takedown } from './helpers/fixtures.js';
import { baseUrl, call, PROXY, UNTRUSTED } from './helpers/http.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

describe('admission middleware behind a CDN (createGate cdn option)', () => {
  it("believes the CDN's client header from the CDN's ranges only", async () => {
    const gate = createGate({ geo: new StaticResolver(STATIC_TABLE), cdn: { header: 'cf-connecting-ip', ranges: [`${PROXY}/32`] } });
    await gate.restrict(takedown());
    const app = express();
    app.post('/join/:id', admissionMiddleware(gate, { join: (req) => ({ meetingId: 'm-1', participantId: req.params.id }) }), (req, res) => {
      res.json({ country: req.geoadmit?.location.country ?? null });
    });
    const server: Server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    cleanup.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gate.close();
    });
    const url = (id: string) => `${baseUrl(server)}/join/${id}`;
    // From the CDN edge: the header is the client.
    const viaCdn = await call(url('cn'), { from: PROXY, headers: { 'CF-Connecting-IP': ADDR.CN1 } });
    expect(viaCdn.status).toBe(451);
    expect(viaCdn.json).toMatchObject({ error: 'unavailable-for-legal-reasons', reasons: ['region-restricted'] });
    expect((await call(url('hk'), { from: PROXY, headers: { 'cf-connecting-ip': ADDR.HK } })).json).toEqual({ country: 'HK' });
    // A client sending the header itself, not through the CDN: ignored.
    const spoofed = await call(url('spoof'), { from: UNTRUSTED, headers: { 'cf-connecting-ip': ADDR.US } });
    expect(spoofed.json).toEqual({ country: null });
    expect(gate.participants('m-1').map((p) => p.participantId)).toEqual(['hk', 'spoof']);
  });
});
