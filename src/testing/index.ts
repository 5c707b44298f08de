/**
 * Test helpers for integrators and plugin authors. Import from `geoadmit/testing`.
 *
 * - Synthetic locations: `addressIn(region)` and `testResolver()` — addresses
 *   that the kit's own table (not the real world) places in any ISO country or
 *   subdivision; `testRegions()` lists them.
 * - `createTestGate()`: a gate over that table with a manual clock, recorded
 *   removals and events, and `join(meeting, participant, region)`.
 * - `.mmdb` builders, a `StaticResolver` shortcut and a manual clock.
 * - Matchers for vitest live in `geoadmit/vitest`.
 */
export * from './mmdb.js';
export * from './static.js';
export * from './clock.js';
export { addressIn, testRegions, type AddressInOptions } from './addresses.js';
export { testResolver, SYNTHETIC_SOURCE } from './resolver.js';
export { createTestGate, TEST_GATE_START, type TestGate, type TestGateEvent, type TestGateOptions, type TestJoinExtra } from './gate.js';
