import { basename } from 'node:path';
import { ErrorCode, GeoadmitError } from '../errors/index.js';
import { SafeEmitter } from '../internal/emitter.js';
import { type AuditEvent, type AuditEventSource, GATE_EVENT_TYPES } from '../events/types.js';
import { guardInput } from '../internal/options.js';
import type { AuditSinkEventMap, AuditSinkStats, FsyncMode, JsonlAuditSink, JsonlAuditSinkOptions } from './types.js';
import { type SinkConfig, readSinkOptions } from './internal/config.js';
import { chainToContinue, highestRotation, writeCheckpointFile } from './internal/continue.js';
import { type Batch, GapEntry, type LineKind, type QueueEntry, recordOf, SIGN } from './internal/queue.js';
import { LineEncoder } from './internal/encode.js';
import { LogFile } from './internal/file.js';
import { SinkHealth } from './internal/health.js';
import { flushOnExit } from './internal/exit.js';
import { checkpointPath, ZERO_HASH } from './internal/record.js';
import { serialiseRecord } from './internal/serialise.js';
import { errorText } from '../internal/objects.js';

/** A batch is written once it holds this many bytes (or at the end of the event-loop turn). */
const BATCH_BYTES = 1 << 16;
/** Events queued while healthy before they are written without waiting for the end of the turn. */
const BATCH_EVENTS = 512;
/** A signed checkpoint at least this often while events arrive. */
const SIGN_INTERVAL_MS = 60_000;

/**
 * Create a JSON Lines audit sink: one event a line, each line carrying a
 * sequence number, the hash of the line before and its own hash, so
 * {@link verifyAuditLog} detects an edited, removed, inserted or reordered
 * line; `<path>.checkpoint` (last seq and hash, replaced atomically; with
 * `key` authenticated by an HMAC, with `signingKey` signed) lets it detect a
 * truncated tail too.
 *
 * Each event is serialised and chained when it is recorded; lines are
 * written in batches (one `write` per event-loop turn or 64 KiB), so lines are
 * ordered and never interleaved, and a process `exit` handler writes what is
 * left. See {@link FsyncMode} for what a returned decision guarantees in each
 * fsync mode. An existing file is continued: its last line must verify (and
 * agree with its checkpoint), otherwise the sink refuses to open with
 * `E_AUDIT_IO` instead of extending a broken chain — move the file aside
 * after checking it with `verifyAuditLog`. A sink never signs what it did
 * not write: with `key` or `signingKey` the checkpoint must be there with a
 * valid HMAC / signature under this sink's key, and with `signingKey` no
 * unsigned line may follow the last signature (a crash before signing, or
 * lines someone appended). A file replaced underneath a running sink is
 * never continued: the sink reports an error and, once the path is free,
 * starts a new file linked to its own chain.
 *
 * A failing write is an `error` event on the sink, and attached sources are
 * told through `setAuditHealth` (with `whenUnwritable: 'deny'` the gate then
 * denies joins). Events are kept in a bounded buffer and written, in order,
 * once writing works again; those that did not fit are counted and recorded
 * by an `audit.gap` line.
 *
 * @throws GeoadmitError `E_INVALID_CONFIG` for bad or unknown options, `E_AUDIT_IO` when
 * the file cannot be opened or does not verify at its tail.
 * @example
 * const sink = createJsonlAuditSink('/var/log/geoadmit/audit.jsonl', {
 *   fsync: 'always',
 *   whenUnwritable: 'deny',
 *   signingKey: readFileSync('/etc/geoadmit/audit-signing.key', 'utf8'),
 * });
 * const detach = sink.attach(gate);
 * sink.on('error', (e) => log.warn(e.message));
 * // ...
 * await sink.close();
 */
export function createJsonlAuditSink(path: string, options: JsonlAuditSinkOptions = {}): JsonlAuditSink {
  // Options are read deep inside: a getter or Proxy trap that throws there is bad configuration, not a crash.
  return guardInput('createJsonlAuditSink', 'options', () => createUnguarded(path, options));
}

function createUnguarded(path: string, options: JsonlAuditSinkOptions): JsonlAuditSink {
  return new Sink(path, readSinkOptions(path, options));
}

