/**
 * Walking an audit log: its lines read in bounded memory, and the chain
 * checked one line at a time (hashes, sequence numbers, checkpoint and
 * signatures). verify.ts turns what the walk found into a verification.
 */
import type { KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { AuditHead, AuditLine, AuditProblem, AuditSignatures, AuditVerification } from '../types.js';
import { type Checkpoint, type DecodedLine, decodeLine, isMetaType, type LineHasher, ZERO_HASH } from './record.js';
import { publicKeyFingerprint, verifyCheckpointSignature } from './signing.js';

/**
 * Lines held back while no signature covers them yet (a report counts only
 * signed lines of a signed log); beyond this many the walk stops holding
 * them and a second pass hands on what the signatures turned out to cover.
 */
const MAX_HELD_LINES = 20_000;

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
export async function* readLines(path: string, maxLineBytes: number, onBytes?: (bytes: number) => void): AsyncGenerator<RawLine[]> {
  let n = 0;
  let carry: Buffer[] = [];
  let carryLength = 0;
  let overflow = false;
  const stream = createReadStream(path, { highWaterMark: 1 << 16 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    onBytes?.(chunk.length);
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

/** What the chain walk checks besides the chain itself. */
interface CheckOptions {
  hasher: LineHasher;
  /** The checkpoint file's head, when it is one to trust (its HMAC or signature checked, or none asked for). */
  checkpoint: Checkpoint | undefined;
  publicKey: KeyObject | undefined;
  expectHead: AuditHead | undefined;
  onLine: ((line: AuditLine) => void) | undefined;
  /**
   * `signed`: hand a line to `onLine` only once a verified signature covers
   * it (lines after the last one are the unsigned tail, never handed on).
   */
  release: 'all' | 'signed';
}

/** Walks the chain one line at a time with one line of lookahead, in constant memory. */
export class ChainChecker {
  #prev: { seq: number; hash: string } | undefined;
  #pending: RawLine | undefined;
  #found: Found | undefined;
  #events = 0;
  #lines = 0;
  #signedThrough: number | undefined;
  /** Audit events up to `signedThrough`. */
  #eventsSigned = 0;
  #headSeen = false;
  #firstSeq: number | undefined;
  #previous: { file: string; seq: number; hash: string } | undefined;
  /** Whether the log carries signatures at all (checked or not). */
  #signaturesSeen = false;
  /** The trusted checkpoint's line was met in this file, and the events up to it. */
  #checkpointSeen = false;
  #eventsAtCheckpoint = 0;
  /** Lines waiting for a signature (`release: 'signed'`). */
  #held: AuditLine[] = [];
  /** Set when too many lines waited: the first sequence number no longer held. */
  #heldOverflowFrom: number | undefined;
  readonly #o: CheckOptions;

  constructor(options: CheckOptions) {
    this.#o = options;
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

  /**
   * The checkpoint file's signature verified over its head (checked by the
   * caller): it counts only when that very line is in this file — a
   * checkpoint copied from beside another file signs nothing here.
   */
  signedByCheckpoint(seq: number): void {
    if (!this.#checkpointSeen) return;
    if (this.#signedThrough === undefined || seq > this.#signedThrough) {
      this.#signedThrough = seq;
      this.#eventsSigned = this.#eventsAtCheckpoint;
    }
  }

  /** The log carries a signature (its checkpoint file does), checked or not. */
  sawSignature(): void {
    this.#signaturesSeen = true;
  }

  /** Where a second pass must start handing on lines, when too many were waiting for a signature. */
  get heldOverflowFrom(): number | undefined {
    return this.#heldOverflowFrom;
  }

  #release(through: number): void {
    if (this.#heldOverflowFrom !== undefined) return;
    let i = 0;
    while (i < this.#held.length && (this.#held[i] as AuditLine).seq <= through) this.#o.onLine?.(this.#held[i++] as AuditLine);
    this.#held.splice(0, i);
  }

  #hold(line: AuditLine): void {
    if (this.#heldOverflowFrom !== undefined) return;
    if (this.#held.length >= MAX_HELD_LINES) {
      this.#heldOverflowFrom = (this.#held[0] as AuditLine).seq;
      this.#held = [];
      return;
    }
    this.#held.push(line);
  }

  /** Walk the last line; then the checks that need the whole file. */
  end(): void {
    if (this.#found === undefined && this.#pending !== undefined) this.#found = this.#check(this.#pending, undefined);
    if (this.#found !== undefined) return;
    const cp = this.#o.checkpoint;
    const lastSeq = this.#prev?.seq ?? 0;
    if (this.#lines === 0) {
      this.#found = { problem: 'empty', message: 'the file is empty: an audit log always begins with its audit.start record' };
      return;
    }
    if (cp !== undefined && this.#firstSeq !== undefined && cp.seq < this.#firstSeq) {
      this.#found = {
        problem: 'checkpoint',
        message: `the checkpoint names seq ${cp.seq}, which is not in this file (it begins at seq ${this.#firstSeq}): it belongs to another file`,
      };
      return;
    }
    if (cp !== undefined && lastSeq < cp.seq) {
      this.#found = {
        problem: 'truncated',
        line: this.#lines + 1,
        message: `the checkpoint records seq ${cp.seq} but the log ends at seq ${lastSeq}: lines were cut off the end`,
      };
      return;
    }
    const expect = this.#o.expectHead;
    if (expect !== undefined && !this.#headSeen) {
      this.#found = {
        problem: 'head',
        line: this.#lines + 1,
        message: `the log ends at seq ${lastSeq}, before the expected head (seq ${expect.seq}): it was cut short after that head was published`,
      };
    }
  }

  /** Fail with a problem found outside the walk (checkpoint), unless the walk found one first. */
  fail(found: Found): void {
    this.#found ??= found;
  }

  get failed(): boolean {
    return this.#found !== undefined;
  }

  result(checkpointFound: boolean): AuditVerification {
    const head = this.#prev ?? { seq: 0, hash: ZERO_HASH };
    const key = this.#o.publicKey;
    const signatures: AuditSignatures =
      key !== undefined ? (this.#signedThrough !== undefined ? 'verified' : 'none') : this.#signaturesSeen ? 'unchecked' : 'none';
    const result: AuditVerification = {
      ok: this.#found === undefined,
      events: this.#events,
      lines: this.#lines,
      head: { seq: head.seq, hash: head.hash },
      checkpoint: checkpointFound,
      signatures,
    };
    if (this.#firstSeq !== undefined) result.firstSeq = this.#firstSeq;
    if (this.#previous !== undefined) result.previous = this.#previous;
    if (this.#prev !== undefined) {
      result.lastSeq = this.#prev.seq;
      result.lastHash = this.#prev.hash;
    }
    if (signatures === 'verified' && key !== undefined && this.#signedThrough !== undefined) {
      result.signedThrough = this.#signedThrough;
      // Named by the key that verified: whatever the log says about its key is the forger's to write.
      result.publicKeyFingerprint = publicKeyFingerprint(key);
      if (this.#signedThrough < head.seq) {
        result.unsignedTail = { lines: head.seq - this.#signedThrough, events: this.#events - this.#eventsSigned };
      }
    }
    if (this.#found !== undefined) {
      result.problem = this.#found.problem;
      if (this.#found.line !== undefined) result.line = this.#found.line;
      result.message = this.#found.message;
    }
    return result;
  }

  #decode(raw: RawLine): DecodedLine {
    raw.decoded ??= raw.text === undefined ? { kind: 'malformed', message: 'the line is too long' } : decodeLine(raw.text, this.#o.hasher);
    return raw.decoded;
  }

  #check(cur: RawLine, next: RawLine | undefined): Found | undefined {
    const n = cur.n;
    if (!cur.terminated) {
      return { problem: 'truncated', line: n, message: `line ${n} is incomplete (no newline): a torn final write` };
    }
    const decoded = this.#decode(cur);
    if (decoded.kind === 'malformed') {
      const what = n === 1 ? 'not a geoadmit audit log: ' : '';
      return { problem: 'malformed', line: n, message: `line ${n}: ${what}${decoded.message}` };
    }
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
    const cp = this.#o.checkpoint;
    if (cp !== undefined && line.seq === cp.seq && line.hash !== cp.hash) {
      return { problem: 'edited', line: n, message: `line ${n} (seq ${line.seq}) differs from the checkpoint's hash` };
    }
    let signs = false;
    if (line.event.type === 'audit.checkpoint') {
      this.#signaturesSeen = true;
      if (this.#o.publicKey !== undefined) {
        const bad = this.#checkSigned(line, prev, n);
        if (bad !== undefined) return bad;
        signs = true;
      }
    }
    const expect = this.#o.expectHead;
    if (expect !== undefined && line.seq === expect.seq) {
      if (line.hash !== expect.hash) {
        return {
          problem: 'head',
          line: n,
          message: `line ${n} (seq ${line.seq}) is not the expected head ${expect.hash.slice(0, 16)}…: the log was rewritten after that head was published`,
        };
      }
      this.#headSeen = true;
    }
    if (prev === undefined) {
      this.#firstSeq = line.seq;
      this.#previous = previousOf(line.event);
    }
    this.#prev = { seq: line.seq, hash: line.hash };
    this.#lines++;
    if (!isMetaType(line.event.type)) this.#events++;
    if (cp !== undefined && line.seq === cp.seq) {
      this.#checkpointSeen = true;
      this.#eventsAtCheckpoint = this.#events;
    }
    if (this.#o.release === 'all') this.#o.onLine?.(line);
    else if (cp !== undefined && line.seq <= cp.seq) {
      // The checkpoint's signature was checked before the walk: its lines need no wait.
      this.#release(line.seq);
      if (this.#heldOverflowFrom === undefined) this.#o.onLine?.(line);
    } else {
      if (signs) this.#release(line.seq - 1);
      this.#hold(line);
    }
    return undefined;
  }

  /** A signed checkpoint record: it must sign the line just before it, with the given key. */
  #checkSigned(line: AuditLine, prev: { seq: number; hash: string } | undefined, n: number): Found | undefined {
    const record = line.event as unknown as Record<string, unknown>;
    const key = this.#o.publicKey as KeyObject;
    if (prev === undefined || record.seq !== prev.seq || record.hash !== prev.hash) {
      return { problem: 'signature', line: n, message: `line ${n}: the signed checkpoint does not name the line before it` };
    }
    if (!verifyCheckpointSignature(key, prev.seq, prev.hash, record.signature)) {
      return {
        problem: 'signature',
        line: n,
        message: `line ${n}: the checkpoint signature does not verify with this public key (forged, altered, or signed with another key)`,
      };
    }
    this.#signedThrough = prev.seq;
    this.#eventsSigned = this.#events;
    return undefined;
  }
}

/** The `previous` link of a file's `audit.start` record, when it is well formed. */
function previousOf(event: AuditLine['event']): { file: string; seq: number; hash: string } | undefined {
  if (event.type !== 'audit.start') return undefined;
  const p = (event as { previous?: unknown }).previous as Record<string, unknown> | undefined;
  if (typeof p !== 'object' || p === null) return undefined;
  const { file, seq, hash } = p;
  if (typeof file !== 'string' || typeof seq !== 'number' || !Number.isSafeInteger(seq) || typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) {
    return undefined;
  }
  return { file, seq, hash };
}
