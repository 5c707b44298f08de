/**
 * A direct walk of a MaxMind DB search tree over the file's Buffer, from an
 * already parsed address (a uint32 for IPv4, four uint32 words for IPv6).
 *
 * Why not `reader.getWithPrefixLength(text)`: the reader re-parses the text
 * (most of its per-call cost), allocates a byte array and a result tuple, and
 * accepts spellings we refuse. Here the address is parsed once, strictly, by
 * the caller; the walk allocates nothing and reports, besides the record
 * value, the prefix length and the record's slot (node * 2 + side), which
 * identifies the answering network and so keys the resolver's memo.
 *
 * The walk follows mmdb-lib's reader exactly (IPv4 addresses start at the
 * node reached by 96 left turns in an IPv6 tree; prefix lengths of IPv4
 * lookups count from there), so both agree on every lookup (property-tested).
 */
/** Bits resolved by one table lookup before the walk starts: 2^16 entries per table. */
const JUMP_BITS = 16;

/**
 * Where a walk stands after its first {@link JUMP_BITS} bits, for every
 * value of those bits: the record value reached (a node to continue from, or
 * a terminal value when the walk ended sooner), the depth and the slot.
 */
interface JumpTable {
  readonly value: Int32Array;
  readonly depth: Uint8Array;
  readonly slot: Int32Array;
}

export class SearchTree {
  /** Prefix length of the last walk. */
  depth = 0;
  /** Record slot (node * 2 + side) the last walk ended on; -1 when it ended before reading one. */
  slot = -1;

  readonly #buf: Buffer;
  readonly #nodeCount: number;
  readonly #recordSize: 24 | 28 | 32;
  readonly #dataStart: number;
  readonly #dataEnd: number;
  readonly #treeSize: number;
  // The first 16 levels are the same few nodes for every lookup but still one dependent
  // memory load each; a table indexed by the top 16 bits replaces them with one load.
  readonly #jump4: JumpTable;
  readonly #jump6: JumpTable;

  /**
   * @param dataEnd offset of the metadata marker: no record may lie at or after it.
   */
  constructor(buf: Buffer, nodeCount: number, recordSize: 24 | 28 | 32, ipVersion: 4 | 6, treeSize: number, dataEnd: number) {
    this.#buf = buf;
    this.#nodeCount = nodeCount;
    this.#recordSize = recordSize;
    this.#treeSize = treeSize;
    this.#dataStart = treeSize + 16;
    this.#dataEnd = dataEnd;
    let node = 0;
    let slot = -1;
    if (ipVersion === 6) {
      for (let i = 0; i < 96 && node < nodeCount; i++) {
        slot = node * 2;
        node = this.#record(node, 0);
      }
    }
    this.#jump4 = this.#buildJump(node, slot);
    this.#jump6 = ipVersion === 6 ? this.#buildJump(0, -1) : this.#jump4;
  }

  #buildJump(start: number, startSlot: number): JumpTable {
    const size = 1 << JUMP_BITS;
    const table: JumpTable = { value: new Int32Array(size), depth: new Uint8Array(size), slot: new Int32Array(size) };
    const nodeCount = this.#nodeCount;
    for (let p = 0; p < size; p++) {
      let node = start;
      let slot = startSlot;
      let depth = 0;
      for (; depth < JUMP_BITS && node < nodeCount; depth++) {
        const side = (p >>> (JUMP_BITS - 1 - depth)) & 1;
        slot = node * 2 + side;
        node = this.#record(node, side);
      }
      // Record values are below 2^32 but a 32-bit record can exceed 2^31: store as int32, read back with >>> 0.
      table.value[p] = node | 0;
      table.depth[p] = depth;
      table.slot[p] = slot;
    }
    return table;
  }

  /** Record `side` (0 left, 1 right) of `node`; the caller guarantees `node < nodeCount`. */
  #record(node: number, side: number): number {
    const b = this.#buf;
    switch (this.#recordSize) {
      case 24: {
        const o = node * 6 + side * 3;
        return ((b[o] as number) << 16) | ((b[o + 1] as number) << 8) | (b[o + 2] as number);
      }
      case 28: {
        const o = node * 7;
        const middle = b[o + 3] as number;
        return side === 0
          ? ((middle & 0xf0) << 20) | ((b[o] as number) << 16) | ((b[o + 1] as number) << 8) | (b[o + 2] as number)
          : ((middle & 0x0f) << 24) | ((b[o + 4] as number) << 16) | ((b[o + 5] as number) << 8) | (b[o + 6] as number);
      }
      case 32: {
        const o = node * 8 + side * 4;
        return (((b[o] as number) << 24) | ((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number)) >>> 0;
      }
    }
  }

  /**
   * Walk an IPv4 address. Returns the record value: greater than the node
   * count for a data pointer, otherwise "no data". Sets {@link depth} and
   * {@link slot}.
   */
  walk4(v4: number): number {
    const nodeCount = this.#nodeCount;
    const jump = this.#jump4;
    const top = v4 >>> (32 - JUMP_BITS);
    let node = (jump.value[top] as number) >>> 0;
    let slot = jump.slot[top] as number;
    let depth = jump.depth[top] as number;
    for (; depth < 32 && node < nodeCount; depth++) {
      const side = (v4 >>> (31 - depth)) & 1;
      slot = node * 2 + side;
      node = this.#record(node, side);
    }
    this.depth = depth;
    this.slot = slot;
    return node;
  }

  /** Walk an IPv6 address given as four big-endian uint32 words. As {@link walk4}. */
  walk6(w: Uint32Array): number {
    const nodeCount = this.#nodeCount;
    const jump = this.#jump6;
    const top = (w[0] as number) >>> (32 - JUMP_BITS);
    let node = (jump.value[top] as number) >>> 0;
    let slot = jump.slot[top] as number;
    let depth = jump.depth[top] as number;
    for (; depth < 128 && node < nodeCount; depth++) {
      const side = ((w[depth >>> 5] as number) >>> (31 - (depth & 31))) & 1;
      slot = node * 2 + side;
      node = this.#record(node, side);
    }
    this.depth = depth;
    this.slot = slot;
    return node;
  }

  /** True when a walk's result is a data pointer. */
  isData(value: number): boolean {
    return value > this.#nodeCount;
  }

  /**
   * The file offset a data pointer refers to. Throws when it lies outside the
   * data section, which only an unchecked (`verify: false`) damaged file can
   * produce; the resolver turns that into `lookup-error`.
   */
  dataOffset(pointer: number): number {
    const at = pointer - this.#nodeCount + this.#treeSize;
    if (at < this.#dataStart || at >= this.#dataEnd) throw new RangeError(`data pointer ${pointer} lies outside the data section`);
    return at;
  }
}
