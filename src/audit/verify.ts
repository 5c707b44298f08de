import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { ErrorCode, GeoadmitError } from '../errors/index.js';
import { assertKnownKeys, guardInput, keysOf } from '../internal/options.js';
import type { AuditHead, AuditLine, AuditVerification, VerifyAuditLogOptions } from './types.js';
import { type Checkpoint, checkpointPath, decodeLine, type LineHasher, lineHasher, parseCheckpoint } from './internal/record.js';
import { ChainChecker, readLines } from './internal/walk.js';
import { checkpointMac, publicVerifyKey, sameText, verifyCheckpointSignature } from './internal/signing.js';

/** Every option of {@link verifyAuditLog}. */
const VERIFY_OPTIONS = keysOf<VerifyAuditLogOptions>({
  checkpoint: true,
  key: true,
  publicKey: true,
  expectHead: true,
  maxLineBytes: true,
});

async function readCheckpoint(file: string): Promise<{ checkpoint?: Checkpoint; error?: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new GeoadmitError(ErrorCode.AuditIo, `cannot read checkpoint ${file}: ${(error as Error).message}`, { file, cause: error });
  }
  const checkpoint = parseCheckpoint(text);
  return checkpoint === undefined ? { error: `the checkpoint ${file} is malformed` } : { checkpoint };
}

/**
 * Whether the checkpoint file can be trusted: with `key` it must carry the
 * HMAC of its head, with `publicKey` a signature of it. Without either there
 * is nothing to check — and nothing stops whoever cut the log from rewriting it.
 */
function checkpointProblem(cp: Checkpoint, key: string | Uint8Array | undefined, publicKey: KeyObject | undefined): string | undefined {
  if (key !== undefined && (cp.mac === undefined || !sameText(cp.mac, checkpointMac(key, cp.seq, cp.hash)))) {
    return cp.mac === undefined
      ? 'the checkpoint carries no HMAC although the log is keyed: it was rewritten'
      : 'the checkpoint HMAC does not verify: the checkpoint was rewritten';
  }
  if (publicKey !== undefined && !verifyCheckpointSignature(publicKey, cp.seq, cp.hash, cp.signature)) {
    return cp.signature === undefined
      ? 'the checkpoint carries no signature: it was rewritten, or the log is not signed'
      : 'the checkpoint signature does not verify with this public key: the checkpoint was rewritten, or signed with another key';
  }
  return undefined;
}

function expectedHead(value: unknown): AuditHead | undefined {
  if (value === undefined) return undefined;
  const head = value as Partial<AuditHead> | null;
  if (
    typeof head !== 'object' ||
    head === null ||
    typeof head.seq !== 'number' ||
    !Number.isSafeInteger(head.seq) ||
    head.seq < 1 ||
    typeof head.hash !== 'string' ||
    !/^[0-9a-f]{64}$/.test(head.hash)
  ) {
    throw new GeoadmitError(ErrorCode.InvalidConfig, 'expectHead must be { seq: a positive integer, hash: 64 lower-case hex digits }', {
      argument: 'expectHead',
    });
  }
  return { seq: head.seq, hash: head.hash };
}

/**
 * Verify a log and hand every verified line to `onLine` (in order) — one
 * streaming pass, used by verification and by the transparency report.
 * Lines after a problem are not handed on.
 * @internal
 */
export async function scanAuditLog(
  path: string,
  options: VerifyAuditLogOptions = {},
  onLine?: (line: AuditLine) => void,
  scan: ScanOptions = {},
): Promise<AuditVerification> {
  if (typeof options !== 'object' || options === null) {
    throw new GeoadmitError(ErrorCode.InvalidConfig, 'verifyAuditLog: options must be an object', { argument: 'options' });
  }
  assertKnownKeys(options, VERIFY_OPTIONS, 'verifyAuditLog');
  const maxLineBytes = options.maxLineBytes ?? 1 << 20;
  const publicKey = options.publicKey === undefined ? undefined : publicVerifyKey(options.publicKey);
  const expectHead = expectedHead(options.expectHead);
  const cpFile = options.checkpoint === undefined ? checkpointPath(path) : options.checkpoint;
  const cp = cpFile === false ? {} : await readCheckpoint(cpFile);
  const untrusted = cp.checkpoint === undefined ? undefined : checkpointProblem(cp.checkpoint, options.key, publicKey);
  const checker = new ChainChecker({
    hasher: lineHasher(options.key),
    // A checkpoint that fails its HMAC or signature says nothing about the log.
    checkpoint: untrusted === undefined ? cp.checkpoint : undefined,
    publicKey,
    expectHead,
    onLine,
    release: scan.release === 'signed' && publicKey !== undefined ? 'signed' : 'all',
  });
  try {
    outer: for await (const batch of readLines(path, maxLineBytes, scan.onBytes)) {
      for (const raw of batch) if (!checker.push(raw)) break outer;
    }
  } catch (error) {
    throw new GeoadmitError(ErrorCode.AuditIo, `cannot read audit log ${path}: ${(error as Error).message}`, {
      file: path,
      cause: error,
    });
  }
  checker.end();
  if (cp.error !== undefined) checker.fail({ problem: 'malformed', message: cp.error });
  else if (untrusted !== undefined) checker.fail({ problem: 'checkpoint', message: untrusted });
  else if (cp.checkpoint === undefined && cpFile !== false && (options.key !== undefined || publicKey !== undefined)) {
    checker.fail({
      problem: 'checkpoint-missing',
      message: `no checkpoint (${basename(cpFile)}): without it a log cut short cannot be told from a complete one`,
    });
  }
  if (cp.checkpoint?.signature !== undefined) checker.sawSignature();
  if (publicKey !== undefined && cp.checkpoint !== undefined && untrusted === undefined) checker.signedByCheckpoint(cp.checkpoint.seq);
  const result = checker.result(cp.checkpoint !== undefined);
  // The checkpoint's signature over the head is what a report commits to, once checked with the key.
  const signed = cp.checkpoint;
  if (
    result.signatures === 'verified' &&
    signed?.signature !== undefined &&
    untrusted === undefined &&
    signed.seq === result.head.seq &&
    signed.hash === result.head.hash
  ) {
    result.signature = signed.signature;
  }
  const from = checker.heldOverflowFrom;
  if (onLine !== undefined && from !== undefined && result.signedThrough !== undefined && result.signedThrough >= from) {
    await handOn(path, maxLineBytes, lineHasher(options.key), from, result.signedThrough, onLine);
  }
  return result;
}

