/**
 * `geoadmit/redis`: a `RestrictionStore` kept in Redis for a fleet of
 * conferencing nodes, and the types of what the fleet answers (`gate.fleet*`
 * methods). Requires the `ioredis` package.
 *
 * @module
 */
export { createRedisRestrictionStore } from './store.js';
export type { RedisRestrictionStore, RedisRestrictionStoreOptions, ReseedExemption, ReseedResult } from './store.js';
export type { FleetCoverage, FleetMeetingOverview, FleetNode, FleetOverview } from '../gate/types.js';