class Sink implements JsonlAuditSink {
  readonly id: string;
  readonly path: string;
  readonly #c: SinkConfig;
  readonly #emitter = new SafeEmitter<AuditSinkEventMap>(() => {
    // A throwing listener of the sink's own events has nowhere better to go.
  });
  readonly #sources = new Map<AuditEventSource, () => void>();
  /** The file appended to, and its durability (internal/file.ts). */
  readonly #file: LogFile;
  /** The last line written: the head of the chain on disk (or in the OS). */
  #lastSeq = 0;
  #lastHash = ZERO_HASH;
  #lastKind: LineKind = 'start';
  #rotationIndex = 0;
  #needStart = false;
  /** File name the next `audit.start` record links to (the rotated or vanished file). */
  #previousFile = '';
  /**
   * Set when the open file was removed or replaced: the next file must be a
   * new one. Whatever now sits at the path was not written by this sink, and
   * continuing its chain would sign it.
   */
  #startFresh = false;
  #queue: QueueEntry[] = [];
  #bufferedEvents = 0;
  #inflight: Batch | undefined;
  #draining = false;
  #checkpointSeq = -1;
  #closed = false;
  #immediate: NodeJS.Immediate | undefined;
  readonly #tickTimer: NodeJS.Timeout;
  /** Stops flushing at process exit (one listener for all sinks: internal/exit.ts). */
  readonly #stopExitFlush: () => void;
  readonly #stats = {
    written: 0,
    dropped: 0,
    failures: 0,
    gaps: 0,
    rotations: 0,
    signatures: 0,
    lastError: undefined as string | undefined,
  };
  /** Failures, retries and recovery (internal/health.ts). */
  readonly #health: SinkHealth;
  /** Serialises, chains and signs what is queued (internal/encode.ts). */
  readonly #encoder: LineEncoder;
  /**
   * Events queued before they are written without waiting for the end of the
   * turn. With `whenUnwritable: 'deny'` every event is written at once: the
   * gate must learn of a failure before it decides the next join. The buffer
   * limit caps it too, so memory stays bounded before a failure is known.
   */
  readonly #batchEvents: number;

  constructor(path: string, config: SinkConfig) {
    this.path = path;
    this.id = config.id;
    this.#c = config;
    this.#batchEvents = config.policy === 'deny' ? 1 : Math.max(1, Math.min(BATCH_EVENTS, config.bufferLimit));
    this.#file = new LogFile(config.fs, path, config.fsyncMode);
    this.#health = new SinkHealth({
      id: this.id,
      path,
      policy: config.policy,
      retryMs: config.retryMs,
      clock: config.clock,
      stats: this.#stats,
      sources: () => this.#sources.keys(),
      retry: () => this.#drain(),
      closed: () => this.#closed,
      emitError: (event) => this.#emitter.emit('error', event),
      emitRecovered: (payload) => this.#emitter.emit('recovered', payload),
    });
    this.#encoder = new LineEncoder(config.hasher, config.signer, config.checkpointEvery, config.clock);
    this.#rotationIndex = this.#highestRotation();
    this.#open();
    this.#drain();
    // With a key or a signature a missing checkpoint fails verification: have one from the start.
    if (config.key !== undefined || config.signer !== undefined) {
      try {
        this.#writeCheckpoint();
      } catch (error) {
        this.#fail(error);
      }
    }
    this.#tickTimer = setInterval(() => this.#tick(), config.tickMs);
    this.#tickTimer.unref();
    this.#stopExitFlush = flushOnExit(() => {
      this.#requestSignature();
      this.#syncFlush();
    });
  }

  attach(source: AuditEventSource): () => void {
    if (this.#closed) throw new GeoadmitError(ErrorCode.Closed, `audit sink ${this.path} is closed`, { file: this.path });
    this.#sources.get(source)?.();
    const offs = GATE_EVENT_TYPES.map((type) => source.on(type, (event: AuditEvent) => this.write(event)));
    const detach = (): void => {
      if (this.#sources.get(source) !== detach) return;
      this.#sources.delete(source);
      for (const off of offs) off();
      // A detached sink must not keep the gate denying joins.
      source.setAuditHealth?.(this.id, true, this.#c.policy);
    };
    this.#sources.set(source, detach);
    source.setAuditHealth?.(this.id, this.#health.healthy, this.#c.policy);
    return detach;
  }

  write(event: AuditEvent): void {
    if (this.#closed) throw new GeoadmitError(ErrorCode.Closed, `audit sink ${this.path} is closed`, { file: this.path });
    this.#enqueue(event);
    // While failing, writes wait for the retry timer rather than hammering a broken disk per event.
    if (!this.#health.healthy) return;
    if (this.#queue.length >= this.#batchEvents) this.#drain();
    else this.#schedule();
  }

  async flush(): Promise<void> {
    this.#syncFlush();
    if (!this.#health.healthy || this.#queue.length > 0 || this.#inflight !== undefined) {
      throw new GeoadmitError(
        ErrorCode.AuditIo,
        `audit log ${this.path}: ${this.#bufferedEvents} event(s) could not be written: ${this.#stats.lastError ?? 'unknown error'}`,
        { file: this.path },
      );
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    for (const detach of [...this.#sources.values()]) detach();
    this.#requestSignature();
    this.#syncFlush();
    // Whatever is still queued now is lost with the sink: say so rather than resolve as if it were recorded.
    const unwritten = this.#bufferedEvents;
    const dropped = this.#queue.reduce((n: number, entry) => (entry instanceof GapEntry ? n + entry.dropped : n), 0);
    this.#closed = true;
    clearInterval(this.#tickTimer);
    this.#health.stop();
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#stopExitFlush();
    this.#closeFd();
    let failure: GeoadmitError | undefined;
    if (unwritten > 0 || dropped > 0) {
      const lost = dropped > 0 ? ` (and the audit.gap record of ${dropped} event(s) dropped earlier)` : '';
      const message = `audit log ${this.path}: closed with ${unwritten} event(s) not written${lost}: ${this.#stats.lastError ?? 'unknown error'}`;
      failure = new GeoadmitError(ErrorCode.AuditIo, message, { file: this.path });
      this.#emitter.emit('error', {
        type: 'error',
        time: this.#now(),
        context: 'audit',
        message,
        code: ErrorCode.AuditIo,
        file: this.path,
        error: failure,
      });
    }
    this.#emitter.removeAll();
    if (failure !== undefined) throw failure;
  }

  stats(): AuditSinkStats {
    const s: AuditSinkStats = {
      written: this.#stats.written,
      buffered: this.#bufferedEvents,
      dropped: this.#stats.dropped,
      failures: this.#stats.failures,
      gaps: this.#stats.gaps,
      rotations: this.#stats.rotations,
      healthy: this.#health.healthy,
      lastSeq: this.#lastSeq,
      syncedSeq: this.#file.syncedSeq,
      signatures: this.#stats.signatures,
      bytes: this.#file.bytes,
      closed: this.#closed,
    };
    if (this.#stats.lastError !== undefined) s.lastError = this.#stats.lastError;
    return s;
  }

  on<E extends keyof AuditSinkEventMap>(event: E, listener: (payload: AuditSinkEventMap[E]) => void): () => void {
    return this.#emitter.on(event, listener);
  }

  // --- opening -------------------------------------------------------------

  /** Open the log for appending, continuing an existing chain (internal/continue.ts) or starting one. */
  #open(): void {
    try {
      const found = chainToContinue(this.path, { lastSeq: this.#lastSeq, rotationIndex: this.#rotationIndex, startFresh: this.#startFresh }, this.#c);
      if (found !== undefined) {
        const { tail } = found;
        this.#lastSeq = tail.seq;
        this.#lastHash = tail.hash;
        this.#lastKind = tail.signed ? 'sign' : 'event';
        this.#encoder.unsignedLines = tail.signed ? 0 : 1;
        this.#checkpointSeq = tail.checkpointed && found.rotated === undefined ? tail.seq : -1;
        if (found.rotated !== undefined) this.#previousFile = basename(found.rotated);
      }
      this.#file.open();
      this.#startFresh = false;
    } catch (error) {
      if (error instanceof GeoadmitError) throw error;
      const message = errorText(error);
      throw new GeoadmitError(ErrorCode.AuditIo, `cannot open audit log ${this.path}: ${message}`, { file: this.path, cause: error });
    }
    this.#needStart = this.#file.bytes === 0;
    // What is on disk before this process wrote anything counts as synced.
    this.#file.syncedSeq = this.#lastSeq;
  }

  #highestRotation(): number {
    return highestRotation(this.#c.fs, this.path);
  }

  // --- writing -------------------------------------------------------------

  #enqueue(event: AuditEvent): void {
    // Full while failing: the disk may be back, so try before dropping anything.
    if (this.#bufferedEvents >= this.#c.bufferLimit && !this.#health.healthy) this.#drain();
    if (this.#health.healthy || this.#bufferedEvents < this.#c.bufferLimit) {
      this.#queue.push(serialiseRecord(recordOf(event)));
      this.#bufferedEvents++;
      return;
    }
    // No room: count it, in a gap entry at the queue's tail so the gap line lands where the events were lost.
    this.#stats.dropped++;
    this.#health.droppedInOutage++;
    const time = typeof event.time === 'string' ? event.time : new Date(this.#c.clock()).toISOString();
    const tailEntry = this.#queue.at(-1);
    if (tailEntry instanceof GapEntry) {
      tailEntry.dropped++;
      tailEntry.to = time;
      tailEntry.types[event.type] = (tailEntry.types[event.type] ?? 0) + 1;
    } else {
      this.#queue.push(new GapEntry(time, event.type));
    }
  }

  /** Write what was recorded in this event-loop turn at its end, in one batch. */
  #schedule(): void {
    if (this.#immediate !== undefined) return;
    this.#immediate = setImmediate(() => {
      this.#immediate = undefined;
      if (this.#health.healthy && !this.#closed) this.#drain();
    });
    // The exit handler writes what is left; a pending batch must not keep the process alive.
    this.#immediate.unref();
  }

  /** Ask for a signed checkpoint record after the lines recorded so far (when anything is unsigned). */
  #requestSignature(): void {
    if (this.#closed || this.#c.signer === undefined) return;
    if (this.#encoder.unsignedLines === 0 && this.#queue.every((e) => e === SIGN)) return;
    if (this.#queue.at(-1) === SIGN) return;
    this.#queue.push(SIGN);
  }

  #now(): string {
    return new Date(this.#c.clock()).toISOString();
  }

  /**
   * Encode queue entries into one batch, chained from the head written so
   * far: up to {@link BATCH_BYTES}, and never across the rotation size
   * (internal/encode.ts).
   */
  #encodeBatch(onlySign = false): Batch | undefined {
    const limit = this.#c.maxBytes === undefined ? BATCH_BYTES : Math.min(BATCH_BYTES, Math.max(1, this.#c.maxBytes - this.#file.bytes));
    const head = { seq: this.#lastSeq, hash: this.#lastHash, kind: this.#lastKind };
    const start = this.#needStart ? { previousFile: this.#previousFile } : undefined;
    return this.#encoder.encode(this.#queue, head, start, limit, onlySign);
  }

  /** Write everything queued, in order. Returns false when a write failed. */
  #drain(): boolean {
    if (this.#draining || this.#closed) return this.#health.healthy;
    this.#draining = true;
    try {
      for (;;) {
        if (this.#file.fd === undefined) this.#open();
        if (this.#inflight === undefined) {
          if (this.#c.maxBytes !== undefined && this.#file.bytes >= this.#c.maxBytes && !this.#needStart && this.#lastKind !== 'start') {
            // A full file ends with a signature over all of it, then moves aside.
            if (this.#c.signer !== undefined && this.#lastKind !== 'sign') this.#inflight = this.#encodeBatch(true);
            if (this.#inflight === undefined) {
              this.#rotate();
              continue;
            }
          } else {
            this.#inflight = this.#encodeBatch();
          }
        }
        const batch = this.#inflight;
        if (batch === undefined) break;
        this.#file.write(batch);
        this.#commit(batch);
      }
    } catch (error) {
      this.#fail(error);
      return false;
    } finally {
      this.#draining = false;
    }
    if (this.#c.fsyncMode === 'always') this.#groupCommit();
    if (!this.#health.healthy) this.#health.recover();
    return true;
  }

  #commit(batch: Batch): void {
    this.#inflight = undefined;
    this.#lastSeq = batch.lastSeq;
    this.#lastHash = batch.lastHash;
    this.#lastKind = batch.lastKind;
    this.#file.bytes += batch.bytes.length;
    this.#file.dirty = true;
    if (batch.start) this.#needStart = false;
    this.#bufferedEvents -= batch.events;
    this.#stats.written += batch.events;
    this.#stats.gaps += batch.gaps;
    this.#stats.signatures += batch.signs;
  }

  /** `fsync: 'always'`: group commit (internal/file.ts). */
  #groupCommit(): void {
    this.#file.groupCommit(
      () => this.#lastSeq,
      () => this.#closed,
      (error) => this.#fail(error),
    );
  }

  #closeFd(): void {
    this.#file.close();
  }

  #fsyncNow(): void {
    this.#file.fsyncNow(this.#lastSeq);
  }

  /** Move the full file to `<path>.<n>` with its checkpoint; the next line starts a new file linked to it. */
  #rotate(): void {
    const { fs } = this.#c;
    this.#fsyncNow();
    this.#writeCheckpoint();
    const n = this.#rotationIndex + 1;
    const target = `${this.path}.${n}`;
    if (fs.statSync(target) !== undefined) {
      // Someone else made that name since we looked: never overwrite, move past it on the retry.
      this.#rotationIndex = Math.max(n, this.#highestRotation());
      throw new Error(`cannot rotate: ${target} already exists`);
    }
    this.#closeFd();
    fs.renameSync(this.path, target);
    this.#rotationIndex = n;
    this.#previousFile = basename(target);
    if (this.#c.checkpoint) fs.renameSync(checkpointPath(this.path), checkpointPath(target));
    this.#checkpointSeq = -1;
    this.#stats.rotations++;
    this.#emitter.emit('rotated', { time: this.#now(), file: target, lastSeq: this.#lastSeq });
  }

  #fail(error: unknown): void {
    this.#health.fail(error);
  }

  // --- durability ----------------------------------------------------------

  /** Timer: fsync, notice a removed file, sign at least once a minute, keep the checkpoint current. */
  #tick(): void {
    if (this.#closed) return;
    try {
      this.#checkIdentity();
      if (this.#c.signer !== undefined && this.#encoder.unsignedEvents > 0 && this.#c.clock() - this.#encoder.lastSignAt >= SIGN_INTERVAL_MS) {
        this.#requestSignature();
        if (this.#health.healthy && !this.#drain()) return;
      }
      if (this.#file.fd !== undefined && this.#file.dirty) this.#fsyncNow();
      this.#writeCheckpoint();
    } catch (error) {
      this.#fail(error);
    }
  }

  /**
   * Writes to a file that was deleted or renamed away still succeed, into a
   * file nobody will read: notice it, say so, and start a new file at the
   * path whose first record links to the chain so far.
   */
  #checkIdentity(): void {
    if (this.#file.fd === undefined) return;
    const st = this.#c.fs.statSync(this.path);
    if (st !== undefined && st.ino === this.#file.ino.ino && st.dev === this.#file.ino.dev) return;
    this.#closeFd();
    this.#previousFile = basename(this.path);
    this.#checkpointSeq = -1;
    this.#startFresh = st !== undefined;
    throw new Error('the log file was removed or replaced while open; lines written since are not in it, a new file continues the chain');
  }

  /**
   * Replace the checkpoint atomically (temp file, fsync, rename) when it is
   * behind: the head, with an HMAC of it (`key`) and a signature (`signingKey`).
   */
  #writeCheckpoint(): void {
    if (!this.#c.checkpoint || this.#file.fd === undefined || this.#checkpointSeq === this.#lastSeq || this.#lastSeq === 0) return;
    writeCheckpointFile(this.path, this.#lastSeq, this.#lastHash, this.#now(), this.#c);
    this.#checkpointSeq = this.#lastSeq;
  }

  /** Synchronous flush: used by `flush`, `close` and the process `exit` handler. */
  #syncFlush(): void {
    if (this.#closed) return;
    if (!this.#drain()) return;
    try {
      if (this.#file.dirty) this.#fsyncNow();
      this.#writeCheckpoint();
    } catch (error) {
      this.#fail(error);
    }
  }
}
