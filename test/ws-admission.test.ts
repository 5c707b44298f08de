import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createGate, type Decision, type Gate, type ParticipantRef, type Rule, StaticResolver } from 'geoadmit';
import type { DecisionEvent } from 'geoadmit/audit';
import { MAX_CLOSE_REASON_BYTES, WsCloseCode, wsAdmission, type WsAdmission, type WsAdmissionOptions } from 'geoadmit/ws';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { ADDR, STATIC_TABLE, takedown } from './helpers/fixtures.js';

const PROXY = '127.0.0.2';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

interface Setup {
  gate: Gate;
  admission: WsAdmission<WebSocket>;
  wss: WebSocketServer;
  url: string;
  server: Server;
  /** Sockets the server's `connection` handler saw, with the decision it found on the request. */
  opened: { socket: WebSocket; decision: Decision | undefined; participant: ParticipantRef | undefined }[];
  decisions: DecisionEvent[];
  onError: ReturnType<typeof vi.fn>;
}

/**
 * A real HTTP server with a real ws server on it, admitted through a gate that
 * trusts the loopback proxy 127.0.0.2. Clients name their meeting and id in
 * the URL (`/?meeting=m-1&participant=p`), their address in X-Forwarded-For.
 */
async function setup(
  extra: Partial<WsAdmissionOptions<WebSocket>> = {},
  gateOptions: { rules?: Rule[]; onRemove?: (p: ParticipantRef, d: Decision) => void | Promise<void> } = {},
  wssOptions: { path?: string } = {},
): Promise<Setup> {
  const onError = vi.fn();
  const admission = wsAdmission<WebSocket>({
    join: (req) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      return { meetingId: url.searchParams.get('meeting'), participantId: url.searchParams.get('participant') } as never;
    },
    onError,
    ...extra,
  });
  const gate = createGate({
    geo: new StaticResolver(STATIC_TABLE),
    trustedProxies: [`${PROXY}/32`],
    onRemove: gateOptions.onRemove ?? admission.onRemove,
    ...(gateOptions.rules === undefined ? {} : { rules: gateOptions.rules }),
  });
  const decisions: DecisionEvent[] = [];
  gate.on('decision', (e) => decisions.push(e));
  const server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server, ...wssOptions });
  admission.attach(wss, gate);
  const opened: Setup['opened'] = [];
  wss.on('connection', (socket: WebSocket, req: IncomingMessage) => {
    opened.push({ socket, decision: (req as { geoadmit?: Decision }).geoadmit, participant: admission.participant(socket) });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanup.push(async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await gate.close();
  });
  return { gate, admission, wss, url, server, opened, decisions, onError };
}

interface Client {
  socket: WebSocket;
  messages: string[];
  closed: Promise<{ code: number; reason: string }>;
}

