import type { KeyObject } from 'node:crypto';
import type { AuditEvent, AuditEventSource, AuditWhenUnwritable, ErrorEvent } from '../events/types.js';

export type { AuditWhenUnwritable } from '../events/types.js';

/**
 * When the sink asks the OS to put written lines on disk, and what a
 * returned decision then guarantees (lines are written to the OS in batches,
 * once per event-loop turn or every 64 KiB, whichever comes first):
 *
 * - `always`: lines go to the OS at the end of the event-loop turn in which
 *   they were recorded and are committed to disk in groups: one fsync covers
 *   every line written while the previous fsync ran. A decision is on disk
 *   once `stats().syncedSeq` reaches its line or `await sink.flush()` resolves;
 *   a crash can lose at most the lines of the group being committed.
 * - `interval` (default): written as above, fsynced every `fsyncIntervalMs`:
 *   a crash of the machine (not of the process: the OS still has the lines)
 *   can lose up to that long; a killed process loses at most the current turn's lines.
 * - `never`: left to the OS.
 *
 * Whatever the mode, a decision returned by the gate has its line encoded and
 * chained in memory; a process that exits normally writes it (an `exit`
 * handler flushes), one killed with SIGKILL may lose the current turn's lines.
 */
export type FsyncMode = 'always' | 'interval' | 'never';

/**
 * The file-system calls the sink makes, all synchronous (so the exit handler
 * can flush). Defaults to `node:fs`; tests inject failures through
 * {@link JsonlAuditSinkOptions.fs}.
 */
export interface AuditFs {
  /** Open a file; `flags` is `'a'` (append), `'r'` or `'w'`. Returns a descriptor. */
  openSync(path: string, flags: 'a' | 'r' | 'w'): number;
  /** Write (part of) `data` at the descriptor's position; returns the bytes written. */
  writeSync(fd: number, data: Uint8Array): number;
  /** Flush a descriptor's written data to disk, blocking until done. */
  fsyncSync(fd: number): void;
  /** Asynchronous fsync (the group commit of `fsync: 'always'`), off the event loop. */
  fsync(fd: number, callback: (error: Error | null) => void): void;
  /** Close a descriptor. */
  closeSync(fd: number): void;
  /** Read into `buffer` from absolute `position`; returns the bytes read. */
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  /** Size and identity of an open file. */
  fstatSync(fd: number): { size: number; ino: number; dev: number };
  /** Size and identity of a path, or `undefined` when nothing is there. */
  statSync(path: string): { size: number; ino: number; dev: number } | undefined;
  /** Rename a file (rotation, checkpoint replacement), replacing `to` if it exists. */
  renameSync(from: string, to: string): void;
  /** Whole text of a small file (checkpoints), or `undefined` when missing. */
  readTextSync(path: string): string | undefined;
  /** Names in a directory. */
  readdirSync(dir: string): string[];
}

