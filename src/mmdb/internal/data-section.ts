import { ErrorCode, GeoadmitError } from '../../errors/index.js';
import { controlBytes, DataType, type EncodedNode } from './values.js';

/** Bytes a pointer to data-section offset `offset` takes (MaxMind DB spec, "Pointers"). */
function pointerLength(offset: number): number {
  if (offset < 2048) return 2;
  if (offset < 526_336) return 3;
  if (offset < 526_336 + 2 ** 27) return 4;
  return 5;
}

/**
 * Writes encoded values into a growing buffer. With `dedupe`, a value whose
 * encoding was already written is replaced by a pointer to the earlier copy
 * when the pointer is shorter; whole records that repeat are stored once.
 * Pointers only ever target inline values, never other pointers (the spec
 * forbids pointer chains).
 */
export class DataSectionWriter {
  #buffer = Buffer.alloc(64 * 1024);
  #length = 0;
  readonly #written: Map<string, number> | undefined;

  constructor(dedupe: boolean) {
    this.#written = dedupe ? new Map() : undefined;
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#length;
  }

  /** Writes a top-level value (a record) and returns its offset; an identical record written before is reused. */
  writeRecord(node: EncodedNode): number {
    const existing = this.#written?.get(node.key);
    if (existing !== undefined) return existing;
    const offset = this.#length;
    this.#writeInline(node);
    return offset;
  }

  /** The bytes written, without copying. */
  bytes(): Buffer {
    return this.#buffer.subarray(0, this.#length);
  }

  #write(node: EncodedNode): void {
    const existing = this.#written?.get(node.key);
    if (existing !== undefined) {
      const worthIt = node.kind !== 'leaf' || pointerLength(existing) < node.bytes.length;
      if (worthIt) {
        this.#writePointer(existing);
        return;
      }
    }
    this.#writeInline(node);
  }

  #writeInline(node: EncodedNode): void {
    const offset = this.#length;
    if (node.kind === 'leaf') {
      this.#append(node.bytes);
    } else {
      const pairs = node.kind === 'map' ? node.children.length / 2 : node.children.length;
      this.#append(controlBytes(node.kind === 'map' ? DataType.Map : DataType.Array, pairs));
      for (const child of node.children) this.#write(child);
    }
    // Only values a pointer would shorten are worth remembering.
    const bigEnough = node.kind === 'leaf' ? node.bytes.length > 2 : node.children.length > 0;
    if (this.#written && bigEnough && !this.#written.has(node.key)) this.#written.set(node.key, offset);
  }

  #writePointer(offset: number): void {
    if (offset < 2048) {
      this.#append([0x20 | (offset >> 8), offset & 0xff]);
    } else if (offset < 526_336) {
      const v = offset - 2048;
      this.#append([0x28 | (v >> 16), (v >> 8) & 0xff, v & 0xff]);
    } else if (offset < 526_336 + 2 ** 27) {
      const v = offset - 526_336;
      this.#append([0x30 | (v >>> 24), (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);
    } else {
      this.#append([0x38, (offset >>> 24) & 0xff, (offset >> 16) & 0xff, (offset >> 8) & 0xff, offset & 0xff]);
    }
  }

  #append(bytes: Uint8Array | readonly number[]): void {
    const needed = this.#length + bytes.length;
    if (needed > 0xffff_ffff) {
      // Pointers and tree records address at most 4 GiB of data.
      throw new GeoadmitError(ErrorCode.InvalidDatabaseInput, 'the data section would exceed 4 GiB, the most the format can address');
    }
    if (needed > this.#buffer.length) {
      const grown = Buffer.alloc(Math.max(needed, this.#buffer.length * 2));
      this.#buffer.copy(grown, 0, 0, this.#length);
      this.#buffer = grown;
    }
    if (bytes instanceof Uint8Array) this.#buffer.set(bytes, this.#length);
    else for (let i = 0; i < bytes.length; i++) this.#buffer[this.#length + i] = bytes[i] as number;
    this.#length = needed;
  }
}
