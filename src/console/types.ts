import type { KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JsonlAuditSink, VerifyAuditLogOptions } from '../audit/types.js';
import type { TransparencyReportOptions } from '../report/types.js';

/**
 * The audit log the console reports on: a path, the sink writing it (flushed
 * before each report, so the report includes what was just decided), or a
 * path with its public key and the options to verify and report it. Only a
 * log checked with its public key is shown as signed; without the key its
 * signatures are shown as not checked.
 *
 * @example
 * createConsole(gate, {
 *   token: process.env.GEOADMIT_CONSOLE_TOKEN,
 *   auditLog: { path: 'audit.jsonl', publicKey: readFileSync('audit-signing.pub', 'utf8'), name: 'node-a' },
 * });
 */
export type ConsoleAuditLog =
  | string
  | JsonlAuditSink
  | {
      /** The JSON Lines audit log (`createJsonlAuditSink`'s path). */
      path: string;
      /** The public key the log's signatures are checked with (SPKI PEM text, as `geoadmit audit keygen` writes it, or a `KeyObject`). */
      publicKey?: KeyObject | string;
      /** What the report calls the log (default: the file's base name; server paths stay out of the report). */
      name?: string;
      /** Passed to `verifyAuditLog` (e.g. the HMAC `key`). */
      verify?: VerifyAuditLogOptions;
      /** Passed to `buildTransparencyReport` (e.g. the HMAC `key`, a window). */
      report?: TransparencyReportOptions;
    };

/** Options of {@link createConsole}. Exactly one of `token` and `authorize` is required. */
export interface ConsoleOptions {
  /**
   * The bearer token every API request must carry (`Authorization: Bearer …`),
   * compared in constant time. At least 32 characters (shorter is refused with
   * `E_INVALID_CONFIG`): use 32 random bytes, base64url.
   */
  token?: string;
  /**
   * Decides whether a request may use the API instead of a token (your own
   * session check, SSO, mTLS, ...). May return a Promise. A throw answers 500
   * and grants nothing.
   */
  authorize?: (req: IncomingMessage) => boolean | Promise<boolean>;
  /**
   * Where the console is mounted (default `/geoadmit`). The page is
   * `basePath + '/'`, the API `basePath + '/api/…'`; every request outside it
   * goes to `next()` (404 only when there is no `next`). Under Express
   * `app.use('/ops', handler)` the mount path counts as well: `/ops/geoadmit/`,
   * or `basePath: '/ops'` for `/ops/`. `/` makes every path the console's.
   */
  basePath?: string;
  /** The audit log behind `GET api/report`: its verification status and transparency report. */
  auditLog?: ConsoleAuditLog;
  /**
   * Cross-origin access to the API, off by default. `origin` is the one origin
   * allowed (exact match, e.g. `https://ops.example.org`).
   */
  cors?: { origin: string };
  /** Largest request body accepted, in bytes (default 1 MiB); larger answers 413. */
  maxBodyBytes?: number;
  /** Interval of the heartbeat comment on `api/events`, in milliseconds (default 15,000). */
  heartbeatMs?: number;
  /** How often `api/events` checks the meeting overview for changes (leaves emit no event), in milliseconds (default 2,000). */
  overviewIntervalMs?: number;
}

/**
 * A Node request handler serving the console under its `basePath`. For a
 * request outside `basePath` it calls `next()` when given (Express, Connect)
 * and otherwise answers 404.
 */
export interface ConsoleHandler {
  /** Serve one request: a console page or API answer, `next()` or 404 outside `basePath`. */
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
  /** The normalised base path, always ending in `/` (e.g. `/console/`). */
  readonly basePath: string;
  /** End every open `api/events` stream and stop listening to the gate (call before closing the server). */
  close(): void;
}