/** Options of {@link createJsonlAuditSink}. */
export interface JsonlAuditSinkOptions {
  /**
   * `always`: fsync after every line (a line is on disk when `write` returns);
   * `interval` (default): fsync every `fsyncIntervalMs` when something was written;
   * `never`: leave it to the OS.
   */
  fsync?: FsyncMode;
  /** Period of the fsync / checkpoint timer in milliseconds (default 1000). */
  fsyncIntervalMs?: number;
  /**
   * What attached gates do while this sink cannot write (told through
   * `setAuditHealth`): `buffer` (default) keeps admitting while events wait in
   * memory, `deny` makes the gate deny joins until writing works again.
   * With `deny` each event is written when it is recorded rather than at the
   * end of the event-loop turn, so the gate learns of a failure before it
   * decides the next join (slower: no batching).
   * (Renamed from `onFailure`, which the gate's `audit.onFailure` uses with another meaning.)
   */
  whenUnwritable?: AuditWhenUnwritable;
  /** Events kept in memory while writing fails (default 10,000); beyond it they are counted as dropped. */
  bufferLimit?: number;
  /** How often a failing sink retries, in milliseconds (default 1000). */
  retryIntervalMs?: number;
  /**
   * Rotate when the file reaches this many bytes: it is renamed to
   * `<path>.<n>` (n = 1, 2, ...; higher is newer) with its checkpoint, and a
   * new file starts whose first record links to the last hash of the previous one.
   */
  maxBytes?: number;
  /** Keep `<path>.checkpoint` (last seq and hash) up to date (default true). */
  checkpoint?: boolean;
  /**
   * Secret for an HMAC-SHA-256 chain instead of plain SHA-256: without the key
   * nobody can recompute the chain after editing it. Verification needs the same key.
   */
  key?: string | Uint8Array;
  /**
   * Ed25519 private key (`KeyObject`, or PKCS#8 PEM text) to sign the log:
   * the sink appends a signed `audit.checkpoint` record (sequence number and
   * hash of the line before it) every `checkpointEvery` events, at least once
   * a minute while events arrive, before a rotation and at close; the
   * checkpoint file carries the latest signature, over the log's last line.
   * Anyone with the public key can then check the log
   * (`verifyAuditLog(path, { publicKey })`); nobody without the private key
   * can forge or move a signed head. `geoadmit audit keygen` makes a key pair.
   */
  signingKey?: KeyObject | string;
  /** Events between signed checkpoint records (default 10,000). Needs `signingKey`. */
  checkpointEvery?: number;
  /** Name given to sources in `setAuditHealth` (default `jsonl:<path>`). */
  id?: string;
  /** File-system seam (tests). Missing members fall back to `node:fs`. */
  fs?: Partial<AuditFs>;
  /** Clock for record times (default `Date.now`). */
  clock?: () => number;
}

/** Counters of a sink. */
export interface AuditSinkStats {
  /** Audit events appended (records of the log's own, `audit.start` / `audit.gap`, not included). */
  written: number;
  /** Events waiting in memory because writing fails. */
  buffered: number;
  /** Events that could not be kept (buffer full); each is recorded by an `audit.gap` line once writing resumes. */
  dropped: number;
  /** Failed write, fsync, rotation or checkpoint attempts. */
  failures: number;
  /** `audit.gap` lines written. */
  gaps: number;
  /** Rotations done. */
  rotations: number;
  /** False while writing fails. */
  healthy: boolean;
  /** Sequence number of the last line written to the OS (0 before the first). */
  lastSeq: number;
  /** Sequence number of the last line known to be on disk (fsynced). */
  syncedSeq: number;
  /** Signed `audit.checkpoint` records written (0 without `signingKey`). */
  signatures: number;
  /** Size of the current file in bytes. */
  bytes: number;
  /** The last failure's message. */
  lastError?: string;
  /** True once `close` was called; `write` then throws `E_CLOSED`. */
  closed: boolean;
}

/** Events of the sink itself (`sink.on('error', ...)`). */
export interface AuditSinkEventMap {
  /** Writing failed; `context` is `audit`, `file` the log. */
  error: ErrorEvent;
  /** Writing works again after failures; buffered events were written. */
  recovered: { time: string; file: string; written: number; dropped: number };
  /** The file was rotated to `file`. */
  rotated: { time: string; file: string; lastSeq: number };
}

