import type { IpValue } from './types.js';

interface TrieNode<T> {
  zero: TrieNode<T> | undefined;
  one: TrieNode<T> | undefined;
  value: T | undefined;
}

function node<T>(): TrieNode<T> {
  return { zero: undefined, one: undefined, value: undefined };
}

function bitAt(ip: IpValue, i: number): number {
  if (ip.family === 4) return (ip.v4 >>> (31 - i)) & 1;
  return ((ip.bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1;
}

/**
 * Longest-prefix-match table: one binary trie per address family (IPv4 is its
 * own family, never folded into `::ffff:0:0/96`, because addresses are
 * normalised to IPv4 before lookup). Lookups walk at most 32 or 128 nodes and
 * allocate nothing, which keeps the admission hot path flat.
 */
export class PrefixTable<T> {
  readonly #roots = { 4: node<T>(), 6: node<T>() };
  #size = 0;

  /** Number of prefixes stored. */
  get size(): number {
    return this.#size;
  }

  /**
   * Store `value` for `network/prefixLength`. Host bits beyond the prefix are
   * ignored here (callers validate). Returns the value already stored for the
   * same prefix, in which case nothing is replaced.
   */
  insert(network: IpValue, prefixLength: number, value: T): T | undefined {
    let cur = this.#roots[network.family];
    for (let i = 0; i < prefixLength; i++) {
      if (bitAt(network, i) === 0) cur = cur.zero ??= node<T>();
      else cur = cur.one ??= node<T>();
    }
    if (cur.value !== undefined) return cur.value;
    cur.value = value;
    this.#size++;
    return undefined;
  }

  /** The value of the most specific prefix containing `ip`, if any. */
  lookup(ip: IpValue): T | undefined {
    let cur: TrieNode<T> | undefined = this.#roots[ip.family];
    let best = cur.value;
    const bits = ip.family === 4 ? 32 : 128;
    for (let i = 0; i < bits; i++) {
      cur = bitAt(ip, i) === 0 ? cur.zero : cur.one;
      if (cur === undefined) break;
      if (cur.value !== undefined) best = cur.value;
    }
    return best;
  }
}
