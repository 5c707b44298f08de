/**
 * The file an audit sink appends to: its descriptor, its identity (to notice
 * it being removed or replaced), its size, and making what was written
 * durable — one fsync at a time, shared by every line written while it runs
 * (group commit). What the lines say is the sink's business, not this one's.
 */
import type { AuditFs, FsyncMode } from '../types.js';
import type { Batch } from './queue.js';

/** The open log file and how far it is on disk. */
export class LogFile {
  /** The descriptor, while open. */
  fd: number | undefined;
  /** Bumped whenever the descriptor changes, so a late asynchronous fsync is not mistaken for the current file's. */
  generation = 0;
  /** Identity of the open file, to notice it being removed or replaced. */
  ino = { ino: 0, dev: 0 };
  /** Bytes in the file. */
  bytes = 0;
  /** Written since the last fsync. */
  dirty = false;
  /** The last sequence number known to be on disk. */
  syncedSeq = 0;
  #syncing = false;
  readonly #fs: AuditFs;
  readonly #path: string;
  readonly #fsyncMode: FsyncMode;

  constructor(fs: AuditFs, path: string, fsyncMode: FsyncMode) {
    this.#fs = fs;
    this.#path = path;
    this.#fsyncMode = fsyncMode;
  }

  /** Open the path for appending. */
  open(): void {
    const fd = this.#fs.openSync(this.#path, 'a');
    this.fd = fd;
    this.generation++;
    const id = this.#fs.fstatSync(fd);
    this.ino = { ino: id.ino, dev: id.dev };
    this.bytes = id.size;
  }

  /** Write what is left of `batch` (from its offset). */
  write(batch: Batch): void {
    const fd = this.fd as number;
    while (batch.offset < batch.bytes.length) {
      // writeSync may write part of a buffer; the rest follows, also on a retry after a failure.
      batch.offset += this.#fs.writeSync(fd, batch.offset === 0 ? batch.bytes : batch.bytes.subarray(batch.offset));
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    this.generation++;
    try {
      this.#fs.closeSync(fd);
    } catch {
      // Closing is best effort: the lines were written (and synced as configured) before.
    }
  }

  /** fsync now (unless `fsync: 'never'`): everything up to `lastSeq` is on disk. */
  fsyncNow(lastSeq: number): void {
    if (this.fd === undefined) return;
    if (this.#fsyncMode !== 'never') {
      this.#fs.fsyncSync(this.fd);
      this.syncedSeq = lastSeq;
    }
    this.dirty = false;
  }

  /**
   * `fsync: 'always'`: one fsync, off the event loop, for every line written
   * so far; lines written while it runs share the next one.
   */
  groupCommit(lastSeq: () => number, closed: () => boolean, onError: (error: unknown) => void): void {
    if (this.#syncing || this.fd === undefined || this.syncedSeq >= lastSeq()) return;
    this.#syncing = true;
    const target = lastSeq();
    const generation = this.generation;
    this.#fs.fsync(this.fd, (error) => {
      this.#syncing = false;
      if (closed()) return;
      // The file was rotated or reopened meanwhile: that path fsynced it synchronously.
      if (generation !== this.generation) return this.groupCommit(lastSeq, closed, onError);
      if (error !== null) return onError(error);
      if (target > this.syncedSeq) this.syncedSeq = target;
      if (target === lastSeq()) this.dirty = false;
      this.groupCommit(lastSeq, closed, onError);
    });
  }
}
