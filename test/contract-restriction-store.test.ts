/**
 * One RestrictionStore contract (test/contracts/restriction-store.ts), run against the in-memory
 * store and the Redis store on a real redis-server. Where the in-memory twin does not behave like
 * the store it stands in for, the test says so and fails.
 */
import { afterEach, describe } from 'vitest';
import { InMemoryRestrictionStore, type RestrictionStore } from 'geoadmit';
import { createRedisRestrictionStore } from 'geoadmit/redis';
import { restrictionStoreContract } from './contracts/restriction-store.js';
import { describeWithRedis, useRedisServer } from './helpers/redis-server.js';

const opened: RestrictionStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close?.()));
});

describe('RestrictionStore contract: InMemoryRestrictionStore', () => {
  restrictionStoreContract(
    async () => {
      const store = new InMemoryRestrictionStore();
      opened.push(store);
      return { store, peer: () => store };
    },
    {
      // Reported to the store's owner (issue 15); each turns red here once fixed.
      closed: 'InMemoryRestrictionStore.close() only drops subscribers; put/delete/snapshot/subscribe keep working',
      'malformed-versions': 'InMemoryRestrictionStore.compareVersions reads any string as a number (NaN -> 0) instead of refusing it',
    },
  );
});

describeWithRedis('RestrictionStore contract: Redis store (geoadmit/redis)', () => {
  const server = useRedisServer();
  let n = 0;
  restrictionStoreContract(async () => {
    // A fresh key prefix per test: an empty store on the shared server.
    const prefix = `contract-${++n}:`;
    const open = () => {
      const store = createRedisRestrictionStore({ url: server.redis.url, prefix, blockMs: 100 });
      opened.push(store);
      return store;
    };
    return { store: open(), peer: open };
  });
});
