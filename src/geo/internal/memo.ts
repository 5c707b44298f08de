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
