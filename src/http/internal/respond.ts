/** JSON answers on a Node `ServerResponse` (Express, Connect, plain `node:http`), without any framework API. */

/** The part of Node's `ServerResponse` the adapters write to. */
export interface NodeResponseLike {
  /** HTTP status code of the answer. */
  statusCode: number;
  /** True once the headers were sent; the adapters then no longer answer. */
  readonly headersSent: boolean;
  /** Set one response header. */
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  /** Send the body and finish the response. */
  end(chunk: string): unknown;
  /** Express's per-response locals (absent on a plain Node response). */
  locals?: Record<string, unknown>;
}

/** Headers of every answer the adapters make: JSON, never cached (a decision is about one request). */
export const ANSWER_HEADERS = Object.freeze({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });

/** Send `body` as JSON with `status` (and `headers`, e.g. a 451's `link`), unless something already answered. */
export function sendJson(res: NodeResponseLike, status: number, body: object, headers: Readonly<Record<string, string>> = ANSWER_HEADERS): void {
  if (res.headersSent) return;
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.end(JSON.stringify(body));
}
