/**
 * The audit sink's options read into its settings: every value checked where
 * it is read, unknown options refused by name.
 */
import { ErrorCode, GeoadmitError } from '../../errors/index.js';
import { keysOf, optionValues } from '../../internal/options.js';
import { finiteClock } from '../../internal/time.js';
import type { AuditFs, AuditWhenUnwritable, FsyncMode, JsonlAuditSinkOptions } from '../types.js';
import { resolveFs } from './fs.js';
import { type LineHasher, lineHasher } from './record.js';
import { type CheckpointSigner, checkpointSigner, privateSigningKey } from './signing.js';

/** Every option of {@link createJsonlAuditSink}; `satisfies` flags an option added to the type but not here. */
const KNOWN_OPTIONS = keysOf<JsonlAuditSinkOptions>({
  fsync: true,
  fsyncIntervalMs: true,
  whenUnwritable: true,
  bufferLimit: true,
  retryIntervalMs: true,
  maxBytes: true,
  checkpoint: true,
  key: true,
  signingKey: true,
  checkpointEvery: true,
  id: true,
  fs: true,
  clock: true,
});

/** What a sink runs with. */
export interface SinkConfig {
  fs: AuditFs;
  fsyncMode: FsyncMode;
  policy: AuditWhenUnwritable;
  tickMs: number;
  retryMs: number;
  bufferLimit: number;
  maxBytes: number | undefined;
  checkpoint: boolean;
  hasher: LineHasher;
  key: string | Uint8Array | undefined;
  signer: CheckpointSigner | undefined;
  checkpointEvery: number;
  id: string;
  clock: () => number;
}

/** The sink's settings from its options, each checked; unknown options refused by name. */
export function readSinkOptions(path: string, options: JsonlAuditSinkOptions): SinkConfig {
  if (typeof path !== 'string' || path.length === 0) {
    throw new GeoadmitError(ErrorCode.InvalidConfig, 'path must be a non-empty string', { argument: 'path' });
  }
  if (typeof options !== 'object' || options === null) {
    throw new GeoadmitError(ErrorCode.InvalidConfig, 'createJsonlAuditSink: options must be an object', { argument: 'options' });
  }
  if (Object.hasOwn(options, 'onFailure')) {
    throw new GeoadmitError(
      ErrorCode.InvalidConfig,
      `createJsonlAuditSink: the option "onFailure" was renamed "whenUnwritable" ('deny' | 'buffer'); the gate's audit.onFailure is another setting`,
      { argument: 'onFailure' },
    );
  }
  const o = optionValues<JsonlAuditSinkOptions>(options, 'createJsonlAuditSink', KNOWN_OPTIONS);
  o.func('clock', 'a function returning epoch milliseconds');
  o.boolean('checkpoint', true);
  o.string('id', { maxLength: 1024 });
  const fsyncMode = o.oneOf<FsyncMode>('fsync', ['always', 'interval', 'never'], 'interval');
  const policy = o.oneOf<AuditWhenUnwritable>('whenUnwritable', ['deny', 'buffer'], 'buffer');
  const count = (key: 'bufferLimit' | 'maxBytes' | 'checkpointEvery', fallback: number, min = 1) => o.number(key, fallback, { min, integer: true });
  const signer = options.signingKey === undefined ? undefined : checkpointSigner(privateSigningKey(options.signingKey));
  if (options.checkpointEvery !== undefined && signer === undefined) {
    throw new GeoadmitError(ErrorCode.InvalidConfig, 'checkpointEvery needs signingKey: checkpoint records are signed', {
      argument: 'checkpointEvery',
    });
  }
  return {
    fs: resolveFs(options.fs),
    fsyncMode,
    policy,
    tickMs: o.duration('fsyncIntervalMs', 1000),
    retryMs: o.duration('retryIntervalMs', 1000),
    bufferLimit: count('bufferLimit', 10_000, 0),
    maxBytes: options.maxBytes === undefined ? undefined : count('maxBytes', 0),
    checkpoint: options.checkpoint ?? true,
    hasher: lineHasher(options.key),
    key: options.key,
    signer,
    checkpointEvery: count('checkpointEvery', 10_000),
    id: options.id ?? `jsonl:${path}`,
    // Every reading finite: a NaN time would throw from toISOString() inside a write.
    clock: finiteClock(options.clock),
  };
}
