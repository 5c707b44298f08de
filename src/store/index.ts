/**
 * `geoadmit/store`: what implementing a `RestrictionStore` takes, beyond the
 * interface itself (which, with `InMemoryRestrictionStore`, is in `geoadmit`):
 * the records of its change feed and snapshots, its subscribers and events,
 * and the fleet channel a shared store offers the gates of a fleet. The
 * contract suite a store must pass is `restrictionStoreContract` in
 * `geoadmit/testing`.
 *
 * @module
 */
// Every export by name, on purpose: each one is a semver promise.
export type {
  FleetAnnouncement,
  FleetChannel,
  FleetMessage,
  RestrictionChange,
  RestrictionSnapshot,
  RestrictionStoreEvents,
  RestrictionSubscriber,
  StoredExemption,
} from './types.js';
