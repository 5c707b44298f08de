/**
 * Counts distinct strings: exactly (a Set) up to `limit`, then as a
 * HyperLogLog sketch (Flajolet et al. 2007; 2^14 registers, standard error
 * about 0.8%) so memory stays bounded however many meetings a log names.
 * No HyperLogLog package is installed; this is the textbook estimator with
 * the small-range correction, which is all a report needs.
 */
const P = 14;
const M = 1 << P;
const ALPHA = 0.7213 / (1 + 1.079 / M);

/** FNV-1a over UTF-16 code units, then murmur3's finaliser to spread the bits. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class DistinctCounter {
  #set: Set<string> | undefined = new Set();
  #registers: Uint8Array | undefined;
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** True once the count is an estimate. */
  get estimated(): boolean {
    return this.#registers !== undefined;
  }

  add(value: string): void {
    if (this.#set !== undefined) {
      this.#set.add(value);
      if (this.#set.size > this.#limit) this.#toSketch();
      return;
    }
    this.#addToSketch(value);
  }

  /** Membership, while exact; `undefined` once estimated. */
  has(value: string): boolean | undefined {
    return this.#set?.has(value);
  }

  /** Fold another counter in (union). */
  merge(other: DistinctCounter): void {
    if (other.#set !== undefined) {
      for (const value of other.#set) this.add(value);
      return;
    }
    if (this.#registers === undefined) this.#toSketch();
    const mine = this.#registers as Uint8Array;
    const theirs = other.#registers as Uint8Array;
    for (let i = 0; i < M; i++) if ((theirs[i] ?? 0) > (mine[i] ?? 0)) mine[i] = theirs[i] ?? 0;
  }

  count(): number {
    if (this.#set !== undefined) return this.#set.size;
    const registers = this.#registers as Uint8Array;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < M; i++) {
      const r = registers[i] ?? 0;
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const raw = (ALPHA * M * M) / sum;
    const estimate = raw <= 2.5 * M && zeros > 0 ? M * Math.log(M / zeros) : raw;
    return Math.round(estimate);
  }

  #toSketch(): void {
    this.#registers = new Uint8Array(M);
    const values = this.#set ?? new Set<string>();
    this.#set = undefined;
    for (const value of values) this.#addToSketch(value);
  }

  #addToSketch(value: string): void {
    const h = hash32(value);
    const index = h >>> (32 - P);
    // Rank of the first 1 bit in the remaining 18 bits (sentinel bit caps it at 19).
    const rank = Math.clz32((h << P) | (1 << (P - 1))) + 1;
    const registers = this.#registers as Uint8Array;
    if (rank > (registers[index] ?? 0)) registers[index] = rank;
  }
}