/** A real ws client through the trusted proxy address, claiming `address` in X-Forwarded-For. */
function open(url: string, meeting: string, participant: string, address: string, path = '/'): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url}${path}?meeting=${encodeURIComponent(meeting)}&participant=${encodeURIComponent(participant)}`, {
      headers: { 'x-forwarded-for': address },
      localAddress: PROXY,
    });
    const messages: string[] = [];
    socket.on('message', (data) => messages.push(data.toString()));
    const closed = new Promise<{ code: number; reason: string }>((r) => socket.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    socket.once('open', () => resolve({ socket, messages, closed }));
    socket.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() })),
      );
    });
    socket.once('error', reject);
  });
}

interface Refused {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

async function refused(attempt: Promise<Client>): Promise<Refused> {
  try {
    const client = await attempt;
    client.socket.terminate();
  } catch (error) {
    return error as Refused;
  }
  throw new Error('the upgrade was admitted');
}

/** Resolves once `check` holds (bounded: a few hundred event-loop turns). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const ids = (gate: Gate, meeting = 'm-1') => gate.participants(meeting).map((p) => p.participantId);

describe('wsAdmission: upgrades admitted before the socket opens (real ws server and clients)', () => {
  it('opens an admitted socket, puts its participant on the roster with the decision on req.geoadmit, and leaves when it closes', async () => {
    const { gate, url, opened } = await setup();
    const client = await open(url, 'm-1', 'hk', ADDR.HK);
    await until(() => opened.length === 1, 'the connection handler');
    expect(opened[0]!.decision).toMatchObject({ admitted: true, location: { country: 'HK' } });
    expect(opened[0]!.participant).toEqual({ meetingId: 'm-1', participantId: 'hk' });
    expect(ids(gate)).toEqual(['hk']);

    client.socket.close(1000);
    await client.closed;
    await until(() => gate.size === 0, 'the participant to leave the roster');
  });

  it('answers a denied upgrade with 451 and the takedown notice: no socket opens and nobody is on the roster', async () => {
    const { gate, url, opened, decisions } = await setup();
    await gate.restrict(takedown({ notice: { text: 'Blocked at the request of the Example Authority.', url: 'https://example.org/notices/1' } }));
    const answer = await refused(open(url, 'm-1', 'cn', ADDR.CN1));
    expect(answer.status).toBe(451);
    expect(answer.headers['content-type']).toMatch(/application\/json/);
    expect(answer.headers.link).toBe('<https://example.org/notices/1>; rel="blocked-by"');
    const body = JSON.parse(answer.body);
    expect(body).toMatchObject({
      error: 'unavailable-for-legal-reasons',
      reasons: ['region-restricted'],
      notice: { restrictionId: 'req-1', kind: 'takedown', text: 'Blocked at the request of the Example Authority.' },
    });
    // The answer is about the restriction, never about the participant's location or address.
    expect(answer.body).not.toContain(ADDR.CN1);
    expect(answer.body).not.toContain('country');
    expect(decisions.map((d) => d.outcome)).toEqual(['denied']);
    expect(opened).toEqual([]);
    expect(gate.size).toBe(0);
  });

  it('answers 403 without a notice when a rule (not a legal demand) denies', async () => {
    const deny: Rule = { name: 'no-guests', evaluate: () => ({ deny: true, message: 'guests are not allowed' }) };
    const { gate, url, opened } = await setup({}, { rules: [deny] });
    const answer = await refused(open(url, 'm-1', 'us', ADDR.US));
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toEqual({ error: 'admission-denied', reasons: ['rule'] });
    expect(opened).toEqual([]);
    expect(gate.size).toBe(0);
  });

  it('leaves nothing on the roster when the connection is gone before its upgrade completes', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let evaluating = 0;
    const slow: Rule = {
      name: 'slow',
      evaluate: async () => {
        evaluating += 1;
        await held;
        return undefined;
      },
    };
    const { gate, url, opened, decisions, server } = await setup({}, { rules: [slow] });
    const upgrades: Duplex[] = [];
    server.prependListener('upgrade', (_req: IncomingMessage, socket: Duplex) => upgrades.push(socket));
    const socket = new WebSocket(`${url}/?meeting=m-1&participant=gone`, { headers: { 'x-forwarded-for': ADDR.US }, localAddress: PROXY });
    const failed = new Promise<void>((resolve) => socket.once('error', () => resolve()));
    await until(() => evaluating === 1, 'the admission to start');
    // The connection dies while the gate decides (a proxy timing out, a reset).
    const serverSide = upgrades[0]!;
    const gone = new Promise((r) => serverSide.once('close', r));
    serverSide.destroy();
    await Promise.all([failed, gone]);
    release();
    await until(() => decisions.length === 1, 'the decision');
    expect(decisions[0]!.outcome).toBe('admitted');
    // Admitted by the gate, but the socket never opened: the roster must not keep a ghost.
    await until(() => gate.size === 0, 'the ghost to leave');
    await new Promise((r) => setTimeout(r, 20));
    expect(opened).toEqual([]);
    expect(gate.size).toBe(0);
  });

  it('leaves nothing on the roster when the client gives up while its upgrade is being decided', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let evaluating = 0;
    const slow: Rule = {
      name: 'slow',
      evaluate: async () => {
        evaluating += 1;
        await held;
        return undefined;
      },
    };
    const { gate, url, decisions } = await setup({}, { rules: [slow] });
    const socket = new WebSocket(`${url}/?meeting=m-1&participant=gone`, { headers: { 'x-forwarded-for': ADDR.US }, localAddress: PROXY });
    const failed = new Promise<void>((resolve) => socket.once('error', () => resolve()));
    await until(() => evaluating === 1, 'the admission to start');
    socket.terminate();
    await failed;
    release();
    await until(() => decisions.length === 1, 'the decision');
    // The server reads the client's FIN only once the socket is handed to ws: it may open for a moment, then it leaves.
    await until(() => gate.size === 0, 'the participant to leave');
  });

  it('does not admit a handshake ws would refuse, nor one for another server path', async () => {
    const { url, decisions, opened } = await setup({}, {}, { path: '/ws' });
    const port = new URL(url).port;
    const bad = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        path: '/ws?meeting=m-1&participant=p',
        localAddress: PROXY,
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'not-a-key', 'sec-websocket-version': '13', 'x-forwarded-for': ADDR.US },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('upgrade', () => reject(new Error('upgraded')));
      req.on('error', reject);
      req.end();
    });
    expect(bad).toBe(400);
    const elsewhere = await refused(open(url, 'm-1', 'p', ADDR.US, '/other'));
    expect(elsewhere.status).toBe(400);
    expect(decisions).toEqual([]);
    // The right path is admitted.
    await open(url, 'm-1', 'p', ADDR.US, '/ws');
    await until(() => opened.length === 1, 'the connection');
    expect(decisions).toHaveLength(1);
  });
});

describe('wsAdmission: join callback failures', () => {
  it('hands a throwing join to onError and answers 400 invalid-join', async () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    const { url, onError, decisions } = await setup({
      join: () => {
        throw bug;
      },
    });
    const answer = await refused(open(url, 'm-1', 'p', ADDR.US));
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ error: 'invalid-join' });
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]![0]).toBe(bug);
    expect(decisions).toEqual([]);
  });

  it('hands a rejecting join to onError, and logs with console.error when there is no onError', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const admission = wsAdmission({ join: () => Promise.reject(new Error('session store down')) });
      const gate = createGate({ geo: new StaticResolver(STATIC_TABLE), trustedProxies: [`${PROXY}/32`], onRemove: admission.onRemove });
      const server = createServer();
      const wss = new WebSocketServer({ server });
      admission.attach(wss, gate);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      cleanup.push(async () => {
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await gate.close();
      });
      const answer = await refused(open(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, 'm-1', 'p', ADDR.US));
      expect(answer.status).toBe(400);
      expect(errors).toHaveBeenCalledTimes(1);
      expect(String(errors.mock.calls[0]![1])).toMatch(/session store down/);
    } finally {
      errors.mockRestore();
    }
  });

  it('answers unusable ids with 400 without calling onError (a client-chosen id is not an application bug)', async () => {
    const { url, onError, gate } = await setup();
    const answer = await refused(open(url, 'm-1', 'x'.repeat(300), ADDR.US));
    expect(answer.status).toBe(400);
    expect(onError).not.toHaveBeenCalled();
    expect(gate.size).toBe(0);
  });
});

describe('wsAdmission: removals close the right socket', () => {
  it('closes only the removed participant with 4451 and the notice text, after notify reached them; the others stay open', async () => {
    const notice =
      'Ce contenu est bloqué dans votre région — 根据当地法律要求，此会议在您所在的地区不可用。请联系会议主持人了解更多信息。Further details at the notice URL.';
    const order: string[] = [];
    const { gate, url, opened } = await setup({
      notify: (socket, participant, decision) => {
        order.push(`notify ${participant.participantId}`);
        socket.send(JSON.stringify({ type: 'removed', notice: decision.notice }));
      },
    });
    const us = await open(url, 'm-2', 'us', ADDR.US);
    const cn = await open(url, 'm-2', 'cn', ADDR.CN1);
    const cnElsewhere = await open(url, 'm-3', 'cn', ADDR.CN1);
    await until(() => opened.length === 3, 'three connections');

    const result = await gate.restrict(takedown({ id: 'req-2', scope: { meetings: ['m-2'] }, notice: { text: notice } }));
    expect(result.removed.map((r) => [r.meetingId, r.participantId])).toEqual([['m-2', 'cn']]);
    const closed = await cn.closed;
    expect(closed.code).toBe(WsCloseCode.Removed);
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
    expect(closed.reason.endsWith('…')).toBe(true);
    expect(notice.startsWith(closed.reason.slice(0, -1).trimEnd())).toBe(true);
    // The notice message arrived before the close frame.
    expect(cn.messages.map((m) => JSON.parse(m))).toEqual([{ type: 'removed', notice: expect.objectContaining({ restrictionId: 'req-2', text: notice }) }]);
    expect(order).toEqual(['notify cn']);

    expect(us.socket.readyState).toBe(WebSocket.OPEN);
    expect(cnElsewhere.socket.readyState).toBe(WebSocket.OPEN);
    expect(ids(gate, 'm-2')).toEqual(['us']);
    expect(ids(gate, 'm-3')).toEqual(['cn']);

    // The removed participant cannot come back while the restriction holds.
    expect((await refused(open(url, 'm-2', 'cn', ADDR.CN1))).status).toBe(451);
  });

  it('uses a short default reason when the notice has no text, and calls the application’s own onRemove for every removal', async () => {
    const own = vi.fn();
    const { gate, url, opened } = await setup({ onRemove: own });
    const cn = await open(url, 'm-2', 'cn', ADDR.CN1);
    await until(() => opened.length === 1, 'the connection');
    await gate.restrict(takedown({ id: 'req-2', scope: { meetings: ['m-2'] } }));
    const closed = await cn.closed;
    expect(closed).toEqual({ code: 4451, reason: 'removed by a restriction' });
    expect(own).toHaveBeenCalledTimes(1);
    expect(own.mock.calls[0]![0]).toMatchObject({ meetingId: 'm-2', participantId: 'cn' });
  });

  it('keeps a removal pending when the application’s own onRemove fails, while the socket is closed anyway', async () => {
    const { gate, url, opened } = await setup({ onRemove: () => Promise.reject(new Error('media server down')) });
    const cn = await open(url, 'm-2', 'cn', ADDR.CN1);
    await until(() => opened.length === 1, 'the connection');
    const result = await gate.restrict(takedown({ id: 'req-2', scope: { meetings: ['m-2'] } }));
    expect(result.pending.map((r) => [r.meetingId, r.participantId])).toEqual([['m-2', 'cn']]);
    expect((await cn.closed).code).toBe(4451);
  });

  it('never opens an upgrade whose participant a restriction removed while it was being decided', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let evaluating = 0;
    const slow: Rule = {
      name: 'slow',
      evaluate: async (ctx) => {
        if (ctx.join.participantId !== 'late') return undefined;
        evaluating += 1;
        await held;
        return undefined;
      },
    };
    const { gate, url, opened } = await setup({}, { rules: [slow] });
    const early = await open(url, 'm-2', 'cn', ADDR.CN1);
    await until(() => opened.length === 1, 'the first connection');
    const late = refused(open(url, 'm-2', 'late', ADDR.CN1));
    await until(() => evaluating === 1, 'the second admission to start');
    await gate.restrict(takedown({ id: 'req-2', scope: { meetings: ['m-2'] } }));
    release();
    // Re-assessed after the restriction: denied, never opened.
    expect((await late).status).toBe(451);
    expect((await early.closed).code).toBe(4451);
    expect(opened).toHaveLength(1);
    expect(gate.size).toBe(0);
  });

  it('gives a participant one connection per meeting: a later admitted one replaces the earlier (4409), whose close leaves the roster alone', async () => {
    const { gate, url, opened, admission } = await setup();
    const first = await open(url, 'm-1', 'p', ADDR.US);
    await until(() => opened.length === 1, 'the first connection');
    const second = await open(url, 'm-1', 'p', ADDR.HK);
    await until(() => opened.length === 2, 'the second connection');
    expect(await first.closed).toEqual({ code: WsCloseCode.Replaced, reason: 'replaced by a newer connection' });
    await new Promise((r) => setTimeout(r, 20));
    expect(ids(gate)).toEqual(['p']);
    expect(gate.overview('m-1')[0]!.countries).toEqual({ HK: 1 });
    expect(admission.socket('m-1', 'p')).toBe(opened[1]!.socket);
    expect(admission.participant(opened[0]!.socket)).toBeUndefined();
    second.socket.close();
    await until(() => gate.size === 0, 'the second to leave');
  });

  it('a denied second attempt leaves the open connection and its roster entry alone', async () => {
    const { gate, url, opened } = await setup();
    await gate.restrict(takedown());
    const first = await open(url, 'm-1', 'p', ADDR.US);
    await until(() => opened.length === 1, 'the first connection');
    expect((await refused(open(url, 'm-1', 'p', ADDR.CN1))).status).toBe(451);
    expect(first.socket.readyState).toBe(WebSocket.OPEN);
    expect(gate.overview('m-1')[0]!.countries).toEqual({ US: 1 });
  });
});

describe('wsAdmission: every ws mode', () => {
  it('admits upgrades of a noServer WebSocketServer that the application hands handleUpgrade itself', async () => {
    const admission = wsAdmission<WebSocket>({ join: () => ({ meetingId: 'm-1', participantId: 'p' }) });
    const gate = createGate({ geo: new StaticResolver(STATIC_TABLE), trustedProxies: [`${PROXY}/32`], onRemove: admission.onRemove });
    await gate.restrict(takedown());
    const wss = new WebSocketServer({ noServer: true });
    admission.attach(wss, gate);
    const server = createServer();
    const connected: WebSocket[] = [];
    server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => connected.push(ws)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(async () => {
      for (const ws of connected) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gate.close();
    });
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await refused(open(url, 'm-1', 'p', ADDR.CN1))).status).toBe(451);
    const us = await open(url, 'm-1', 'p', ADDR.US);
    await until(() => connected.length === 1, 'the connection');
    expect(ids(gate)).toEqual(['p']);
    us.socket.close();
    await until(() => gate.size === 0, 'the participant to leave');
  });

  it('closes a removed socket even when notify throws, and reports the failure', async () => {
    const { gate, url, opened, onError } = await setup({
      notify: () => {
        throw new Error('notify broke');
      },
    });
    const cn = await open(url, 'm-2', 'cn', ADDR.CN1);
    await until(() => opened.length === 1, 'the connection');
    await gate.restrict(takedown({ id: 'req-2', scope: { meetings: ['m-2'] } }));
    expect((await cn.closed).code).toBe(4451);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'notify broke' }), undefined);
  });
});

describe('wsAdmission: configuration', () => {
  it('refuses unknown options, a missing join and a second attachment', async () => {
    expect(() => wsAdmission({ join: () => ({ meetingId: 'm', participantId: 'p' }), onRemoved: () => {} } as never)).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', message: expect.stringMatching(/onRemoved.*onRemove/) }),
    );
    expect(() => wsAdmission({} as never)).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG', argument: 'join' }));
    const { wss, gate } = await setup();
    const other = wsAdmission({ join: () => ({ meetingId: 'm', participantId: 'p' }) });
    expect(() => other.attach(wss, gate)).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG', argument: 'wss' }));
    const detach = other.attach(new WebSocketServer({ noServer: true }), gate);
    detach();
  });
});
