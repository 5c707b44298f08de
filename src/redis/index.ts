/**
 * `geoadmit/redis`: a `RestrictionStore` kept in Redis for a fleet of
 * conferencing nodes. Requires the `ioredis` package.
 *
 * @module
 */
export { createRedisRestrictionStore } from './store.js';
export type { RedisRestrictionStore, RedisRestrictionStoreOptions, ReseedResult } from './store.js';
