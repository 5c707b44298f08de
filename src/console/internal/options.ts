/**
 * The console's options, each checked where it is read (unknown ones refused by name), into the
 * settings the console runs with.
 */
import { KeyObject } from 'node:crypto';
import type { verifyAuditLog } from '../../audit/index.js';
import { ErrorCode, GeoadmitError } from '../../errors/index.js';
import type { Gate } from '../../gate/index.js';
import { assertKnownKeys, keysOf, optionValues } from '../../internal/options.js';
import { isPlainObject } from '../../internal/objects.js';
import type { buildTransparencyReport } from '../../report/index.js';
import type { ReportLog } from '../../report/types.js';
import type { JsonlAuditSink } from '../../audit/types.js';
import type { ConsoleAuditLog, ConsoleOptions } from '../types.js';

/** Where the console lives unless told otherwise: a path of its own, so the host application keeps every other route. */
const DEFAULT_BASE_PATH = '/geoadmit';

/** The shortest bearer token accepted. */
const MIN_TOKEN_LENGTH = 32;

const KNOWN_OPTIONS = keysOf<ConsoleOptions>({
  token: true,
  authorize: true,
  basePath: true,
  auditLog: true,
  cors: true,
  maxBodyBytes: true,
  heartbeatMs: true,
  overviewIntervalMs: true,
});

/** What a console runs with. */
interface Config {
  token: string | undefined;
  basePath: string;
  auditLogPath: string | undefined;
  flush: (() => Promise<void>) | undefined;
  verifyOptions: Parameters<typeof verifyAuditLog>[1];
  reportOptions: Parameters<typeof buildTransparencyReport>[1];
  /** The log as the report names it, with its public key, when the options give either. */
  reportLog: ReportLog | undefined;
  cors: { origin: string } | undefined;
  maxBodyBytes: number;
  heartbeatMs: number;
  overviewIntervalMs: number;
}

function invalid(argument: string, message: string): GeoadmitError {
  return new GeoadmitError(ErrorCode.InvalidConfig, `createConsole: ${message}`, { argument });
}

/** Checks `createConsole`'s arguments into its settings. */
export function checkOptions(gate: Gate, options: ConsoleOptions): Config {
  if (gate === null || typeof gate !== 'object' || typeof gate.preview !== 'function') throw invalid('gate', 'the first argument must be a gate (createGate)');
  if (!isPlainObject(options as unknown)) throw invalid('options', 'options must be an object with token or authorize');
  const o = optionValues<ConsoleOptions>(options, 'createConsole', KNOWN_OPTIONS);
  const { token, authorize } = options;
  if ((token === undefined) === (authorize === undefined)) {
    throw invalid(token === undefined ? 'token' : 'authorize', 'give exactly one of token and authorize (the API is never left open)');
  }
  // Sendable as a bearer token, and long enough that guessing it over the network is hopeless.
  if (token !== undefined && (typeof token !== 'string' || !/^[\x21-\x7e]+$/.test(token))) {
    throw invalid('token', 'token must be a string of visible ASCII characters without spaces (use 32 random bytes, base64url)');
  }
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    throw invalid(
      'token',
      `token is ${token.length} characters long; use at least ${MIN_TOKEN_LENGTH} (e.g. 32 random bytes as base64url: node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))")`,
    );
  }
  if (authorize !== undefined && typeof authorize !== 'function')
    throw invalid('authorize', 'authorize must be a function (req) => boolean | Promise<boolean>');
  const basePath = options.basePath ?? DEFAULT_BASE_PATH;
  if (typeof basePath !== 'string' || !/^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/.test(basePath) || basePath.includes('//')) {
    throw invalid('basePath', 'basePath must be an absolute URL path such as /console');
  }
  const log = options.auditLog;
  let auditLogPath: string | undefined;
  let verifyOptions: Config['verifyOptions'];
  let reportOptions: Config['reportOptions'];
  let reportLog: ReportLog | undefined;
  let flush: (() => Promise<void>) | undefined;
  if (typeof log === 'string' && log !== '') auditLogPath = log;
  else if (typeof log === 'object' && log !== null && 'flush' in log && typeof log.flush === 'function' && typeof log.path === 'string') {
    // A sink: report on its file, once what it holds in memory is written.
    auditLogPath = log.path;
    flush = () => log.flush();
  } else if (isPlainObject(log as unknown) && typeof log === 'object' && typeof log.path === 'string' && log.path !== '') {
    assertKnownKeys(log, ['path', 'publicKey', 'name', 'verify', 'report'], 'createConsole: auditLog', 'auditLog.');
    const withOptions = log as Exclude<ConsoleAuditLog, string | JsonlAuditSink>;
    auditLogPath = withOptions.path;
    const { publicKey, name } = withOptions;
    if (publicKey !== undefined && !(typeof publicKey === 'string' && publicKey.includes('PUBLIC KEY')) && !isKeyObject(publicKey)) {
      throw invalid('auditLog', 'auditLog.publicKey must be the public key as PEM text (geoadmit audit keygen writes it) or a KeyObject');
    }
    if (name !== undefined && (typeof name !== 'string' || name === '' || name.length > 200)) {
      throw invalid('auditLog', 'auditLog.name must be a non-empty string of at most 200 characters (what the report calls the log)');
    }
    // The key checks the signatures of both the verification and the report: "signed" is then a checked claim.
    verifyOptions = publicKey === undefined ? withOptions.verify : { ...withOptions.verify, publicKey };
    reportOptions = withOptions.report;
    if (publicKey !== undefined || name !== undefined) {
      reportLog = { path: withOptions.path, ...(name === undefined ? {} : { name }), ...(publicKey === undefined ? {} : { publicKey }) };
    }
  } else if (log !== undefined) {
    throw invalid('auditLog', 'auditLog must be a path, an audit sink (createJsonlAuditSink) or { path, publicKey?, name?, verify?, report? }');
  }
  const cors = options.cors;
  if (cors !== undefined) {
    if (!isPlainObject(cors as unknown) || typeof cors.origin !== 'string' || !/^https?:\/\/[^/\s]+$/.test(cors.origin)) {
      throw invalid('cors', 'cors must be { origin: "https://host[:port]" } (one exact origin)');
    }
    assertKnownKeys(cors, ['origin'], 'createConsole: cors', 'cors.');
  }
  return {
    token,
    basePath: basePath.endsWith('/') ? basePath : `${basePath}/`,
    auditLogPath,
    flush,
    verifyOptions,
    reportOptions,
    reportLog,
    cors,
    maxBodyBytes: o.number('maxBodyBytes', 1024 * 1024, { min: 1, integer: true }),
    heartbeatMs: o.duration('heartbeatMs', 15_000),
    overviewIntervalMs: o.duration('overviewIntervalMs', 2_000),
  };
}

function isKeyObject(value: unknown): value is KeyObject {
  return value instanceof KeyObject && value.type === 'public';
}
