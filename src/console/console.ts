import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifyAuditLog } from '../audit/index.js';
import { ErrorCode, GeoadmitError, isGeoadmitError } from '../errors/index.js';
import type { Gate, RestrictResult } from '../gate/index.js';
import { guardInput } from '../internal/options.js';
import { canonicalJson } from '../internal/canonical-json.js';
import { isPlainObject } from '../internal/objects.js';
import { buildTransparencyReport, renderReportHtml } from '../report/index.js';
import { validateRestriction } from '../restrictions/index.js';
import type { NormalizedRestriction } from '../restrictions/types.js';
import { EventHub } from './internal/events.js';
import { Exemptions } from './internal/exemptions.js';
import { FleetView } from './internal/fleet.js';
import { bearerMatches, HttpProblem, readJsonBody, sendJson, sendProblem, sha256 } from './internal/http.js';
import { ConsolePage } from './internal/page.js';
import { checkOptions } from './internal/options.js';
import type { ConsoleHandler, ConsoleOptions } from './types.js';

/** The gate checks the document at run time: the API hands it over as received. */
type Document = Parameters<Gate['restrict']>[0];

/** The methods of each API route, for 405 answers. */
const ALLOWED: Partial<Record<string, string>> = {
  overview: 'GET',
  restrictions: 'GET, POST',
  preview: 'POST',
  events: 'GET',
  report: 'GET',
  exemptions: 'GET, POST',
  'exemptions/preview': 'POST',
};

/** How many refused documents a console remembers, so the same one submitted again is not recorded twice. */
const REMEMBERED_REFUSALS = 1000;

/** Statuses of the gate's refusals: the document was understood and refused (422), or the store is down (503). */
const REFUSAL_STATUS: Partial<Record<string, number>> = {
  [ErrorCode.InvalidRestriction]: 422,
  [ErrorCode.OutOfJurisdiction]: 422,
  [ErrorCode.UnknownRestriction]: 404,
  [ErrorCode.StoreUnavailable]: 503,
  [ErrorCode.Closed]: 503,
};

/**
 * The operator console: one self-contained page and its JSON API, mounted
 * under `basePath` in any Node server. The page asks for the token; every API
 * route requires it (or `authorize(req)`).
 *
 * Routes (relative to `basePath`):
 * - `GET /` — the page (no token needed: it holds no data and asks for the token)
 * - `GET api/overview` — meetings across the fleet, participants counted by country and subdivision, with `coverage`
 * - `GET api/restrictions` — the registered restrictions with their notices and exemptions
 * - `POST api/preview` `{ restriction }` — submitting a demand: its impact across the fleet and the
 *   document's `digest` (nothing changes), or its refusal, recorded once per document (`recorded`, `repeat`)
 * - `POST api/restrictions` `{ restriction, digest }` — applies the document only if `digest` is its
 *   preview's (409 otherwise); 201 with the removed participants and `coverage`, or the refusal (422, 503)
 * - `DELETE api/restrictions/:id` — lifts a restriction (404 `E_UNKNOWN_RESTRICTION`)
 * - `GET api/exemptions`, `POST api/exemptions/preview`, `POST api/exemptions` `{ exemption, digest }`,
 *   `POST api/exemptions/:id/preview-revoke`, `DELETE api/exemptions/:id` — exemptions, each change previewed first
 * - `GET api/events` — server-sent events: the gate's events (all but errors, without addresses) and the overview
 * - `GET api/report` — the audit log's verification and transparency report (`?format=html` for the HTML page)
 *
 * @throws GeoadmitError `E_INVALID_CONFIG` for an unknown option, neither or both of `token` and `authorize`, a `token` shorter than 32 characters, or a bad value.
 * @example
 * // The page is http://host:8080/geoadmit/; every other path goes to the application.
 * const consoleHandler = createConsole(gate, {
 *   token: process.env.GEOADMIT_CONSOLE_TOKEN, // at least 32 characters
 *   basePath: '/geoadmit',
 *   auditLog: { path: 'audit.jsonl', publicKey: readFileSync('audit-signing.pub', 'utf8') },
 * });
 * http.createServer((req, res) => consoleHandler(req, res, () => app(req, res))).listen(8080);
 */
