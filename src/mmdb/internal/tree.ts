import { ErrorCode, GeoadmitError } from '../../errors/index.js';

/** Record value for "no data here". */
const EMPTY = -1;
// Records live in one Int32Array, two per node: a value >= 0 is a node number,
// EMPTY is no data, and -(entry + 2) is the data of input entry `entry`.
const dataRecord = (entry: number): number => -(entry + 2);
const entryOf = (record: number): number => -record - 2;

/** How a tree reports the networks involved in a conflict. */
interface EntryLabels {
  /** e.g. `entries[3] (1.2.4.0/24)` */
  label(entry: number): string;
  /** JSON path of the entry's network, for `GeoadmitError.path`. */
  path(entry: number): string;
}

/**
 * The binary search tree of a MaxMind DB under construction: one level per
 * address bit, nodes allocated on demand in typed arrays so a large table
 * costs a few bytes per node rather than an object per bit.
 */
export class SearchTree {
  #records = new Int32Array(2 * 1024).fill(EMPTY);
  #count = 1; // node 0 is the root
  // Prefix length (in tree bits) of each inserted entry: tells a pushed-down
  // covering record from a duplicate of the same network.
  readonly #prefixes: number[] = [];
  readonly #mostSpecificWins: boolean;
  readonly #labels: EntryLabels;

  constructor(mostSpecificWins: boolean, labels: EntryLabels) {
    this.#mostSpecificWins = mostSpecificWins;
    this.#labels = labels;
  }

  /** Number of nodes allocated. */
  get nodeCount(): number {
    return this.#count;
  }

  /** Stores `entry` for the network `bytes/prefix` (`bytes` as long as the tree is deep). */
  insert(bytes: Uint8Array, prefix: number, entry: number): void {
    this.#prefixes[entry] = prefix;
    if (prefix === 0) {
      // A /0 is no single record: it is both halves under the root.
      this.#place(0, prefix, entry);
      this.#place(1, prefix, entry);
      return;
    }
    this.#place(this.#descend(bytes, prefix, entry), prefix, entry);
  }

