/**
 * Writing MaxMind DB (`.mmdb`) files: real databases from a CIDR table, for
 * tests and for operators without licensed data. Import from `geoadmit/mmdb`.
 *
 * @module
 */
export { buildMmdb, writeMmdb } from './build.js';
export { MmdbNumber } from './types.js';
export type { BuildMmdbOptions, MmdbEntries, MmdbEntry, MmdbNumberType, MmdbRecord, MmdbValue } from './types.js';