export function createConsole(gate: Gate, options: ConsoleOptions): ConsoleHandler {
  // The gate and options are read here: a getter or Proxy trap that throws is bad configuration, not a crash.
  const config = guardInput('createConsole', 'options', () => checkOptions(gate, options));
  const fleet = new FleetView(gate);
  const hub = new EventHub(gate, config.heartbeatMs, config.overviewIntervalMs, () => fleet.overview());
  const exemptions = new Exemptions(gate, config.maxBodyBytes);
  // Digests of refused documents this console already recorded (oldest first).
  const recordedRefusals = new Set<string>();
  const page = new ConsolePage(config.auditLogPath !== undefined);
  const expected = config.token === undefined ? undefined : sha256(config.token);

  const authorized = async (req: IncomingMessage): Promise<boolean> => {
    if (expected !== undefined) return bearerMatches(req.headers.authorization, expected);
    return (await options.authorize!(req)) === true;
  };

  const corsHeaders = (req: IncomingMessage): Record<string, string> => {
    if (config.cors === undefined || req.headers.origin !== config.cors.origin) return {};
    return { 'access-control-allow-origin': config.cors.origin, vary: 'Origin' };
  };

  async function api(req: IncomingMessage, res: ServerResponse, route: string, cors: Record<string, string>): Promise<void> {
    const method = req.method ?? 'GET';
    if (!(await authorized(req))) {
      req.resume();
      throw new HttpProblem(
        401,
        { error: 'unauthorized', message: 'missing or wrong credentials: send Authorization: Bearer <token>' },
        { 'www-authenticate': 'Bearer' },
      );
    }
    if (route === 'overview' && method === 'GET') return sendJson(res, 200, await fleet.overview(), cors);
    if (route === 'restrictions' && method === 'GET') {
      const granted = await exemptions.list();
      return sendJson(res, 200, { restrictions: gate.restrictions().map((r) => listed(r, granted)), exemptionsSupported: exemptions.supported }, cors);
    }
    if (route === 'preview' && method === 'POST') {
      // Submitting a demand: the preview of one geoadmit can take, or the record of one it must refuse.
      const body = await restrictionBody(req, config.maxBodyBytes, false);
      let previewed: RestrictResult;
      try {
        previewed = await gate.preview(body.restriction as Document);
      } catch (error) {
        throw await recordRefusal(body.restriction, error);
      }
      return sendJson(res, 200, impact(previewed, false), cors);
    }
    if (route === 'restrictions' && method === 'POST') {
      const body = await restrictionBody(req, config.maxBodyBytes, true);
      let previewed: RestrictResult | undefined;
      try {
        previewed = await gate.preview(body.restriction as Document);
      } catch (error) {
        // A document the gate refuses applies nothing whatever its digest: record the refusal (once).
        throw await recordRefusal(body.restriction, error);
      }
      if (previewed.digest !== body.digest) {
        throw new HttpProblem(409, {
          error: 'digest-mismatch',
          message: `the document's digest is ${previewed.digest}, not the previewed ${JSON.stringify(body.digest)}: nothing was applied; preview it again`,
        });
      }
      const result = await gate.restrict(body.restriction as Document);
      return sendJson(res, 201, impact(result, true), cors);
    }
    if (route.startsWith('restrictions/') && method === 'DELETE') {
      const id = decode(route.slice('restrictions/'.length));
      const lifted = await gate.lift(id);
      return sendJson(res, 200, { restriction: listed(lifted, []) }, cors);
    }
    if (route === 'exemptions' || route.startsWith('exemptions/')) {
      const answered = await exemptions.route(req, route, method);
      if (answered !== undefined) return sendJson(res, answered.status, answered.body, cors);
    }
    if (route === 'events' && method === 'GET') {
      if (hub.closed) {
        // Nothing would ever end this stream: refuse it, and let the connection go with the answer.
        throw new HttpProblem(503, { error: 'closed', message: 'the console was closed: no new event stream is opened' }, { connection: 'close' });
      }
      return hub.open(res, cors);
    }
    if (route === 'report' && method === 'GET') return report(req, res, cors);
    const allow =
      ALLOWED[route] ??
      (route.startsWith('restrictions/') ? 'DELETE' : route.endsWith('/preview-revoke') ? 'POST' : route.startsWith('exemptions/') ? 'DELETE' : undefined);
    if (allow !== undefined) {
      throw new HttpProblem(405, { error: 'method-not-allowed', message: `${method} is not supported on api/${route} (use ${allow})` }, { allow });
    }
    throw new HttpProblem(404, { error: 'not-found', message: `no route api/${route}` });
  }

  /**
   * A submitted demand the gate refuses is a demand received and refused:
   * record it once (`restriction.refused`, through `restrict`, which refuses it
   * the same way). Only a document refused on its own is recorded — one
   * refused merely because its id is taken now could be accepted by `restrict`
   * a moment later, unseen. Answers the refusal to throw, with `recorded`.
   */
  async function recordRefusal(document: unknown, error: unknown): Promise<unknown> {
    if (!isGeoadmitError(error) || REFUSAL_STATUS[error.code] !== 422) return error;
    // A form filled in wrongly is not a demand received: only a document naming an authority is one.
    if (error.code !== ErrorCode.OutOfJurisdiction && !namesAuthority(document)) return error;
    try {
      validateRestriction(document);
      return error; // valid in itself: refused only for what is registered now
    } catch {
      // refused whatever is registered: `restrict` refuses it too
    }
    const digest = refusedDigest(document);
    if (recordedRefusals.has(digest)) return new RecordedRefusal(error, digest, false);
    try {
      await gate.restrict(document as Document);
    } catch (refusal) {
      recordedRefusals.add(digest);
      if (recordedRefusals.size > REMEMBERED_REFUSALS) recordedRefusals.delete(recordedRefusals.values().next().value as string);
      return new RecordedRefusal(isGeoadmitError(refusal) ? refusal : error, digest, true);
    }
    // Unreachable while validation is deterministic; never claim a refusal for a registered document.
    throw new GeoadmitError(ErrorCode.InvalidRestriction, 'the document was refused by preview but accepted when recorded', {});
  }

  // One read of the log serves every request that arrives while it runs (a page reloads its report after events).
  let reading: Promise<{ verification: Awaited<ReturnType<typeof verifyAuditLog>>; report: Awaited<ReturnType<typeof buildTransparencyReport>> }> | undefined;
  const readLog = (path: string) => {
    reading ??= (async () => {
      // A sink that cannot flush still has a log to report on: its verified prefix.
      await config.flush?.().catch(() => undefined);
      return {
        verification: await verifyAuditLog(path, config.verifyOptions),
        report: await buildTransparencyReport(config.reportLog === undefined ? path : [config.reportLog], config.reportOptions),
      };
    })().finally(() => {
      reading = undefined;
    });
    return reading;
  };

  async function report(req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> {
    if (config.auditLogPath === undefined) {
      throw new HttpProblem(404, {
        error: 'no-audit-log',
        message: 'no audit log is configured: pass createConsole(gate, { auditLog: path }) to see its verification and transparency report',
      });
    }
    const { verification, report: built } = await readLog(config.auditLogPath);
    const query = new URL(req.url ?? '/', 'http://console.invalid').searchParams;
    if (query.get('format') === 'html') {
      const html = renderReportHtml(built);
      res.writeHead(200, {
        ...page.reportHeaders(),
        ...cors,
        'content-length': String(Buffer.byteLength(html)),
      });
      res.end(html);
      return;
    }
    // `?html=1`: the rendered page too, so the console shows it without reading the log twice.
    const html = query.get('html') === '1' ? { html: renderReportHtml(built) } : {};
    sendJson(res, 200, { verification, report: built, ...html }, cors);
  }

  const handler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void => {
    const where = locate(req, config.basePath);
    if (where === undefined) {
      if (next) return next();
      sendJson(res, 404, { error: 'not-found', message: `the console is mounted under ${config.basePath}` });
      return;
    }
    const { route, external } = where;
    const cors = corsHeaders(req);
    const method = req.method ?? 'GET';
    void (async () => {
      if (method === 'OPTIONS' && route?.startsWith('api/') === true && Object.keys(cors).length > 0) {
        res.writeHead(204, {
          ...cors,
          'access-control-allow-methods': 'GET, POST, DELETE',
          'access-control-allow-headers': 'authorization, content-type',
          'access-control-max-age': '600',
          'cache-control': 'no-store',
        });
        return void res.end();
      }
      if (route === undefined) {
        // `/console` → `/console/` so the page's relative links resolve.
        res.writeHead(308, { location: external, 'cache-control': 'no-store' });
        return void res.end();
      }
      if (route === '' && (method === 'GET' || method === 'HEAD')) return page.serve(res, method === 'HEAD', external);
      if (!route.startsWith('api/')) throw new HttpProblem(404, { error: 'not-found', message: `nothing at ${external}${route}` });
      await api(req, res, route.slice('api/'.length), cors);
    })().catch((error: unknown) => answerError(res, error, cors));
  };

  return Object.assign(handler, {
    basePath: config.basePath,
    close: () => {
      hub.close();
      exemptions.close();
    },
  });
}

/**
 * Where a request falls under `base`: its route below it (`undefined` for the
 * base without its slash, which redirects) and the base as the browser sees
 * it. Express mounted at a path (`app.use('/ops', handler)`) strips the mount
 * from `req.url` and keeps it in `req.baseUrl` and `req.originalUrl`: the
 * console matches either view, so `basePath` may include the mount or not.
 */
function locate(req: IncomingMessage, base: string): { route: string | undefined; external: string } | undefined {
  const express = req as { baseUrl?: unknown; originalUrl?: unknown };
  const mount = typeof express.baseUrl === 'string' ? express.baseUrl : '';
  const views: [string | undefined, string][] = [[req.url, mount + base]];
  if (typeof express.originalUrl === 'string' && express.originalUrl !== req.url) views.push([express.originalUrl, base]);
  for (const [url, external] of views) {
    const pathname = (url ?? '/').split('?', 1)[0] ?? '/';
    if (pathname.startsWith(base)) return { route: pathname.slice(base.length), external };
    if (pathname === base.slice(0, -1) && pathname !== '') return { route: undefined, external };
  }
  return undefined;
}

/** A refusal of a submitted document, with whether this submission recorded it or an earlier one did. */
class RecordedRefusal {
  constructor(
    readonly error: GeoadmitError,
    readonly digest: string,
    readonly recorded: boolean,
  ) {}
}

/** Whether a document names an issuing authority, as a demand does. */
function namesAuthority(document: unknown): boolean {
  const authority = isPlainObject(document) ? document.authority : undefined;
  return isPlainObject(authority) && typeof authority.name === 'string' && authority.name.trim() !== '';
}

/** The digest a refused document is known by (as an accepted one's: canonical JSON, SHA-256, 16 hex digits). */
function refusedDigest(document: unknown): string {
  let text: string;
  try {
    text = canonicalJson(document);
  } catch {
    text = String(document);
  }
  return sha256(text).toString('hex').slice(0, 16);
}

function answerError(res: ServerResponse, error: unknown, cors: Record<string, string>): void {
  if (res.headersSent) return void res.destroy();
  if (error instanceof HttpProblem) return sendProblem(res, error, cors);
  if (error instanceof RecordedRefusal) {
    const { error: e } = error;
    // `repeat`: the same document was refused before; it is on the record once, not again.
    const body: Record<string, unknown> = { error: e.code, message: e.message, digest: error.digest, recorded: true, repeat: !error.recorded };
    if (e.path !== undefined) body.path = e.path;
    return sendJson(res, REFUSAL_STATUS[e.code] ?? 422, body, cors);
  }
  if (isGeoadmitError(error)) {
    const status = REFUSAL_STATUS[error.code] ?? 500;
    const body: Record<string, unknown> = { error: error.code, message: error.message };
    if (error.path !== undefined) body.path = error.path;
    if (status === 500) return sendJson(res, 500, { error: 'internal', message: 'internal error' }, cors);
    return sendJson(res, status, body, cors);
  }
  // Internals stay on the server: the caller learns only that it failed.
  sendJson(res, 500, { error: 'internal', message: 'internal error' }, cors);
}

/** A restriction as listed: its document plus what the gate made of it, its public notice and its exemptions. */
function listed(r: NormalizedRestriction, granted: readonly Record<string, unknown>[]): Record<string, unknown> {
  const now = Date.now();
  return {
    id: r.id,
    kind: r.kind,
    mode: r.mode,
    ...(r.authority === undefined ? {} : { authority: r.authority }),
    regions: r.regions,
    ...(r.allowRegions === undefined ? {} : { allowRegions: r.allowRegions }),
    scope: r.scope,
    ...(r.validFrom === undefined ? {} : { validFrom: new Date(r.validFrom).toISOString() }),
    ...(r.validUntil === undefined ? {} : { validUntil: new Date(r.validUntil).toISOString() }),
    active: (r.validFrom === undefined || r.validFrom <= now) && (r.validUntil === undefined || now < r.validUntil),
    ...(r.reference === undefined ? {} : { reference: r.reference }),
    ...(r.notice === undefined ? {} : { notice: r.notice }),
    ...(r.appeal === undefined ? {} : { appeal: r.appeal }),
    exemptions: granted.filter((x) => x.restrictionId === r.id),
    document: r.source,
  };
}

/**
 * What an operator needs from a preview (`applied: false`) or a registration:
 * `matched` is who the restriction covers among present participants,
 * `wouldRemove` (preview) who of them an enforce-mode restriction inside its
 * window removes, `removed` / `pending` (registration) what happened.
 */
function impact(result: RestrictResult & { coverage?: unknown }, applied: boolean): Record<string, unknown> {
  const common = {
    ...(result.coverage === undefined ? {} : { coverage: result.coverage }),
    restriction: result.restriction.source,
    digest: result.digest,
    mode: result.restriction.mode,
    active: result.active,
    matched: result.matched,
  };
  const meetings = { meetingsReached: result.meetingsReached, meetingsUndisturbed: result.meetingsUndisturbed, warnings: result.warnings };
  if (applied) return { ...common, removed: result.removed, pending: result.pending, ...meetings };
  const removes = result.restriction.mode === 'enforce' && result.active;
  return { ...common, wouldRemove: removes ? result.matched : [], ...meetings };
}

async function restrictionBody(req: IncomingMessage, limit: number, needDigest: boolean): Promise<{ restriction: unknown; digest?: unknown }> {
  const body = await readJsonBody(req, limit);
  if (!isPlainObject(body) || !Object.hasOwn(body, 'restriction')) {
    throw new HttpProblem(400, { error: 'bad-request', message: 'send { "restriction": <document> }', path: '$.restriction' });
  }
  for (const key of Object.keys(body)) {
    if (key !== 'restriction' && key !== 'digest')
      throw new HttpProblem(400, { error: 'bad-request', message: `unknown field ${JSON.stringify(key)}`, path: `$.${key}` });
  }
  if (needDigest && body.digest !== null && typeof body.digest !== 'string') {
    throw new HttpProblem(400, {
      error: 'bad-request',
      message: 'send { "restriction": <document>, "digest": <the digest its preview returned> }',
      path: '$.digest',
    });
  }
  return body as { restriction: unknown; digest?: unknown };
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpProblem(400, { error: 'bad-request', message: 'the restriction id in the path is not valid percent-encoding' });
  }
}
