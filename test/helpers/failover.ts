/**
 * Failover for tests: a primary and a replica (real redis-servers). Nodes
 * connect through the relay of ./fleet/tcp-proxy.ts, whose `retarget` moves
 * the endpoint to the promoted replica as a managed Redis does.
 */
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from './redis-server.js';

/** A primary with a replica in sync, and admin connections to both. */
export interface ReplicaPair {
  readonly primary: TestRedis;
  readonly replica: TestRedis;
  readonly primaryAdmin: Redis;
  readonly replicaAdmin: Redis;
  /** Waits until the replica has every write the primary acknowledged so far. */
  synced(): Promise<void>;
  /** Detaches the replica (`REPLICAOF NO ONE`): it keeps what it has and takes writes; it receives nothing more. */
  promote(): Promise<void>;
  dispose(): Promise<void>;
}

/** Starts a primary and a replica of it. */
export async function startReplicaPair(): Promise<ReplicaPair> {
  const primary = await startRedis();
  const replica = await startRedis();
  const primaryAdmin = new Redis(primary.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  const replicaAdmin = new Redis(replica.url, { maxRetriesPerRequest: 0 });
  primaryAdmin.on('error', () => undefined);
  replicaAdmin.on('error', () => undefined);
  // Sync at once: by default a primary waits 5 s for more replicas before a diskless full sync.
  await primaryAdmin.config('SET', 'repl-diskless-sync-delay', '0');
  await replicaAdmin.replicaof('127.0.0.1', primary.port);
  const deadline = Date.now() + 10_000;
  while (!/master_link_status:up/.test(await replicaAdmin.info('replication'))) {
    if (Date.now() > deadline) throw new Error('the replica did not sync with the primary');
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    primary,
    replica,
    primaryAdmin,
    replicaAdmin,
    async synced() {
      // WAIT blocks until one replica acknowledged every write so far; the replica must also be done loading
      // (a full sync empties it first: promoted in the middle of one, it would come up empty).
      const deadline = Date.now() + 10_000;
      for (;;) {
        const acked = await primaryAdmin.wait(1, 1000);
        const offset = Number(/master_repl_offset:(\d+)/.exec(await primaryAdmin.info('replication'))?.[1]);
        const info = await replicaAdmin.info('replication');
        const loaded = /master_link_status:up/.test(info) && /master_sync_in_progress:0/.test(info);
        if (acked >= 1 && loaded && Number(/slave_repl_offset:(\d+)/.exec(info)?.[1]) >= offset) return;
        if (Date.now() > deadline) throw new Error(`the replica did not catch up:\n${info}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async promote() {
      await replicaAdmin.replicaof('NO', 'ONE');
    },
    async dispose() {
      primaryAdmin.disconnect();
      replicaAdmin.disconnect();
      await Promise.all([primary.dispose(), replica.dispose()]);
    },
  };
}
