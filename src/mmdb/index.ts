/**
 * Writing MaxMind DB (`.mmdb`) files: real databases from a CIDR table, for
 * tests and for operators without licensed data, and the types of the details
 * of reading them. Import from `geoadmit/mmdb`.
 *
 * @module
 */
export { buildMmdb, writeMmdb } from './build.js';
export { MmdbNumber } from './types.js';
export type { BuildMmdbOptions, MmdbEntries, MmdbEntry, MmdbNumberType, MmdbRecord, MmdbValue } from './types.js';
// Details of reading `.mmdb` files: what `MaxMindResolver` reports of a file and of a reload, the
// file system it reads through, and the options for finding the default database package.
export type { MaxMindDatabaseInfo, MaxMindFs, MaxMindReloadResult } from '../geo/index.js';
export type { DefaultResolverOptions, PackageResolver } from '../geo/default.js';
