/**
 * Test helpers: build `.mmdb` files in memory, a `StaticResolver` shortcut,
 * a manual clock. Import from `geoadmit/testing`.
 */
export * from './mmdb.js';
export * from './static.js';
export * from './clock.js';
