/**
 * The console's event stream under hostile clients: one that stops reading
 * (real TCP, the socket paused so the kernel buffers fill) must not make the
 * server buffer without bound, a reader beside it keeps its events, and after
 * `close()` no stream is accepted and nothing holds `server.close()` open.
 */
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGate, type Gate, StaticResolver } from 'geoadmit';
import { type ConsoleHandler, createConsole } from 'geoadmit/console';
import { afterEach, describe, expect, it } from 'vitest';

const TOKEN = 'events-token-0123456789abcdef-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };

interface Setup {
  gate: Gate;
  handler: ConsoleHandler;
  server: Server;
  port: number;
  /** The server side of every `api/events` stream, in order of arrival. */
  streams: ServerResponse[];
}

let s: Setup | undefined;

async function setup(options: { heartbeatMs?: number } = {}): Promise<Setup> {
  const gate = createGate({ geo: new StaticResolver({ '8.8.8.0/24': 'US', '1.2.4.0/24': 'CN' }) });
  const handler = createConsole(gate, { token: TOKEN, overviewIntervalMs: 50, ...options });
  const streams: ServerResponse[] = [];
  const server = createServer((req, res) => {
    if (req.url?.endsWith('/api/events')) streams.push(res);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { gate, handler, server, port: (server.address() as AddressInfo).port, streams };
}

afterEach(async () => {
  if (s === undefined) return;
  s.handler.close();
  s.server.closeAllConnections();
  await new Promise((resolve) => s!.server.close(resolve));
  await s.gate.close();
  s = undefined;
});

/** Opens `api/events` over a raw HTTP request; resolves once the first overview frame arrived. */
function openStream(port: number, onData?: (text: string) => void): Promise<{ res: IncomingMessage; text: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/geoadmit/api/events', headers: AUTH }, (res) => {
      let text = '';
      let ready = false;
      const closed = new Promise<void>((done) => {
        res.once('close', () => done());
        res.once('error', () => done());
      });
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        onData?.(text);
        if (!ready && text.includes('event: overview')) {
          ready = true;
          resolve({ res, text: () => text, closed });
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('console event stream: backpressure', () => {
  it('drops a client that stops reading instead of buffering without bound, while a reading client keeps its events', async () => {
    s = await setup();
    const slow = await openStream(s.port);
    const slowServerSide = s.streams[0]!;
    slow.res.pause(); // stops reading: the kernel's buffers fill, then the server's
    slow.res.socket.pause();
    let fastText = '';
    const fast = await openStream(s.port, (text) => {
      fastText = text;
    });
    let peak = 0;
    const joins = 30_000;
    for (let i = 0; i < joins; i++) {
      const id = `p-${i}-${'x'.repeat(40)}`;
      await s.gate.admit({ meetingId: `m-${i % 7}`, participantId: id, peerAddress: i % 2 === 0 ? '8.8.8.8' : '1.2.4.8' });
      s.gate.leave(`m-${i % 7}`, id);
      if (i % 250 === 0) {
        peak = Math.max(peak, slowServerSide.writableLength);
        await tick();
      }
    }
    peak = Math.max(peak, slowServerSide.writableLength);
    console.log(`slow reader: at most ${peak} bytes held for it over ${joins} joins`);
    // Tens of thousands of joins are ~15 MB of events: the server held at most a bounded queue for the slow reader.
    expect(peak).toBeLessThan(2 * 1024 * 1024);
    expect(slowServerSide.destroyed).toBe(true);
    // The reader that kept up received every decision, in order, to the last one.
    const last = `p-${joins - 1}-`;
    await expect.poll(() => fastText.includes(last), { timeout: 10_000 }).toBe(true);
    expect(s.streams[1]!.destroyed).toBe(false);
    fast.res.destroy();
    slow.res.destroy();
  }, 60_000);
});

describe('console event stream: close()', () => {
  it('refuses a new stream after close() with 503, and server.close() resolves without closing connections by force', async () => {
    s = await setup({ heartbeatMs: 20 });
    const open = await openStream(s.port);
    s.handler.close();
    await open.closed;
    const late = await fetch(`http://127.0.0.1:${s.port}/geoadmit/api/events`, { headers: AUTH });
    expect(late.status).toBe(503);
    expect(late.headers.get('content-type')).toMatch(/json/);
    expect(await late.json()).toMatchObject({ error: 'closed' });
    // A raw stream attempt after close(), left open by the client: the server must not hold it.
    const raw = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: s!.port, path: '/geoadmit/api/events', headers: { ...AUTH, connection: 'keep-alive' } }, resolve);
      req.on('error', reject);
      req.end();
    });
    expect(raw.statusCode).toBe(503);
    raw.resume();
    const server = s.server;
    const closed = new Promise<string>((resolve) => server.close(() => resolve('closed')));
    const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('still open'), 3_000).unref());
    expect(await Promise.race([closed, timeout])).toBe('closed');
  });

  it('close() also ends a stream whose client stopped reading', async () => {
    s = await setup({ heartbeatMs: 20 });
    const slow = await openStream(s.port);
    slow.res.pause();
    slow.res.socket.pause();
    for (let i = 0; i < 5_000; i++) {
      await s.gate.admit({ meetingId: 'm', participantId: `p-${i}-${'y'.repeat(60)}`, peerAddress: '8.8.8.8' });
      if (i % 500 === 0) await tick();
    }
    s.handler.close();
    const server = s.server;
    const closed = new Promise<string>((resolve) => server.close(() => resolve('closed')));
    const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('still open'), 3_000).unref());
    expect(await Promise.race([closed, timeout])).toBe('closed');
    slow.res.destroy();
  });
});
