import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The body of every refusal: a stable code, a sentence, and the JSON path at fault when there is one. */
interface ApiError {
  error: string;
  message: string;
  path?: string;
}

/** An answer that ends a request early (bad body, refused, ...). */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiError,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
  }
}

/** Headers on every answer: nothing cached, nothing sniffed, no referrer, never framed. */
export const BASE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
});

/** A JSON API answer's own CSP: it is data, never a document. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...BASE_HEADERS,
    'content-security-policy': API_CSP,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function sendProblem(res: ServerResponse, problem: HttpProblem, extra: Record<string, string> = {}): void {
  sendJson(res, problem.status, problem.body, { ...extra, ...problem.headers });
}

// Hash both sides so timingSafeEqual compares equal lengths and the token's length does not leak.
export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Whether the request carries `Authorization: Bearer <token>` whose SHA-256 is `expected`, in constant time. */
export function bearerMatches(header: string | string[] | undefined, expected: Buffer): boolean {
  const match = typeof header === 'string' ? /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(header) : null;
  // Compare even when the header is absent so the timing of a refusal says nothing.
  const equal = timingSafeEqual(sha256(match?.[1] ?? ''), expected);
  return equal && match !== null;
}

/**
 * Reads a JSON body: `application/json` only (415), at most `limit` bytes
 * (413, counted as chunks arrive since chunked bodies declare no length),
 * parsed (400). A body a framework already parsed (Express's `express.json()`)
 * is taken as parsed.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    req.resume();
    throw new HttpProblem(415, { error: 'unsupported-media-type', message: 'send JSON with Content-Type: application/json' });
  }
  const parsed = (req as { body?: unknown }).body;
  if (req.readableEnded && parsed !== undefined) return parsed;
  const tooLarge = new HttpProblem(413, { error: 'payload-too-large', message: `the body exceeds ${limit} bytes` }, { connection: 'close' });
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    throw tooLarge;
  }
  // Events, not `for await`: leaving an async iterator early destroys the socket before the 413 is sent.
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      req.resume(); // drain the rest unread; the answer closes the connection
      reject(tooLarge);
    };
    req.on('data', onData);
    req.once('end', () => resolve());
    req.once('error', reject);
  });
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpProblem(400, { error: 'bad-json', message: `the body is not JSON: ${(error as Error).message}` });
  }
}
