/**
 * A real Redis Cluster for tests: three `redis-server --cluster-enabled yes`
 * masters on free loopback ports (client and bus port each chosen free),
 * joined with `redis-cli --cluster create`. Nothing reaches the network.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, type ClusterOptions, Redis } from 'ioredis';
import { freePort, redisServerPath } from './redis-server.js';

/** Path of redis-cli, or undefined when it is not installed. */
export const redisCliPath: string | undefined = (() => {
  const found = spawnSync('/bin/sh', ['-c', 'command -v redis-cli'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path !== '' ? path : undefined;
})();

/** A running three-master cluster. */
export interface TestCluster {
  /** The masters' client ports. */
  readonly ports: readonly number[];
  /** A new ioredis `Cluster` client on it (the caller disconnects it). */
  client(options?: ClusterOptions): Cluster;
  /** A plain connection to the first master only (what a misconfigured client looks like). */
  plain(): Redis;
  /** Stops every server and removes their directories. */
  dispose(): Promise<void>;
}

/** Starts three masters, joins them into a cluster and waits until it reports `cluster_state:ok`. */
export async function startRedisCluster(options: { password?: string } = {}): Promise<TestCluster> {
  if (!redisServerPath || !redisCliPath) throw new Error('redis-server and redis-cli are needed; install them: apt-get install redis-server');
  const procs: ChildProcess[] = [];
  const dirs: string[] = [];
  const ports: number[] = [];
  const auth = options.password === undefined ? [] : ['--requirepass', options.password, '--masterauth', options.password];
  const dispose = async () => {
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGKILL');
          }),
      ),
    );
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const bus = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'geoadmit-cluster-'));
      dirs.push(dir);
      ports.push(port);
      const args = ['--port', String(port), '--cluster-port', String(bus), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
      args.push('--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-node-timeout', '2000', ...auth);
      procs.push(spawn(redisServerPath, args, { stdio: 'ignore' }));
    }
    const admin = (port: number) => new Redis({ port, host: '127.0.0.1', password: options.password, maxRetriesPerRequest: 1, retryStrategy: () => 200 });
    for (const port of ports) {
      const conn = admin(port);
      conn.on('error', () => undefined);
      await waitUntil(async () => (await conn.ping().catch(() => '')) === 'PONG', `redis-server on ${port}`);
      conn.disconnect();
    }
    const create = spawnSync(
      redisCliPath,
      [
        ...(options.password ? ['-a', options.password, '--no-auth-warning'] : []),
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-yes',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${create.stdout}\n${create.stderr}`);
    for (const port of ports) {
      const conn = admin(port);
      conn.on('error', () => undefined);
      await waitUntil(async () => /cluster_state:ok/.test(await conn.cluster('INFO').catch(() => '')), `cluster_state:ok on ${port}`);
      conn.disconnect();
    }
  } catch (error) {
    await dispose();
    throw error;
  }
  const password = options.password;
  return {
    ports,
    client: (extra: ClusterOptions = {}) =>
      new Cluster(
        ports.map((port) => ({ host: '127.0.0.1', port })),
        { ...extra, redisOptions: { ...(password ? { password } : {}), ...extra.redisOptions } },
      ),
    plain: () => new Redis({ host: '127.0.0.1', port: ports[0], password, maxRetriesPerRequest: 0, lazyConnect: true }),
    dispose,
  };
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