/** A JSON Lines audit sink with a hash chain. */
export interface JsonlAuditSink {
  /** Name used in `setAuditHealth`. */
  readonly id: string;
  /** The log file. */
  readonly path: string;
  /**
   * Record every event `source` emits (all of `GateEventMap`). Returns a
   * function that detaches (and tells the source this sink no longer blocks it).
   */
  attach(source: AuditEventSource): () => void;
  /**
   * Record one event: it is serialised at once (later changes to the object
   * change nothing) and written with the other events of this event-loop turn
   * (see {@link FsyncMode}). Never throws for I/O failures (they become
   * `error` events); throws `E_CLOSED` after `close`.
   */
  write(event: AuditEvent): void;
  /** Write what is buffered, fsync and update the checkpoint. Rejects with `E_AUDIT_IO` if writing still fails. */
  flush(): Promise<void>;
  /**
   * Detach everything, flush what it can, fsync, write the checkpoint and close the file.
   * Resources are released either way; when buffered events could still not be
   * written, the sink emits `error` and the promise rejects with `E_AUDIT_IO`
   * saying how many were lost.
   */
  close(): Promise<void>;
  /** Current counters (see {@link AuditSinkStats}). */
  stats(): AuditSinkStats;
  /** Subscribe to the sink's own events; returns an unsubscribe function. */
  on<E extends keyof AuditSinkEventMap>(event: E, listener: (payload: AuditSinkEventMap[E]) => void): () => void;
}

/** First record of every log file. */
export interface AuditStartRecord {
  /** Discriminant: always `'audit.start'`. */
  type: 'audit.start';
  /** ISO 8601 time the file was started. */
  time: string;
  /** Format version of the log. */
  version: 1;
  /** Set when this file continues a chain (rotation, or a log file that disappeared): the previous file's last record. */
  previous?: { file: string; seq: number; hash: string };
}

/** Written when writing resumes after events had to be dropped: the log says so itself. */
export interface AuditGapRecord {
  /** Discriminant: always `'audit.gap'`. */
  type: 'audit.gap';
  /** ISO 8601 time the gap was recorded (when writing resumed). */
  time: string;
  /** Events that were not recorded. */
  dropped: number;
  /** Time of the first and last dropped event. */
  from: string;
  /** Time of the last dropped event (ISO 8601). */
  to: string;
  /** Dropped events by type. */
  types: Record<string, number>;
}

/**
 * A signed checkpoint (with `signingKey`): the sequence number and hash of the
 * line just before this record, signed with Ed25519. The signature covers the
 * whole chain up to that line.
 */
export interface AuditCheckpointRecord {
  /** Discriminant: always `'audit.checkpoint'`. */
  type: 'audit.checkpoint';
  /** ISO 8601 time the checkpoint was signed. */
  time: string;
  /** The line signed: the one before this record. */
  seq: number;
  /** Hash of the signed line, hex. */
  hash: string;
  /** Ed25519 signature (base64) of `geoadmit-audit-checkpoint/1 <seq> <hash>`. */
  signature: string;
  /** SHA-256 of the public key's SPKI DER encoding, hex. */
  publicKeyFingerprint: string;
}

/** A record the log writes about itself. */
type AuditMetaRecord = AuditStartRecord | AuditGapRecord | AuditCheckpointRecord;

/** One line of the log: `{"event":{...},"hash":"<hex>","prev":"<hex>","seq":12}` (canonical JSON). */
export interface AuditLine {
  /** Sequence number: one more than the line before it (a chain starts at 1). */
  seq: number;
  /** Hash of the previous line (64 zeros for the first line of a chain). */
  prev: string;
  /** SHA-256 (or HMAC-SHA-256) of the canonical JSON of `{ event, prev, seq }`, hex. */
  hash: string;
  /** The recorded audit event, or a record the log writes about itself. */
  event: AuditEvent | AuditMetaRecord;
}

/**
 * What is wrong with a log: a line `edited`, `missing`, `reordered` or
 * `inserted`; the tail `truncated`; a line `malformed` (not a record of this
 * format); the file `empty` (a sink always writes `audit.start` first);
 * `checkpoint` (the checkpoint's HMAC or signature does not verify: rewritten),
 * `checkpoint-missing` (no checkpoint file although a key or public key was
 * given); `signature` (a signed `audit.checkpoint` record does not verify:
 * forged, altered or signed by another key); `head` (the log does not contain
 * the head given as `expectHead`: cut short or rewritten after it was published);
 * `gap` (in a set of rotated files: a file is missing, out of order, or from
 * another chain — the message names the file).
 */
