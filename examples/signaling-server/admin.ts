/**
 * The operator's admin API: how a demand (a restriction document) reaches the
 * gate. It is the most sensitive endpoint of the server, so: a bearer token
 * compared in constant time, a capped body, JSON only, and every refusal
 * answered with the SDK's stable error code and the JSON path at fault.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isGeoadmitError, type Gate, type RestrictResult } from 'geoadmit';

/** Restriction documents are small; anything bigger is refused before it is parsed. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Handles `/restrictions` requests; answers `false` for paths it does not own. */
export type AdminHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * Routes:
 * - `GET /restrictions` → 200 `{ restrictions }`
 * - `POST /restrictions` (JSON restriction document) → 201 with `restrict`'s result
 * - `POST /restrictions/preview` → 200 with what it would do right now (nothing is registered)
 * - `DELETE /restrictions/:id` → 200 `{ restriction }`, or 404
 *
 * Without `Authorization: Bearer <token>` every route answers 401.
 */
export function createAdminHandler(gate: Gate, token: string): AdminHandler {
  const expected = digest(token);
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    const path = url.pathname;
    if (path !== '/restrictions' && !path.startsWith('/restrictions/')) return false;
    if (!authorized(req.headers.authorization, expected)) {
      send(res, 401, { code: 'unauthorized', message: 'missing or wrong bearer token' }, { 'www-authenticate': 'Bearer' });
      return true;
    }
    void route(gate, req, res, path).catch((error: unknown) => {
      // Never leak internals to the caller; the operator sees them in the server log.
      console.error('admin API failure:', error);
      if (!res.headersSent) send(res, 500, { code: 'internal', message: 'internal error' });
    });
    return true;
  };
}

async function route(gate: Gate, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  if (path === '/restrictions' && req.method === 'GET') {
    return send(res, 200, { restrictions: gate.restrictions().map((r) => r.source) });
  }
  if ((path === '/restrictions' || path === '/restrictions/preview') && req.method === 'POST') {
    const body = await readJson(req, res);
    if (body === undefined) return;
    try {
      if (path === '/restrictions') return send(res, 201, summarize(await gate.restrict(body.value)));
      return send(res, 200, summarize(await gate.preview(body.value)));
    } catch (error) {
      if (!isGeoadmitError(error)) throw error;
      // 422: the document was understood but refused (invalid, or outside the authority's jurisdiction).
      return send(res, 422, { code: error.code, message: error.message, path: error.path ?? null });
    }
  }
  if (path.startsWith('/restrictions/') && req.method === 'DELETE') {
    const id = decode(path.slice('/restrictions/'.length));
    if (id === undefined) return send(res, 400, { code: 'bad-request', message: 'the restriction id in the path is not valid percent-encoding' });
    try {
      return send(res, 200, { restriction: (await gate.lift(id)).source });
    } catch (error) {
      if (isGeoadmitError(error, 'E_UNKNOWN_RESTRICTION')) return send(res, 404, { code: error.code, message: error.message });
      throw error;
    }
  }
  send(res, 405, { code: 'method-not-allowed', message: `${req.method ?? '?'} ${path} is not supported` });
}

/** What the operator needs back: who was removed, which meetings were reached and which were left alone. */
function summarize(result: RestrictResult) {
  return {
    restriction: result.restriction.source,
    active: result.active,
    removed: result.removed,
    pending: result.pending,
    matched: result.matched,
    meetingsReached: result.meetingsReached,
    meetingsUndisturbed: result.meetingsUndisturbed,
    warnings: result.warnings,
  };
}

// Hash both sides so timingSafeEqual compares equal lengths and the token's length does not leak.
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function authorized(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer ([^\s]+)$/i.exec(header ?? '');
  // Compare even when the header is absent so the timing of a refusal says nothing.
  return timingSafeEqual(digest(match?.[1] ?? ''), expected) && match !== null;
}

async function readJson(req: IncomingMessage, res: ServerResponse): Promise<{ value: unknown } | undefined> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    send(res, 415, { code: 'unsupported-media-type', message: 'send the restriction as Content-Type: application/json' });
    req.resume();
    return undefined;
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    send(res, 413, { code: 'too-large', message: `the body exceeds ${MAX_BODY_BYTES} bytes` }, { connection: 'close' });
    req.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Chunked bodies carry no length up front: count as they arrive.
    if (size > MAX_BODY_BYTES) {
      send(res, 413, { code: 'too-large', message: `the body exceeds ${MAX_BODY_BYTES} bytes` }, { connection: 'close' });
      req.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  try {
    return { value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown };
  } catch (error) {
    send(res, 400, { code: 'bad-json', message: `the body is not JSON: ${(error as Error).message}` });
    return undefined;
  }
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}
