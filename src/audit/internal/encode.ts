/**
 * Serialising the sink's queue into lines: each entry chained to the line
 * before (sequence number, previous hash, its own hash), and signed
 * checkpoint records where they are due. Apart from writing (the sink), as a
 * logger's serialiser is apart from its destination: the encoder never
 * touches a file, the sink never builds a line.
 */
import type { AuditCheckpointRecord, AuditGapRecord, AuditStartRecord } from '../types.js';
import { type Batch, GapEntry, type LineKind, type QueueEntry, SIGN } from './queue.js';
import { encodeLine, encodeSerialised, type LineHasher } from './record.js';
import type { CheckpointSigner } from './signing.js';

/** The last line written: what the next batch is chained from. */
interface ChainHead {
  seq: number;
  hash: string;
  kind: LineKind;
}

/** Chains and signs queue entries into batches of lines. */
export class LineEncoder {
  /** Lines after the last signature. */
  unsignedLines = 0;
  /** Events after the last signature. */
  unsignedEvents = 0;
  /** When the last signature was encoded (clock milliseconds). */
  lastSignAt: number;
  readonly #hasher: LineHasher;
  readonly #signer: CheckpointSigner | undefined;
  readonly #checkpointEvery: number;
  readonly #clock: () => number;

  constructor(hasher: LineHasher, signer: CheckpointSigner | undefined, checkpointEvery: number, clock: () => number) {
    this.#hasher = hasher;
    this.#signer = signer;
    this.#checkpointEvery = checkpointEvery;
    this.#clock = clock;
    this.lastSignAt = clock();
  }

  #now(): string {
    return new Date(this.#clock()).toISOString();
  }

  /**
   * Encode entries from the front of `queue` (removing them) into one batch chained from `head`:
   * up to `limit` characters. With `start`, the batch opens with an `audit.start` record linking to
   * the file before (when the chain already has lines). A signed checkpoint record follows every
   * `checkpointEvery` events. `onlySign`: only a signature over what is unsigned.
   */
  encode(queue: QueueEntry[], head: ChainHead, start: { previousFile: string } | undefined, limit: number, onlySign: boolean): Batch | undefined {
    const hasher = this.#hasher;
    const signer = this.#signer;
    let seq = head.seq;
    let hash = head.hash;
    let kind: LineKind = head.kind;
    let text = '';
    let length = 0;
    let events = 0;
    let gaps = 0;
    let signs = 0;
    let consumed = 0;
    let started = false;
    const add = (record: object | string, lineKind: LineKind): void => {
      const line = typeof record === 'string' ? encodeSerialised(record, seq + 1, hash, hasher) : encodeLine(record, seq + 1, hash, hasher);
      seq = line.seq;
      hash = line.hash;
      kind = lineKind;
      text += line.text;
      length += line.text.length;
      if (lineKind === 'sign') {
        this.unsignedLines = 0;
        this.unsignedEvents = 0;
        this.lastSignAt = this.#clock();
        signs++;
      } else {
        this.unsignedLines++;
        if (lineKind === 'event') this.unsignedEvents++;
      }
    };
    const sign = (): void => {
      if (signer === undefined || this.unsignedLines === 0) return;
      const record: AuditCheckpointRecord = {
        type: 'audit.checkpoint',
        time: this.#now(),
        seq,
        hash,
        signature: signer.sign(seq, hash),
        publicKeyFingerprint: signer.fingerprint,
      };
      add(record, 'sign');
    };
    if (onlySign) {
      sign();
    } else {
      if (start !== undefined) {
        const record: AuditStartRecord = { type: 'audit.start', time: this.#now(), version: 1 };
        if (head.seq > 0) record.previous = { file: start.previousFile, seq: head.seq, hash: head.hash };
        add(record, 'start');
        started = true;
      }
      while (consumed < queue.length && length < limit) {
        const entry = queue[consumed] as QueueEntry;
        consumed++;
        if (entry === SIGN) {
          sign();
        } else if (entry instanceof GapEntry) {
          const gap: AuditGapRecord = {
            type: 'audit.gap',
            time: this.#now(),
            dropped: entry.dropped,
            from: entry.from,
            to: entry.to,
            types: entry.types,
          };
          add(gap, 'gap');
          gaps++;
        } else if (typeof entry === 'string') {
          add(entry, 'event');
          events++;
          if (signer !== undefined && this.unsignedEvents >= this.#checkpointEvery) sign();
        }
      }
    }
    if (consumed > 0) queue.splice(0, consumed);
    if (length === 0) return undefined;
    // Line text is mostly ASCII: `length` is a lower bound of the bytes, the buffer is exact.
    const bytes = Buffer.from(text, 'utf8');
    return { bytes, offset: 0, events, gaps, signs, start: started, lastSeq: seq, lastHash: hash, lastKind: kind };
  }
}
