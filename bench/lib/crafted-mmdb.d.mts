/** Types for crafted-mmdb.mjs (hand-assembled hostile MaxMind DB files). */
export declare const enc: {
  str(s: string): number[];
  uint16(n: number): number[];
  uint32(n: number): number[];
  uint64(n: number): number[];
  map(pairs: readonly (readonly [string, number[]])[]): number[];
  array(items: readonly number[][]): number[];
  ptr(offset: number): number[];
};
/** A ~400-byte database whose one record decodes to 2^levels nodes. */
export declare function fanOutMmdb(levels?: number): Buffer;
/** A database whose record holds a value that points back at itself. */
export declare function cycleMmdb(): Buffer;
/** A database whose metadata map carries a pointer fan-out. */
export declare function metadataFanOutMmdb(levels?: number): Buffer;
/** The same shape without the attack: opens and answers CN. */
export declare function soundMmdb(): Buffer;
/** The MaxMind DB metadata marker: `\xab\xcd\xef` then `MaxMind.com`. */
export declare const MARKER: Buffer;
/** About `targetBytes` of database whose many small records each point at one shared fan-out of 2^(levels+1) - 1 values. */
export declare function amplificationMmdb(targetBytes: number, levels?: number): Buffer;
/** A sound database whose real metadata begins with the marker's tail, with a planted marker and fan-out "metadata" earlier in the file. */
export declare function markerConfusionMmdb(targetBytes?: number, levels?: number): Buffer;
