import { rmSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createGate, type Gate, type GeoadmitError, InMemoryRestrictionStore, StaticResolver } from 'geoadmit';
import { createJsonlAuditSink, type JsonlAuditSink } from 'geoadmit/audit';
import { type ConsoleHandler, createConsole } from 'geoadmit/console';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from './helpers/temp-dir.js';

const TOKEN = 'test-token-0123456789abcdef-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const GEO = { '1.2.4.0/24': { country: 'CN', subdivisions: ['CN-BJ'] }, '202.181.0.0/16': 'HK', '8.8.8.0/24': 'US' };
const CN_DEMAND = {
  id: 'demand-1',
  kind: 'takedown',
  authority: { name: 'Example Authority', jurisdiction: 'CN' },
  regions: ['CN'],
  scope: { meetings: ['meeting-A', 'meeting-B'] },
};

interface Setup {
  gate: Gate;
  handler: ConsoleHandler;
  server: Server;
  base: string;
  removed: string[];
  sink: JsonlAuditSink;
  dir: string;
}

let s: Setup;

async function setup(options: Partial<Parameters<typeof createConsole>[1]> = {}, store?: InMemoryRestrictionStore): Promise<Setup> {
  const { dir } = makeTempDir('geoadmit-console-');
  const removed: string[] = [];
  const gate = createGate({ geo: new StaticResolver(GEO), onRemove: (p) => void removed.push(p.participantId), ...(store ? { restrictions: store } : {}) });
  const sink = createJsonlAuditSink(join(dir, 'audit.jsonl'), { fsync: 'never' });
  sink.attach(gate);
  await gate.admit({ meetingId: 'meeting-A', hostAccountId: 'acct-a', participantId: 'a-us', peerAddress: '8.8.8.8' });
  await gate.admit({ meetingId: 'meeting-A', hostAccountId: 'acct-a', participantId: 'a-hk', peerAddress: '202.181.0.1' });
  await gate.admit({ meetingId: 'meeting-B', hostAccountId: 'acct-b', participantId: 'b-cn', peerAddress: '1.2.4.8' });
  await gate.admit({ meetingId: 'meeting-B', hostAccountId: 'acct-b', participantId: 'b-us', peerAddress: '8.8.8.8' });
  const handler = createConsole(gate, { token: TOKEN, basePath: '/console', auditLog: join(dir, 'audit.jsonl'), ...options } as Parameters<
    typeof createConsole
  >[1]);
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${handler.basePath}`;
  return { gate, handler, server, base, removed, sink, dir };
}

async function teardown(x: Setup): Promise<void> {
  x.handler.close();
  x.server.closeAllConnections();
  await new Promise<void>((resolve) => x.server.close(() => resolve()));
  await x.gate.close();
  await x.sink.close();
  rmSync(x.dir, { recursive: true, force: true });
}

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = AUTH) {
  const res = await fetch(s.base + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not JSON: the page or the HTML report */
  }
  return { status: res.status, headers: res.headers, json, text };
}

describe('console API: refusals', () => {
  beforeEach(async () => {
    s = await setup();
  });
  afterEach(async () => teardown(s));

  it('answers 401 without a token or with a wrong one, on every API route, and changes nothing', async () => {
    const routes: [string, string, unknown?][] = [
      ['GET', 'api/overview'],
      ['GET', 'api/restrictions'],
      ['POST', 'api/preview', { restriction: CN_DEMAND }],
      ['POST', 'api/restrictions', { restriction: CN_DEMAND, digest: 'x' }],
      ['DELETE', 'api/restrictions/demand-1'],
      ['GET', 'api/events'],
      ['GET', 'api/report'],
    ];
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-token-0123456789abcdef' },
      { authorization: TOKEN },
      { authorization: `Basic ${TOKEN}` },
    ];
    for (const headers of attempts) {
      for (const [method, path, body] of routes) {
        const res = await api(method, path, body, headers);
        expect(res.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.json.error).toBe('unauthorized');
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        expect(res.headers.get('cache-control')).toBe('no-store');
      }
    }
    expect(s.gate.restrictions()).toEqual([]);
    expect(s.removed).toEqual([]);
  });

  it('refuses a wrong content type (415), bad JSON (400), a bad body shape (400) and an oversized body (413)', async () => {
    const wrongType = await api('POST', 'api/preview', JSON.stringify({ restriction: CN_DEMAND }), { ...AUTH, 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);
    expect(wrongType.json.error).toBe('unsupported-media-type');

    const bad = await api('POST', 'api/restrictions', '{"restriction": ', AUTH);
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('bad-json');

    const shape = await api('POST', 'api/preview', { document: CN_DEMAND });
    expect(shape).toMatchObject({ status: 400, json: { error: 'bad-request', path: '$.restriction' } });
    const noDigest = await api('POST', 'api/restrictions', { restriction: CN_DEMAND });
    expect(noDigest).toMatchObject({ status: 400, json: { error: 'bad-request', path: '$.digest' } });
    const extra = await api('POST', 'api/restrictions', { restriction: CN_DEMAND, digest: 'x', force: true });
    expect(extra).toMatchObject({ status: 400, json: { path: '$.force' } });

    const huge = { restriction: { ...CN_DEMAND, reference: 'x'.repeat(1024 * 1024) }, digest: 'x' };
    const tooLarge = await api('POST', 'api/restrictions', huge);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json.error).toBe('payload-too-large');
    expect(s.gate.restrictions()).toEqual([]);
    expect(s.removed).toEqual([]);
  });

  it('refuses a chunked body over the cap while it streams in', async () => {
    const port = (s.server.address() as AddressInfo).port;
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, method: 'POST', path: '/console/api/preview', headers: { ...AUTH, 'content-type': 'application/json' } },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 20; i++) req.write('x'.repeat(64 * 1024)); // no content-length: chunked, 1.25 MiB
      req.end();
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'payload-too-large' });
  });

  it('answers 409 for a stale digest and applies nothing', async () => {
    const preview = await api('POST', 'api/preview', { restriction: CN_DEMAND });
    expect(preview.status).toBe(200);
    const changed = { ...CN_DEMAND, scope: { meetings: ['meeting-A', 'meeting-B', 'meeting-C'] } };
    const stale = await api('POST', 'api/restrictions', { restriction: changed, digest: preview.json.digest });
    expect(stale.status).toBe(409);
    expect(stale.json.error).toBe('digest-mismatch');
    expect(String(stale.json.message)).toMatch(/nothing was applied/);
    const missing = await api('POST', 'api/restrictions', { restriction: CN_DEMAND, digest: null });
    expect(missing.status).toBe(409);
    expect(s.gate.restrictions()).toEqual([]);
    expect(s.removed).toEqual([]);
  });

  it('records an out-of-jurisdiction demand as refused when it is submitted, once however often it is submitted, and changes nothing', async () => {
    const refused: unknown[] = [];
    s.gate.on('restriction.refused', (e) => refused.push(e));
    const hk = { ...CN_DEMAND, id: 'demand-hk', regions: ['HK'] };
    // The operator submits the demand: the answer is the refusal, and it is on the record.
    const submitted = await api('POST', 'api/preview', { restriction: hk });
    expect(submitted.status).toBe(422);
    expect(submitted.json).toMatchObject({ error: 'E_OUT_OF_JURISDICTION', path: '$.regions[0]', recorded: true, repeat: false });
    expect(submitted.json.digest).toMatch(/^[0-9a-f]{16}$/);
    expect(String(submitted.json.message)).toMatch(/HK/);
    expect(refused).toHaveLength(1);
    // The same document again (its fields in another order; submitted, or sent to be applied) is not a second demand.
    const again = await api('POST', 'api/preview', { restriction: { scope: hk.scope, regions: ['HK'], authority: hk.authority, kind: hk.kind, id: hk.id } });
    expect(again.json).toMatchObject({ error: 'E_OUT_OF_JURISDICTION', recorded: true, repeat: true, digest: submitted.json.digest });
    const apply = await api('POST', 'api/restrictions', { restriction: hk, digest: null });
    expect(apply).toMatchObject({ status: 422, json: { error: 'E_OUT_OF_JURISDICTION', repeat: true } });
    expect(refused).toHaveLength(1);
    // A different refused document is a different demand.
    const other = await api('POST', 'api/preview', { restriction: { ...hk, reference: 'second letter' } });
    expect(other.json).toMatchObject({ recorded: true, repeat: false });
    expect(refused).toHaveLength(2);
    const invalid = await api('POST', 'api/preview', { restriction: { ...CN_DEMAND, regions: ['XX'] } });
    expect(invalid).toMatchObject({ status: 422, json: { error: 'E_INVALID_RESTRICTION', recorded: true } });
    expect(s.gate.restrictions()).toEqual([]);
    expect(s.removed).toEqual([]);
    await s.sink.flush();
    const report = await api('GET', 'api/report');
    const total = (report.json.report as { governmentDemands: { total: { restrictionsRefused: number } } }).governmentDemands.total;
    expect(total.restrictionsRefused).toBe(3); // HK twice-submitted once, its second letter, the invalid one
  });

  it('does not record a form filled in wrongly that names no authority: it is not a demand received', async () => {
    const refused: unknown[] = [];
    s.gate.on('restriction.refused', (e) => refused.push(e));
    const typo = await api('POST', 'api/preview', { restriction: { id: 'policy-1', kind: 'host-policy', regions: [], scope: { meetings: ['meeting-A'] } } });
    expect(typo.status).toBe(422);
    expect(typo.json).not.toHaveProperty('recorded');
    expect(refused).toHaveLength(0);
  });

  it('does not record a document refused only because its id is taken (it is not refused on its own)', async () => {
    const preview = await api('POST', 'api/preview', { restriction: CN_DEMAND });
    await api('POST', 'api/restrictions', { restriction: CN_DEMAND, digest: preview.json.digest });
    const refused: unknown[] = [];
    s.gate.on('restriction.refused', (e) => refused.push(e));
    const taken = await api('POST', 'api/preview', { restriction: { ...CN_DEMAND, scope: { meetings: ['meeting-A'] } } });
    expect(taken).toMatchObject({ status: 422, json: { error: 'E_INVALID_RESTRICTION', path: '$.id' } });
    expect(taken.json).not.toHaveProperty('recorded');
    expect(refused).toHaveLength(0);
  });

  it('answers 404 E_UNKNOWN_RESTRICTION for an unknown id, 404 for unknown routes, 405 for wrong methods', async () => {
    const unknown = await api('DELETE', 'api/restrictions/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toBe('E_UNKNOWN_RESTRICTION');
    expect((await api('DELETE', 'api/restrictions/%E0%A4%A')).status).toBe(400);
    expect((await api('GET', 'api/nothing')).status).toBe(404);
    const wrongMethod = await api('PUT', 'api/restrictions');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, POST');
    expect((await api('GET', 'elsewhere')).status).toBe(404);
  });

  it('answers 503 E_STORE_UNAVAILABLE when the restriction store cannot be written, and applies nothing', async () => {
    class DownStore extends InMemoryRestrictionStore {
      override put(): never {
        throw new Error('connection refused');
      }
    }
    await teardown(s);
    s = await setup({}, new DownStore());
    const preview = await api('POST', 'api/preview', { restriction: CN_DEMAND });
    expect(preview.status).toBe(200);
    const res = await api('POST', 'api/restrictions', { restriction: CN_DEMAND, digest: preview.json.digest });
    expect(res).toMatchObject({ status: 503, json: { error: 'E_STORE_UNAVAILABLE' } });
    expect(s.gate.restrictions()).toEqual([]);
    expect(s.removed).toEqual([]);
  });

  it('answers 503 with the code when the gate is closed', async () => {
    await s.gate.close();
    const res = await api('POST', 'api/preview', { restriction: CN_DEMAND });
    expect(res).toMatchObject({ status: 503, json: { error: 'E_CLOSED' } });
  });
});

describe('console API: successes', () => {
  beforeEach(async () => {
    s = await setup();
  });
  afterEach(async () => teardown(s));

  it('lists meetings counted by country and subdivision, never an address or a participant id', async () => {
    const res = await api('GET', 'api/overview');
    expect(res.status).toBe(200);
    // Summed across the fleet (here the gate alone), with the nodes that were counted.
    expect(res.json.meetings).toEqual([
      { meetingId: 'meeting-A', hostAccountIds: ['acct-a'], participants: 2, countries: { US: 1, HK: 1 }, subdivisions: {}, nodes: [s.gate.nodeId] },
      {
        meetingId: 'meeting-B',
        hostAccountIds: ['acct-b'],
        participants: 2,
        countries: { CN: 1, US: 1 },
        subdivisions: { 'CN-BJ': 1 },
        nodes: [s.gate.nodeId],
      },
    ]);
    expect(res.json.coverage).toEqual({ nodes: [s.gate.nodeId], missing: [], complete: true });
    expect(res.text).not.toMatch(/8\.8\.8|1\.2\.4|202\.181|a-us|b-cn/);
  });

  it('previews, applies the previewed document (201 with the removed), lists and lifts it', async () => {
    const preview = await api('POST', 'api/preview', { restriction: CN_DEMAND });
    expect(preview.status).toBe(200);
    expect(preview.json).toMatchObject({
      mode: 'enforce',
      matched: [{ meetingId: 'meeting-B', participantId: 'b-cn', hostAccountId: 'acct-b' }],
      wouldRemove: [{ meetingId: 'meeting-B', participantId: 'b-cn', hostAccountId: 'acct-b' }],
      meetingsReached: ['meeting-A', 'meeting-B'],
      meetingsUndisturbed: ['meeting-A'],
      warnings: [],
      active: true,
    });
    expect(preview.json.digest).toMatch(/^[0-9a-f]{16}$/);
    expect(preview.json).not.toHaveProperty('removed');
    const dryRun = await api('POST', 'api/preview', { restriction: { ...CN_DEMAND, mode: 'dry-run' } });
    expect(dryRun.json).toMatchObject({ mode: 'dry-run', matched: [{ participantId: 'b-cn' }], wouldRemove: [] });
    expect(s.gate.restrictions()).toEqual([]);
    expect(s.removed).toEqual([]);

    const applied = await api('POST', 'api/restrictions', { restriction: CN_DEMAND, digest: preview.json.digest });
    expect(applied.status).toBe(201);
    // A gate on the in-memory store is a fleet of one: its references name no node.
    expect(applied.json.removed).toEqual([{ meetingId: 'meeting-B', participantId: 'b-cn', hostAccountId: 'acct-b' }]);
    expect(applied.json.coverage).toEqual({ nodes: [s.gate.nodeId], missing: [], complete: true });
    expect(applied.json.digest).toBe(preview.json.digest);
    expect(s.removed).toEqual(['b-cn']);

    const listed = await api('GET', 'api/restrictions');
    expect(listed.json.restrictions).toEqual([
      expect.objectContaining({ id: 'demand-1', kind: 'takedown', mode: 'enforce', regions: ['CN'], active: true, document: CN_DEMAND }),
    ]);
    const again = await api('POST', 'api/restrictions', { restriction: CN_DEMAND, digest: preview.json.digest });
    expect(again).toMatchObject({ status: 422, json: { error: 'E_INVALID_RESTRICTION', path: '$.id' } });

    const lifted = await api('DELETE', 'api/restrictions/demand-1');
    expect(lifted.status).toBe(200);
    expect((lifted.json.restriction as { id: string }).id).toBe('demand-1');
    expect(s.gate.restrictions()).toEqual([]);
  });

  it('serves the report as JSON with the verification, and as HTML on request', async () => {
    await api('POST', 'api/restrictions', { restriction: { ...CN_DEMAND, regions: ['HK'] }, digest: null });
    await s.sink.flush();
    const res = await api('GET', 'api/report');
    expect(res.status).toBe(200);
    expect(res.json.verification).toMatchObject({ ok: true });
    const report = res.json.report as { governmentDemands: { total: { restrictionsRefused: number } }; promises: { meetingsEndedBySdk: number } };
    expect(report.promises.meetingsEndedBySdk).toBe(0);
    expect(report.governmentDemands.total.restrictionsRefused).toBeGreaterThanOrEqual(0);
    const both = await api('GET', 'api/report?html=1');
    expect(String(both.json.html)).toMatch(/^<!doctype html>/i);
    const html = await api('GET', 'api/report?format=html');
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html.headers.get('content-security-policy')).toMatch(/sandbox/);
    expect(html.text).toMatch(/^<!doctype html>/i);
  });

  it('takes the audit sink itself as auditLog and flushes it before reporting', async () => {
    await teardown(s);
    s = await setup();
    const handler = createConsole(s.gate, { token: TOKEN, basePath: '/sink', auditLog: s.sink });
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await s.gate.restrict({ ...CN_DEMAND, id: 'by-sink', kind: 'takedown' as const });
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/sink/api/report`, { headers: AUTH });
      const body = (await res.json()) as { verification: { ok: boolean }; report: { governmentDemands: { total: { restrictionsAccepted: number } } } };
      expect(body.verification.ok).toBe(true);
      expect(body.report.governmentDemands.total.restrictionsAccepted).toBe(1);
    } finally {
      handler.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('serves the page without a token, with a strict CSP whose hashes match its one script and style', async () => {
    const res = await api('GET', '', undefined, {});
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) expect(csp).toContain(directive);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { createHash } = await import('node:crypto');
    const scripts = [...res.text.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(1);
    expect(csp).toContain(`'sha256-${createHash('sha256').update(scripts[0]!).digest('base64')}'`);
    const style = /<style>([\s\S]*?)<\/style>/.exec(res.text)![1]!;
    expect(csp).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    // No external assets, no inline handlers; the script is self-contained JavaScript.
    expect(res.text).not.toMatch(/\son[a-z]+=|src="http|href="http|<link/i);
    expect(() => new Function(scripts[0]!)).not.toThrow();
    expect(scripts[0]).not.toMatch(/__vite|__name|require\(|import\(/);
    // The mount point without its slash redirects so relative links resolve.
    const redirect = await fetch(s.base.slice(0, -1), { redirect: 'manual' });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('/console/');
  });

  it('streams events without any address plus overview updates, and replays recent events to a later stream', async () => {
    const controller = new AbortController();
    const res = await fetch(`${s.base}api/events`, { headers: AUTH, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const until = async (pattern: RegExp): Promise<void> => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${pattern}`);
        text += decoder.decode(value, { stream: true });
      }
    };
    await until(/event: overview\n/);
    await s.gate.admit({ meetingId: 'meeting-C', participantId: 'c-cn', peerAddress: '1.2.4.9' });
    await until(/event: decision\n.*c-cn/);
    await until(/"meetingId":"meeting-C"[^\n]*"participants":1/);
    const preview = await api('POST', 'api/preview', { restriction: { ...CN_DEMAND, scope: { meetings: ['meeting-C'] } } });
    await api('POST', 'api/restrictions', { restriction: { ...CN_DEMAND, scope: { meetings: ['meeting-C'] } }, digest: preview.json.digest });
    await until(/event: removal\n/);
    await until(/event: restriction\.accepted\n/);
    expect(text).not.toMatch(/"address"|1\.2\.4\.(0|9)"|"peer"/);
    controller.abort();

    // A stream opened later first replays the recent events (still without addresses), then the overview.
    const later = await fetch(`${s.base}api/events`, { headers: AUTH });
    const laterReader = later.body!.getReader();
    let replay = '';
    while (!/event: overview\n/.test(replay)) {
      const { value, done } = await laterReader.read();
      if (done) break;
      replay += decoder.decode(value, { stream: true });
    }
    await laterReader.cancel();
    const types = [...replay.matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
    // Events since the console was created: the join of c-cn, its removal, the acceptance.
    expect(types).toEqual(['decision', 'restriction.accepted', 'removal', 'overview']);
    expect(replay).toMatch(/"participantId":"c-cn"/);
    expect(replay).not.toMatch(/"address"|"peer"/);
  });

  it('close() ends the open streams, and events after it reach nobody', async () => {
    const res = await fetch(`${s.base}api/events`, { headers: AUTH });
    const reader = res.body!.getReader();
    await reader.read();
    s.handler.close();
    let done = false;
    while (!done) done = (await reader.read()).done;
    expect(done).toBe(true);
    // The gate goes on without the console listening.
    await s.gate.admit({ meetingId: 'meeting-C', participantId: 'late', peerAddress: '8.8.8.9' });
    expect(s.gate.participants('meeting-C')).toHaveLength(1);
  });

  it('sends heartbeat comments on an idle stream', async () => {
    await teardown(s);
    s = await setup({ heartbeatMs: 20 });
    const controller = new AbortController();
    const res = await fetch(`${s.base}api/events`, { headers: AUTH, signal: controller.signal });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes(': heartbeat')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(text).toMatch(/\n: heartbeat\n\n/);
  });
});

/** The page, the API with a JSON body, and the framework's own route beside the console all answer. */
async function expectMounted(origin: string): Promise<void> {
  expect((await fetch(`${origin}/console/`)).status).toBe(200);
  expect(await (await fetch(`${origin}/other`)).text()).toBe('other');
  const preview = await fetch(`${origin}/console/api/preview`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: JSON.stringify({ restriction: CN_DEMAND }),
  });
  expect(preview.status).toBe(200);
  expect(((await preview.json()) as { meetingsReached: string[] }).meetingsReached).toEqual([]);
}

describe('createConsole options and mounting', () => {
  it('refuses neither or both of token and authorize, unknown keys, an empty or unsendable token and a bad basePath', () => {
    const gate = createGate({ geo: new StaticResolver({}) });
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (error) {
        return `${(error as GeoadmitError).code}:${(error as GeoadmitError).argument ?? ''}`;
      }
      return undefined;
    };
    expect(code(() => createConsole(gate, {}))).toBe('E_INVALID_CONFIG:token');
    expect(code(() => createConsole(gate, { token: TOKEN, authorize: () => true }))).toBe('E_INVALID_CONFIG:authorize');
    expect(code(() => createConsole(gate, { token: TOKEN, basepath: '/x' } as never))).toBe('E_INVALID_CONFIG:basepath');
    expect(code(() => createConsole(gate, { token: '' }))).toBe('E_INVALID_CONFIG:token');
    expect(code(() => createConsole(gate, { token: 'two words' }))).toBe('E_INVALID_CONFIG:token');
    expect(code(() => createConsole(gate, { token: TOKEN, basePath: 'console' }))).toBe('E_INVALID_CONFIG:basePath');
    expect(code(() => createConsole(gate, { token: TOKEN, cors: { origin: '*' } }))).toBe('E_INVALID_CONFIG:cors');
    expect(code(() => createConsole(gate, { token: TOKEN, maxBodyBytes: -1 }))).toBe('E_INVALID_CONFIG:maxBodyBytes');
    expect(createConsole(gate, { token: TOKEN, basePath: '/ops/geoadmit' }).basePath).toBe('/ops/geoadmit/');
  });

  it('leaves every other route to the application when mounted with app.use(handler) and the defaults', async () => {
    const { default: express } = await import('express');
    const gate = createGate({ geo: new StaticResolver(GEO) });
    const handler = createConsole(gate, { token: TOKEN });
    const app = express();
    app.use(express.json());
    app.use(handler);
    app.post('/meetings/:id/join', (req, res) => void res.status(201).json({ joined: req.params.id }));
    app.get('/health', (_req, res) => void res.send('ok'));
    app.get('/', (_req, res) => void res.send('home'));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const join = await fetch(`${origin}/meetings/m1/join`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(join.status).toBe(201);
      expect(await join.json()).toEqual({ joined: 'm1' });
      expect(await (await fetch(`${origin}/health`)).text()).toBe('ok');
      expect(await (await fetch(`${origin}/`)).text()).toBe('home');
      // Express's own 404 for a path nobody owns, not the console's JSON.
      const nobody = await fetch(`${origin}/api/overview`, { headers: AUTH });
      expect(nobody.status).toBe(404);
      expect(nobody.headers.get('content-type')).not.toMatch(/json/);
      expect((await fetch(`${origin}/geoadmit/api/overview`, { headers: AUTH })).status).toBe(200);
    } finally {
      handler.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await gate.close();
    }
  });

  it('refuses a token shorter than 32 characters with E_INVALID_CONFIG naming the length', () => {
    const gate = createGate({ geo: new StaticResolver({}) });
    for (const token of ['x', 'a'.repeat(31), 'test-token-0123456789abcdef']) {
      let error: GeoadmitError | undefined;
      try {
        createConsole(gate, { token });
      } catch (e) {
        error = e as GeoadmitError;
      }
      expect(error?.code, token).toBe('E_INVALID_CONFIG');
      expect(error?.argument).toBe('token');
      expect(error?.message).toMatch(new RegExp(`${token.length} characters.*at least 32`));
    }
    expect(createConsole(gate, { token: 'a'.repeat(32) }).basePath).toBe('/geoadmit/');
  });

  it('uses authorize(req) instead of a token, sync or async', async () => {
    s = await setup({ token: undefined, authorize: async (req: IncomingMessage) => req.headers['x-operator'] === 'alice' } as never);
    try {
      expect((await api('GET', 'api/overview', undefined, {})).status).toBe(401);
      expect((await api('GET', 'api/overview', undefined, { 'x-operator': 'alice' })).status).toBe(200);
    } finally {
      await teardown(s);
    }
  });

  it('sends CORS headers only for the configured origin', async () => {
    s = await setup({ cors: { origin: 'https://ops.example.org' } });
    try {
      const allowed = await api('GET', 'api/overview', undefined, { ...AUTH, origin: 'https://ops.example.org' });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://ops.example.org');
      const other = await api('GET', 'api/overview', undefined, { ...AUTH, origin: 'https://evil.example' });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await teardown(s);
    }
  });

  it('has no CORS headers by default', async () => {
    s = await setup();
    try {
      const res = await api('GET', 'api/overview', undefined, { ...AUTH, origin: 'https://ops.example.org' });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await teardown(s);
    }
  });

  it('mounts in Express (app.use, with or without a mount path, beside express.json) and calls next outside basePath', async () => {
    const { default: express } = await import('express');
    const gate = createGate({ geo: new StaticResolver(GEO) });
    const handler = createConsole(gate, { token: TOKEN, basePath: '/console' });
    const app = express();
    app.use(express.json());
    app.use('/console', handler);
    app.use(handler);
    app.get('/other', (_req, res) => void res.send('other'));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await expectMounted(origin);
    } finally {
      handler.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await gate.close();
    }
  });

  it('lives under /geoadmit by default: outside it a plain node:http server answers 404, and an Express mount path is followed', async () => {
    const gate = createGate({ geo: new StaticResolver(GEO) });
    const handler = createConsole(gate, { token: TOKEN });
    expect(handler.basePath).toBe('/geoadmit/');
    const plain = createServer(handler);
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const { default: express } = await import('express');
    const app = express();
    app.use('/ops', handler);
    const mounted = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => mounted.once('listening', resolve));
    const at = (server: Server, path: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
    try {
      expect((await fetch(at(plain, '/geoadmit/api/overview'), { headers: AUTH })).status).toBe(200);
      expect(await (await fetch(at(plain, '/geoadmit/'))).text()).toContain('data-base="/geoadmit/"');
      // Outside basePath and no next(): 404, not the console's page or API.
      for (const path of ['/', '/api/overview', '/geoadmitx/api/overview', '/health']) {
        const res = await fetch(at(plain, path), { headers: AUTH });
        expect(res.status, path).toBe(404);
        expect(await res.text(), path).not.toMatch(/<html|meetings/);
      }
      expect((await fetch(at(mounted, '/ops/geoadmit/api/overview'), { headers: AUTH })).status).toBe(200);
      // The page learns where the browser reaches the API: under the mount path.
      expect(await (await fetch(at(mounted, '/ops/geoadmit/'))).text()).toContain('data-base="/ops/geoadmit/"');
    } finally {
      handler.close();
      for (const server of [plain, mounted]) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
      await gate.close();
    }
  });

  it('mounts in Fastify through an onRequest hook that hands over the raw request', async () => {
    const { default: Fastify } = await import('fastify');
    const gate = createGate({ geo: new StaticResolver(GEO) });
    const handler = createConsole(gate, { token: TOKEN, basePath: '/console' });
    const app = Fastify();
    app.addHook('onRequest', (req, reply, done) => {
      if (req.url !== '/console' && !req.url.startsWith('/console/')) return done();
      reply.hijack();
      handler(req.raw, reply.raw);
    });
    app.get('/other', async () => 'other');
    const origin = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      await expectMounted(origin);
    } finally {
      handler.close();
      await app.close();
      await gate.close();
    }
  });
});

describe('console report of a signed audit log', () => {
  it('says "signed" only when the console was given the public key, and names the log, never its path', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const other = generateKeyPairSync('ed25519').publicKey;
    const { dir, cleanup } = makeTempDir('geoadmit-console-signed-');
    const path = join(dir, 'audit.jsonl');
    const gate = createGate({ geo: new StaticResolver(GEO) });
    const sink = createJsonlAuditSink(path, { fsync: 'never', signingKey: privateKey, checkpointEvery: 2 });
    sink.attach(gate);
    const servers: Server[] = [];
    const handlers: ConsoleHandler[] = [];
    const report = async (auditLog: Parameters<typeof createConsole>[1]['auditLog']) => {
      const handler = createConsole(gate, { token: TOKEN, auditLog });
      handlers.push(handler);
      const server = createServer(handler);
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/geoadmit/api/report?html=1`, { headers: AUTH });
      return (await res.json()) as {
        verification: { ok: boolean; signatures: string; publicKeyFingerprint?: string };
        report: { sources: { name: string; signatures?: string }[] };
        html: string;
      };
    };
    try {
      await gate.admit({ meetingId: 'm', participantId: 'p1', peerAddress: '8.8.8.8' });
      await gate.restrict({ ...CN_DEMAND, id: 'signed-1' } as never);
      await gate.admit({ meetingId: 'm', participantId: 'p2', peerAddress: '8.8.8.8' });
      await sink.flush();

      const checked = await report({ path, publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(), name: 'node-a audit log' });
      expect(checked.verification).toMatchObject({ ok: true, signatures: 'verified' });
      expect(checked.verification.publicKeyFingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(checked.report.sources).toEqual([expect.objectContaining({ name: 'node-a audit log', signatures: 'verified' })]);
      expect(checked.html).not.toContain(dir);

      // A plain path still works: the signatures are then reported as not checked, never as signed.
      const unchecked = await report(path);
      expect(unchecked.verification).toMatchObject({ ok: true, signatures: 'unchecked' });
      expect(unchecked.report.sources[0]).toMatchObject({ name: 'audit.jsonl', signatures: 'unchecked' });
      expect(unchecked.html).not.toContain(dir);

      const wrong = await report({ path, publicKey: other });
      expect(wrong.verification.signatures).not.toBe('verified');
      expect(wrong.report.sources[0]?.signatures).not.toBe('verified');

      expect(() => createConsole(gate, { token: TOKEN, auditLog: { path, publicKey: 'not a key' } })).toThrow(/auditLog\.publicKey/);
    } finally {
      for (const handler of handlers) handler.close();
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
      await gate.close();
      await sink.close();
      cleanup();
    }
  });
});

describe('console API: exemptions', () => {
  beforeEach(async () => {
    s = await setup();
  });
  afterEach(async () => teardown(s));

  it('previews a grant (whom it lets back in), grants only the previewed exemption, previews and revokes it', async () => {
    const preview = await api('POST', 'api/preview', { restriction: CN_DEMAND });
    await api('POST', 'api/restrictions', { restriction: CN_DEMAND, digest: preview.json.digest });
    expect(s.removed).toEqual(['b-cn']);
    const exemption = { id: 'appeal-1', restrictionId: 'demand-1', participants: ['b-cn'], reason: 'appeal upheld: travelling' };

    const unknown = await api('POST', 'api/exemptions/preview', { exemption: { ...exemption, restrictionId: 'nope' } });
    expect(unknown).toMatchObject({ status: 404, json: { error: 'E_UNKNOWN_RESTRICTION', path: '$.restrictionId' } });
    const extra = await api('POST', 'api/exemptions/preview', { exemption: { ...exemption, widen: true } });
    expect(extra).toMatchObject({ status: 422, json: { path: '$.widen' } });

    const grantPreview = await api('POST', 'api/exemptions/preview', { exemption });
    expect(grantPreview.status).toBe(200);
    expect(grantPreview.json.readmits).toEqual([expect.objectContaining({ participantId: 'b-cn', meetingId: 'meeting-B', what: 'removed' })]);
    expect(grantPreview.json.digest).toMatch(/^[0-9a-f]{16}$/);
    expect(s.gate.exemptions()).toEqual([]);

    const stale = await api('POST', 'api/exemptions', { exemption: { ...exemption, participants: ['b-cn', 'b-us'] }, digest: grantPreview.json.digest });
    expect(stale).toMatchObject({ status: 409, json: { error: 'digest-mismatch' } });
    expect(s.gate.exemptions()).toEqual([]);

    const granted = await api('POST', 'api/exemptions', { exemption, digest: grantPreview.json.digest });
    expect(granted.status).toBe(201);
    expect(granted.json.exemption).toMatchObject({ id: 'appeal-1', restrictionId: 'demand-1', participants: ['b-cn'] });
    expect(s.gate.exemptions().map((x) => x.id)).toEqual(['appeal-1']);
    const listed = await api('GET', 'api/restrictions');
    expect((listed.json.restrictions as { exemptions: unknown[] }[])[0]!.exemptions).toEqual([
      expect.objectContaining({ id: 'appeal-1', reason: exemption.reason }),
    ]);
    expect(listed.json.exemptionsSupported).toBe(true);

    // b-cn rejoins, admitted by the exemption: revoking it would remove them again.
    const rejoin = await s.gate.admit({ meetingId: 'meeting-B', hostAccountId: 'acct-b', participantId: 'b-cn', peerAddress: '1.2.4.8' });
    expect(rejoin.admitted).toBe(true);
    const revokePreview = await api('POST', 'api/exemptions/appeal-1/preview-revoke');
    expect(revokePreview.status).toBe(200);
    expect(revokePreview.json.wouldRemove).toEqual([expect.objectContaining({ participantId: 'b-cn', meetingId: 'meeting-B' })]);
    expect(s.gate.exemptions().map((x) => x.id)).toEqual(['appeal-1']);

    const revoked = await api('DELETE', 'api/exemptions/appeal-1');
    expect(revoked.status).toBe(200);
    expect(revoked.json.removed).toEqual([expect.objectContaining({ participantId: 'b-cn' })]);
    expect(s.gate.exemptions()).toEqual([]);
    expect((await api('DELETE', 'api/exemptions/appeal-1')).status).toBe(404);
    expect((await api('POST', 'api/exemptions/nope/preview-revoke')).status).toBe(404);
  });
});
