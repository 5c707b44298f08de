/**
 * Stable error codes. Acceptance checks and callers match on these strings, so
 * they never change meaning once published.
 */
export const ErrorCode = {
  /** A join given to `admit` lacks `meetingId`, `participantId` or `peerAddress`, or an id is not a non-empty string of at most 256 characters. */
  InvalidJoin: 'E_INVALID_JOIN',
  /** A restriction document is malformed (unknown field, wrong type, unknown region, bad window, duplicate id, ...). */
  InvalidRestriction: 'E_INVALID_RESTRICTION',
  /** A takedown targets a region outside the requesting authority's jurisdiction. */
  OutOfJurisdiction: 'E_OUT_OF_JURISDICTION',
  /** A database file is missing or unreadable. */
  DatabaseNotFound: 'E_DB_NOT_FOUND',
  /** A database file is truncated, corrupt or not in MaxMind DB format. */
  DatabaseCorrupt: 'E_DB_CORRUPT',
  /** A database file could not be written (`writeMmdb`, `geoadmit build-db`). */
  DatabaseWrite: 'E_DB_WRITE',
  /** A database holds records of a kind that cannot locate participants (ASN, connection type, ...). */
  DatabaseWrongKind: 'E_DB_WRONG_KIND',
  /** Input to the `.mmdb` writer is invalid (bad CIDR, overlapping prefixes, unsupported value). */
  InvalidDatabaseInput: 'E_INVALID_DB_INPUT',
  /** A CIDR or address in the gate's configuration is invalid (e.g. `trustedProxies`). */
  InvalidConfig: 'E_INVALID_CONFIG',
  /** `lift` named a restriction that is not registered. */
  UnknownRestriction: 'E_UNKNOWN_RESTRICTION',
  /** A shared restriction store cannot be reached. */
  StoreUnavailable: 'E_STORE_UNAVAILABLE',
  /** The gate was closed. */
  Closed: 'E_CLOSED',
  /** An audit log could not be read or written. */
  AuditIo: 'E_AUDIT_IO',
  /**
   * An optional dependency a subpath needs is not installed (`geoadmit/redis`
   * without `ioredis`); the message names the package to install.
   */
  MissingDependency: 'E_MISSING_DEPENDENCY',
  /**
   * A media server did not confirm a removal (`janusRemover`, `livekitRemover`:
   * unreachable, timed out, a redirect, wrong secret, no such room, an id
   * mapping that threw); the participant stays pending.
   */
  RemovalFailed: 'E_REMOVAL_FAILED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Context that explains an error: where in the input it was found. */
export interface GeoadmitErrorContext {
  /** JSON path into a document, e.g. `$.regions[1]` or `$[2].scope`. */
  path?: string;
  /** The restriction the error concerns. */
  restrictionId?: string;
  /** The file the error concerns. */
  file?: string;
  /** The argument or option at fault, e.g. `trustedProxies[0]`. */
  argument?: string;
  /** Further problems found in the same input (validation reports them all). */
  issues?: readonly { path: string; message: string; code: ErrorCode }[];
  /** The wrapped error. */
  cause?: unknown;
}

/**
 * Brand every GeoadmitError carries, shared through the global symbol
 * registry: an error thrown by one copy of the package (the CommonJS build,
 * another installed version) is recognised by another (the ESM build), where
 * `instanceof` against a different class object would say no.
 */
const BRAND: unique symbol = Symbol.for('geoadmit.error') as never;

/** True when `value` carries the brand; reading it can never throw out of here. */
function branded(value: unknown): boolean {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  try {
    return (value as { [BRAND]?: unknown })[BRAND] === true;
  } catch {
    return false; // a hostile Proxy
  }
}

/**
 * The one error class geoadmit throws. `code` is stable; `message` says what
 * was wrong and where.
 *
 * @example
 * try { await gate.restrict(doc) } catch (e) {
 *   if (e instanceof GeoadmitError && e.code === 'E_OUT_OF_JURISDICTION') refuse(e.path)
 * }
 */
export class GeoadmitError extends Error {
  /** Always `'GeoadmitError'`, so logs and `err.name` checks identify these errors. */
  override readonly name = 'GeoadmitError';
  /** Stable machine-readable code to match on (see {@link ErrorCode}); never changes meaning. */
  readonly code: ErrorCode;
  /** JSON path into the input document where the problem was found, e.g. `$.regions[1]`; absent when the error is not about a document. */
  readonly path?: string;
  /** Id of the restriction the error concerns, when one is known. */
  readonly restrictionId?: string;
  /** Path of the database, audit log or other file the error concerns, when there is one. */
  readonly file?: string;
  /** The argument or option at fault, e.g. `trustedProxies[0]`, for configuration errors. */
  readonly argument?: string;
  /** For validation errors: every problem found in the same input (a bounded number), each with path, message and code; the first is also `path`. */
  readonly issues?: readonly { path: string; message: string; code: ErrorCode }[];

  constructor(code: ErrorCode, message: string, context: GeoadmitErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.code = code;
    if (context.path !== undefined) this.path = context.path;
    if (context.restrictionId !== undefined) this.restrictionId = context.restrictionId;
    if (context.file !== undefined) this.file = context.file;
    if (context.argument !== undefined) this.argument = context.argument;
    if (context.issues !== undefined) this.issues = context.issues;
    // Non-enumerable: invisible to JSON, spreading and logging, still read by isGeoadmitError.
    Object.defineProperty(this, BRAND, { value: true });
  }

  /**
   * `instanceof GeoadmitError` also holds for errors from another copy of the
   * package (ESM and CommonJS builds, two versions installed), by the brand.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // `this` is the class `instanceof` was asked about (a subclass too); the brand fallback holds for GeoadmitError itself only.
    // biome-ignore lint/complexity/noThisInStatic: the receiver is the point (see above); the class name would widen a subclass's check.
    return Function.prototype[Symbol.hasInstance].call(this, value) || (this === GeoadmitError && branded(value));
  }
}

/**
 * True when `value` is a {@link GeoadmitError} from any copy of geoadmit
 * (the ESM or CommonJS build, another installed version: recognised by the
 * `Symbol.for('geoadmit.error')` brand, not by `instanceof`), optionally with
 * the given code.
 *
 * @example
 * try { await gate.restrict(doc) }
 * catch (e) { if (isGeoadmitError(e, 'E_INVALID_RESTRICTION')) res.status(422).json({ error: e.code, path: e.path }) }
 */
export function isGeoadmitError(value: unknown, code?: ErrorCode): value is GeoadmitError {
  return branded(value) && (code === undefined || (value as GeoadmitError).code === code);
}