/** How {@link scanAuditLog} hands lines on. @internal */
interface ScanOptions {
  /** `signed`: with a public key, only lines a verified signature covers reach `onLine`. */
  release?: 'all' | 'signed';
  /** Bytes read so far, per chunk (progress). */
  onBytes?: (bytes: number) => void;
}

/** Second pass over a verified file: hand on the lines `from`..`through` (too many to hold while waiting for their signature). */
async function handOn(path: string, maxLineBytes: number, hasher: LineHasher, from: number, through: number, onLine: (line: AuditLine) => void): Promise<void> {
  try {
    for await (const batch of readLines(path, maxLineBytes)) {
      for (const raw of batch) {
        const decoded = raw.text === undefined ? undefined : decodeLine(raw.text, hasher);
        // The file changed since it was verified: stop rather than count what was not verified.
        if (decoded?.kind !== 'ok') return;
        if (decoded.line.seq > through) return;
        if (decoded.line.seq >= from) onLine(decoded.line);
      }
    }
  } catch (error) {
    throw new GeoadmitError(ErrorCode.AuditIo, `cannot read audit log ${path}: ${(error as Error).message}`, { file: path, cause: error });
  }
}

/**
 * Verify a JSON Lines audit log written by {@link createJsonlAuditSink}:
 * every line's own hash, the chain of `prev` hashes and sequence numbers, and
 * the checkpoint (`<path>.checkpoint`) for a truncated tail. Streams the file
 * in constant memory and stops at the first problem:
 * `edited` (a line does not match its hash, or the chain link is broken),
 * `missing` (a gap in the sequence), `reordered`, `inserted` (a line the chain
 * skips), `truncated` (a torn last line, or the checkpoint records more than
 * the file holds), `malformed` (not a record of this format), `empty`.
 *
 * With `key` the checkpoint must carry a valid HMAC (`checkpoint` when it
 * does not: it was rewritten), with `publicKey` a valid signature, and every
 * signed `audit.checkpoint` record must verify (`signature`); with either, a
 * missing checkpoint is `checkpoint-missing`. With neither, `checkpoint: false`
 * in the answer says a cut-off tail could not have been noticed. `expectHead`
 * (a head published earlier, e.g. in a transparency report) must be in the
 * log (`head`): a log cut short or rewritten since contradicts it.
 *
 * `signatures` says what is known of the log's signatures: `verified` only
 * when `publicKey` was given and they checked (`signedThrough` says how far
 * they reach; lines after it are the `unsignedTail`), `unchecked` when the
 * log carries signatures but no key was given (nothing about them is known:
 * a forger can leave old signatures in place), `none` otherwise. The
 * `publicKeyFingerprint` is computed from the key that verified, never read
 * from the log or its checkpoint file.
 *
 * A rotated file (`<path>.<n>`) verifies on its own; its first record names
 * the file it continues (`previous`), and its checkpoint counts only for a
 * line in that very file. `geoadmit audit verify` and the transparency
 * report link a set of rotated files and name a missing one.
 *
 * @throws GeoadmitError `E_AUDIT_IO` when the file cannot be read, `E_INVALID_CONFIG` for bad options.
 * @example
 * const result = await verifyAuditLog('audit.jsonl', {
 *   publicKey: readFileSync('audit-signing.pub', 'utf8'),
 *   expectHead: { seq: 1042, hash: '9f…' },
 * });
 * if (!result.ok) console.error(`${result.problem} at line ${result.line}: ${result.message}`);
 */
export async function verifyAuditLog(path: string, options?: VerifyAuditLogOptions): Promise<AuditVerification> {
  return guardInput('verifyAuditLog', 'path', () => scanAuditLog(path, options));
}
