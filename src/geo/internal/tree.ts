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
export class SearchTree {
  /** Prefix length of the last walk. */
  depth = 0;
  /** Record slot (node * 2 + side) the last walk ended on; -1 when it ended before reading one. */
  slot = -1;

  readonly #buf: Buffer;
  readonly #nodeCount: number;
  readonly #recordSize: 24 | 28 | 32;
  readonly #ipv4Start: number;
  readonly #ipv4StartSlot: number;
  readonly #dataStart: number;
  readonly #dataEnd: number;
  readonly #treeSize: number;

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
    this.#ipv4Start = node;
    this.#ipv4StartSlot = slot;
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
    let node = this.#ipv4Start;
    let slot = this.#ipv4StartSlot;
    let depth = 0;
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
    let node = 0;
    let slot = -1;
    let depth = 0;
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
