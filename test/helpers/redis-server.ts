/**
 * Starts and stops real redis-server processes for tests. Each server gets a
 * free port on 127.0.0.1 and a temporary directory; nothing reaches the
 * network.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Restriction } from '../../src/restrictions/types.js';
import type { RestrictionChange, RestrictionSnapshot, RestrictionStoreEvents, RestrictionSubscriber } from '../../src/store/types.js';

/** Path of the redis-server binary, or undefined when it is not installed. */
export const redisServerPath: string | undefined = (() => {
  const found = spawnSync('/bin/sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path !== '' ? path : undefined;
})();

/** True when tests can start a real Redis. */
export const hasRedis = redisServerPath !== undefined;

/**
 * `describe` for tests that need redis-server: skipped with a visible warning
 * when it is missing, except under `GEOADMIT_REQUIRE_REDIS=1` (CI), where the
 * missing binary fails the run.
 */
export function describeWithRedis(name: string, body: () => void): void {
  if (!hasRedis) {
    if (process.env.GEOADMIT_REQUIRE_REDIS === '1') {
      test(`${name}: redis-server is installed (GEOADMIT_REQUIRE_REDIS=1)`, () => {
        throw new Error('redis-server not found on PATH; install it: apt-get install redis-server');
      });
    } else {
      console.warn(`Skipping "${name}": redis-server not found. Install it with: apt-get install redis-server`);
    }
  }
  describe.skipIf(!hasRedis)(name, body);
}

/** A running (or stopped) test Redis. */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Stops the server with `signal` (default SIGTERM) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** SIGKILL: the server gets no chance to save anything. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: the server hangs with its connections open. */
  pause(): void;
  resume(): void;
  /** Stops the server if running and starts it again on the same port, with or without its data. */
  restart(options: { keepData: boolean }): Promise<void>;
  /** Stops the server and removes its directory. */
  dispose(): Promise<void>;
}

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /** Append-only file with fsync on every write, so even SIGKILL keeps acknowledged writes. */
  persistence?: boolean;
  /** Data directory (default: a new temporary one, removed by `dispose`). */
  dir?: string;
}

/** Starts redis-server on a free port and resolves once it answers PING. */
export async function startRedis(options: StartRedisOptions = {}): Promise<TestRedis> {
  if (!redisServerPath) throw new Error('redis-server not found; install it: apt-get install redis-server');
  const binary = redisServerPath;
  const port = await freePort();
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'geoadmit-redis-'));
  const persistence = options.persistence ?? false;
  let child: ChildProcess | undefined;

  const launch = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no'];
    args.push('--appendonly', persistence ? 'yes' : 'no');
    if (persistence) args.push('--appendfsync', 'always');
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child = proc;
    const deadline = Date.now() + 10_000;
    while (!(await ping(port))) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`redis-server on port ${port} did not start:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    await exited;
  };

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    stop,
    kill: () => stop('SIGKILL'),
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    async restart({ keepData }) {
      await stop();
      if (!keepData) {
        // Same path, nothing in it: the server starts as if new.
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
      }
      await launch();
    },
    async dispose() {
      child?.kill('SIGCONT');
      await stop('SIGKILL');
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

// A bare RESP PING, so the helper does not depend on the client under test.
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

// ---- fixtures shared by the redis-* test files ----

/** A valid takedown restriction document with the given id. */
export function takedown(id: string, meeting = 'm-1'): Restriction {
  return {
    id,
    authority: { name: 'Example Authority', jurisdiction: 'CN' },
    regions: ['CN'],
    scope: { meetings: [meeting] },
  };
}

/** Records everything a subscription delivers. */
export function recorder() {
  const changes: RestrictionChange[] = [];
  const snapshots: RestrictionSnapshot[] = [];
  const events: { event: keyof RestrictionStoreEvents; payload: unknown }[] = [];
  const errors: Error[] = [];
  const subscriber: RestrictionSubscriber = {
    onChange: (change) => changes.push(change),
    onSnapshot: (snapshot) => snapshots.push(snapshot),
    onEvent: (event, payload) => events.push({ event, payload }),
    onError: (error) => errors.push(error),
  };
  return { subscriber, changes, snapshots, events, errors, eventNames: () => events.map((e) => e.event) };
}

/** Polls `condition` until it holds, or fails naming `what`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** How many clients sit in a blocking command (a subscription waiting in XREAD BLOCK is caught up). */
export async function blockedClients(admin: { info(section: string): Promise<string> }): Promise<number> {
  return Number(/blocked_clients:(\d+)/.exec(await admin.info('clients'))?.[1] ?? 0);
}

/** Waits until at least `count` clients are blocked. */
export async function waitForBlocked(admin: { info(section: string): Promise<string> }, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await blockedClients(admin)) < count) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} blocked client(s)`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * One server for a describe block: started before its tests, with an admin
 * client for inspecting it, and every store handed to `track` closed after.
 */
export function useRedisServer() {
  let redis: TestRedis | undefined;
  let admin: Redis | undefined;
  const stores: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    admin?.disconnect();
    await redis?.dispose();
  });
  return {
    get redis(): TestRedis {
      return redis!;
    },
    get admin(): Redis {
      return admin!;
    },
    track<T extends { close(): Promise<void> }>(store: T): T {
      stores.push(store);
      return store;
    },
  };
}