export type AuditProblem =
  | 'edited'
  | 'missing'
  | 'reordered'
  | 'inserted'
  | 'truncated'
  | 'malformed'
  | 'empty'
  | 'checkpoint'
  | 'checkpoint-missing'
  | 'signature'
  | 'head'
  | 'gap';

/** A position in a log's chain: a line's sequence number and hash. */
export interface AuditHead {
  /** The line's sequence number; 0 stands for the start of a chain, before any line. */
  seq: number;
  /** The line's hash, 64 hex digits. */
  hash: string;
}

/** What a verification can say of a log's signatures (see {@link AuditVerification.signatures}). */
export type AuditSignatures = 'verified' | 'unchecked' | 'none';

/** Options of {@link verifyAuditLog}. */
export interface VerifyAuditLogOptions {
  /** The checkpoint file (default `<path>.checkpoint`; `false` to ignore it). */
  checkpoint?: string | false;
  /** The HMAC key the sink was given; the checkpoint must then carry a valid HMAC. */
  key?: string | Uint8Array;
  /**
   * The Ed25519 public key of a signed log (`KeyObject`, or SPKI PEM text):
   * every `audit.checkpoint` record and the checkpoint file must carry a valid signature.
   */
  publicKey?: KeyObject | string;
  /**
   * A head published earlier (e.g. in a transparency report): the log must
   * contain this very line, or it fails with `problem: 'head'`.
   */
  expectHead?: AuditHead;
  /** Longest line accepted, in bytes (default 1 MiB); longer is `malformed`. */
  maxLineBytes?: number;
}

/** The answer of {@link verifyAuditLog}. */
export interface AuditVerification {
  /** True when every line verifies, the chain is complete and agrees with the checkpoint. */
  ok: boolean;
  /** Audit events in the verified part (the log's own records not counted). */
  events: number;
  /** Lines verified. */
  lines: number;
  /** What is wrong when `ok` is false (see {@link AuditProblem}); absent when the log verifies. */
  problem?: AuditProblem;
  /** 1-based line where the problem was found. */
  line?: number;
  /** Human-readable explanation of the problem, when there is one. */
  message?: string;
  /** Last verified sequence number and hash (the same as `head`; `undefined` for an empty file). */
  lastSeq?: number;
  /** Hash of the last verified line, hex (`undefined` for an empty file). */
  lastHash?: string;
  /** The last verified line (`{ seq: 0, hash: 64 zeros }` when none verified). */
  head: AuditHead;
  /**
   * What can be said of the log's signatures: `verified` (checked with the
   * `publicKey` given: `signedThrough` says how far they reach), `unchecked`
   * (the log carries signatures but no public key was given, so nothing
   * about them is known — a forger can leave old signatures in place), or
   * `none` (no signature in the log, or none verified with the key given).
   */
  signatures: AuditSignatures;
  /** With `publicKey`: the last sequence number covered by a valid signature (absent when none is). */
  signedThrough?: number;
  /**
   * With verified signatures: the lines after `signedThrough`, which no
   * signature covers (after a crash, or appended by someone without the
   * key), and the audit events among them. Absent when the signatures reach the last line.
   */
  unsignedTail?: { lines: number; events: number };
  /**
   * Fingerprint (SHA-256 of the SPKI DER, hex) of the `publicKey` that
   * verified the signatures — computed from that key, never read from the
   * log. Absent unless `signatures` is `verified`.
   */
  publicKeyFingerprint?: string;
  /**
   * The checkpoint's signature (base64) over `head`, when it signs the last
   * line and was verified with `publicKey`: what a transparency report commits to.
   */
  signature?: string;
  /** Sequence number of the file's first line (a rotated file continues the numbering of the one before). */
  firstSeq?: number;
  /** The file this one continues (its `audit.start` record's link): its name and last line. */
  previous?: { file: string; seq: number; hash: string };
  /** Whether a checkpoint was found and checked (`false`: a cut-off tail could not be detected). */
  checkpoint: boolean;
}