  /**
   * Makes the range `bytes/prefix` answer exactly as `source/sourcePrefix`
   * does, by pointing its record at the same node (no copy). Used for the
   * IPv4-mapped (and 6to4) views of the IPv4 data; call after every insert.
   */
  alias(bytes: Uint8Array, prefix: number, name: string, source: Uint8Array, sourcePrefix: number): void {
    const target = this.#recordAt(source, sourcePrefix);
    if (target === EMPTY) return;
    const conflict = (entry: number): never => this.#conflict(`${this.#labels.label(entry)} overlaps ${name}, where the IPv4 data is aliased`, entry);
    const slot = this.#descend(bytes, prefix, -1, conflict);
    const existing = this.#records[slot] as number;
    if (existing === EMPTY) {
      this.#records[slot] = target;
    } else if (existing >= 0) {
      conflict(this.#anyEntryBelow(existing));
    } else {
      const other = entryOf(existing);
      // A record pushed down from a wider network is overridden, as any more
      // specific network overrides it; the same network given explicitly is not.
      if (!this.#mostSpecificWins || (this.#prefixes[other] as number) >= prefix) conflict(other);
      this.#records[slot] = target;
    }
  }

  /** Serialises the nodes with `recordSize`-bit records; `dataValue(entry)` is the record value for an entry's data. */
  serialize(recordSize: 24 | 28 | 32, dataValue: (entry: number) => number): Buffer {
    const nodeBytes = recordSize / 4;
    const out = Buffer.alloc(this.#count * nodeBytes);
    const value = (record: number): number => (record >= 0 ? record : record === EMPTY ? this.#count : dataValue(entryOf(record)));
    for (let node = 0; node < this.#count; node++) {
      const left = value(this.#records[2 * node] as number);
      const right = value(this.#records[2 * node + 1] as number);
      const at = node * nodeBytes;
      if (recordSize === 24) {
        out.writeUIntBE(left, at, 3);
        out.writeUIntBE(right, at + 3, 3);
      } else if (recordSize === 28) {
        // The top four bits of each record share the middle byte.
        out.writeUIntBE(left & 0xff_ffff, at, 3);
        out[at + 3] = ((left >>> 24) << 4) | (right >>> 24);
        out.writeUIntBE(right & 0xff_ffff, at + 4, 3);
      } else {
        out.writeUInt32BE(left, at);
        out.writeUInt32BE(right, at + 4);
      }
    }
    return out;
  }

  /** Walks to the node holding the record for `bytes/prefix` (prefix >= 1) and returns that record's slot. */
  #descend(bytes: Uint8Array, prefix: number, entry: number, onCover?: (covering: number) => never): number {
    let node = 0;
    for (let depth = 0; ; depth++) {
      const bit = ((bytes[depth >> 3] as number) >> (7 - (depth & 7))) & 1;
      const slot = 2 * node + bit;
      if (depth === prefix - 1) return slot;
      let next = this.#records[slot] as number;
      if (next === EMPTY) {
        next = this.#newNode(EMPTY);
      } else if (next < EMPTY) {
        // A less specific network covers this one.
        if (!this.#mostSpecificWins) {
          if (onCover) onCover(entryOf(next));
          this.#overlap(entry, entryOf(next));
        }
        // Push the covering record one level down so the rest of its range keeps it.
        next = this.#newNode(next);
      }
      this.#records[slot] = next;
      node = next;
    }
  }

  #place(slot: number, prefix: number, entry: number): void {
    const existing = this.#records[slot] as number;
    if (existing === EMPTY) {
      this.#records[slot] = dataRecord(entry);
    } else if (existing < EMPTY) {
      const other = entryOf(existing);
      if ((this.#prefixes[other] as number) >= prefix) {
        throw this.#conflict(`${this.#labels.label(entry)} duplicates ${this.#labels.label(other)}`, entry, false);
      }
      // Only reachable with most-specific-wins: a wider network was pushed down to here.
      this.#records[slot] = dataRecord(entry);
    } else if (!this.#mostSpecificWins) {
      this.#overlap(entry, this.#anyEntryBelow(existing));
    } else {
      this.#fillBelow(existing, prefix, entry);
    }
  }

  /** Gives `entry` every part of the subtree at `root` that no more specific network holds. */
  #fillBelow(root: number, prefix: number, entry: number): void {
    const stack = [root];
    while (stack.length > 0) {
      const node = stack.pop() as number;
      for (let side = 0; side < 2; side++) {
        const slot = 2 * node + side;
        const record = this.#records[slot] as number;
        if (record >= 0) stack.push(record);
        else if (record === EMPTY || (this.#prefixes[entryOf(record)] as number) < prefix) this.#records[slot] = dataRecord(entry);
      }
    }
  }

  #anyEntryBelow(root: number): number {
    let node = root;
    for (;;) {
      const left = this.#records[2 * node] as number;
      const record = left !== EMPTY ? left : (this.#records[2 * node + 1] as number);
      if (record < EMPTY) return entryOf(record);
      node = record; // every node was created on the way to some data
    }
  }

  /** The record a lookup of `bytes/prefix` ends on (without creating nodes). */
  #recordAt(bytes: Uint8Array, prefix: number): number {
    let record = 0;
    for (let depth = 0; depth < prefix && record >= 0; depth++) {
      const bit = ((bytes[depth >> 3] as number) >> (7 - (depth & 7))) & 1;
      record = this.#records[2 * record + bit] as number;
    }
    return record;
  }

  #newNode(fill: number): number {
    if (2 * (this.#count + 1) > this.#records.length) {
      const grown = new Int32Array(this.#records.length * 2);
      grown.set(this.#records);
      this.#records = grown;
    }
    const node = this.#count++;
    this.#records[2 * node] = fill;
    this.#records[2 * node + 1] = fill;
    return node;
  }

  #overlap(entry: number, other: number): never {
    // Name the wider network second: "X overlaps Y" reads as X lying inside Y.
    throw this.#conflict(`${this.#labels.label(entry)} overlaps ${this.#labels.label(other)}`, entry);
  }

  #conflict(message: string, entry: number, hint = !this.#mostSpecificWins): never {
    const path = entry >= 0 ? this.#labels.path(entry) : undefined;
    const advice = hint ? " (pass overlap: 'most-specific-wins' to let the more specific network win)" : '';
    throw new GeoadmitError(ErrorCode.InvalidDatabaseInput, `${message}${advice}`, path === undefined ? {} : { path });
  }
}
