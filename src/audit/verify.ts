import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ErrorCode, GeoadmitError } from '../errors/index.js';
import type { AuditLine, AuditProblem, AuditVerification, VerifyAuditLogOptions } from './types.js';
import {
  type Checkpoint,
  checkpointPath,
  type DecodedLine,
  decodeLine,
  isMetaType,
  type LineHasher,
  lineHasher,
  parseCheckpoint,
} from './internal/record.js';

/** One line as read: `text` absent when it exceeded the length limit. */
interface RawLine {
  n: number;
  text: string | undefined;
  /** False for a last line without its newline (a torn write). */
  terminated: boolean;
  decoded?: DecodedLine;
}

/**
 * Split a file into lines in bounded memory. `readline` would buffer a line
 * of any length and cannot tell whether the last line ended with a newline,
 * which is how a torn write shows.
 */
async function* readLines(path: string, maxLineBytes: number): AsyncGenerator<RawLine[]> {
  let n = 0;
  let carry: Buffer[] = [];
  let carryLength = 0;
  let overflow = false;
  const stream = createReadStream(path, { highWaterMark: 1 << 16 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const batch: RawLine[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      n++;
      if (overflow || carryLength + piece.length > maxLineBytes) {
        batch.push({ n, text: undefined, terminated: true });
      } else {
        const bytes = carryLength === 0 ? piece : Buffer.concat([...carry, piece]);
        batch.push({ n, text: bytes.toString('utf8'), terminated: true });
      }
      carry = [];
      carryLength = 0;
      overflow = false;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (overflow || carryLength + rest.length > maxLineBytes) {
        overflow = true;
        carry = [];
        carryLength = 0;
      } else {
        carry.push(rest);
        carryLength += rest.length;
      }
    }
    if (batch.length > 0) yield batch;
  }
  if (carryLength > 0 || overflow) {
    yield [{ n: n + 1, text: overflow ? undefined : Buffer.concat(carry).toString('utf8'), terminated: false }];
  }
}

interface Found {
  problem: AuditProblem;
  line?: number;
  message: string;
}

/** Walks the chain one line at a time with one line of lookahead, in constant memory. */
class ChainChecker {
  #prev: { seq: number; hash: string } | undefined;
  #pending: RawLine | undefined;
  #found: Found | undefined;
  #events = 0;
  #lines = 0;
  readonly #hasher: LineHasher;
  readonly #checkpoint: Checkpoint | undefined;
  readonly #onLine: ((line: AuditLine) => void) | undefined;

  constructor(hasher: LineHasher, checkpoint: Checkpoint | undefined, onLine: ((line: AuditLine) => void) | undefined) {
    this.#hasher = hasher;
    this.#checkpoint = checkpoint;
    this.#onLine = onLine;
  }

  /** Feed the next line; false once a problem is found. */
  push(raw: RawLine): boolean {
    if (this.#pending !== undefined) {
      this.#found = this.#check(this.#pending, raw);
      if (this.#found !== undefined) return false;
    }
    this.#pending = raw;
    return true;
  }

  finish(checkpointError?: string): AuditVerification {
    if (this.#found === undefined && this.#pending !== undefined) this.#found = this.#check(this.#pending, undefined);
    const cp = this.#checkpoint;
    const lastSeq = this.#prev?.seq ?? 0;
    if (this.#found === undefined && checkpointError !== undefined) {
      this.#found = { problem: 'malformed', message: checkpointError };
    }
    if (this.#found === undefined && cp !== undefined && lastSeq < cp.seq) {
      this.#found = {
        problem: 'truncated',
        line: this.#lines + 1,
        message: `the checkpoint records seq ${cp.seq} but the log ends at seq ${lastSeq}: lines were cut off the end`,
      };
    }
    const result: AuditVerification = {
      ok: this.#found === undefined,
      events: this.#events,
      lines: this.#lines,
      checkpoint: cp !== undefined,
    };
    if (this.#prev !== undefined) {
      result.lastSeq = this.#prev.seq;
      result.lastHash = this.#prev.hash;
    }
    if (this.#found !== undefined) {
      result.problem = this.#found.problem;
      if (this.#found.line !== undefined) result.line = this.#found.line;
      result.message = this.#found.message;
    }
    return result;
  }

  #decode(raw: RawLine): DecodedLine {
    raw.decoded ??=
      raw.text === undefined ? { kind: 'malformed', message: 'the line is too long' } : decodeLine(raw.text, this.#hasher);
    return raw.decoded;
  }

  #check(cur: RawLine, next: RawLine | undefined): Found | undefined {
    const n = cur.n;
    if (!cur.terminated) {
      return { problem: 'truncated', line: n, message: `line ${n} is incomplete (no newline): a torn final write` };
    }
    const decoded = this.#decode(cur);
    if (decoded.kind === 'malformed') return { problem: 'malformed', line: n, message: `line ${n}: ${decoded.message}` };
    const prev = this.#prev;
    const following = next === undefined || !next.terminated ? undefined : this.#decode(next);
    const nextLine = following === undefined || following.kind === 'malformed' ? undefined : following.line;
    // The line after this one continues the chain from the line before: this one
    // is out of place — swapped with it when it is that line's successor, else extra.
    if (prev !== undefined && nextLine !== undefined && nextLine.seq === prev.seq + 1 && nextLine.prev === prev.hash) {
      if (decoded.line.seq === nextLine.seq + 1 && decoded.line.prev === nextLine.hash) {
        return { problem: 'reordered', line: n, message: `lines ${n} and ${n + 1} are in the wrong order` };
      }
      return { problem: 'inserted', line: n, message: `line ${n} is not part of the chain: line ${n + 1} follows line ${n - 1}` };
    }
    if (decoded.kind === 'edited') return { problem: 'edited', line: n, message: `line ${n}: ${decoded.message}` };
    const line = decoded.line;
    if (prev === undefined) {
      if (line.event.type !== 'audit.start') {
        return {
          problem: 'missing',
          line: n,
          message: `the log does not begin with its audit.start record: lines before seq ${line.seq} are missing`,
        };
      }
    } else {
      const expected = prev.seq + 1;
      if (line.seq > expected) {
        if (nextLine?.seq === expected) {
          return { problem: 'reordered', line: n, message: `line ${n} has seq ${line.seq} but seq ${expected} follows it: lines out of order` };
        }
        return {
          problem: 'missing',
          line: n,
          message: `seq jumps from ${prev.seq} to ${line.seq} at line ${n}: ${line.seq - expected} line(s) missing`,
        };
      }
      if (line.seq < expected) {
        return { problem: 'reordered', line: n, message: `line ${n} has seq ${line.seq} after seq ${prev.seq}: lines out of order` };
      }
      if (line.prev !== prev.hash) {
        return {
          problem: 'edited',
          line: n,
          message: `line ${n} does not link to line ${n - 1} (its "prev" is not that line's hash): one of them was altered`,
        };
      }
    }
    const cp = this.#checkpoint;
    if (cp !== undefined && line.seq === cp.seq && line.hash !== cp.hash) {
      return { problem: 'edited', line: n, message: `line ${n} (seq ${line.seq}) differs from the checkpoint's hash` };
    }
    this.#prev = { seq: line.seq, hash: line.hash };
    this.#lines++;
    if (!isMetaType(line.event.type)) this.#events++;
    this.#onLine?.(line);
    return undefined;
  }
}

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
 * Verify a log and hand every verified line to `onLine` (in order) — one
 * streaming pass, used by verification and by the transparency report.
 * Lines after a problem are not handed on.
 * @internal
 */
export async function scanAuditLog(
  path: string,
  options: VerifyAuditLogOptions = {},
  onLine?: (line: AuditLine) => void,
): Promise<AuditVerification> {
  const maxLineBytes = options.maxLineBytes ?? 1 << 20;
  const cpFile = options.checkpoint === undefined ? checkpointPath(path) : options.checkpoint;
  const cp = cpFile === false ? {} : await readCheckpoint(cpFile);
  const checker = new ChainChecker(lineHasher(options.key), cp.checkpoint, onLine);
  try {
    outer: for await (const batch of readLines(path, maxLineBytes)) {
      for (const raw of batch) if (!checker.push(raw)) break outer;
    }
  } catch (error) {
    throw new GeoadmitError(ErrorCode.AuditIo, `cannot read audit log ${path}: ${(error as Error).message}`, {
      file: path,
      cause: error,
    });
  }
  return checker.finish(cp.error);
}

/**
 * Verify a JSON Lines audit log written by {@link createJsonlAuditSink}:
 * every line's own hash, the chain of `prev` hashes and sequence numbers, and
 * the checkpoint (`<path>.checkpoint`) for a truncated tail. Streams the file
 * in constant memory and stops at the first problem:
 * `edited` (a line does not match its hash, or the chain link is broken),
 * `missing` (a gap in the sequence), `reordered`, `inserted` (a line the chain
 * skips), `truncated` (a torn last line, or the checkpoint records more than
 * the file holds), `malformed` (not a record of this format).
 *
 * A rotated file (`<path>.<n>`) verifies on its own; its first record names
 * the file it continues.
 *
 * @throws GeoadmitError `E_AUDIT_IO` when the file cannot be read.
 * @example
 * const result = await verifyAuditLog('audit.jsonl');
 * if (!result.ok) console.error(`${result.problem} at line ${result.line}: ${result.message}`);
 */
export async function verifyAuditLog(path: string, options?: VerifyAuditLogOptions): Promise<AuditVerification> {
  return scanAuditLog(path, options);
}
