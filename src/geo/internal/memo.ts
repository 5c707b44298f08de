/**
 * A bounded memo with two generations: entries go into the young map; when
 * it holds `half` entries it becomes the old map and the previous old map is
 * dropped. A hit in the old generation is copied back into the young one, so
 * what stays in use stays cached. At most `2 * half` entries are held.
 *
 * Why not one Map evicting its oldest key: V8's ordered hash tables leave a
 * hole per deletion, and `keys().next()` walks over every hole from the
 * start, so FIFO eviction on a full Map degrades to microseconds per call.
 * Dropping a whole generation is O(1) amortised.
 */
export class TwoGenerationMemo<V> {
  #young = new Map<number, V>();
  #old = new Map<number, V>();
  readonly #half: number;

  constructor(capacity: number) {
    this.#half = Math.max(1, Math.floor(capacity / 2));
  }

  get(key: number): V | undefined {
    const hit = this.#young.get(key);
    if (hit !== undefined) return hit;
    const old = this.#old.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: number, value: V): void {
    if (this.#young.size >= this.#half) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(key, value);
  }

  /** Entries held (both generations; a key may be counted twice). */
  get size(): number {
    return this.#young.size + this.#old.size;
  }
}

/**
 * A direct-mapped memo of IPv4 answers: `size` (a power of two) ways, each
 * holding the record slot, network and prefix length an answer is valid for
 * in typed arrays, and the answer. Setting overwrites whatever the way held.
 *
 * Why not {@link TwoGenerationMemo} here: answers are looked up for every
 * IPv4 join; a Map read, a Map write and a key/answer object per miss cost
 * more than the walk they save when addresses seldom repeat (participants
 * from all over the address space), and the dropped generations were
 * garbage the collector had to promote first. A way is checked against the
 * address (slot, network and prefix), never trusted.
 */
export class DirectAnswerMemo<V> {
  readonly #mask: number;
  readonly #slot: Int32Array;
  readonly #net: Uint32Array;
  readonly #prefix: Uint8Array;
  readonly #value: (V | undefined)[];

  constructor(size: number) {
    this.#mask = size - 1;
    this.#slot = new Int32Array(size).fill(-1);
    this.#net = new Uint32Array(size);
    this.#prefix = new Uint8Array(size);
    this.#value = new Array<V | undefined>(size).fill(undefined);
  }

  /** The answer for record `slot` reached at `prefix` bits by an address in `net`, if held. */
  get(slot: number, net: number, prefix: number): V | undefined {
    const i = slot & this.#mask;
    return this.#slot[i] === slot && this.#net[i] === net && this.#prefix[i] === prefix ? this.#value[i] : undefined;
  }

  set(slot: number, net: number, prefix: number, value: V): void {
    const i = slot & this.#mask;
    this.#slot[i] = slot;
    this.#net[i] = net;
    this.#prefix[i] = prefix;
    this.#value[i] = value;
  }
}

/**
 * {@link DirectAnswerMemo} for IPv6 answers: the network is four words
 * (the address masked to the prefix length), compared word by word.
 */
export class DirectAnswerMemo6<V> {
  readonly #mask: number;
  readonly #slot: Int32Array;
  readonly #net: Uint32Array;
  readonly #prefix: Uint8Array;
  readonly #value: (V | undefined)[];

  constructor(size: number) {
    this.#mask = size - 1;
    this.#slot = new Int32Array(size).fill(-1);
    this.#net = new Uint32Array(size * 4);
    this.#prefix = new Uint8Array(size);
    this.#value = new Array<V | undefined>(size).fill(undefined);
  }

  /** The answer for record `slot` reached at `prefix` bits by the address in `words`, if held. */
  get(slot: number, words: Uint32Array, prefix: number): V | undefined {
    const i = slot & this.#mask;
    if (this.#slot[i] !== slot || this.#prefix[i] !== prefix) return undefined;
    const net = this.#net;
    for (let k = 0; k < 4; k++) if (net[4 * i + k] !== masked(words, k, prefix)) return undefined;
    return this.#value[i];
  }

  set(slot: number, words: Uint32Array, prefix: number, value: V): void {
    const i = slot & this.#mask;
    this.#slot[i] = slot;
    this.#prefix[i] = prefix;
    for (let k = 0; k < 4; k++) this.#net[4 * i + k] = masked(words, k, prefix);
    this.#value[i] = value;
  }
}

/** Word `k` of `words` with the bits past `prefix` cleared. */
function masked(words: Uint32Array, k: number, prefix: number): number {
  const bits = prefix - 32 * k;
  if (bits <= 0) return 0;
  if (bits >= 32) return words[k] as number;
  return ((words[k] as number) & (0xffffffff << (32 - bits))) >>> 0;
}
