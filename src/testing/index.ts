/**
 * Test helpers for integrators and plugin authors. Import from `geoadmit/testing`.
 *
 * - Synthetic locations: `addressIn(region)` and `testResolver()` — addresses
 *   that the kit's own table (not the real world) places in any ISO country or
 *   subdivision; `testRegions()` lists them.
 * - `createTestGate()`: a gate over that table with a manual clock, recorded
 *   removals and events, and `join(meeting, participant, region)`.
 * - `.mmdb` builders, a `StaticResolver` shortcut and a manual clock.
 * - Contract suites for authors of a `GeoResolver` or a `RestrictionStore`:
 *   `geoResolverContract` and `restrictionStoreContract` register the tests
 *   every implementation must pass, with the runner's `test` and `expect`.
 * - Matchers for vitest live in `geoadmit/vitest`.
 */
// Every export by name, on purpose: each one is a promise to test authors.
export {
  buildGeoIp2Mmdb,
  buildIpLocationDbMmdb,
  type GeoTable,
  type GeoTableAnonymous,
  type GeoTableValue,
  type IpLocationDbMmdbOptions,
  type TestMmdbOptions,
} from './mmdb.js';
export { staticResolver } from './static.js';
export { createManualClock, type ManualClock } from './clock.js';
export { addressIn, testRegions, type AddressInOptions } from './addresses.js';
export { testResolver, SYNTHETIC_SOURCE } from './resolver.js';
export { createTestGate, TEST_GATE_START, type TestGate, type TestGateEvent, type TestGateOptions, type TestJoinExtra } from './gate.js';
export type { ContractAssertion, ContractExpect, ContractRunner, ContractTest } from './contracts/runner.js';
export { geoResolverContract, type GeoResolverContractTable, type GeoResolverFactory } from './contracts/geo-resolver.js';
export {
  restrictionStoreContract,
  type RestrictionStoreFactory,
  type RestrictionStoreKnownDifferences,
  type RestrictionStoreUnderTest,
} from './contracts/restriction-store.js';
