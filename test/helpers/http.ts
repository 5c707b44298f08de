/**
 * Shared pieces of the framework-adapter tests: a gate over real-looking
 * prefixes with a CN takedown on meeting m-1, a trusted loopback proxy
 * (127.0.0.2) and an untrusted loopback peer (127.0.0.3), and an HTTP client
 * that chooses its source address so both peers exist on one machine.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGate, type Gate, StaticResolver } from 'geoadmit';
import { ADDR, STATIC_TABLE, takedown } from './fixtures.js';

export { ADDR };

/** The reverse proxy the gates trust. */
export const PROXY = '127.0.0.2';
/** A loopback peer nobody trusts (a client talking to the server directly). */
export const UNTRUSTED = '127.0.0.3';

/** A gate trusting the loopback proxy, with a CN takedown on meeting m-1. */
export async function scenarioGate(): Promise<Gate> {
  const gate = createGate({ geo: new StaticResolver(STATIC_TABLE), trustedProxies: [`${PROXY}/32`] });
  await gate.restrict(takedown());
  return gate;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The parsed body; `undefined` when it is not JSON. */
  json: unknown;
}

/** One HTTP request from `from` (a loopback source address) to `url`. */
export function call(url: string, options: { method?: string; from?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? 'POST', localAddress: options.from ?? PROXY, headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The base URL of a listening Node server. */
export function baseUrl(server: { address(): AddressInfo | string | null }): string {
  const address = server.address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}

/** The 451 body the scenario gate's CN takedown gives: the restriction's public facts, nothing about the participant. */
export const TAKEDOWN_451 = Object.freeze({
  error: 'unavailable-for-legal-reasons',
  reasons: ['region-restricted'],
  notice: { restrictionId: 'req-1', kind: 'takedown', authority: { name: 'Example Authority', jurisdiction: 'CN' } },
});

/** Checks that a 451 body says nothing about where the participant is or which address they used (the restriction's own facts are public). */
export function expectNoParticipantFacts(text: string, address: string): void {
  for (const leak of [address, 'country', 'location', '"address"', 'subdivisions', 'mmdb', 'static']) {
    if (text.includes(leak)) throw new Error(`the answer leaks ${JSON.stringify(leak)}: ${text}`);
  }
}

/** Checks that a 403 body says nothing about where the participant is or which address they used. */
export function expectNoLocationOrAddress(text: string, address: string): void {
  for (const leak of [address, 'CN', 'country', 'location', 'address', 'mmdb', 'static', 'req-1']) {
    if (text.includes(leak)) throw new Error(`the answer leaks ${JSON.stringify(leak)}: ${text}`);
  }
}

/** Stops a node:http server, its open (keep-alive) connections included. */
export async function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * Serves a Fetch-style app (Hono) on node:http the way `@hono/node-server`
 * does (it is not installed here): a Fetch `Request` per request, with the
 * body, and `{ incoming, outgoing }` as the app's env, where `getConnInfo`
 * finds the peer's socket. Resolves to the server, listening on loopback.
 */
export async function serveFetchApp(app: { fetch(request: Request, env: unknown): Response | Promise<Response> }): Promise<Server> {
  const server = createServer(async (incoming, outgoing) => {
    const headers = new Headers();
    for (let i = 0; i < incoming.rawHeaders.length; i += 2) headers.append(incoming.rawHeaders[i] as string, incoming.rawHeaders[i + 1] as string);
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const method = incoming.method ?? 'GET';
    const request = new Request(`http://127.0.0.1${incoming.url ?? '/'}`, {
      method,
      headers,
      ...(method === 'GET' || method === 'HEAD' ? {} : { body: Buffer.concat(chunks) }),
    });
    const response = await app.fetch(request, { incoming, outgoing });
    outgoing.writeHead(response.status, Object.fromEntries(response.headers));
    outgoing.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
