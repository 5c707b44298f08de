/**
 * A bounded pass over MaxMind DB data (the data section, or the metadata
 * map) that proves a value can be decoded in reasonable time before the
 * `maxmind` package's decoder is let near it.
 *
 * Why: that decoder follows pointers without limit. A 1 KB file whose values
 * point twice at the next level, forty levels deep, decodes to 2^40 nodes; a
 * value that points at itself recurses until the stack gives out. This pass
 * counts the nodes a decode would produce without producing them: each
 * pointer target is measured once and memoised by offset, so fan-out costs
 * linear work, and a pointer met again while its target is still being
 * measured is a cycle.
 */

/** Nesting deeper than this is refused (libmaxminddb's own limit). */
const MAX_DEPTH = 512;

/**
 * Decoded nodes one value (a record, or the metadata map) may expand to. A
 * GeoIP2 City or Enterprise record decodes to a few hundred (names in eight
 * languages for the city, its subdivisions, country and continent); this is
 * twenty times that. A lookup decodes at most one record, so this is also
 * the most decoding a lookup that misses the memo can do.
 */
const MAX_VALUE_NODES = 8_192;

/** Why a value was refused; the loader wraps it in `E_DB_CORRUPT`. */
export class UnboundedDataError extends Error {
  override readonly name = 'UnboundedDataError';
}

const IN_PROGRESS = -1;
/** Bytes of payload for fixed-size numeric types (0 = variable, checked against a maximum instead). */
const FIXED: Record<number, number> = { 3: 8, 15: 4 };
const MAX_SIZE: Record<number, number> = { 5: 2, 6: 4, 8: 4, 9: 8, 10: 16 };

/**
 * Measures values in one section of a database buffer.
 *
 * `base` is what pointers are relative to (the data section start, or the
 * metadata start for the metadata map); every value and pointer target must
 * lie in `[start, end)`. `work` bounds the total steps of every measurement
 * made through this instance, so a file cannot make the whole pass slow by
 * pointing many tree records at overlapping data either.
 */
export class BoundedData {
  readonly #buf: Buffer;
  readonly #base: number;
  readonly #start: number;
  readonly #end: number;
  readonly #maxNodes: number;
  /** Decoded node counts of pointer targets already measured (or IN_PROGRESS). */
  readonly #targets = new Map<number, number>();
  #work: number;
  /** Steps taken by every measurement so far (what a decoder that reuses each pointer target's value would do). */
  #steps = 0;
  /** Offset just after the value last measured (set by #value, so it returns one number). */
  #next = 0;

  constructor(buf: Buffer, base: number, start: number, end: number, work: number, maxNodes = MAX_VALUE_NODES) {
    this.#buf = buf;
    this.#base = base;
    this.#start = start;
    this.#end = end;
    this.#work = work;
    this.#maxNodes = maxNodes;
  }

  /**
   * The number of nodes decoding the value at `offset` would produce (a
   * pointer counts as its target). Throws {@link UnboundedDataError} for a
   * value that is malformed, cyclic, nested deeper than {@link MAX_DEPTH},
   * expands to more than the node limit, or when the work budget runs out.
   */
  measure(offset: number): number {
    return this.#value(offset, 0);
  }

  /**
   * Values visited by every measurement so far. Each pointer target counts
   * once, so this is the work a decoder that keeps each target's value does
   * for the same records: what the loader paces its yields by.
   */
  get steps(): number {
    return this.#steps;
  }

  /** True when `offset` has been measured as a pointer target (a value worth decoding once and sharing). */
  isPointerTarget(offset: number): boolean {
    return this.#targets.has(offset);
  }

  #fail(what: string): never {
    throw new UnboundedDataError(what);
  }

  #byte(at: number): number {
    if (at < this.#start || at >= this.#end) this.#fail(`value at offset ${at} lies outside its section`);
    return this.#buf[at] as number;
  }

  #value(offset: number, depth: number): number {
    if (depth > MAX_DEPTH) this.#fail(`data nested deeper than ${MAX_DEPTH} levels (a pointer cycle?)`);
    this.#steps++;
    if (--this.#work < 0) this.#fail('decoding would take unbounded work (pointer fan-out)');
    const ctrl = this.#byte(offset);
    let at = offset + 1;
    let type = ctrl >> 5;
    if (type === 1) return this.#pointer(ctrl, at, depth);
    if (type === 0) {
      type = this.#byte(at) + 7;
      at++;
      if (type < 8 || type > 15) this.#fail(`unknown data type ${type} at offset ${offset}`);
    }
    let size = ctrl & 0x1f;
    if (size >= 29) {
      const extra = size - 28; // 1, 2 or 3 more bytes
      let n = 0;
      for (let i = 0; i < extra; i++) n = n * 256 + this.#byte(at + i);
      size = (size === 29 ? 29 : size === 30 ? 285 : 65_821) + n;
      at += extra;
    }
    switch (type) {
      case 7: // map: size key/value pairs
      case 11: {
        // array: size values
        let nodes = 1;
        for (let i = 0; i < size; i++) {
          if (type === 7) {
            nodes += this.#value(at, depth + 1);
            at = this.#next;
          }
          nodes += this.#value(at, depth + 1);
          at = this.#next;
          if (nodes > this.#maxNodes) this.#fail(`a value expands to more than ${this.#maxNodes} decoded nodes (pointer fan-out)`);
        }
        this.#next = at;
        return nodes;
      }
      case 14: // boolean: the size is the value, no payload
        this.#next = at;
        return 1;
      case 12:
      case 13:
        return this.#fail(`data type ${type} (container or end marker) at offset ${offset} is not a value`);
      default: {
        const fixed = FIXED[type];
        if (fixed !== undefined && size !== fixed) this.#fail(`number of ${size} bytes at offset ${offset} (expected ${fixed})`);
        const max = MAX_SIZE[type];
        if (max !== undefined && size > max) this.#fail(`integer of ${size} bytes at offset ${offset} (at most ${max})`);
        if (size > 0) this.#byte(at + size - 1); // the payload must lie inside the section
        this.#next = at + size;
        return 1;
      }
    }
  }

  #pointer(ctrl: number, at: number, depth: number): number {
    const width = (ctrl >> 3) & 3;
    let packed = width === 3 ? 0 : ctrl & 7;
    for (let i = 0; i <= width; i++) packed = packed * 256 + this.#byte(at + i);
    const target = this.#base + packed + (width === 1 ? 2048 : width === 2 ? 526_336 : 0);
    const after = at + width + 1;
    let nodes = this.#targets.get(target);
    if (nodes === IN_PROGRESS) this.#fail(`pointer cycle at offset ${target}`);
    if (nodes === undefined) {
      // The spec forbids pointers to pointers; refusing them also keeps chains from hiding cycles.
      if (this.#byte(target) >> 5 === 1) this.#fail(`pointer to a pointer at offset ${target}`);
      this.#targets.set(target, IN_PROGRESS);
      nodes = this.#value(target, depth + 1);
      this.#targets.set(target, nodes);
    }
    this.#next = after;
    return nodes;
  }
}
