import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { expect, test } from 'vitest';
import { eventually, join, useFleet } from './helpers/fleet/cluster.js';
import { describeWithRedis, takedown, waitForBlocked } from './helpers/redis-server.js';
import { FLEET_SCRIPTS } from '../src/redis/internal/fleet-scripts.js';

/**
 * The fleet heartbeat: one call of the announce script every fleetTimeoutMs / 3 (default 5,000 ms), background
 * traffic like the subscription's XREAD, never caused by a join. What it runs on the server, as MONITOR shows it.
 */
const ANNOUNCE_SHA = createHash('sha1').update(FLEET_SCRIPTS.geoadmitAnnounce).digest('hex');
const HEARTBEAT = new Set([`evalsha ${ANNOUNCE_SHA}`, 'time', 'hset {geoadmit}:nodes', 'hgetall {geoadmit}:nodes', 'hdel {geoadmit}:nodes']);

/**
 * MONITOR through `redis-cli` (installed with redis-server): ioredis's own monitor mode can
 * misroute a MONITOR line that arrives in the same packet as the `+OK` that starts it
 * ("Command queue state error") when the machine is busy.
 */
function monitorCommands(url: string, onCommand: (words: string[]) => void): () => void {
  const { hostname, port } = new URL(url);
  const child = spawn('redis-cli', ['-h', hostname, '-p', port, 'monitor'], { stdio: ['ignore', 'pipe', 'inherit'] });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const words = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
    if (words.length > 0) onCommand(words);
  });
  return () => child.kill();
}

/** `cmdstat_<name>:calls=<n>` lines of INFO commandstats, as a map. */
function commandCalls(info: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const [, name, n] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(name!, Number(n));
  return calls;
}

describeWithRedis('fleet: the admission path does not touch Redis', () => {
  const fleet = useFleet();

  test('1,000 admits send no command to Redis (only the subscription’s blocking XREAD runs meanwhile)', async () => {
    const redis = await fleet.redis();
    const node = await fleet.node({ name: 'one', url: redis.url, blockMs: 200 });
    await node.call('ready');
    await node.call('restrict', { doc: takedown('req-1', 'm-0') });

    const admin = new Redis(redis.url);
    const seen: string[] = [];
    const stopMonitor = monitorCommands(redis.url, (words) => seen.push(words.slice(0, 2).join(' ').toLowerCase()));
    fleet.cleanup(() => {
      stopMonitor();
      admin.disconnect();
    });
    // redis-cli connects on its own schedule: knock until MONITOR shows it is listening.
    await eventually(async () => {
      await admin.ping('monitor-ready');
      return seen.includes('ping monitor-ready');
    }, 'redis-cli MONITOR to start');
    // MONITOR streams commands in execution order: a PING of our own marks where a window ends.
    const fence = async (name: string) => {
      await admin.ping(name);
      await eventually(() => seen.includes(`ping ${name}`), `MONITOR to see ${name}`);
      return seen.indexOf(`ping ${name}`);
    };
    // The node's subscription is parked in XREAD BLOCK: the store is idle apart from it.
    await waitForBlocked(admin, 1);
    const before = commandCalls(await admin.info('commandstats'));
    const start = await fence('before-admits');

    const joins = Array.from({ length: 1000 }, (_, i) => ({
      ...join(`m-${i % 20}`, `p-${i}`, (['cn', 'hk', 'us'] as const)[i % 3]!, i),
      ...(i % 50 === 0 ? { peerAddress: '0x7f.1' } : {}),
    }));
    // In four bursts spread over about a second, so the window spans several of the subscription's reads.
    const startedAt = Date.now();
    const burst = { admitted: 0, totalMs: 0 };
    for (let b = 0; b < 4; b++) {
      const r = await node.call<{ admitted: number; totalMs: number }>('admitMany', { joins: joins.slice(b * 250, b * 250 + 250) });
      burst.admitted += r.admitted;
      burst.totalMs += r.totalMs;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const windowMs = Date.now() - startedAt;
    // Sanity: the restriction was enforced on m-0 without asking Redis.
    expect(burst.admitted).toBeLessThan(1000);
    expect(burst.admitted).toBeGreaterThan(900);

    const end = await fence('after-admits');
    const after = commandCalls(await admin.info('commandstats'));
    const delta = new Map<string, number>();
    for (const [name, n] of after) if (n !== (before.get(name) ?? 0)) delta.set(name, n - (before.get(name) ?? 0));
    // INFO and PING are this test's own; XREAD is the subscription's loop, about one per blockMs.
    const xreads = delta.get('xread') ?? 0;
    // The heartbeat's script and what it runs: at most one per 5000 / 3 ms of the window (MONITOR below checks what they were).
    const beats = delta.get('evalsha') ?? 0;
    expect(beats).toBeLessThanOrEqual(Math.ceil(windowMs / (5000 / 3)) + 1);
    for (const own of ['info', 'ping', 'xread', 'evalsha', 'time', 'hset', 'hgetall', 'hdel']) delta.delete(own);
    expect(Object.fromEntries(delta)).toEqual({});
    expect(xreads).toBeLessThanOrEqual(Math.ceil(windowMs / 200) + 2);
    // MONITOR agrees: between the fences, nothing but blocking reads (and the heartbeat) reached the server.
    expect(seen.slice(start + 1, end).filter((cmd) => !cmd.startsWith('xread ') && !HEARTBEAT.has(cmd))).toEqual([]);
    // Control: MONITOR does see what the node sends when it does use Redis.
    await node.call('restrict', { doc: takedown('req-2', 'm-1') });
    await eventually(() => seen.slice(end).some((cmd) => cmd.startsWith('evalsha') || cmd.startsWith('eval ')), 'the put to show in MONITOR');
    console.log(`1,000 admits (${burst.totalMs.toFixed(1)} ms of work in a ${windowMs} ms window); Redis meanwhile: ${xreads} XREAD, nothing else`);
  });
});
